"""Test databases on either back-end: SQLite files by default, PostgreSQL when
``QEP_TEST_DATABASE_URL`` names a server database (``make test`` sets it for its second run).

Every test gets a database of its own, so that a URL never names two different states (the app's
caches are keyed by URL) and a test never sees another's rows:

* SQLite: a file in the test's temp dir.
* PostgreSQL: a database cloned from a template that holds the schema and the référentiel,
  built once per test session (``CREATE DATABASE … TEMPLATE``: about 40 ms here, against about
  120 ms for creating the tables and loading the référentiel into a fresh schema), dropped when
  the test ends. Databases that must start empty are cloned from ``template0``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine

TEST_DATABASE_URL = os.environ.get("QEP_TEST_DATABASE_URL", "").strip()
BACKEND = "postgresql" if TEST_DATABASE_URL else "sqlite"
_counter = itertools.count(1)
_template: str | None = None


def on_postgresql() -> bool:
    return BACKEND == "postgresql"


_ADMIN: list[Engine] = []


def _admin_engine() -> Engine:
    """Autocommit connections to the server's test database (CREATE/DROP DATABASE)."""
    if not _ADMIN:
        _ADMIN.append(create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT", pool_size=1))
    return _ADMIN[0]


def _url_for(database: str) -> str:
    return make_url(TEST_DATABASE_URL).set(database=database).render_as_string(hide_password=False)


def _new_name(label: str) -> str:
    clean = "".join(c if c.isalnum() else "_" for c in label.lower())[:30]
    return f"qept_{os.getpid()}_{next(_counter)}_{clean}"


def _seeded_template() -> str:
    """The template database: schema and référentiel, built once per test session."""
    global _template
    if _template is None:
        from qep_core.db import create_schema
        from qep_core.db import session_scope as scope
        from qep_core.referentiel import seed_referentiel

        name = f"qept_{os.getpid()}_template"
        with _admin_engine().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_engine(_url_for(name))
        try:
            create_schema(engine)
            with scope(engine, write=True) as session:
                seed_referentiel(session)
        finally:
            engine.dispose()
        _template = name
    return _template


def new_database_url(tmp_path: Path, label: str = "qep", seeded: bool = False) -> str:
    """The URL of a database of its own.

    *seeded*: on PostgreSQL, with the schema and the référentiel already in (callers on SQLite
    create them; both are idempotent). Otherwise empty.
    """
    if not on_postgresql():
        return f"sqlite:///{tmp_path / f'{label}.db'}"
    name = _new_name(label)
    template = _seeded_template() if seeded else "template0"
    with _admin_engine().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    return _url_for(name)


def drop_database(url: str) -> None:
    """Drop a database made by :func:`new_database_url` (nothing to do for a SQLite file)."""
    if not url.startswith("postgresql"):
        return
    from qep_core.db import get_engine

    get_engine(url).dispose()  # our own pooled connections first; FORCE ends any other
    name = make_url(url).database
    with _admin_engine().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def database(tmp_path: Path, label: str = "qep", seeded: bool = False) -> Iterator[str]:
    """:func:`new_database_url`, dropped on exit."""
    url = new_database_url(tmp_path, label, seeded)
    try:
        yield url
    finally:
        drop_database(url)


def drop_template() -> None:
    global _template
    if _template is not None and on_postgresql():
        with _admin_engine().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{_template}" WITH (FORCE)'))
        _template = None
    for engine in _ADMIN:
        engine.dispose()
    _ADMIN.clear()
