"""The quarterly review is a document of record: what the COPIL writes reaches the COPIL deck (its
slides and notes), the bilan's "Revues du COPIL" and the procès-verbal — from the page and from
the command line — and never the users' committee's documents."""

from __future__ import annotations

import datetime as dt
import io
import json

import pypdf
import pytest
from pptx import Presentation
from sqlmodel import select

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.cli.main import main as cli
from qep_core.db import get_engine, session_scope
from qep_core.pilotage.actions import record_status
from qep_core.pilotage.models import Action
from tests.test_pages import app, demo_url  # noqa: F401  (module-scoped demo database)

COMMENT = "Standard saturé le lundi : la panne de l'autocommutateur a coûté 6 points."
ANALYSIS = "Premier trimestre sous tension au standard ; le courrier tient ses délais."
ACTION = "Former deux agents de renfort au standard"


@pytest.fixture
def demo(demo_url, monkeypatch):  # type: ignore[no-untyped-def]  # noqa: F811
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    return demo_url


def _actor(url: str) -> services.Actor:
    return services.Actor(LOCAL_PRINCIPAL.named("rq"), get_engine(url))


def _deck_text(data: bytes) -> tuple[str, str]:
    """(every slide's text, every slide's notes) of a PPTX."""
    prs = Presentation(io.BytesIO(data))
    shown, notes = [], []
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                shown.append(shape.text_frame.text)
            if shape.has_table:
                shown.extend(cell.text for row in shape.table.rows for cell in row.cells)
        if slide.has_notes_slide:
            notes.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(shown), "\n".join(notes)


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _build(url: str, kind: str, year: int, quarter: int | None = None, fmt: str | None = None) -> bytes:
    return services.exports.build(_actor(url), 1, services.exports.ExportRequest(kind, year, quarter, format=fmt)).data


def test_a_comment_written_on_the_page_reaches_the_deck_the_bilan_and_the_minutes(demo):
    at = app().run()
    at.switch_page("pages/revue.py").run()
    at.selectbox(key="revue_trim").set_value(1).run()
    at.text_area(key="comment_2024_1_TEL_ABOUTIS").input(COMMENT)
    next(b for b in at.button if b.label == "Enregistrer les commentaires").click().run()
    at.text_area(key="analysis_2024_1").input(ANALYSIS)
    next(b for b in at.button if b.label == "Enregistrer l'analyse").click().run()
    assert any("Analyse générale enregistrée" in s.value for s in at.success)
    next(t for t in at.text_area if t.label == "Nouvelle action").input(ACTION)
    at.text_input[0].input("Cheffe du standard")
    next(b for b in at.button if b.label == "Ajouter l'action").click().run()
    at.text_area(key="attendees_2024_1").input("M. le secrétaire général\nRéférente qualité")
    at.date_input(key="meeting_date").set_value(dt.date(2024, 4, 18)).run()
    next(b for b in at.button if b.label == "Figer la revue").click().run()
    assert not at.exception and any("Revue figée" in s.value for s in at.success)
    assert any(t.value == ANALYSIS for t in at.text) and any(COMMENT == t.value for t in at.text)
    next(b for b in at.button if b.label == "Préparer le procès-verbal (PDF)").click().run()
    assert not at.exception
    download = at.get("download_button")
    assert len(download) == 1 and "pv-revue-44-2024T1.pdf" in download[0].proto.label

    minutes = _pdf_text(_build(demo, "pv", 2024, 1))
    for words in ("Procès-verbal de la revue trimestrielle", "COPIL du 18/04/2024", "M. le secrétaire général",
                  "Référente qualité", ANALYSIS, COMMENT, ACTION, "Cheffe du standard"):
        assert " ".join(words.split()) in minutes, words

    shown, notes = _deck_text(_build(demo, "copil", 2024, 1))
    assert COMMENT in shown and ANALYSIS in shown and ACTION in shown
    assert f"Analyse du COPIL (1er trimestre 2024) : {COMMENT}" in notes
    assert "Cheffe du standard" in shown

    bilan = _build(demo, "bilan", 2024, fmt="html").decode()
    assert COMMENT.replace("'", "&#39;") in bilan and ANALYSIS in bilan
    assert "Revue du 1er trimestre 2024 — COPIL du 18/04/2024" in bilan
    assert "Cheffe du standard" in bilan

    public, public_notes = _deck_text(_build(demo, "clu", 2024, 1))
    for internal in (COMMENT, ANALYSIS, ACTION, "Cheffe du standard", "secrétaire général"):
        assert internal not in public and internal not in public_notes


def test_decided_actions_carry_owner_due_date_and_the_plans_progress(demo):
    """The demo's T2 2024 actions: due 30/09/2024 and 31/07/2024, never started — late today; once
    the plan marks one done, every document says so."""
    content_deck, _ = _deck_text(_build(demo, "copil", 2024, 2))
    assert "Renfort d'un agent au standard le lundi matin" in content_deck
    assert "30/09/2024" in content_deck and "À faire — en retard" in content_deck
    with session_scope(get_engine(demo), write=True) as session:
        action = session.exec(select(Action).where(Action.title == "Renfort d'un agent au standard le lundi matin")).one()
        record_status(session, action, "fait", dt.date(2024, 9, 20), "rq")
    bilan = _build(demo, "bilan", 2024, fmt="html").decode()
    row = bilan[bilan.index("Renfort d&#39;un agent au standard le lundi matin"):]
    row = row[:row.index("</tr>")]
    assert "Cheffe du standard" in row and "30/09/2024" in row and ">Fait<" in row


def test_the_same_through_the_command_line(demo, capsys, tmp_path):
    base = ["review", "--year", "2024", "--quarter", "4"]
    assert cli([*base[:1], "comment", *base[1:], "--indicator", "COURRIEL_5J", "--text", "Décembre difficile"]) == 0
    assert cli([*base[:1], "comment", *base[1:], "--text", "Fin d'année correcte"]) == 0
    assert cli([*base[:1], "decide", *base[1:], "--text", "Revoir la boîte générique", "--indicator", "COURRIEL_5J",
                "--owner", "Bureau du courrier", "--due", "2025-03-31"]) == 0
    assert cli([*base[:1], "comment", *base[1:], "--indicator", "INCONNU", "--text", "x"]) == 1
    assert cli([*base[:1], "freeze", *base[1:], "--meeting-date", "2025-01-16", "--attendee", "Mme la sous-préfète",
                "--attendee", "Référente qualité"]) == 0
    assert cli([*base[:1], "comment", *base[1:], "--text", "trop tard"]) == 1  # frozen
    capsys.readouterr()
    assert cli([*base[:1], "show", *base[1:], "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "figée" and shown["meeting_date"] == "2025-01-16"
    assert shown["analysis"] == "Fin d'année correcte" and shown["attendees"] == "Mme la sous-préfète\nRéférente qualité"
    assert {x["code"]: x["comment"] for x in shown["lines"]}["COURRIEL_5J"] == "Décembre difficile"
    assert [(a["text"], a["owner"], a["due_date"]) for a in shown["actions"]] == [
        ("Revoir la boîte générique", "Bureau du courrier", "2025-03-31")]
    assert cli([*base[:1], "show", *base[1:]]) == 0
    table = capsys.readouterr().out
    assert "figée (COPIL du 16/01/2025)" in table and "Participants : Mme la sous-préfète ; Référente qualité" in table
    out = tmp_path / "pv.pdf"
    assert cli(["export", "--kind", "pv", "--year", "2024", "--quarter", "4", "-o", str(out)]) == 0
    minutes = _pdf_text(out.read_bytes())
    assert "Décembre difficile" in minutes and "Fin d'année correcte" in minutes and "Bureau du courrier" in minutes
    assert cli(["export", "--kind", "pv", "--year", "2024", "--quarter", "3", "-o", str(out)]) == 2  # not frozen
    assert "n'est pas figée" in capsys.readouterr().err

