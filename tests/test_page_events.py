"""The events' sections, run headless with Streamlit's AppTest on a demo database of this module:
the Indicateurs page draws the period's events on its monthly chart and lists them at its end
(with the référent(e)'s add and remove forms); the Paramètres page's « Événements » tab lists,
adds and removes the préfecture's events; the users' committee sees none."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core.access import Principal
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.signals.models import Event
from tests.signed_in import give_accounts

APP = Path(__file__).resolve().parent.parent / "app.py"
CLU = Principal("clu", "lecture-clu", prefecture_ids=frozenset({1}))
VOICE_SERVER = "Mise en service du serveur vocal interactif"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('events') / 'demo.db'}"
    engine = get_engine(url)
    create_schema(engine)
    load_demo(engine)
    give_accounts(engine, CLU)
    return url


@pytest.fixture(autouse=True)
def demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Single-user mode (every right) unless a test signs someone in."""
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    monkeypatch.delenv("QEP_AUTH", raising=False)
    return demo_url


def open_page(page: str, *, ind: str = "TEL_ABOUTIS", annee: str = "2022") -> AppTest:
    """*page* as the session already signed in (or the laptop's user) sees it, on TEL_ABOUTIS in 2022."""
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params.update({"ind": ind, "annee": annee})
    return shown(at, page)


def shown(at: AppTest, page: str) -> AppTest:
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def signed_in(page: str, who: Principal, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("QEP_AUTH", "accounts")
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params.update({"ind": "TEL_ABOUTIS", "annee": "2022"})
    at.session_state["_principal"] = who
    return shown(at, page)


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def monthly_figure(at: AppTest, key: str = "monthly_chart") -> dict[str, Any]:
    chart = next(c for c in at.get("plotly_chart") if key in c.proto.id)
    return json.loads(chart.proto.spec)


def events_of_demo(url: str) -> list[Event]:
    with session_scope(get_engine(url)) as session:
        return list(session.exec(select(Event).order_by(Event.day)))  # type: ignore[arg-type]


def test_the_indicator_page_draws_and_lists_the_period_s_events(demo: str) -> None:
    at = open_page("pages/indicateurs.py")
    figure = monthly_figure(at)
    shapes = figure["layout"]["shapes"]
    assert [(s["x0"], s["line"]["dash"]) for s in shapes] == [(8.5, "solid")]  # at the start of October
    notes = [a["text"] for a in figure["layout"]["annotations"]]
    assert any(n.startswith("Mise en service du serveur vocal") and n.endswith("(changement de fonctionnement)")
               for n in notes)
    spc = monthly_figure(at, "spc_chart")  # the control chart's limits restart there: it says why
    assert [s["line"]["dash"] for s in spc["layout"]["shapes"]] == ["solid"]
    assert any(a["text"].startswith("Mise en service") for a in spc["layout"]["annotations"])
    assert any(s.value == "Événements — année 2022" for s in at.subheader)
    table = at.dataframe[-1].value
    assert list(table["Événement"]) == [VOICE_SERVER] and list(table["Concerne"]) == ["TEL_ABOUTIS — toute la "
                                                                                      "préfecture"]


def test_the_referent_dates_and_removes_an_event_from_the_indicator_page(demo: str) -> None:
    at = open_page("pages/indicateurs.py")
    at.date_input[0].set_value(dt.date(2022, 6, 13))
    at.text_input[0].input("Panne de l'autocommutateur")
    click(at, "Ajouter l'événement")
    assert "événement ajouté : 13/06/2022 « Panne de l'autocommutateur »" in at.success[0].value
    added = next(e for e in events_of_demo(demo) if e.label == "Panne de l'autocommutateur")
    assert added.indicator_code == "TEL_ABOUTIS" and not added.process_change
    assert [s["x0"] for s in monthly_figure(at)["layout"]["shapes"]] == [4.5, 8.5]  # June, October
    remove = next(s for s in at.selectbox if s.label == "Événement à retirer")
    remove.set_value(added.id)
    click(at, "Retirer l'événement")
    assert "événement retiré : 13/06/2022" in at.success[0].value
    assert "Panne de l'autocommutateur" not in {e.label for e in events_of_demo(demo)}


def test_the_users_committee_sees_no_event(monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in("pages/indicateurs.py", CLU, monkeypatch)
    assert not monthly_figure(at)["layout"].get("shapes")
    assert not monthly_figure(at, "spc_chart")["layout"].get("shapes")
    assert not any(s.value.startswith("Événements") for s in at.subheader)


def test_the_settings_tab_lists_adds_and_removes_the_prefecture_s_events(demo: str) -> None:
    at = open_page("pages/parametres.py")
    tables = [d.value for d in at.dataframe if "Événement" in d.value.columns]
    assert list(tables[0]["Événement"]) == [VOICE_SERVER, "Départ de deux agents d'accueil"]
    form_date = next(d for d in at.date_input if d.label == "Date")
    form_date.set_value(dt.date(2023, 1, 9))
    next(t for t in at.text_input if t.label == "Événement").input("Nouvel outil de courrier")
    next(s for s in at.selectbox if s.label == "Indicateur concerné").set_value("COURRIER_10J")
    next(c for c in at.checkbox if c.label.startswith("Changement de fonctionnement")).check()
    click(at, "Ajouter l'événement")
    assert "événement ajouté : 09/01/2023 « Nouvel outil de courrier »" in at.success[0].value
    added = next(e for e in events_of_demo(demo) if e.label == "Nouvel outil de courrier")
    assert (added.indicator_code, added.process_change, added.perimetre_id) == ("COURRIER_10J", True, None)
    next(s for s in at.selectbox if s.label == "Événement à retirer").set_value(added.id)
    click(at, "Retirer l'événement")
    assert "Nouvel outil de courrier" not in {e.label for e in events_of_demo(demo)}
    next(t for t in at.text_input if t.label == "Événement").input("   ")
    click(at, "Ajouter l'événement")
    assert "libellé de l'événement est vide" in at.error[0].value
