"""Every page, run headless with Streamlit's AppTest on the demo préfecture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qep_core.compute import compute_indicators
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.periods import quarter_period, year_period
from qep_core.rules.formatting import format_value
from tests.databases import database

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One demo database for the module: loading it takes a couple of seconds."""
    with database(tmp_path_factory.mktemp("demo"), "demo") as url:
        engine = get_engine(url)
        create_schema(engine)
        load_demo(engine)
        yield url


@pytest.fixture
def demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    return demo_url


def app(**query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def expected_values(url: str, period) -> dict[str, str]:  # type: ignore[no-untyped-def]
    engine = get_engine(url)
    with session_scope(engine) as session:
        return {r.indicator.label: format_value(r.value, r.indicator.unit)
                for r in compute_indicators(session, 1, period)}


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_dashboard_shows_the_latest_year_with_the_core_values(demo):
    at = app().run()
    assert not at.exception
    assert at.title[0].value == "Tableau de bord Qual-e-Pref"
    assert "année 2024" in at.subheader[0].value
    shown = metrics(at)
    expected = expected_values(demo, year_period(2024))
    assert len(shown) == 20  # modules 1, 2 and 4: every indicator of the catalogue
    assert shown == {label: expected[label] for label in shown}
    assert any("atteignent leur cible" in m.value for m in at.markdown)
    assert at.query_params["pref"] in (["44"], "44")


def test_changing_the_period_changes_the_values(demo):
    at = app().run()
    before = metrics(at)
    at.selectbox(key="annee").set_value(2023).run()
    assert not at.exception
    assert "année 2023" in at.subheader[0].value
    shown = metrics(at)
    assert shown == {label: expected_values(demo, year_period(2023))[label] for label in shown}
    assert shown != before
    # and a quarter, then a month, through the sidebar's own widgets once the view is a quarter
    quarter = app(vue="trimestre", annee="2023").run()
    quarter.selectbox(key="trim").set_value(2).run()
    assert "2e trimestre 2023" in quarter.subheader[0].value
    shown = metrics(quarter)
    assert shown == {label: expected_values(demo, quarter_period(2023, 2))[label] for label in shown}


def test_a_link_reopens_the_same_view(demo):
    at = app(vue="trimestre", trim="3", annee="2022").run()
    assert not at.exception
    assert "3e trimestre 2022" in at.subheader[0].value
    assert metrics(at) == {k: v for k, v in expected_values(demo, quarter_period(2022, 3)).items() if k in metrics(at)}


def test_only_issues_toggle_hides_met_indicators(demo):
    at = app().run()
    everything = len(at.metric)
    at.toggle(key="only_issues").set_value(True).run()
    assert 0 < len(at.metric) < everything


def test_indicator_page_shows_months_target_and_breakdown(demo):
    at = app(ind="COURRIEL_5J", annee="2022").run()
    at.switch_page("pages/indicateurs.py").run()
    assert not at.exception
    assert at.title[0].value == "Taux de réponse aux courriels dans le délai de 5 jours ouvrés"
    shown = metrics(at)
    assert shown["Valeur — année 2022"] == expected_values(demo, year_period(2022))[at.title[0].value]
    assert shown["Cible"] == "≥ 90,0 %"
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # the months, the control chart, and the breakdown by mailbox
    quarters = at.dataframe[0].value
    assert list(quarters["Période"]) == ["T1", "T2", "T3", "T4", "Année"]


def test_indicator_page_tells_a_signal_from_noise(demo):
    """The control chart's verdicts, in words and icons, equal the service's (checked by hand in
    tests/test_spc.py): the voice server lifted the answer rate far above its 2022 limits."""
    at = app(ind="TEL_ABOUTIS", annee="2024").run()
    at.switch_page("pages/indicateurs.py").run()
    assert not at.exception
    assert "Signal ou variation habituelle ?" in [h.value for h in at.subheader]
    texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any("blue-badge" in t and ":material/add_circle: amélioration" in t for t in texts)
    assert any("orange-badge" in t and ":material/radio_button_unchecked: cible manquée" in t for t in texts)
    assert any(t.startswith("Amélioration : ") for t in texts)
    assert "La cible ne sera atteinte aucun mois si rien ne change : il faut changer la façon de faire." in texts
    assert any(t.startswith("Méthode : carte p′ de Laney") for t in texts)
    table = next(d.value for d in at.dataframe if "Limite haute" in d.value.columns)
    # January 2023 to September 2024, the demo's months with data in the two years shown (August 2023 has none)
    assert len(table) == 21 - 1 and "août 2023" not in set(table["Mois"])
    assert (table["Mois"].iloc[0], table["Mois"].iloc[-1]) == ("janvier 2023", "septembre 2024")


def test_indicator_selection_changes_the_chart(demo):
    at = app().run()
    at.switch_page("pages/indicateurs.py").run()
    at.selectbox(key="ind").set_value("TEL_ABOUTIS").run()
    assert not at.exception
    assert at.title[0].value == "Taux d'appels aboutis au standard"
    assert at.query_params["ind"] in (["TEL_ABOUTIS"], "TEL_ABOUTIS")


def test_engagements_page_lists_the_labelled_modules(demo):
    at = app().run()
    at.switch_page("pages/engagements.py").run()
    assert not at.exception
    headers = [h.value for h in at.header]
    assert headers[:3] == ["Module 1 — Relation générale avec les usagers", "Module 2 — Délivrance des titres (hors étrangers)",
                           "Module 4 — Relation avec les collectivités territoriales"]
    assert "Pilotage de la politique qualité" in headers and "Démarche de labellisation" in headers
    labels = [e.label for e in at.expander]
    assert any(label.startswith("17. Nous vous répondons") for label in labels)


def test_pages_without_any_prefecture(new_database, monkeypatch):
    url = new_database("empty")
    create_schema(get_engine(url))
    monkeypatch.setenv("QEP_DATABASE_URL", url)
    at = app().run()
    assert not at.exception
    assert "Aucune préfecture" in at.info[0].value
    for page in ("pages/indicateurs.py", "pages/engagements.py"):
        at.switch_page(page).run()
        assert not at.exception and "Aucune préfecture" in at.info[0].value
