"""The "Revue trimestrielle" and "Exports" pages, driven with AppTest on the demo préfecture."""

from __future__ import annotations

import io

import openpyxl
import pytest
from pptx import Presentation

from qep_core.db import session_scope
from qep_core.review.workflow import compute_review
from qep_ui.widgets import plain
from tests.test_pages import app, demo_url  # noqa: F401  (module-scoped demo database)


@pytest.fixture
def demo(demo_url, monkeypatch):  # type: ignore[no-untyped-def]  # noqa: F811
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    return demo_url


def open_page(page: str, **query: str):  # type: ignore[no-untyped-def]
    at = app(**query).run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def test_review_page_shows_the_quarter_slips_first(demo):
    at = open_page("pages/revue.py")
    assert at.title[0].value == "Revue trimestrielle du COPIL"
    assert at.subheader[0].value == "Préfecture de démonstration — 3e trimestre 2024"
    table = at.table[0].value  # a static table: every row shown, long labels wrapped, no inner scroll
    from qep_core.db import get_engine

    with session_scope(get_engine(demo)) as session:
        review = compute_review(session, 1, 2024, 3)
    assert list(table["Indicateur"]) == [plain(x.label) for x in review.lines]
    assert table["Recul"].iloc[0] == "⚠ recul"
    needs = at.table[1].value  # what the rest of the year needs, with its sign
    assert list(needs.columns) == ["Indicateur", "Cumul", "Cible", "Situation", "Il faut", "Détail"]
    open_lines = [x for x in review.lines if x.requirement and x.requirement.state == "à atteindre"]
    assert open_lines and all(x.need_text.startswith(("au moins ", "au plus ")) for x in open_lines)
    assert any(n.endswith("sur les 3 mois restants") for n in needs["Il faut"])
    assert not any("(N + x·R)" in c.value for c in at.caption)
    assert any("Revue en préparation" in i.value for i in at.info)
    assert {m.label for m in at.metric} >= {"Indicateurs en recul", "Cibles annuelles hors d'atteinte"}


def test_frozen_review_is_read_only(demo):
    at = open_page("pages/revue.py")
    at.selectbox(key="revue_trim").set_value(2).run()
    assert not at.exception
    assert any("Revue figée" in s.value and "11/07/2024" in s.value for s in at.success)
    assert not [t for t in at.text_area if t.key and t.key.startswith("comment_")]  # no editing once frozen
    assert any("lundis matin" in t.value for t in at.text)  # the frozen comment, as text
    assert any(b.label == "Rouvrir la revue" for b in at.button)


def test_comment_action_and_freeze_from_the_page(demo):
    from qep_core.db import get_engine

    at = open_page("pages/revue.py")
    at.selectbox(key="revue_trim").set_value(1).run()
    at.text_area(key="comment_2024_1_TEL_ABOUTIS").input("Analyse du 1er trimestre.")
    next(b for b in at.button if b.label == "Enregistrer les commentaires").click().run()
    assert not at.exception
    assert any("1 commentaire enregistré" in s.value for s in at.success)
    next(t for t in at.text_area if t.label == "Nouvelle action").input("Former deux agents au standard")
    next(b for b in at.button if b.label == "Ajouter l'action").click().run()
    assert any("Action ajoutée" in s.value for s in at.success), [e.value for e in at.error]
    next(b for b in at.button if b.label == "Figer la revue").click().run()
    assert not at.exception
    assert any("Revue figée" in s.value for s in at.success)
    with session_scope(get_engine(demo)) as session:
        from qep_core.review.workflow import open_review

        view = open_review(session, 1, 2024, 1)
    assert view.review.frozen
    assert view.review.line("TEL_ABOUTIS").comment == "Analyse du 1er trimestre."  # type: ignore[union-attr]
    assert [a.text for a in view.review.actions] == ["Former deux agents au standard"]


def test_exports_page_prepares_a_copil_deck_and_a_workbook(demo):
    at = open_page("pages/exports.py", vue="trimestre", trim="3", annee="2024")
    assert at.title[0].value == "Exports"
    assert at.radio(key="export_kind").value == "copil"
    assert at.selectbox(key="export_quarter_copil").value == 3
    next(b for b in at.button if b.label == "Préparer le document").click().run()
    assert not at.exception
    downloads = at.get("download_button")
    assert len(downloads) == 1 and "copil-44-2024-T3.pptx" in downloads[0].proto.label
    data = at.session_state["qep_export_result"][1].data
    assert len(Presentation(io.BytesIO(data)).slides) >= 10
    at.radio(key="export_kind").set_value("xlsx").run()
    assert not at.get("download_button")  # the prepared deck no longer matches the choices
    next(b for b in at.button if b.label == "Préparer le document").click().run()
    wb = openpyxl.load_workbook(io.BytesIO(at.session_state["qep_export_result"][1].data))
    assert "Module 1" in wb.sheetnames


def test_exports_page_public_threshold_and_poster(demo):
    at = open_page("pages/exports.py", annee="2024")
    at.radio(key="export_kind").set_value("affiche").run()
    assert at.selectbox(key="export_quarter_affiche").value == 3  # the latest quarter with data
    at.number_input(key="export_min_volume").set_value(50).run()
    at.radio(key="export_page").set_value("A3").run()
    next(b for b in at.button if b.label == "Préparer le document").click().run()
    assert not at.exception
    request, result = at.session_state["qep_export_result"]
    assert request.min_volume == 50 and request.page == "A3"
    assert result.name == "affiche-44-2024-T3-A3.pdf" and result.data.startswith(b"%PDF")
