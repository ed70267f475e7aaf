"""The Collecte page on the demo (AppTest): in 2024, as of 15 October 2024 (the demo's date),
the Commissions médicales mailbox is late for August and September and the sous-préfecture's
September is partial; everyone else has sent everything."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL, Principal
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.models import Perimetre
from tests.signed_in import give_accounts

APP = Path(__file__).resolve().parent.parent / "app.py"
PAGE = "pages/collecte.py"
DEMO_AS_OF = dt.date(2024, 10, 15)
SP = "Sous-préfecture de Saint-Nazaire"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('collecte') / 'demo.db'}"
    engine = get_engine(url)
    create_schema(engine)
    load_demo(engine)
    return url


def open_page(url: str, monkeypatch: pytest.MonkeyPatch, principal: Principal | None = None, **query: str) -> AppTest:
    monkeypatch.setenv("QEP_DATABASE_URL", url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    if principal is not None:
        monkeypatch.setenv("QEP_AUTH", "accounts")
        give_accounts(get_engine(url), principal)
        at.session_state["_principal"] = principal
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    if "au" not in query:
        at.date_input(key="collecte-as-of").set_value(DEMO_AS_OF).run()
        assert not at.exception, at.exception
    return at


def test_the_demo_board_shows_one_late_and_one_partial_service_in_2024(demo_url, monkeypatch):
    at = open_page(demo_url, monkeypatch, annee="2024", au=DEMO_AS_OF.isoformat())  # a link to that board
    assert at.title[0].value == "Collecte"
    assert at.date_input(key="collecte-as-of").value == DEMO_AS_OF and at.query_params["au"] == "2024-10-15"
    grid, month, completeness = (d.value for d in at.dataframe)
    grid = grid.set_index("Périmètre")
    assert list(grid.columns) == ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct."]
    assert grid.loc["CM", "août"] == grid.loc["CM", "sept."] == "✗ en retard"
    assert grid.loc[SP, "sept."] == "◐ partiel"
    assert set(grid["oct."]) == {"… attendu"}  # due in November
    late = {(p, m) for p in grid.index for m in grid.columns if grid.loc[p, m] != "✓ reçu" and m != "oct."}
    assert late == {("CM", "août"), ("CM", "sept."), (SP, "sept.")}
    # the month detail opens on September, the latest month with figures: who, when, which batch, what is missing
    assert at.selectbox(key="collecte-month-2024").value == dt.date(2024, 9, 1)
    month = month.set_index("Périmètre")
    assert month.loc[SP, "Manquants"] == "COURRIER_DELAI_MOYEN" and month.loc[SP, "Statut"] == "◐ partiel"
    assert month.loc["CM", "Manquants"] == "COURRIEL_5J, COURRIEL_DELAI_MOYEN" and month.loc["CM", "Statut"] == "✗ en retard"
    assert pd.isna(month.loc["CM", "Reçu le"])  # nothing came: no date, never the word « None »
    assert month.loc["PC", "Par"] == "démo" and month.loc["PC", "Lots"].startswith("n° ")
    shown = " ".join(m.value for m in at.markdown)
    assert "10 périmètres : 8 reçus, 1 partiel, 1 en retard" in shown
    warnings = " ".join(w.value for w in at.warning)
    assert "T3 2024 : 1 mois sur 3 reçu pour CM ; 2 mois sur 3 reçus pour Sous-préfecture de Saint-Nazaire" in warnings
    rates = completeness.set_index("Indicateur")
    assert rates.loc["COURRIEL_5J", "Reçus"] == rates.loc["COURRIEL_5J", "Périmètres-mois attendus"] - 2
    assert rates.loc["TEL_ABOUTIS", "Complétude"] == 100
    cells = {c for row in json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["text"] for c in row}
    assert cells == {"✓ reçu", "◐ partiel", "✗ en retard", "… attendu"}  # statuses written in the cells, in words


def test_a_contributor_sees_only_its_own_perimetre(demo_url, monkeypatch):
    with session_scope(get_engine(demo_url)) as session:
        cm = session.exec(select(Perimetre).where(Perimetre.name == "CM")).one().id or 0
    who = Principal("cm44", "contributeur", prefecture_ids=frozenset({1}), perimetre_ids=frozenset({cm}))
    at = open_page(demo_url, monkeypatch, who)
    grid = at.dataframe[0].value
    assert list(grid["Périmètre"]) == ["CM"]


def test_the_users_committee_does_not_see_the_page(demo_url, monkeypatch):
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    monkeypatch.setenv("QEP_AUTH", "accounts")
    clu = Principal("clu44", "lecture-clu", prefecture_ids=frozenset({1}))
    give_accounts(get_engine(demo_url), clu)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["_principal"] = clu
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in its menu
        at.switch_page(PAGE)


def test_declaring_and_removing_a_perimetre_in_parametres(engine, prefecture, monkeypatch):
    """The « Collecte mensuelle » tab: an invalid address is refused in French and nothing is written;
    then the declaration is saved (the table shows it) and removed."""
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    pid = prefecture.id
    with session_scope(engine) as session:
        whole = session.exec(select(Perimetre).where(Perimetre.prefecture_id == pid)).one().id
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("pages/parametres.py").run()
    assert not at.exception, at.exception
    at.selectbox(key=f"source-perim-{pid}").select(whole).run()
    at.multiselect(key=f"source-codes-{pid}-{whole}").select("TEL_ABOUTIS").select("SITE_CONNEXION")
    at.text_area(key=f"source-contacts-{pid}-{whole}").input("Standard <standard@demo.gouv.fr>\npas une adresse")
    at.number_input(key=f"source-due-{pid}-{whole}").set_value(12)
    at.button(key=f"source-save-{pid}-{whole}").click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("Adresse de courriel invalide" in e and "pas une adresse" in e for e in errors), errors
    assert services.collection.list_sources(services.Actor(LOCAL_PRINCIPAL, engine), pid) == []
    at.text_area(key=f"source-contacts-{pid}-{whole}").input("Standard <standard@demo.gouv.fr>")
    at.button(key=f"source-save-{pid}-{whole}").click().run()
    assert not at.exception, at.exception
    assert any("ollecte enregistrée pour « Préfecture (ensemble) » : 2 indicateurs, attendus le 12" in s.value
               for s in at.success), [s.value for s in at.success]
    table = next(d.value for d in at.dataframe if "Contacts" in d.value.columns)
    assert list(table["Contacts"]) == ["Standard <standard@demo.gouv.fr>"]
    assert list(table["Indicateurs"]) == ["TEL_ABOUTIS, SITE_CONNEXION"]
    at.button(key=f"source-remove-{pid}-{whole}").click().run()
    assert any("ollecte retirée" in s.value for s in at.success), [s.value for s in at.success]
    assert services.collection.list_sources(services.Actor(LOCAL_PRINCIPAL, engine), pid) == []


def test_the_dashboard_says_which_quarters_rest_on_incomplete_months(demo_url, monkeypatch):
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["annee"] = "2024"
    at.run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "T3 2024 : 1 mois sur 3 reçu pour CM ; 2 mois sur 3 reçus pour Sous-préfecture de Saint-Nazaire" in captions
    # each tile computed without some service's months says whose (CM sent no e-mail figures for Aug.–Sept.,
    # the sous-préfecture's September lacks its mean mail delay); the others say nothing
    tiles = [c.value for c in at.caption if "mois incomplets : manque" in c.value]
    assert ":material/hourglass_bottom: mois incomplets : manque CM (août, sept.)" in tiles
    assert ":material/hourglass_bottom: mois incomplets : manque Sous-préfecture de Saint-Nazaire (sept.)" in tiles
    assert len(tiles) == 3  # COURRIEL_5J and COURRIEL_DELAI_MOYEN (CM), COURRIER_DELAI_MOYEN (sous-préfecture)
    monkeypatch.setenv("QEP_AUTH", "accounts")  # the users' committee: no service named
    clu = Principal("clu44", "lecture-clu", prefecture_ids=frozenset({1}))
    give_accounts(get_engine(demo_url), clu)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["_principal"] = clu
    at.query_params["annee"] = "2024"
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Tableau de bord Qual-e-Pref"
    assert "mois incomplets" not in " ".join(c.value for c in at.caption)
