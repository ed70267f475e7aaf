"""Read model of the change history: who changed what, when, before and after."""

from __future__ import annotations

import pandas as pd

from qep_core.change_history import ACTION_LABELS, history
from qep_core.services._unit import Actor, operation, unit

__all__ = ["ACTION_LABELS", "change_history"]


@operation("history", writes=False)
def change_history(actor: Actor, prefecture_id: int, *, action: str | None = None, user: str | None = None,
                   limit: int = 500) -> pd.DataFrame:
    """The préfecture's latest changes (and the instance-wide ones), newest first."""
    with unit(actor, "history", prefecture_id=prefecture_id) as work:
        return history(work.session, prefecture_id, action=action, user=user, limit=limit)
