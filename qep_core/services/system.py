"""The application as a whole: opening its database, the version of a préfecture's data that
caches are keyed on, the health check monitoring polls, and the operation log's output."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, union_all
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from qep_core.change_history import ChangeEvent
from qep_core.config import setting
from qep_core.db import create_schema, database_url, get_engine, session_scope
from qep_core.migrate import current_revision, head_revision
from qep_core.referentiel import seed_referentiel
from qep_core.services._unit import OPERATION_LOG, Actor, Database, JsonLines, TextLines, operation, unit


def open_database(url: str | None = None) -> Database:
    """The database of *url* (``QEP_DATABASE_URL`` by default), its schema migrated to the newest
    revision and the default référentiel loaded (nothing overwritten)."""
    database = get_engine(url or database_url())
    create_schema(database)
    with session_scope(database, write=True) as session:
        seed_referentiel(session)
    return database


def configured_url() -> str:
    return database_url()


# ------------------------------------------------------------------------------------ data version

def history_version(session: Session, prefecture_id: int) -> str:
    """The version of a préfecture's data: how many history lines it has and the newest one's time,
    with the same for the instance-wide lines (a restore, an account).

    Every write records its history line in its own transaction (``Unit.record``), so any write
    committed by any process changes this — the count grows even when two processes commit out of
    order, and a restore's line is newer than anything before it. One statement, two ranges of the
    ``(prefecture_id, at)`` index, read from the index alone: well under a millisecond for tens of
    thousands of lines (``tests/test_data_version.py`` measures it).
    """
    counted = select(func.count(), func.max(ChangeEvent.at))
    own = counted.where(ChangeEvent.prefecture_id == prefecture_id)
    shared = counted.where(col(ChangeEvent.prefecture_id).is_(None))
    return _joined(session.connection().execute(union_all(own, shared)).all())


def versions_across(session: Session, prefecture_ids: Iterable[int] | None) -> str:
    """:func:`history_version` over several préfectures together (``None``: all of them), for the
    reads that cross them (the regional comparison)."""
    counted = select(func.count(), func.max(ChangeEvent.at))
    if prefecture_ids is not None:
        wanted = sorted(prefecture_ids)
        counted = counted.where(col(ChangeEvent.prefecture_id).in_(wanted) | col(ChangeEvent.prefecture_id).is_(None))
    return _joined(session.connection().execute(counted).all())


def _joined(rows: Sequence[Sequence[Any]]) -> str:
    return "|".join(f"{row[0]}@{row[1]}" for row in rows)


@operation("read", writes=False)
def data_version(actor: Actor, prefecture_id: int | None) -> str:
    """The version of the préfecture's data (:func:`history_version`); ``None``: of every
    préfecture the principal sees, together. Equal strings, same data; it says nothing but a
    count and a time."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        if prefecture_id is None:
            return versions_across(work.session, actor.principal.prefecture_ids)
        return history_version(work.session, prefecture_id)


# ------------------------------------------------------------------------------------------ health

@dataclass(frozen=True)
class Health:
    """Whether the database answers, and with the schema this code expects."""

    ok: bool
    database: str  # the URL without its password
    schema: str | None
    expected_schema: str
    ms: float
    problem: str = ""  # in French, for the administrator

    def payload(self) -> dict[str, object]:
        return {"ok": self.ok, "database": self.database, "schema": self.schema,
                "expected_schema": self.expected_schema, "ms": self.ms, "problem": self.problem}


def health(url: str | None = None) -> Health:
    """Ask the database one trivial question and its schema revision. Nobody acts (no actor, no
    data read): what a monitoring probe may run every few seconds."""
    started = time.perf_counter()
    engine = get_engine(url or database_url())
    shown = engine.url.render_as_string(hide_password=True)
    expected = head_revision()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
        return Health(False, shown, None, expected, _ms(started), f"la base ne répond pas : {reason}")
    problem = "" if revision == expected else (
        f"schéma {revision or 'absent'} au lieu de {expected} : lancez « python -m qep_core db upgrade »")
    return Health(not problem, shown, revision, expected, _ms(started), problem)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


# --------------------------------------------------------------------------------- operation log

LOG_FORMATS = ("json", "text", "none")


def start_operation_log(stream: object = None) -> str:
    """Write the operation log (one line per operation, ``qep.operations``) to *stream* (standard
    error: the journal under systemd) in the format ``QEP_LOG_FORMAT`` names; the format used.
    Called once by each app process (qep_ui.serve); calling it again changes nothing."""
    wanted = setting("QEP_LOG_FORMAT").lower()
    fmt = wanted if wanted in LOG_FORMATS else "json"
    if any(getattr(h, "qep_operation_log", False) for h in OPERATION_LOG.handlers):
        return fmt
    if fmt == "none":
        OPERATION_LOG.setLevel(logging.WARNING)
        return fmt
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonLines() if fmt == "json" else TextLines())
    handler.qep_operation_log = True  # type: ignore[attr-defined]
    OPERATION_LOG.addHandler(handler)
    OPERATION_LOG.setLevel(logging.INFO)
    OPERATION_LOG.propagate = False  # Streamlit's own log format is not ours
    return fmt
