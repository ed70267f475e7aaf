"""Every page, run headless with Streamlit's AppTest against a temp database."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qep_core.importing import import_file
from tests.conftest import make_workbook
from tests.seed_tables import EMAIL_MONTHLY, titled

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def app_db(engine, prefecture, monkeypatch):
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    data = make_workbook({"Courriels 2022": titled("Courriels 2022", EMAIL_MONTHLY)})
    import_file(engine, prefecture.id, "courriels.xlsx", data)
    return prefecture


def test_landing_page_shows_the_latest_year(app_db):
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "année 2022" in at.subheader[0].value
    table = at.dataframe[0].value
    row = table[table["Code"] == "COURRIEL_5J"].iloc[0]
    assert row["Valeur"] == "91,5 %" and row["Statut"] == "atteint" and row["Cible"] == "≥ 90,0 %"
    assert "2 indicateur(s) sur 2" in at.markdown[0].value
    assert at.query_params["pref"] == ["44"] or at.query_params["pref"] == "44"


def test_landing_page_without_data(engine, monkeypatch):
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "Aucune préfecture" in at.warning[0].value
