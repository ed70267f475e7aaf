"""The demo's surveys (2023 and 2024) and mystery checks: generated reproducibly, loaded by ``init --demo``
once, feeding exactly the demo's catalogue figures, and showing a change larger than the noise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import python_calamine
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core.compute import compute_indicator
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.demo.surveys import SURVEY_DIR, load_demo_surveys, survey_demo_files, write_survey_demo_files
from qep_core.models import ImportBatch, ObservationHistory
from qep_core.periods import month_period, year_period
from qep_core.surveys.models import Survey, SurveyCommentTag
from qep_core.surveys.results import survey_results
from qep_core.surveys.service import active_surveys
from qep_core.surveys.summary import mystery_summaries, survey_summaries

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('survey-demo') / 'demo.db'}")
    create_schema(engine)
    message = load_demo(engine)  # the surveys come with the rest of the demo
    assert "enquêtes de démonstration : 8 fichiers importés" in message or "8 fichiers importés" in message


    return engine


def _cells(path: Path) -> object:
    if path.suffix == ".csv":
        return path.read_bytes()
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_committed_survey_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    written = write_survey_demo_files(tmp_path)
    assert [p.name for p in written] == [p.name for p in survey_demo_files(SURVEY_DIR)]
    for path in written:
        assert _cells(path) == _cells(SURVEY_DIR / path.name), path.name
    assert (SURVEY_DIR / "2023-accueil-telephonique.csv").read_bytes().decode("cp1252").startswith("ID de la réponse;")


def test_loading_twice_changes_nothing(demo: Engine) -> None:
    def counts() -> tuple[int, int, int]:
        with session_scope(demo) as session:
            return (session.exec(select(func.count()).select_from(Survey)).one(),
                    session.exec(select(func.count()).select_from(ImportBatch)).one(),
                    session.exec(select(func.count()).select_from(SurveyCommentTag)).one())

    before = counts()
    assert "rien n'a changé" in load_demo_surveys(demo)
    assert counts() == before and before[0] == 6 and before[2] > 0


def test_surveys_give_the_demo_catalogue_figures(demo: Engine) -> None:
    with session_scope(demo) as session:
        def counts(code: str, period) -> tuple[float | None, float | None]:  # type: ignore[no-untyped-def]
            r = compute_indicator(session, 1, code, period)
            return r.numerator, r.denominator

        assert counts("ACCUEIL_SATISFACTION", year_period(2023)) == (298, 320)
        assert counts("ACCUEIL_SATISFACTION", year_period(2024)) == (287, 305)
        assert counts("PAN_SATISFACTION", year_period(2023)) == (300, 300)
        assert counts("PAN_SATISFACTION", year_period(2024)) == (229, 230)
        assert counts("PAN_SATISFACTION", month_period(2023, 1)) == (28, 28)  # the template's January, by month
        pan = session.exec(select(ImportBatch).where(ImportBatch.file_name == "2024-point-accueil-numerique.csv")).one()
        # the PAN survey brings the template's monthly counts again: history kept, nothing "changed"
        assert pan.replaced == 0
        assert not session.exec(select(ObservationHistory).where(ObservationHistory.replaced_by_batch_id == pan.id,
                                                                 ObservationHistory.changed)).all()


def test_year_over_year_on_the_demo(demo: Engine) -> None:
    with session_scope(demo) as session:
        by_channel = {s.channel: s for s in active_surveys(session, 1, 2024)}
        accueil = survey_results(session, 1, by_channel["accueil"].id or 0)
        phone = survey_results(session, 1, by_channel["telephone"].id or 0)
        summaries = {s.channel: s for s in survey_summaries(session, 1, 2024)}
        checks = {m.channel: m for m in mystery_summaries(session, 1, 2024)}
    waiting = next(q for q in accueil.questions if "temps d'attente" in q.info.text)
    assert waiting.comparison is not None and waiting.comparison.significant and waiting.comparison.difference > 0
    overall = accueil.overall
    assert overall is not None and overall.comparison is not None and not overall.comparison.significant
    # phone: 36 / 59 in 2024 against 21 / 50 in 2023, the overall question remembered from 2023
    phone_overall = phone.overall
    assert phone_overall is not None and phone_overall.stats.scale is not None
    assert (phone_overall.stats.scale.satisfied, phone_overall.stats.scale.expressed) == (36, 59)
    assert phone_overall.comparison is not None and phone_overall.comparison.significant
    assert summaries["pan"].indicator_code == "PAN_SATISFACTION" and summaries["pan"].previous_year == 2023
    assert summaries["telephone"].respondents == 61 and summaries["telephone"].indicator_code is None
    assert checks["appel"].checks == 16 and checks["courriel"].checks == 10


def test_init_demo_loads_the_surveys(tmp_path: Path) -> None:
    env = {**os.environ, "QEP_DATABASE_URL": f"sqlite:///{tmp_path / 'qep.db'}"}
    done = subprocess.run([sys.executable, "-m", "qep_core", "init", "--demo"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "enquêtes de démonstration : 8 fichiers importés" in done.stdout
