"""What db.py promises on each back-end: UTC sessions on PostgreSQL, one writer at a time, times
stored and read back as the same instant."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from qep_core.db import get_engine, session_scope
from qep_core.models import ImportBatch, Prefecture
from tests.databases import on_postgresql

postgresql_only = pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL run only (make test-pg)")


@postgresql_only
def test_postgresql_sessions_are_in_utc_whatever_the_server_says(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text("ALTER DATABASE " + engine.url.database + " SET timezone TO 'Pacific/Auckland'"))
        conn.commit()
    engine.dispose()
    with get_engine(url).connect() as conn:
        assert conn.execute(text("SHOW timezone")).scalar() == "UTC"
        # a stored instant cast to a date is the UTC date, as on SQLite
        assert str(conn.execute(text("SELECT CAST(CAST('2024-03-31 23:30:00+00' AS timestamptz) AS date)")).scalar()) == "2024-03-31"


@postgresql_only
def test_options_in_the_url_are_kept(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False) + "?options=-c%20application_name%3Dqep-test"
    with get_engine(url).connect() as conn:
        assert conn.execute(text("SHOW application_name")).scalar() == "qep-test"
        assert conn.execute(text("SHOW timezone")).scalar() == "UTC"
    get_engine(url).dispose()


def test_an_instant_is_read_back_unchanged(engine: Engine, prefecture: Prefecture) -> None:
    moment = dt.datetime(2024, 3, 31, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # 22:30 UTC the day before
    with session_scope(engine, write=True) as session:
        batch = ImportBatch(prefecture_id=prefecture.id or 0, file_name="x", sha256="0" * 64, kind="long",
                            imported_at=moment)
        session.add(batch)
        session.flush()
        batch_id = batch.id
    with session_scope(engine) as session:
        stored = session.get(ImportBatch, batch_id)
        assert stored is not None and stored.imported_at == moment
        assert stored.imported_at.astimezone(dt.UTC) == dt.datetime(2024, 3, 30, 22, 30, tzinfo=dt.UTC)


def test_a_second_writer_waits_for_the_first_instead_of_failing(engine: Engine, prefecture: Prefecture) -> None:
    """Read-then-write transactions, interleaved: the second begins only once the first committed,
    so it reads the first's row (SQLite: BEGIN IMMEDIATE; PostgreSQL: the advisory lock)."""
    first_in = threading.Event()
    seen: list[int] = []

    def writer(name: str, hold: float) -> None:
        with session_scope(engine, write=True) as session:
            count = session.execute(text("SELECT COUNT(*) FROM perimetre")).scalar_one()  # BEGIN: lock taken
            seen.append(int(count))
            first_in.set()
            time.sleep(hold)
            session.execute(text("INSERT INTO perimetre (prefecture_id, name, kind) VALUES (:p, :n, 'service')"),
                            {"p": prefecture.id, "n": name})

    first = threading.Thread(target=writer, args=("Premier", 0.5))
    first.start()
    first_in.wait(10)
    started = time.monotonic()
    writer("Second", 0)
    waited = time.monotonic() - started
    first.join(10)
    assert seen == [seen[0], seen[0] + 1]  # the second saw the first's périmètre
    assert waited >= 0.3
