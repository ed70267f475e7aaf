"""The "Enquêtes" page and the surveys section of the Engagements page, run headless with AppTest: the demo's
surveys against last year, comments masked for anyone but an admin, choices saved from the page, a survey
imported through the page, a mystery check typed in."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core.access import Principal
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.demo.surveys import load_demo_surveys
from qep_core.models import ImportBatch, Prefecture
from qep_core.surveys.models import MysteryCheck, Survey
from qep_ui.widgets import plain
from tests import survey_files as files
from tests.signed_in import give_accounts

APP = Path(__file__).resolve().parent.parent / "app.py"
PAGE = "pages/enquetes.py"
DEMO_PERSONAL = ("Lefèvre", "06 39 98 41 27", "usager.exemple@example.org", "Garnier", "14 rue des Acacias",
                 "2023-44-00871")


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('enquetes') / 'demo.db'}"
    engine = get_engine(url)
    create_schema(engine)
    load_demo(engine)
    load_demo_surveys(engine)
    give_accounts(engine, CLU, COPIL, ADMIN)
    return url


CLU = Principal("clu", "lecture-clu", prefecture_ids=frozenset({1}))
COPIL = Principal("sg", "copil", prefecture_ids=frozenset({1}))
ADMIN = Principal("marie", "admin", prefecture_ids=frozenset({1}))


@pytest.fixture(autouse=True)
def local_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Single-user mode unless open_page() signs someone in (it sets QEP_AUTH=accounts)."""
    monkeypatch.delenv("QEP_AUTH", raising=False)
    yield
    os.environ.pop("QEP_AUTH", None)


@pytest.fixture
def demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    yield demo_url


TAB_KEY = "enquetes-onglet"


def open_page(principal: Principal | None = None, **query: str) -> AppTest:
    """The page in local mode (every right), or signed in as *principal* (QEP_AUTH=accounts)."""
    at = AppTest.from_file(str(APP), default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    if principal is not None:
        os.environ["QEP_AUTH"] = "accounts"
        at.session_state["_principal"] = principal
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def show_tab(at: AppTest, name: str) -> AppTest:
    """The page's tabs run lazily (only the chosen one): choose *name*, as a click on it does."""
    at.session_state[TAB_KEY] = name
    at.run()
    assert not at.exception, at.exception
    return at


def shown_text(at: AppTest) -> str:
    """Everything the page shows as text: markdown, captions, metrics, alerts, tables and editors."""
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "error", "title", "subheader")
             for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [df.value.to_csv() for df in at.dataframe if isinstance(df.value, pd.DataFrame)]
    parts += [s.value if isinstance(s.value, str) else "" for s in at.selectbox]
    return "\n".join(str(p) for p in parts)


def test_results_against_last_year(demo: str) -> None:
    at = open_page(annee="2024")
    assert at.title[0].value == "Enquêtes de satisfaction et contrôles mystères"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Répondants"] == "314"  # the 2024 reception survey comes first for 2024
    assert metrics["Satisfaction générale"] == "94,1 %"  # 287 / 305
    assert metrics["Année 2023"] == "93,1 %"  # 298 / 320
    assert metrics["Intervalle à 95 %"] == "90,9 – 96,2"
    question_charts = [c for c in at.get("plotly_chart") if re.fullmatch(r"q\d+-\d+", c.key or "")]
    assert len(question_charts) == 8  # the first questions; the others wait, closed
    more = next(e for e in at.expander if e.label.startswith("Questions 9 à"))
    at.session_state[more.proto.id.split("-", 2)[-1]] = True
    at.run()
    assert len(at.get("plotly_chart")) >= 14
    text = shown_text(at)
    assert "hausse significative" in text  # the waiting time, 2023 → 2024
    # each question's statistics in one short line, the method on demand (its help), never as prose on the page
    overall = [m.value for m in at.markdown if m.value.startswith("**94,1 %** de satisfaits (287 sur 305, de 90,9 à 96,2 %)")]
    assert overall and "\n" not in overall[0] and "2023 : 93,1 %" in overall[0], [
        m.value for m in at.markdown if "satisfaits" in m.value]
    assert "Wilson" not in text and "Newcombe" not in text
    assert "ACCUEIL_SATISFACTION" in shown_text(show_tab(at, "Questions"))
    assert not at.get("plotly_chart")  # the results' charts run only on their tab
    assert int(at.query_params["enquete"]) == at.selectbox(key="enquete").value  # a link reopens this survey


def test_comments_are_masked_for_everyone_but_an_admin(demo: str) -> None:
    visitor = show_tab(open_page(COPIL, annee="2024"), "Commentaires")  # reads everything but personal data
    text = shown_text(visitor)
    for secret in DEMO_PERSONAL:
        assert secret not in text, secret
    assert "[nom masqué]" in text and "[téléphone masqué]" in text
    assert any("sont masqués" in i.value for i in visitor.info)
    admin = show_tab(open_page(ADMIN, annee="2024"), "Commentaires")
    assert "Lefèvre" in shown_text(admin) and "06 39 98 41 27" in shown_text(admin)
    assert any("Vue administrateur" in w.value for w in admin.warning)
    clu = open_page(CLU, annee="2024")  # public views: rates, never free text, even masked
    assert not clu.exception
    assert "[nom masqué]" not in shown_text(clu) and "Lefèvre" not in shown_text(clu)
    assert {m.label: m.value for m in clu.metric}["Satisfaction générale"] == "94,1 %"
    assert not [w for w in clu.text_input if (w.key or "").startswith("c-search-")]
    assert not [b for b in clu.button if b.key == "survey-save" or (b.key or "").startswith("overall-save-")]


def test_searching_comments_and_switching_survey(demo: str) -> None:
    at = show_tab(open_page(COPIL, annee="2024"), "Commentaires")
    at.text_input(key=next(k for k in _keys(at, "text_input") if k.startswith("c-search-"))).set_value("sièges").run()
    editor = next(df for df in at.dataframe if "Commentaire" in df.value.columns)
    assert len(editor.value) >= 1 and all("sièges" in c for c in editor.value["Commentaire"])
    with session_scope(get_engine(demo)) as session:
        pan = session.exec(select(Survey).where(Survey.channel == "pan", Survey.year == 2024)).one()
    at.selectbox(key="enquete").set_value(pan.id).run()
    assert not at.exception
    assert {m.label: m.value for m in show_tab(at, "Résultats").metric}["Satisfaction générale"] == "99,6 %"  # 229 / 230


def _keys(at: AppTest, kind: str) -> list[str]:
    return [w.key for w in getattr(at, kind) if w.key]


def test_choosing_the_overall_question_from_the_page(demo: str, demo_url: str) -> None:
    at = show_tab(open_page(annee="2023"), "Questions")
    survey_id = int(at.selectbox(key="enquete").value)
    with session_scope(get_engine(demo_url)) as session:
        from qep_core.surveys.models import SurveyQuestion

        other = session.exec(select(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id,
                                                          SurveyQuestion.type_key == "scale:satisfaction4")
                             .order_by(SurveyQuestion.position)).first()
    question = at.selectbox(key=f"overall-{survey_id}")
    assert other is not None and other.id != question.value
    question.set_value(other.id).run()
    at.button(key=f"overall-save-{survey_id}").click().run()
    assert not at.exception
    assert any(s.value.startswith("Lot n°") and plain("ACCUEIL_SATISFACTION") in s.value for s in at.success)  # as text
    engine = get_engine(demo_url)
    with session_scope(engine) as session:
        last = session.exec(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
        assert last is not None and last.kind == "enquete" and "question générale" in last.file_name
        from qep_core.importing.service import undo_batch

    with session_scope(engine, write=True) as session:  # put the demo back for the other tests
        undo_batch(session, 1, last.id or 0)


def test_engagements_page_shows_the_surveys(demo: str) -> None:
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["annee"] = "2024"
    at.run()
    at.switch_page("pages/engagements.py").run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "**Enquêtes 2024**" in text
    assert "Accueil physique — 314 répondants : 94,1 % de satisfaits [90,9 – 96,2], n = 305 · 2023 : 93,1 % " \
           "(dans la marge d'erreur)" in text
    assert "Accueil téléphonique — 61 répondants : 61,0 % de satisfaits" in text and "évolution significative" in text
    assert "Appels mystères — 16 contrôles" in text
    for secret in DEMO_PERSONAL:
        assert secret not in text


@pytest.fixture
def empty_db(engine: Engine, prefecture: Prefecture, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    return engine


def test_page_without_any_survey_then_import_one(empty_db: Engine) -> None:
    at = open_page()
    assert any("Aucune enquête" in i.value for i in at.info)
    show_tab(at, "Importer une enquête")
    at.file_uploader(key="survey-upload").upload("enquete-telephone.csv", files.phone_csv_cp1252(), "text/csv").run()
    assert not at.exception
    assert at.selectbox(key="survey-channel").value == "telephone"  # from the file name
    text = shown_text(at)
    assert "22 répondants" in text and "du 02/05/2022 au 13/06/2022" in text
    assert "66,7 % [43,7 – 83,7]" in text  # the overall question found by its wording, 12 / 18
    at.button(key="survey-save").click().run()
    assert not at.exception
    assert any("Enregistré (lot n°" in s.value for s in at.success)
    with session_scope(empty_db) as session:
        survey = session.exec(select(Survey)).one()
    assert survey.channel == "telephone" and survey.respondents == 22
    assert {m.label: m.value for m in show_tab(at, "Résultats").metric}["Satisfaction générale"] == "66,7 %"
    show_tab(at, "Importer une enquête").file_uploader(key="survey-upload").upload("copie.csv", files.phone_csv_cp1252(), "text/csv").run()
    assert any("déjà été importé" in i.value for i in at.info)


def test_refused_file_on_the_page(empty_db: Engine) -> None:
    at = show_tab(open_page(), "Importer une enquête")
    bad = b"Horodateur;Satisfaction\n12/05/2023;Satisfait\nhier;Satisfait\n"
    at.file_uploader(key="survey-upload").upload("accueil.csv", bad, "text/csv").run()
    assert not at.exception
    assert any("refusé" in e.value for e in at.error)
    assert "date illisible" in shown_text(at)
    with session_scope(empty_db) as session:
        assert session.exec(select(Survey)).all() == []


def test_typing_a_mystery_check(empty_db: Engine) -> None:
    from qep_core.surveys.mystery import add_criterion

    with session_scope(empty_db, write=True) as session:
        add_criterion(session, 1, "appel", "Décroché en moins de 5 sonneries")
        add_criterion(session, 1, "appel", "Formule de politesse")
    at = show_tab(open_page(), "Contrôles mystères")
    radios = [r for r in at.radio if r.key and r.key.startswith("mystery-score-appel-")]
    assert len(radios) == 2
    radios[1].set_value("not_met")
    form_button = next(b for b in at.button if b.label == "Enregistrer le contrôle")
    form_button.click().run()
    assert not at.exception
    assert any("Contrôle n°" in s.value for s in at.success)
    with session_scope(empty_db) as session:
        check = session.exec(select(MysteryCheck)).one()
    assert check.channel == "appel" and check.batch_id is None
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Critères respectés"] == "50,0 %"  # 1 of 2


def test_page_without_any_prefecture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'vide.db'}"
    create_schema(get_engine(url))
    monkeypatch.setenv("QEP_DATABASE_URL", url)
    at = AppTest.from_file(str(APP), default_timeout=90).run()
    at.switch_page(PAGE).run()
    assert not at.exception and "Aucune préfecture" in at.info[0].value
