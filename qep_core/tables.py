"""Every table of the application, registered on ``SQLModel.metadata`` by importing its module.

Migrations (``qep_core.migrate``, the Alembic environment) and the engine both need the whole
schema known; this is the one list of where tables live.
"""

from qep_core import change_history, models, sp_plus_models, users  # sp_plus_models: Services Publics+
from qep_core.collection import models as collection_models  # who supplies what, by when
from qep_core.mappings import models as mapping_models  # local labels of each préfecture
from qep_core.pilotage import models as pilotage_models  # action plan, audits, trainings
from qep_core.review import models as review_models  # quarterly review tables
from qep_core.signals import models as signal_models  # events, alerts, e-mails sent
from qep_core.surveys import models as survey_models  # surveys and mystery checks

TABLE_MODULES = (change_history, models, users, review_models, pilotage_models, survey_models, mapping_models,
                 signal_models, collection_models, sp_plus_models)
