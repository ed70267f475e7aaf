"""The "Paramètres" page, run headless with Streamlit's AppTest against a temp database.

Cell edits of an ``st.data_editor`` are given the way AppTest 1.67 supports them: by assigning
the keyed editor's edit state (``edited_rows`` / ``added_rows`` / ``deleted_rows``) in
``at.session_state`` before the run that submits its form.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core.compute import compute_indicator
from qep_core.db import session_scope
from qep_core.importing import import_file
from qep_core.models import Perimetre, Prefecture, Target
from qep_core.periods import year_period
from qep_core.prefectures import perimetres_of
from qep_core.referentiel import engagements_for
from qep_core.settings import add_perimetre
from qep_ui.widgets import plain
from tests.conftest import make_workbook
from tests.seed_tables import EMAIL_MONTHLY, titled

APP = Path(__file__).resolve().parent.parent / "app.py"
PAGE = "pages/parametres.py"


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def editor(at: AppTest, prefix: str):  # type: ignore[no-untyped-def]
    found = [e for e in at.data_editor if (e.key or "").startswith(prefix)]
    assert len(found) == 1, [e.key for e in at.data_editor]
    return found[0]


def submit(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def empty_db(engine, monkeypatch):
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    return engine


@pytest.fixture
def app_db(engine, prefecture, monkeypatch):
    """The test préfecture with its 2022 e-mail figures (COURRIEL_5J = 91,5 %)."""
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    data = make_workbook({"Courriels 2022": titled("Courriels 2022", EMAIL_MONTHLY)})
    import_file(engine, prefecture.id, "courriels.xlsx", data)
    return prefecture


def test_without_any_prefecture_the_page_offers_to_create_one(empty_db):
    at = open_page()
    assert at.title[0].value == "Paramètres"
    assert "Aucune préfecture" in at.info[0].value
    assert not at.tabs
    at.text_input(key="new_pref_code").input("2a")
    at.text_input(key="new_pref_name").input("Préfecture de la Corse-du-Sud")
    at.multiselect(key="new_pref_modules").select("M2")
    submit(at, "Créer la préfecture")
    assert "Préfecture de la Corse-du-Sud" in at.success[0].value
    with session_scope(empty_db) as s:
        pref = s.exec(select(Prefecture)).one()
        assert pref.code == "2A"
        assert [p.name for p in perimetres_of(s, pref.id)] == ["Préfecture (ensemble)"]


def test_creation_errors_are_shown_in_french(empty_db):
    at = open_page()
    at.text_input(key="new_pref_code").input("20")
    submit(at, "Créer la préfecture")
    assert "Rien n'a été enregistré" in at.error[0].value
    assert "Code de département invalide" in at.error[0].value
    with session_scope(empty_db) as s:
        assert s.exec(select(Prefecture)).all() == []


def test_renders_the_eight_tabs(app_db):
    at = open_page()
    assert [t.label for t in at.tabs] == ["Préfecture", "Périmètres", "Cibles", "Indicateurs propres", "Correspondances",
                                          "Événements", "Collecte mensuelle", "Services Publics+"]
    assert at.text_input(key=f"pp_name_{app_db.id}").value == "Préfecture de test"
    assert at.checkbox(key=f"pp_whit_{app_db.id}").value is True
    assert at.multiselect(key=f"pp_modules_{app_db.id}").value == ["M2", "M4"]
    targets = editor(at, f"cibles-{app_db.id}-").value
    row = targets.set_index("code").loc["COURRIEL_5J"]
    assert (row["target"], row["alert"], row["source"]) == (90.0, 85.0, "référentiel")
    assert set(targets["module"]) <= {"M1", "M2", "M4", "PIL", "LAB"}
    perims = editor(at, f"perimetres-{app_db.id}-").value
    assert perims.iloc[0]["name"] == "Préfecture (ensemble)" and perims.iloc[0]["values"] > 0


def test_updating_the_prefecture(app_db, engine):
    at = open_page()
    pid = app_db.id
    at.text_input(key=f"pp_name_{pid}").input("Préfecture de la Loire-Atlantique")
    at.checkbox(key=f"pp_whit_{pid}").uncheck()
    at.multiselect(key=f"pp_modules_{pid}").unselect("M2")
    submit(at, "Enregistrer")
    assert "Préfecture de la Loire-Atlantique" in at.success[0].value
    with session_scope(engine) as s:
        pref = s.get(Prefecture, pid)
        assert (pref.name, pref.whit_monday_worked) == ("Préfecture de la Loire-Atlantique", False)
    assert at.multiselect(key=f"pp_modules_{pid}").value == ["M4"]


def test_a_corrected_code_moves_the_sidebar_and_a_duplicate_is_refused(app_db, engine):
    pid = app_db.id
    with session_scope(engine, write=True) as s:
        s.add(Prefecture(code="09", name="Ariège"))
    at = open_page(pref="44")
    at.text_input(key=f"pp_code_{pid}").input("45")
    submit(at, "Enregistrer")
    assert at.session_state["pref"] == "45"
    assert "(45)" in at.caption[0].value
    at.text_input(key=f"pp_code_{pid}").input("9")
    submit(at, "Enregistrer")
    assert "Le code 09 est déjà celui de « Ariège »" in at.error[0].value
    with session_scope(engine) as s:
        assert s.get(Prefecture, pid).code == "45"


def test_changing_a_target_in_the_grid_changes_the_status(app_db, engine):
    pid = app_db.id
    with session_scope(engine) as s:
        before = compute_indicator(s, pid, "COURRIEL_5J", year_period(2022))
    assert (before.target.value, before.status) == (90.0, "atteint")
    at = open_page(annee="2022")
    grid = editor(at, f"cibles-{pid}-2022-")
    row = list(grid.value["code"]).index("COURRIEL_5J")
    at.session_state[grid.key] = {"edited_rows": {row: {"target": 95.0, "alert": 91.0}}, "added_rows": [],
                                  "deleted_rows": []}
    submit(at, "Enregistrer les cibles 2022")
    assert plain("COURRIEL_5J") in at.success[0].value  # shown as text: "_" escaped for Markdown
    with session_scope(engine) as s:
        after = compute_indicator(s, pid, "COURRIEL_5J", year_period(2022))
        rows = s.exec(select(Target).where(Target.prefecture_id == pid)).all()
    assert (after.target.value, after.target.alert, after.status) == (95.0, 91.0, "à surveiller")
    assert [(t.indicator_code, t.year) for t in rows] == [("COURRIEL_5J", 2022)]
    shown = editor(at, f"cibles-{pid}-2022-").value.set_index("code").loc["COURRIEL_5J"]
    assert (shown["target"], shown["source"]) == (95.0, "fixée pour 2022")


def test_an_invalid_target_is_refused_and_nothing_is_written(app_db, engine):
    pid = app_db.id
    at = open_page(annee="2022")
    grid = editor(at, f"cibles-{pid}-2022-")
    codes = list(grid.value["code"])
    at.session_state[grid.key] = {
        "edited_rows": {codes.index("TEL_ABOUTIS"): {"target": 95.0},
                        codes.index("COURRIEL_5J"): {"target": 90.0, "alert": 95.0}},
        "added_rows": [], "deleted_rows": []}
    submit(at, "Enregistrer les cibles 2022")
    assert plain("COURRIEL_5J : pour un indicateur « ≥ »") in at.error[0].value
    with session_scope(engine) as s:
        assert s.exec(select(Target)).all() == []


def test_renaming_a_perimetre(app_db, engine):
    pid = app_db.id
    with session_scope(engine, write=True) as s:
        courrier = add_perimetre(s, pid, "Bureau courrier").id
    at = open_page()
    grid = editor(at, f"perimetres-{pid}-")
    row = list(grid.value["id"]).index(courrier)
    at.session_state[grid.key] = {"edited_rows": {row: {"name": "Bureau du courrier", "kind": "mailbox"}},
                                  "added_rows": [{"name": "Sous-préfecture de Saint-Nazaire", "kind": "sous-prefecture",
                                                  "delete": False}],
                                  "deleted_rows": []}
    submit(at, "Enregistrer les périmètres")
    assert any("renommé en « Bureau du courrier »" in s.value for s in at.success)
    with session_scope(engine) as s:
        renamed = s.get(Perimetre, courrier)
        names = [p.name for p in perimetres_of(s, pid)]
    assert (renamed.name, renamed.kind) == ("Bureau du courrier", "mailbox")
    assert "Sous-préfecture de Saint-Nazaire" in names
    assert "Bureau du courrier" in list(editor(at, f"perimetres-{pid}-").value["name"])


def test_the_whole_prefecture_perimetre_cannot_be_deleted(app_db, engine):
    pid = app_db.id
    at = open_page()
    grid = editor(at, f"perimetres-{pid}-")
    at.session_state[grid.key] = {"edited_rows": {0: {"delete": True}}, "added_rows": [], "deleted_rows": []}
    submit(at, "Enregistrer les périmètres")
    assert "ne peut pas être supprimé" in at.error[0].value
    with session_scope(engine) as s:
        assert len(perimetres_of(s, pid)) == 1


def test_adding_an_own_indicator_and_an_engagement(app_db, engine):
    pid = app_db.id
    at = open_page()
    at.text_input(key=f"ind_code_{pid}").input("accueil_attente_20min")
    at.text_input(key=f"ind_label_{pid}").input("Taux d'usagers reçus en moins de 20 minutes")
    at.selectbox(key=f"ind_engagement_{pid}").set_value("E7")
    at.text_input(key=f"ind_count1_{pid}").input("Usagers reçus en moins de 20 min")
    at.text_input(key=f"ind_count2_{pid}").input("Usagers reçus")
    at.number_input(key=f"ind_target_{pid}").set_value(85.0)
    submit(at, "Ajouter l'indicateur")
    assert plain("ACCUEIL_ATTENTE_20MIN") in at.success[0].value
    own = next(d for d in at.dataframe if d.editing_mode == "read_only" and "Comptes" in d.value.columns)
    assert "ACCUEIL_ATTENTE_20MIN" in list(own.value["Code"])
    assert "ACCUEIL_ATTENTE_20MIN" in list(editor(at, f"cibles-{pid}-").value["code"])

    at.text_input(key=f"eng_new_key_{pid}").input("e21")
    at.number_input(key=f"eng_new_number_{pid}").set_value(21)
    at.selectbox(key=f"eng_new_module_{pid}").set_value("M2")
    at.text_input(key=f"eng_new_title_{pid}").input("Accueil des demandeurs de titres")
    submit(at, "Ajouter l'engagement")
    assert "E21" in at.success[0].value

    at.selectbox(key=f"eng_rename_{pid}").set_value("E17")
    at.text_input(key=f"eng_title_{pid}").input("Nous répondons à vos courriers en 10 jours ouvrés")
    submit(at, "Renommer")
    assert "E17" in at.success[0].value
    with session_scope(engine) as s:
        engs = {e.key: e for e in engagements_for(s, pid)}
    assert engs["E17"].title == "Nous répondons à vos courriers en 10 jours ouvrés"
    assert (engs["E21"].title, engs["E21"].number, engs["E21"].module_code) == (
        "Accueil des demandeurs de titres", 21, "M2")


def test_own_indicator_errors_are_shown(app_db, engine):
    pid = app_db.id
    at = open_page()
    at.text_input(key=f"ind_code_{pid}").input("COURRIEL_5J")
    submit(at, "Ajouter l'indicateur")
    text = at.error[0].value
    assert "Le libellé est obligatoire" in text and "Choisissez l'engagement ou le module" in text
