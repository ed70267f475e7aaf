"""Engine and sessions.

SQLite by default (``data/qep.db``), PostgreSQL when ``QEP_DATABASE_URL`` says so. On SQLite we
turn on WAL and foreign keys, and start write transactions with ``BEGIN IMMEDIATE`` (SQLAlchemy's
documented recipe): a read-then-write transaction otherwise fails with "database is locked" under
a concurrent writer (see FIELD-NOTES). On PostgreSQL, write transactions take one advisory lock at
BEGIN for the same effect, and sessions run in UTC. No back-end-specific SQL is used anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from qep_core.config import DATA_DIR, PROJECT_ROOT, database_url
from qep_core.migrate import upgrade
from qep_core.rules.row_bounds import check_flush

__all__ = ["DATA_DIR", "PROJECT_ROOT", "create_schema", "database_url", "get_engine", "session_scope"]

DEFAULT_DB_PATH = DATA_DIR / "qep.db"

# Every flush of every session, whatever path wrote the rows (page, command line, service, demo):
# out-of-bound values are refused in French before SQL is sent, alike on SQLite and PostgreSQL.
event.listen(Session, "before_flush", check_flush)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        writing = conn.get_execution_options().get("qep_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


# Any constant: the key of the one write lock of the application's database on PostgreSQL.
WRITE_LOCK_KEY = 0x51E9_0F0F
WRITE_LOCK_TIMEOUT = "5min"


def _configure_postgresql(engine: Engine) -> None:
    """Write transactions queue, as on SQLite: each takes one transaction-level advisory lock first.

    Under READ COMMITTED, two imports of overlapping months (or bringing the same new périmètre)
    would each read the database before the other's commit and the second would fail on a unique
    constraint: a user's import lost. With the lock taken at BEGIN, the second waits, then reads
    what the first committed (each statement sees the latest commits), exactly like SQLite's
    ``BEGIN IMMEDIATE``. Readers never wait (MVCC). The lock goes with the transaction's end, a
    rollback, or the server noticing that a killed client's connection closed.
    """

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("qep_write", False):
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{WRITE_LOCK_TIMEOUT}'")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
            conn.exec_driver_sql("SET LOCAL lock_timeout = DEFAULT")


def get_engine(url: str | None = None) -> Engine:
    """The engine for *url*, or for ``QEP_DATABASE_URL`` as it is now (one engine per URL)."""
    return _engine_for(url or database_url())


@lru_cache(maxsize=16)
def _engine_for(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    connect_args: dict[str, str] = {}
    if url.startswith("postgresql"):
        connect_args["options"] = _postgresql_options(url)
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"), connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
    return engine


def _postgresql_options(url: str) -> str:
    """Sessions in UTC, whatever the server's ``timezone`` setting: times are stored as UTC
    (``timestamp with time zone``, sqlmodel's aware datetimes) and anything PostgreSQL turns into
    local time — a cast to ``date``, text output — then agrees with SQLite, where they are UTC
    text. Options already in the URL (``?options=-c search_path=…``) are kept."""
    from sqlalchemy import make_url

    given = make_url(url).query.get("options", "")
    given = given if isinstance(given, str) else " ".join(given)
    return f"{given} -c timezone=UTC".strip()


def create_schema(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration (see qep_core.migrate)."""
    upgrade(engine)


@contextmanager
def session_scope(engine: Engine | None = None, *, write: bool = False) -> Iterator[Session]:
    """One transaction: committed when the block ends normally, rolled back on any error.

    ``write=True`` takes SQLite's write lock at BEGIN so that two writers queue instead of
    failing half-way.
    """
    engine = engine or get_engine()
    bind = engine.execution_options(qep_write=True) if write else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics after a large load (1 ms instead of 127 ms here)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
