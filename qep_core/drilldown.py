"""The items behind a monthly figure computed from a log: which e-mails were late, and why.

Only items of the batch that currently holds a month's value are shown: when a corrected log
replaced a month, the items of the old log no longer explain the figure.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import pandas as pd
from sqlmodel import Session, col, select

from qep_core.importing.log_archive import ARCHIVE_SCHEMA, read_archive, unpack_items
from qep_core.models import ImportBatch, Indicator, LogItemArchive, Observation, Perimetre
from qep_core.periods import Period, add_months
from qep_core.rules.items import LATE_STATUSES


def log_items(session: Session, prefecture_id: int, code: str, period: Period,
              perimetre_ids: Iterable[int] | None = None, only_late: bool = False) -> pd.DataFrame:
    """Items of *code* received during *period*, from the batches that hold those months."""
    perims = list(perimetre_ids) if perimetre_ids is not None else None
    owners = select(col(Observation.batch_id), col(Observation.perimetre_id), col(Observation.period_start)).where(
        Observation.prefecture_id == prefecture_id, Observation.indicator_id == Indicator.id, Indicator.code == code,
        Observation.period_start >= period.start, Observation.period_end <= period.end,
        Observation.period_start == Observation.period_end,
    )
    holding = {(b, p, m) for b, p, m in session.exec(owners) if b is not None}
    columns = ["Reçu le", "Répondu le", "Délai (jours ouvrés)", "Échéance", "Statut", "Périmètre", "Feuille", "Ligne",
               "details"]
    if not holding:
        return pd.DataFrame(columns=columns)
    archives = session.exec(select(LogItemArchive.batch_id, LogItemArchive.data).where(
        col(LogItemArchive.prefecture_id) == prefecture_id, col(LogItemArchive.batch_id).in_({b for b, _, _ in holding}),
        # an item's own date is on or after its month (a meeting is offered after the request)
        col(LogItemArchive.first_received) < add_months(period.end, 4), col(LogItemArchive.last_received) >= period.start,
    )).all()
    statuses = LATE_STATUSES if only_late else None
    parts = []
    for batch_id, data in archives:
        items = unpack_items(data, code, period.start, add_months(period.end, 4), perims, statuses)
        if len(items):
            months = attribution_months(items)
            held = [(batch_id, p, m) in holding for p, m in zip(items["perimetre_id"], months, strict=True)]
            parts.append(items.loc[held])
    if not parts:
        return pd.DataFrame(columns=columns)
    found = pd.concat(parts, ignore_index=True).sort_values(["received", "row"], kind="stable")
    names = dict(session.exec(select(Perimetre.id, Perimetre.name).where(
        col(Perimetre.id).in_({int(p) for p in found["perimetre_id"]}))).all())
    frame = pd.DataFrame({
        "Reçu le": found["received"], "Répondu le": found["answered"], "Délai (jours ouvrés)": found["delay"],
        "Échéance": found["deadline"], "Statut": found["status"],
        "Périmètre": [names.get(int(p), "") for p in found["perimetre_id"]], "Feuille": found["sheet"],
        "Ligne": found["row"], "details": found["details"],
    }).reset_index(drop=True)
    for column in ("Reçu le", "Répondu le", "Échéance"):  # NaT, not None, for an unanswered item
        frame[column] = pd.to_datetime(frame[column])
    frame["Délai (jours ouvrés)"] = frame["Délai (jours ouvrés)"].astype(float)
    return frame


def archived_items(session: Session, prefecture_id: int, kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """Every item the préfecture's logs brought, with its batch and log kind (undone batches
    excluded, replaced ones included: filter on the holding batches for current figures)."""
    stmt = select(LogItemArchive.batch_id, LogItemArchive.kind, LogItemArchive.data).where(
        LogItemArchive.prefecture_id == prefecture_id, LogItemArchive.batch_id == ImportBatch.id,
        ImportBatch.status == "imported")
    if kinds is not None:
        stmt = stmt.where(col(LogItemArchive.kind).in_(list(kinds)))
    parts = [read_archive(data).assign(batch_id=batch_id, kind=kind) for batch_id, kind, data in session.exec(stmt)]
    if not parts:
        return pd.DataFrame(columns=[*ARCHIVE_SCHEMA.names, "batch_id", "kind"])
    return pd.concat(parts, ignore_index=True)


def attribution_months(items: pd.DataFrame) -> list[dt.date]:
    """The month whose figure each item belongs to: its reception, or for the meeting stage of an
    élu's rendez-vous (whose delay starts at the offered date) the month of the request."""
    months = []
    for received, details in zip(items["received"], items["details"], strict=True):
        asked = json.loads(details).get("demandé le") if '"demandé le"' in details else None
        day = pd.to_datetime(asked, errors="coerce") if asked else pd.NaT
        months.append((received if pd.isna(day) else day.date()).replace(day=1))
    return months


def personal_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The log's other columns (sender, subject…), one column each — to show only on request."""
    if frame.empty:
        return pd.DataFrame()
    return pd.DataFrame([json.loads(d or "{}") for d in frame["details"]], index=frame.index)
