"""Alembic migrations: from an empty database, and from the first release's schema with its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from qep_core.db import get_engine, session_scope
from qep_core.drilldown import log_items
from qep_core.migrate import current_revision, head_revision, upgrade
from qep_core.periods import year_period

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "release-1-schema-and-data.sql"


def differences(engine) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)


def test_every_migration_from_an_empty_database_gives_the_models(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert "créée par les migrations" in upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    assert "0001 → " in upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert differences(engine) == []
    assert "déjà à jour" in upgrade(engine)


def test_a_new_database_is_created_from_the_models_and_stamped(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert "base créée" in upgrade(engine)
    assert current_revision(engine) == head_revision() and differences(engine) == []


def test_the_first_release_database_is_upgraded_without_losing_anything(tmp_path: Path) -> None:
    """A database written by the release before migrations (no alembic_version table): an import of
    the 2024 monthly sheet, the coordination e-mails log and the complaints log."""
    path = tmp_path / "release-1.db"
    with sqlite3.connect(path) as raw:
        raw.executescript(FIXTURE.read_text(encoding="utf-8"))
        observations = raw.execute("SELECT COUNT(*) FROM observation").fetchone()[0]
        late_complaints = raw.execute(
            "SELECT COUNT(*) FROM log_item WHERE indicator_code = 'RECLA_DELAI' "
            "AND status IN ('hors délai', 'sans réponse, délai dépassé')").fetchone()[0]
        mails = raw.execute("SELECT COUNT(*) FROM log_item WHERE indicator_code = 'COURRIEL_5J'").fetchone()[0]
        assert "alembic_version" not in {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    engine = get_engine(f"sqlite:///{path}")
    assert upgrade(engine) == f"schéma 0001 → {head_revision()}"
    assert differences(engine) == []
    assert "log_item" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM observation")).scalar() == observations
        archived = conn.execute(text("SELECT SUM(items) FROM log_item_archive")).scalar()
    assert late_complaints > 0 and mails > 0
    with session_scope(engine) as session:
        late = log_items(session, 1, "RECLA_DELAI", year_period(2024), only_late=True)
        mean = log_items(session, 1, "COURRIEL_DELAI_MOYEN", year_period(2024))
        rate = log_items(session, 1, "COURRIEL_5J", year_period(2024))
    assert len(late) == late_complaints  # the drill-down reads the archived items
    assert len(rate) == mails and mean.equals(rate)  # the mean's copies were dropped, its drill-down reads the rate's
    assert archived == mails + len(log_items_of_complaints(engine))


def log_items_of_complaints(engine):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return log_items(session, 1, "RECLA_DELAI", year_period(2024))
