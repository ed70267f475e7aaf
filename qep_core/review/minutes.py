"""What documents print of the COPIL's reviews: its meetings, their analysis and the actions decided.

Plain records, kept apart from the review workflow so that documents and the workflow both read
them without depending on each other. Internal by nature (names, the COPIL's own words): public
documents never carry them (:func:`qep_core.exports.content.public_safe` empties them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class DecidedAction:
    """An action the COPIL decided, with where the action plan says it stands on the document's day."""

    quarter_label: str
    indicator: str
    text: str
    action_id: int | None = None
    owner: str = ""
    due_date: dt.date | None = None
    status: str = ""  # the plan's status that day (« En cours »), "" when the plan no longer holds it
    late: bool = False  # due date passed and neither done nor abandoned

    @property
    def due_text(self) -> str:
        return self.due_date.strftime("%d/%m/%Y") if self.due_date else "–"

    @property
    def state_text(self) -> str:
        """« En cours — en retard », « Fait », « hors du plan »."""
        state = self.status or "hors du plan"
        return f"{state} — en retard" if self.late else state


@dataclass(frozen=True)
class ReviewNote:
    """The COPIL's comment on one indicator."""

    indicator_code: str
    indicator: str  # its label
    text: str


@dataclass(frozen=True)
class ReviewMeeting:
    """One quarterly review of the year: when the COPIL met, and what it said."""

    quarter_label: str
    meeting_date: dt.date | None
    frozen: bool
    year: int = 0
    quarter: int = 0
    analysis: str = ""
    notes: tuple[ReviewNote, ...] = ()

    @property
    def heading(self) -> str:
        """« Revue du 2e trimestre 2024 — COPIL du 11/07/2024 » (« en préparation » before it met)."""
        when = (f"COPIL du {self.meeting_date:%d/%m/%Y}" if self.meeting_date and self.frozen
                else "en préparation")
        return f"Revue du {self.quarter_label} — {when}"

    @property
    def has_words(self) -> bool:
        return bool(self.analysis or self.notes)

    def note_for(self, code: str) -> str:
        return next((n.text for n in self.notes if n.indicator_code == code), "")
