"""What documents print of the COPIL's reviews: its meetings and the actions it decided.

Plain records, kept apart from the review workflow so that documents and the workflow both read
them without depending on each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class DecidedAction:
    """An action the COPIL decided in a quarterly review (linked to the action plan when wired)."""

    quarter_label: str
    indicator: str
    text: str
    action_id: int | None = None


@dataclass(frozen=True)
class ReviewMeeting:
    quarter_label: str
    meeting_date: dt.date | None
    frozen: bool
