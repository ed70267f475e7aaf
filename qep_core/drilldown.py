"""The items behind a monthly figure computed from a log: which e-mails were late, and why.

Only items of the batch that currently holds a month's value are shown: when a corrected log
replaced a month, the items of the old log no longer explain the figure.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import pandas as pd
from sqlmodel import Session, select

from qep_core.models import Indicator, LogItem, Observation, Perimetre
from qep_core.periods import Period, add_months

LATE_STATUSES = ("hors délai", "sans réponse, délai dépassé")


def log_items(session: Session, prefecture_id: int, code: str, period: Period,
              perimetre_ids: Iterable[int] | None = None, only_late: bool = False) -> pd.DataFrame:
    """Items of *code* received during *period*, from the batches that hold those months."""
    perims = list(perimetre_ids) if perimetre_ids is not None else None
    owners = select(Observation.batch_id, Observation.perimetre_id, Observation.period_start).where(
        Observation.prefecture_id == prefecture_id, Observation.indicator_id == Indicator.id, Indicator.code == code,
        Observation.period_start >= period.start, Observation.period_end <= period.end,
        Observation.period_start == Observation.period_end,
    )
    holding = {(b, p, m) for b, p, m in session.exec(owners) if b is not None}
    columns = ["Reçu le", "Répondu le", "Délai (jours ouvrés)", "Échéance", "Statut", "Périmètre", "Feuille", "Ligne",
               "details"]
    if not holding:
        return pd.DataFrame(columns=columns)
    stmt = select(LogItem, Perimetre.name).where(
        LogItem.prefecture_id == prefecture_id, LogItem.indicator_code == code, LogItem.perimetre_id == Perimetre.id,
        LogItem.batch_id.in_({b for b, _, _ in holding}),
        # an item's own date is on or after its month (a meeting is offered after the request)
        LogItem.received >= period.start, LogItem.received < add_months(period.end, 4),
    )
    if perims is not None:
        stmt = stmt.where(LogItem.perimetre_id.in_(perims))
    if only_late:
        stmt = stmt.where(LogItem.status.in_(LATE_STATUSES))
    records = []
    for item, perimetre in session.exec(stmt.order_by(LogItem.received, LogItem.row)):
        month = attribution_month(item)
        if (item.batch_id, item.perimetre_id, month) not in holding:
            continue
        records.append([item.received, item.answered, item.delay, item.deadline, item.status, perimetre, item.sheet,
                        item.row, item.details])
    frame = pd.DataFrame(records, columns=columns)
    for column in ("Reçu le", "Répondu le", "Échéance"):  # NaT, not None, for an unanswered item
        frame[column] = pd.to_datetime(frame[column])
    frame["Délai (jours ouvrés)"] = frame["Délai (jours ouvrés)"].astype(float)
    return frame


def attribution_month(item: LogItem) -> dt.date:
    """The month whose figure the item belongs to: its reception, or for the meeting stage of an
    élu's rendez-vous (whose delay starts at the offered date) the month of the request."""
    asked = json.loads(item.details or "{}").get("demandé le")
    if asked:
        day = pd.to_datetime(asked, errors="coerce")
        if not pd.isna(day):
            return day.date().replace(day=1)
    return item.received.replace(day=1)


def personal_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The log's other columns (sender, subject…), one column each — to show only on request."""
    if frame.empty:
        return pd.DataFrame()
    return pd.DataFrame([json.loads(d or "{}") for d in frame["details"]], index=frame.index)
