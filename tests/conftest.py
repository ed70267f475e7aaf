"""Shared fixtures: a fresh SQLite database in a temp dir, with the référentiel and one préfecture."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine

from qep_core.db import create_schema, get_engine, session_scope
from qep_core.models import Prefecture
from qep_core.prefectures import create_prefecture
from qep_core.referentiel import seed_referentiel
from tests.access_world import World, build_world
from tests.databases import (
    BACKEND,
    TEST_DATABASE_URL,
    database,
    drop_database,
    drop_template,
    new_database_url,
    on_postgresql,
)

pytest_plugins = ["tests.smtp"]  # smtp_server, smtp_tls_server: a real SMTP server on loopback

def pytest_report_header(config: pytest.Config) -> str:
    where = make_url(TEST_DATABASE_URL).render_as_string(hide_password=True) if on_postgresql() else "a file per test"
    return f"database back-end: {BACKEND} ({where})"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_template()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A database of the test's own, with the schema and the référentiel: SQLite, or PostgreSQL
    when ``QEP_TEST_DATABASE_URL`` is set (see tests/databases.py)."""
    with database(tmp_path, seeded=True) as url:
        eng = get_engine(url)
        create_schema(eng)
        if not on_postgresql():  # the PostgreSQL template already holds the référentiel
            with session_scope(eng, write=True) as session:
                seed_referentiel(session)
        yield eng
        eng.dispose()


@pytest.fixture
def new_database(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Make more databases of the test's own: ``new_database("label", seeded=False)`` → URL
    (empty, or with the schema and référentiel on PostgreSQL); all dropped when the test ends."""
    made: list[str] = []

    def make(label: str = "qep", seeded: bool = False) -> str:
        made.append(new_database_url(tmp_path, label, seeded))
        return made[-1]

    yield make
    for url in made:
        drop_database(url)


@pytest.fixture
def prefecture(engine: Engine) -> Prefecture:
    with session_scope(engine, write=True) as session:
        return create_prefecture(session, "44", "Préfecture de test", ("M2", "M4"))


_WORKBOOKS: dict[str, bytes] = {}


def make_workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    """An .xlsx with one sheet per entry, rows written as given (None/"" for empty cells).

    Built once per content: openpyxl stamps the save time into the file, so the same sheets saved
    on either side of a second boundary would be other bytes (another SHA-256), and a test of
    "the same file again" would become flaky.
    """
    key = repr(sheets)
    if key not in _WORKBOOKS:
        _WORKBOOKS[key] = _build_workbook(sheets)
    return _WORKBOOKS[key]


def _build_workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def workbook() -> Callable[[dict[str, list[list[object]]]], bytes]:
    return make_workbook


def db_snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every data table, to assert that a rejected import changed nothing."""
    tables = ["prefecture", "perimetre", "import_batch", "observation", "observation_history", "target", "indicator",
              "engagement"]
    with engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}")).all()), key=repr) for t in tables}


@pytest.fixture
def snapshot() -> Callable[[Engine], dict[str, list[tuple]]]:
    return db_snapshot


@pytest.fixture(autouse=True)
def navigation_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run pages the way ``qep_ui.serve`` serves them: through app.py's ``st.navigation`` only.

    Streamlit's legacy mode for apps with a ``pages/`` folder (re-armed by AppTest on every run)
    would otherwise run a page file directly from the second run on, without app.py's sidebar.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def world(engine: Engine) -> World:
    """Two préfectures and one actor per role: the permission matrix's world (tests/access_world.py)."""
    return build_world(engine)
