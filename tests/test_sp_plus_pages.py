"""The Services Publics+ tab of the Paramètres page and the file on the Exports page, run with
AppTest on the small world of tests/test_sp_plus.py (préfecture 44, 2024)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core import services
from qep_core.db import session_scope
from qep_core.sp_plus_models import SpPlusIndicator, SpPlusStructure
from qep_ui.widgets import plain
from tests.test_pilotage_pages import open_page
from tests.test_sp_plus import OFFICIAL_FIELDS, actor, small_world  # noqa: F401  (the small world's fixture)


@pytest.fixture
def app_world(engine: Engine, small_world: int, monkeypatch: pytest.MonkeyPatch) -> int:  # noqa: F811
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    return small_world


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def codes_editor(at: AppTest, pid: int):  # type: ignore[no-untyped-def]
    found = [e for e in at.data_editor if (e.key or "").startswith(f"sp-codes-{pid}-")]
    assert len(found) == 1, [e.key for e in at.data_editor]
    return found[0]


# ------------------------------------------------------------------------------------------------ Paramètres


def test_the_tab_refuses_a_wrong_postal_code_then_saves_the_structure(app_world: int, engine: Engine) -> None:
    pid = app_world
    at = open_page("pages/parametres.py")
    assert any("Structure non renseignée" in w.value for w in at.warning)
    at.text_input(key=f"sp_code_{pid}").input("SP-PREF-44")
    at.selectbox(key=f"sp_typology_{pid}").set_value("Préfecture")
    at.text_input(key=f"sp_postal_{pid}").input("4400")
    at.text_input(key=f"sp_city_{pid}").input("")
    click(at, "Enregistrer la structure")
    error = at.error[0].value
    assert "Rien n'a été enregistré" in error and "Code postal « 4400 » invalide" in error and "Ville manquante" in error
    with session_scope(engine) as session:
        assert session.exec(select(SpPlusStructure)).all() == []
    at.text_input(key=f"sp_postal_{pid}").input("44000")
    at.text_input(key=f"sp_city_{pid}").input("Nantes")
    click(at, "Enregistrer la structure")
    assert any("Structure Services Publics+ enregistrée : SP-PREF-44 — Préfecture — 44000 Nantes" in s.value
               for s in at.success)
    with session_scope(engine) as session:
        row = session.exec(select(SpPlusStructure)).one()
        assert (row.code, row.typology, row.postal_code, row.city) == ("SP-PREF-44", "Préfecture", "44000", "Nantes")
    assert not at.warning  # the file is no longer refused


def test_the_grid_gives_codes_and_refuses_a_wrong_one(app_world: int, engine: Engine) -> None:
    pid = app_world
    at = open_page("pages/parametres.py")
    grid = codes_editor(at, pid)
    codes = list(grid.value["code"])
    assert codes[:2] == ["TEL_ABOUTIS", "RECLA_DELAI"] and set(grid.value["sp_code"]) == {""}  # none given d'office
    at.session_state[grid.key] = {"edited_rows": {codes.index("COURRIEL_5J"): {"sp_code": "IND27"}},
                                  "added_rows": [], "deleted_rows": []}
    click(at, "Enregistrer les codes SP+")
    assert plain("COURRIEL_5J : code SP+ « IND27 » invalide") in at.error[0].value  # "_" escaped for Markdown
    with session_scope(engine) as session:
        assert session.exec(select(SpPlusIndicator)).all() == []
    grid = codes_editor(at, pid)
    at.session_state[grid.key] = {"edited_rows": {codes.index("COURRIEL_5J"): {"sp_code": "ind-27"},
                                                  codes.index("TEL_ABOUTIS"): {"sp_code": "IND-3"}},
                                  "added_rows": [], "deleted_rows": []}
    click(at, "Enregistrer les codes SP+")
    assert any(plain("COURRIEL_5J → IND-27") in s.value for s in at.success), [s.value for s in at.success]
    shown = codes_editor(at, pid).value.set_index("code")
    assert (shown.loc["COURRIEL_5J", "sp_code"], shown.loc["COURRIEL_5J", "source"]) == ("IND-27", "préfecture")
    assert shown.loc["TEL_ABOUTIS", "sp_code"] == "IND-3"


# ------------------------------------------------------------------------------------------------ Exports


def test_the_exports_page_refuses_without_settings_then_prepares_the_file(app_world: int, engine: Engine) -> None:
    pid = app_world
    at = open_page("pages/exports.py", annee="2024")
    at.radio(key="export_kind").set_value("sp-plus").run()
    click(at, "Préparer le document")
    assert "Impossible de préparer ce document" in at.error[0].value
    assert "ne sont pas renseignés" in at.error[0].value and not at.get("download_button")

    services.sp_plus.save_structure(actor(engine), pid, code="SP-PREF-44", typology="Préfecture",
                                    postal_code="44000", city="Nantes")
    services.sp_plus.save_codes(actor(engine), pid, {"COURRIEL_5J": "IND-27", "ACCUEIL_SATISFACTION": "IND-2"})
    at.selectbox(key="export_quarter_sp-plus").set_value(3).run()
    click(at, "Préparer le document")
    downloads = at.get("download_button")
    assert len(downloads) == 1 and "services-publics-plus-44-2024-T3.csv" in downloads[0].proto.label
    data = at.session_state["qep_export_result"][1].data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [OFFICIAL_FIELDS, ["SP-PREF-44", "Préfecture", "Préfecture de test", "44000", "Nantes", "IND-27",
                                      "86.8", "trimestrielle", "2024-10-05"]]
    notes = [i.value for i in at.info]
    assert any("sans code SP+" in n and "TEL" in n for n in notes)  # named on the page, never silent
    assert any("ACCUEIL" in n and "moins souvent" in n for n in notes)
    at.radio(key="export_format_sp").set_value("xlsx").run()
    click(at, "Préparer le document")
    sheet = openpyxl.load_workbook(io.BytesIO(at.session_state["qep_export_result"][1].data)).active
    assert [c.value for c in sheet[1]] == OFFICIAL_FIELDS and sheet.cell(2, 7).value == pytest.approx(86.8)

