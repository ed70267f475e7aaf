"""Schema changes through Alembic migrations (``python -m qep_core db upgrade``).

* An empty database gets every table at once and is stamped at the newest revision (Alembic's
  "create_all then stamp" recipe): fast, and exactly the models.
* A database already under migrations is upgraded to the newest revision.
* A database made by the release before migrations existed (tables, no ``alembic_version``) is
  stamped at the first revision — that release's schema — then upgraded.

The migrations live in ``qep_core/migrations/versions``; a test runs them all from an empty
database and from the previous release's schema, and checks the result equals the models.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from qep_core import tables  # noqa: F401  (registers every table)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST_REVISION = "0001"


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_current_head())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Bring the database to *revision* (the newest by default); returns what was done, in French."""
    with engine.begin() as connection:
        tables = set(inspect(connection).get_table_names())
        version = MigrationContext.configure(connection).get_current_revision()
        config = _config(connection)
        if version is None and "observation" not in tables:  # nothing of ours yet (an empty or foreign database)
            if revision != "head":
                command.upgrade(config, revision)
                return f"base créée par les migrations jusqu'à {revision}"
            SQLModel.metadata.create_all(connection)
            command.stamp(config, "head")
            return f"base créée (schéma {head_revision()})"
        if version is None:
            command.stamp(config, FIRST_REVISION)
            version = FIRST_REVISION
        command.upgrade(config, revision)
    after = current_revision(engine)
    return f"schéma {version} → {after}" if after != version else f"schéma déjà à jour ({after})"
