"""Opening the application's database: the one thing done before anyone acts."""

from __future__ import annotations

from qep_core.db import create_schema, database_url, get_engine, session_scope
from qep_core.referentiel import seed_referentiel
from qep_core.services._unit import Database


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
