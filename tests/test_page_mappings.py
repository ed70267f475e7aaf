"""The label mappings in the app: the Paramètres « Correspondances » tab, and the Import page's offer
to give a meaning to a label a file uses that nothing recognised (AppTest, temp database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core.access import Principal
from qep_core.db import session_scope
from qep_core.mappings.models import LabelMapping
from tests.conftest import make_workbook
from tests.signed_in import give_accounts

APP = Path(__file__).resolve().parent.parent / "app.py"
PAYLOAD = "Nb de mails ![x](https://exemple.invalid/x.png) traités"
SHEET = make_workbook({"Courriels 2024": [
    ["Suivi des courriels 2024"], ["", "janvier", "février"],
    ["Réponses dans le délai de 5 jours ouvrés", 90, 80], [PAYLOAD, 100, 100]]})


@pytest.fixture
def app_db(engine, prefecture, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    return prefecture


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def stored(engine) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return [(m.kind, m.label, m.target) for m in session.exec(select(LabelMapping))]


def test_the_parametres_tab_adds_lists_and_removes_a_mapping(engine, app_db) -> None:
    at = open_page("pages/parametres.py")
    pid = app_db.id
    at.selectbox(key=f"map-kind-{pid}").set_value("theme").run()
    form = f"map-add-{pid}-theme"
    next(t for t in at.text_input if t.label.startswith("Libellé tel")).input("CERT 38 (fraude)")
    next(s for s in at.selectbox if s.label == "Ce qu'il veut dire").set_value("fraude")
    next(b for b in at.button if b.label == "Ajouter" and form in str(b.form_id)).click().run()
    assert not at.exception, at.exception
    assert stored(engine) == [("theme", "CERT 38 (fraude)", "fraude")]
    assert any("correspondance ajoutée" in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if "Libellé" in d.value.columns)
    assert list(table["Sens"]) == ["Lutte contre la fraude"]

    mapping_id = int(table["N°"].iloc[0])
    next(s for s in at.selectbox if s.label == "Correspondance").set_value(mapping_id)
    next(b for b in at.button if b.label == "Retirer").click().run()
    assert not at.exception, at.exception
    assert stored(engine) == []
    assert any("correspondance retirée" in s.value for s in at.success)


def test_the_import_page_offers_to_map_an_unknown_row_and_reads_the_file_again(engine, app_db) -> None:
    at = open_page("pages/import_fichiers.py")
    at.file_uploader(key="import-files").upload("courriels.xlsx", SHEET).run()
    assert not at.exception, at.exception
    offered = [t.value for t in at.text if "libellé de ligne" in t.value]
    assert offered == [f"libellé de ligne « {PAYLOAD} » (feuille Courriels 2024, ligne 4)"]
    assert not any("![x]" in m.value for m in at.markdown)  # the label is never rendered as Markdown
    pick = next(s for s in at.selectbox if (s.key or "").startswith("offer-"))
    pick.set_value("COURRIEL_5J:denominator").run()
    next(b for b in at.button if (b.key or "").startswith("offer-save-")).click().run()
    assert not at.exception, at.exception
    assert stored(engine) == [("row_label", PAYLOAD, "COURRIEL_5J:denominator")]
    assert not [t for t in at.text if "libellé de ligne" in t.value]  # analysed again: understood
    assert any(b.label == "Enregistrer" for b in at.button)  # the file is now accepted
    assert any("2 valeurs" in m.value for m in at.markdown)


def test_an_account_that_may_not_edit_settings_sees_the_labels_without_the_offer(engine, app_db, monkeypatch) -> None:
    """A contributor imports but does not change the préfecture's vocabulary: the labels are
    listed, with who can give them a meaning."""
    monkeypatch.setenv("QEP_AUTH", "accounts")
    service = Principal("svc44", "contributeur", prefecture_ids=frozenset({app_db.id}))
    give_accounts(engine, service)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["_principal"] = service
    at.run()
    at.switch_page("pages/import_fichiers.py").run()
    at.file_uploader(key="import-files").upload("courriels.xlsx", SHEET).run()
    assert not at.exception, at.exception
    assert not [s for s in at.selectbox if (s.key or "").startswith("offer-")]
    assert any("référent(e) qualité peut leur donner un sens" in c.value for c in at.caption)
    listed = next(d.value for d in at.dataframe if "Libellé" in d.value.columns)
    assert list(listed["Libellé"]) == [PAYLOAD]
