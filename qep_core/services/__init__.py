"""The service layer: one function per user operation, and the read models pages show.

Every function takes the :class:`Actor` (who acts, on which database) first, checks what that
principal may do (``qep_core.access.check``, in :func:`~qep_core.services._unit.unit`), owns its
transaction and writes its change-history line inside it. Pages, ``qep_ui`` and the CLI call only
this layer, as ``from qep_core import services`` then ``services.imports.save_upload(actor, …)``.
"""

from qep_core.access import AccessDenied, Principal
from qep_core.rules.bounds import ValueOutOfBounds
from qep_core.services import (
    accounts,
    action_plan,
    alerts,
    audits,
    backups,
    collection,
    dashboard,
    deposits,
    digest,
    engagements,
    entry,
    events,
    exports,
    history,
    identity,
    imports,
    mappings,
    mystery,
    reminders,
    review,
    settings,
    sp_plus,
    surveys,
    system,
    trainings,
)
from qep_core.services._unit import OPERATIONS, Actor, Database, Operation, StorageError

__all__ = ["OPERATIONS", "AccessDenied", "Actor", "Database", "Operation", "Principal", "StorageError", "ValueOutOfBounds",
           "accounts",
           "action_plan", "alerts", "audits", "backups",
           "collection",
           "dashboard", "deposits", "digest", "engagements", "entry", "events", "exports",
           "history", "identity",
           "imports",
           "mappings", "mystery", "reminders",
           "review", "settings", "sp_plus", "surveys", "system", "trainings"]
