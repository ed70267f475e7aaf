"""A préfecture's dated events (« Mise en service du serveur vocal interactif », « Départ de deux
agents du standard »): list them, add one, remove one — what the Indicateurs and Paramètres pages
and ``python -m qep_core event`` call. Every monthly chart whose period holds an event's day draws
it (:func:`qep_core.charts.add_event_marks`).

Adding and removing need ``edit_settings`` (the référent(e) qualité), as a setting does: an event
flagged *changement de fonctionnement* restarts the control limits of the indicators it applies
to (:func:`qep_core.services.dashboard.spc`), which changes the signals every page shows. Each
writes its history line. Reading needs ``read_detail``: the labels are internal free text, which
the users' committee (public views only) does not see; a contributor sees the events of the whole
préfecture and of its own périmètres, not those of another service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from qep_core.access import outside_perimetres
from qep_core.charts import add_event_marks
from qep_core.models import local_time
from qep_core.prefectures import perimetres_of
from qep_core.services._unit import Actor, Unit, operation, unit
from qep_core.signals import events as rules
from qep_core.signals.events import PROCESS_CHANGE, EventError, EventMark
from qep_core.signals.models import MAX_EVENT_LABEL, Event

__all__ = ["MAX_EVENT_LABEL", "PROCESS_CHANGE", "EventError", "EventMark", "EventRow", "add_event",
           "add_event_marks", "list_events", "marks", "remove_event"]


@dataclass(frozen=True)
class EventRow:
    """One event as the pages and the command line show it."""

    id: int
    day: dt.date
    label: str
    indicator_code: str | None
    indicator_label: str  # "" when the event concerns every indicator
    perimetre_id: int | None
    perimetre_name: str  # "" when the event concerns the whole préfecture
    process_change: bool
    created_by: str
    created_at: dt.datetime  # Paris time

    @property
    def mark(self) -> EventMark:
        return EventMark(self.day, self.label, self.process_change)

    @property
    def scope_text(self) -> str:
        """What the event concerns, in French: « tous les indicateurs », « TEL_ABOUTIS — Standard »."""
        parts = [self.indicator_code or "tous les indicateurs", self.perimetre_name or "toute la préfecture"]
        return " — ".join(parts)


def marks(rows: Iterable[EventRow]) -> list[EventMark]:
    """The rows as the charts draw them."""
    return [r.mark for r in rows]


def _row(work: Unit, prefecture_id: int, event: Event, names: dict[int, str] | None = None) -> EventRow:
    names = names if names is not None else {p.id or 0: p.name for p in perimetres_of(work.session, prefecture_id)}
    try:
        indicator = rules.indicator_label(work.session, prefecture_id, event.indicator_code)
    except EventError:  # an indicator since retired: its code still says what the event was about
        indicator = event.indicator_code or ""
    return EventRow(event.id or 0, event.day, event.label, event.indicator_code, indicator, event.perimetre_id,
                    names.get(event.perimetre_id, "") if event.perimetre_id is not None else "",
                    event.process_change, event.created_by, local_time(event.created_at))


def _history(row: EventRow) -> dict[str, object]:
    return {"date": row.day.isoformat(), "libellé": row.label, "indicateur": row.indicator_code or "tous",
            "périmètre": row.perimetre_name or "toute la préfecture", PROCESS_CHANGE: "oui" if row.process_change else "non"}


def _entity(row: EventRow) -> str:
    return f"{row.day:%d/%m/%Y} « {row.label} »"


@operation("read_detail", writes=False)
def list_events(actor: Actor, prefecture_id: int, *, first: dt.date | None = None, last: dt.date | None = None,
                indicator_code: str | None = None, perimetre_ids: Iterable[int] | None = None) -> list[EventRow]:
    """The events from the month *first* to the month *last* (inclusive; None: unbounded), of every
    indicator or of *indicator_code*, of the whole préfecture or of *perimetre_ids* (None: all the
    principal may read), by day."""
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        own = actor.principal.perimetre_ids
        names = {p.id or 0: p.name for p in perimetres_of(work.session, prefecture_id)}
        asked = None if perimetre_ids is None else sorted(set(perimetre_ids))
        if asked is not None and own is not None and any(p not in own for p in asked):
            raise outside_perimetres([f"« {names.get(p, f'n° {p}')} »" for p in asked if p not in own],
                                     "seuls les événements de vos périmètres vous sont montrés.")
        chosen = asked if asked is not None else (sorted(own) if own is not None else None)
        found = rules.events_of(work.session, prefecture_id, first=first, last=last,
                                indicator_code=indicator_code.upper() if indicator_code else None,
                                perimetre_ids=chosen)
        return [_row(work, prefecture_id, e, names) for e in found]


@operation("edit_settings", writes=True)
def add_event(actor: Actor, prefecture_id: int, day: dt.date, label: str, *, indicator_code: str | None = None,
              perimetre_id: int | None = None, process_change: bool = False) -> EventRow:
    """Date one event; :class:`EventError` (French) when the label is empty or too long, the
    indicator unknown or the périmètre another préfecture's; ``ValueOutOfBounds`` when the day lies
    outside the accepted periods."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        text = rules.clean_label(label)
        rules.check_day(day)
        code = indicator_code.strip().upper() if indicator_code and indicator_code.strip() else None
        rules.indicator_label(work.session, prefecture_id, code)
        perimetre = rules.perimetre_of(work.session, prefecture_id, perimetre_id)
        if perimetre is not None:
            work.check_perimetres([perimetre.id or 0], {perimetre.id or 0: perimetre.name})
        event = Event(prefecture_id=prefecture_id, day=day, label=text, indicator_code=code,
                      perimetre_id=perimetre_id, process_change=process_change, created_by=work.principal.author)
        work.session.add(event)
        work.session.flush()
        row = _row(work, prefecture_id, event)
        summary = "événement ajouté" + (f" ({PROCESS_CHANGE} : limites des cartes de contrôle recalculées à partir "
                                        f"de {row.day:%m/%Y})" if process_change else "")
        work.record("event", _entity(row), summary, after=_history(row))
        return row


@operation("edit_settings", writes=True)
def remove_event(actor: Actor, prefecture_id: int, event_id: int) -> EventRow:
    """Remove an event (its charts no longer draw it; a process change no longer cuts the limits)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        event = work.session.get(Event, event_id)
        if event is None or event.prefecture_id != prefecture_id:
            raise EventError(f"événement n° {event_id} introuvable")
        if event.perimetre_id is not None:
            work.check_perimetres([event.perimetre_id])
        row = _row(work, prefecture_id, event)
        work.session.delete(event)
        work.record("event", _entity(row), "événement retiré", before=_history(row))
        return row
