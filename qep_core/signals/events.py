"""Dated events of a préfecture (« octobre 2022 : serveur vocal interactif »): what they may say,
which ones a read covers, and the neutral mark every chart draws.

Why a module apart from the services: the charts of the app and of the exports draw the same
:class:`EventMark` without knowing the database, and the control charts (:mod:`qep_core.spc`)
need only the days of the *process changes* — a change of how the service works, after which
the old limits say nothing about the new process.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from qep_core.models import Perimetre
from qep_core.periods import add_months
from qep_core.referentiel import indicators_for
from qep_core.rules.bounds import check_month, text_fault
from qep_core.signals.models import MAX_EVENT_LABEL, Event

#: How a process change is named wherever it is shown (charts, lists, history).
PROCESS_CHANGE = "changement de fonctionnement"


class EventError(ValueError):
    """An event refused (empty label, unknown indicator…), with the French sentence to show."""


@dataclass(frozen=True)
class EventMark:
    """An event as a chart draws it: a day (its month is where it stands), a short label, and
    whether the control limits restart there."""

    day: dt.date
    label: str
    process_change: bool = False

    @property
    def month(self) -> dt.date:
        return self.day.replace(day=1)

    @property
    def text(self) -> str:
        """« 03/10/2022 — Mise en service du serveur vocal interactif (changement de fonctionnement) »:
        the event as the documents list it under a figure it explains."""
        return f"{self.day:%d/%m/%Y} — {self.label}" + (f" ({PROCESS_CHANGE})" if self.process_change else "")


def clean_label(label: str) -> str:
    """The label on one line (a newline would break a chart's label and a CLI line), checked."""
    text = " ".join(str(label).split())
    if not text:
        raise EventError("le libellé de l'événement est vide")
    fault = text_fault(text, MAX_EVENT_LABEL)
    if fault is not None:
        raise EventError(f"libellé de l'événement : {fault}")
    return text


def check_day(day: dt.date) -> dt.date:
    """*day* when its month lies in the window of periods the application accepts."""
    check_month(day.replace(day=1), "date de l'événement")
    return day


def indicator_label(session: Session, prefecture_id: int, code: str | None) -> str:
    """The label of indicator *code* in this préfecture ("" for none); :class:`EventError` when unknown."""
    if not code:
        return ""
    found = next((d for d in indicators_for(session, prefecture_id) if d.code == code), None)
    if found is None:
        raise EventError(f"indicateur inconnu dans cette préfecture : {code}")
    return found.label


def perimetre_of(session: Session, prefecture_id: int, perimetre_id: int | None) -> Perimetre | None:
    """The périmètre *perimetre_id* of this préfecture (None for none); :class:`EventError` otherwise."""
    if perimetre_id is None:
        return None
    found = session.get(Perimetre, perimetre_id)
    if found is None or found.prefecture_id != prefecture_id:
        raise EventError(f"périmètre n° {perimetre_id} introuvable dans cette préfecture")
    return found


def events_of(session: Session, prefecture_id: int, *, first: dt.date | None = None, last: dt.date | None = None,
              indicator_code: str | None = None, perimetre_ids: Sequence[int] | None = None,
              process_change_only: bool = False) -> list[Event]:
    """The préfecture's events from the month *first* to the end of the month *last*, by day: those
    of every indicator or of *indicator_code*, of the whole préfecture or of one of *perimetre_ids*
    (None: of any périmètre)."""
    stmt = select(Event).where(Event.prefecture_id == prefecture_id)
    if first is not None:
        stmt = stmt.where(col(Event.day) >= first.replace(day=1))
    if last is not None:
        stmt = stmt.where(col(Event.day) < add_months(last.replace(day=1), 1))
    if indicator_code:
        stmt = stmt.where(or_(col(Event.indicator_code).is_(None), col(Event.indicator_code) == indicator_code))
    if perimetre_ids is not None:
        stmt = stmt.where(or_(col(Event.perimetre_id).is_(None), col(Event.perimetre_id).in_(list(perimetre_ids))))
    if process_change_only:
        stmt = stmt.where(col(Event.process_change).is_(True))
    return list(session.exec(stmt.order_by(col(Event.day), col(Event.id))))


def process_change_days(session: Session, prefecture_id: int, code: str,
                        perimetre_ids: Sequence[int] | None) -> list[dt.date]:
    """The days the control limits of *code* restart: the process changes of every indicator or of
    *code*, of the whole préfecture or of one of the périmètres read (*perimetre_ids*; None: the
    whole préfecture is read, and a change of one service alone does not restart its limits)."""
    return process_changes(session, prefecture_id, perimetre_ids)[code]


def process_changes(session: Session, prefecture_id: int,
                    perimetre_ids: Sequence[int] | None) -> defaultdict[str, list[dt.date]]:
    """:func:`process_change_days` of every indicator at once (one query): code → days."""
    found = events_of(session, prefecture_id, perimetre_ids=perimetre_ids if perimetre_ids is not None else (),
                      process_change_only=True)
    common = [e.day for e in found if e.indicator_code is None]
    out: defaultdict[str, list[dt.date]] = defaultdict(lambda: list(common))
    for e in found:
        if e.indicator_code is not None:
            out[e.indicator_code] = sorted({*out[e.indicator_code], e.day})
    return out


def marks_in(marks: Iterable[EventMark], months: Sequence[dt.date]) -> list[EventMark]:
    """The marks whose month is one of *months* (a chart draws no event outside its period)."""
    shown = {m.replace(day=1) for m in months}
    return [m for m in marks if m.month in shown]
