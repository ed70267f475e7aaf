"""The quarterly COPIL review: reading it, and the COPIL's writes (comments, decided actions,
freezing the minutes, reopening them).

Reading needs ``read``, and is cut to the reader: a contributor sees the figures of its own
périmètres; a public-only reader (the users' committee) sees the figures without the COPIL's
internal minutes (no comment, no decided action or owner, nobody's name) — the same rule as the
CLU deck. Every write needs ``comment`` and records its line in the change history, in the same
transaction; a frozen review refuses changes (:class:`ReviewError`, French message) until reopened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from qep_core.frenchforms import count_text
from qep_core.periods import quarter_period
from qep_core.review.workflow import (
    A_ATTEINDRE,
    ACQUIS,
    HORS_ATTEINTE,
    ReviewError,
    ReviewLine,
    ReviewView,
    open_review,
    public_review,
    saved_analysis,
    saved_comments,
    signal_counts,
    signal_text,
    signals_summary,
    ytd_label,
)
from qep_core.review.workflow import add_action as _add_action
from qep_core.review.workflow import delete_action as _delete_action
from qep_core.review.workflow import freeze_review as _freeze_review
from qep_core.review.workflow import reopen_review as _reopen_review
from qep_core.review.workflow import save_analysis as _save_analysis
from qep_core.review.workflow import save_comment as _save_comment
from qep_core.services._unit import Actor, operation, unit
from qep_core.services.dashboard import scope

__all__ = ["ACQUIS", "A_ATTEINDRE", "HORS_ATTEINTE", "ReviewError", "ReviewLine", "ReviewView", "add_action",
           "delete_action", "freeze", "quarter_review", "reopen", "save_analysis", "save_comments", "signal_counts",
           "signal_text", "signals_summary", "ytd_label"]


def _entity(year: int, quarter: int) -> str:
    return f"revue du {quarter_period(year, quarter).label}"


@operation("read", writes=False)
def quarter_review(actor: Actor, prefecture_id: int, year: int, quarter: int) -> ReviewView:
    """The review as the page shows it, cut to the reader (module docstring)."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        view = open_review(work.session, prefecture_id, year, quarter, scope(actor.principal))
    return public_review(view) if actor.principal.public_only else view


@operation("comment", writes=True)
def save_comments(actor: Actor, prefecture_id: int, year: int, quarter: int, texts: Mapping[str, str]) -> int:
    """Save (an empty text clears) the COPIL's comments, indicator code → text; returns how many
    changed (nothing is written, not even a history line, when none did)."""
    with unit(actor, "comment", prefecture_id=prefecture_id, write=True) as work:
        before = saved_comments(work.session, prefecture_id, year, quarter)
        changed = {code: text.strip() for code, text in texts.items() if text.strip() != before.get(code, "")}
        for code, text in changed.items():
            _save_comment(work.session, prefecture_id, year, quarter, code, text, actor.principal.author)
        if changed:
            work.record("review", _entity(year, quarter), f"{count_text(len(changed), 'commentaire enregistré', 'commentaires enregistrés')}.",
                        before={code: before.get(code, "") for code in changed}, after=changed)
        return len(changed)


@operation("comment", writes=True)
def save_analysis(actor: Actor, prefecture_id: int, year: int, quarter: int, text: str) -> bool:
    """Save (an empty text clears) the COPIL's general analysis of the quarter; False when unchanged
    (nothing written, not even a history line)."""
    with unit(actor, "comment", prefecture_id=prefecture_id, write=True) as work:
        before = saved_analysis(work.session, prefecture_id, year, quarter)
        if before == text.strip():
            return False
        _save_analysis(work.session, prefecture_id, year, quarter, text)
        work.record("review", _entity(year, quarter), "Analyse générale enregistrée.",
                    before={"analyse": before}, after={"analyse": text.strip()})
        return True


@operation("comment", writes=True)
def add_action(actor: Actor, prefecture_id: int, year: int, quarter: int, text: str, *,
               indicator_code: str | None = None, owner: str = "", due_date: dt.date | None = None) -> int:
    """Record an action the COPIL decided (it joins the action plan); returns its id."""
    with unit(actor, "comment", prefecture_id=prefecture_id, write=True) as work:
        action = _add_action(work.session, prefecture_id, year, quarter, text, indicator_code=indicator_code,
                             owner=owner, due_date=due_date)
        work.record("review", _entity(year, quarter), "Action ajoutée.",
                    after={"action": action.text, "indicateur": action.indicator_code or "", "pilote": action.owner,
                           "échéance": due_date.isoformat() if due_date else ""})
        return action.id or 0


@operation("comment", writes=True)
def delete_action(actor: Actor, prefecture_id: int, action_id: int) -> None:
    """Withdraw a decided action (and the action-plan item it created)."""
    with unit(actor, "comment", prefecture_id=prefecture_id, write=True) as work:
        _delete_action(work.session, prefecture_id, action_id)
        work.record("review", f"action décidée n° {action_id}", "Action retirée.")


@operation("comment", writes=True)
def freeze(actor: Actor, prefecture_id: int, year: int, quarter: int, meeting_date: dt.date,
           attendees: Sequence[str] | None = None) -> None:
    """The COPIL has met: keep the figures, comments, analysis and actions as presented, with who
    attended (the minutes)."""
    with unit(actor, "comment", prefecture_id=prefecture_id, write=True) as work:
        review = _freeze_review(work.session, prefecture_id, year, quarter, meeting_date, actor.principal.author,
                                attendees)
        work.record("review", _entity(year, quarter), "Revue figée : le procès-verbal est enregistré.",
                    after={"réunion": meeting_date.isoformat(), "participants": review.attendees.replace("\n", " ; ")})


@operation("comment", writes=True)
def reopen(actor: Actor, prefecture_id: int, year: int, quarter: int) -> None:
    """Undo a freeze made by mistake: the review follows the figures again."""
    with unit(actor, "comment", prefecture_id=prefecture_id, write=True) as work:
        _reopen_review(work.session, prefecture_id, year, quarter)
        work.record("review", _entity(year, quarter), "Revue rouverte.")
