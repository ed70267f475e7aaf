"""Every export opened with its own library: titles, numbers equal to the core's, public-safe outputs.

The figures are checked against :func:`qep_core.compute.compute_indicators` for the same period on
the demo préfecture; the public outputs (CLU deck, poster, Services Publics+) are checked for
e-mail addresses, phone numbers and périmètres under the threshold, including on a préfecture
whose périmètre names and indicator labels are hostile on purpose.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from html import unescape
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from qep_core.cli import main
from qep_core.compute import compute_indicators
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.exports.content import (
    CLU,
    COPIL,
    PLAIN_TITLES,
    ActionPlanCompletion,
    AuditLine,
    AuditSummary,
    ModuleCompletion,
    SurveyResult,
    TrainingCompliance,
    TrainingLine,
    build_content,
)
from qep_core.exports.service import ExportError, ExportRequest, build_export
from qep_core.exports.sp_plus import SP_PLUS_COLUMNS
from qep_core.periods import quarter_period, year_period
from qep_core.privacy import contains_personal_data as has_personal
from qep_core.privacy import mask_personal_data as mask_personal
from qep_core.rules.formatting import format_value
from tests.test_compute import long_csv
from tests.test_sp_plus import sp_plus_ready

PDF_SIZES = {"A4": (595.3, 841.9), "A3": (841.9, 1190.6)}


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('exports') / 'demo.db'}")
    create_schema(engine)
    load_demo(engine)
    sp_plus_ready(engine, 1)  # the Services Publics+ file needs the structure's settings and national codes
    return engine


def export(engine, kind: str, year: int = 2024, quarter: int | None = None, **options) -> bytes:  # type: ignore[no-untyped-def]
    return build_export(engine, 1, ExportRequest(kind, year, quarter, **options)).data


def core_values(engine, period) -> dict[str, float | None]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return {r.indicator.code: r.value for r in compute_indicators(session, 1, period)}


def core_results(engine, period):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return {r.indicator.code: r for r in compute_indicators(session, 1, period)}


def deck_texts(prs) -> list[str]:  # type: ignore[no-untyped-def]
    """Every string of a deck: text boxes, table cells, chart categories and series, notes."""
    out = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            if shape.has_table:
                out += [cell.text for row in shape.table.rows for cell in row.cells]
            if shape.has_chart:
                plot = shape.chart.plots[0]
                out += [str(c) for c in plot.categories] + [s.name for s in plot.series]
        if slide.has_notes_slide:
            out.append(slide.notes_slide.notes_text_frame.text)
    return out


def table_rows(slide) -> list[list[str]]:  # type: ignore[no-untyped-def]
    tables = [s for s in slide.shapes if s.has_table]
    return [[c.text for c in row.cells] for t in tables for row in t.table.rows]


# --- slides --------------------------------------------------------------------------------------------------------


def test_copil_deck_titles_footers_native_charts_and_core_numbers(demo_engine):
    prs = Presentation(io.BytesIO(export(demo_engine, "copil", quarter=3)))
    slides = list(prs.slides)
    titles = [next(s.text_frame.text for s in slide.shapes if s.name == "title") for slide in slides]
    assert titles[0] == "Démarche qualité Qual-e-Pref" and titles[1] == "Synthèse des indicateurs"
    assert "Module 1 — Relation générale avec les usagers" in titles
    assert "Module 2 — Délivrance des titres (hors étrangers)" in titles
    assert "Module 4 — Relation avec les collectivités territoriales" in titles
    assert any(t.endswith("— par périmètre") for t in titles) and "Suggestions et réclamations" in titles
    assert "Actions décidées en COPIL" in titles
    for i, slide in enumerate(slides, start=1):  # the préfecture and the period on every slide
        footer = next(s.text_frame.text for s in slide.shapes if s.name == "footer")
        assert footer == "Préfecture de démonstration — 3e trimestre 2024 · Comité de pilotage"
        assert next(s.text_frame.text for s in slide.shapes if s.name == "page") == f"{i} / {len(slides)}"
        assert not any(s.shape_type == MSO_SHAPE_TYPE.PICTURE for s in slide.shapes)  # charts are not pictures
    results = core_results(demo_engine, quarter_period(2024, 3))
    by_label = {r.indicator.label: r for r in results.values()}
    seen = 0
    for slide in slides:
        for row in table_rows(slide)[1:]:
            label = re.sub(r" \([^()]*\)$", "", row[0])
            if label in by_label and len(row) == 6:
                r = by_label[label]
                assert row[1] == format_value(r.value, r.indicator.unit)
                assert row[4] == format_value(r.previous_value, r.indicator.unit)
                seen += 1
    assert seen == 20  # every indicator of modules 1, 2 and 4
    # the charts hold the core's values (native data, editable in PowerPoint)
    charts = [s.chart for slide in slides for s in slide.shapes if s.has_chart and s.name == "rates_chart"]
    assert charts
    short = {"Appels aboutis": "TEL_ABOUTIS", "Courriels en 5 j": "COURRIEL_5J"}
    checked = 0
    for chart in charts:
        plot = chart.plots[0]
        current = plot.series[1]
        assert current.name == "T3 2024" and plot.series[0].name == "T3 2023"
        for category, value in zip(plot.categories, current.values, strict=True):
            if category in short:
                assert value == pytest.approx(results[short[category]].value)
                checked += 1
    assert checked == 2
    # the actions decided in the demo's reviews of 2024 are on the deck
    actions = [row for slide in slides for row in table_rows(slide) if len(row) == 6]
    assert ["2e trimestre 2024", "Taux d'appels aboutis au standard", "Renfort d'un agent au standard le lundi matin",
            "Cheffe du standard", "30/09/2024", "À faire — en retard"] in actions


def test_clu_deck_is_public_safe(demo_engine):
    prs = Presentation(io.BytesIO(export(demo_engine, "clu", min_volume=100)))
    texts = deck_texts(prs)
    assert not any(has_personal(t) for t in texts)
    titles = [next(s.text_frame.text for s in slide.shapes if s.name == "title") for slide in prs.slides]
    assert titles[1] == "L'essentiel" and "Vos suggestions et réclamations" in titles
    assert "Actions décidées en COPIL" not in titles  # internal minutes stay internal
    joined = "\n".join(texts)
    assert PLAIN_TITLES["TEL_ABOUTIS"] in joined and "Taux d'appels aboutis au standard" not in joined
    assert "Renfort d'un agent" not in joined
    # no périmètre under 100 answers: each category of a per-service chart carries its volume
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_chart and shape.name == "perimetre_chart":
                for category in shape.chart.plots[0].categories:
                    volume = int(re.search(r"\(([\d\s\u202f]+)\)$", str(category)).group(1).replace("\u202f", "").replace(" ", ""))  # type: ignore[union-attr]
                    assert volume >= 100, category
    # a figure on fewer than 100 answers is "non publié", never a number
    results = core_results(demo_engine, year_period(2024))
    small = [r for r in results.values() if r.indicator.kind != "count" and r.denominator is not None and r.denominator < 100]
    assert small
    for slide in prs.slides:
        for row in table_rows(slide)[1:]:
            for r in small:
                if row[0] == PLAIN_TITLES.get(r.indicator.code):
                    assert row[1] == "non publié"


@pytest.fixture
def hostile(engine, prefecture):  # type: ignore[no-untyped-def]
    """A préfecture whose mailboxes are named after their address and a phone number."""
    rows = []
    for m in range(1, 13):
        rows.append(["COURRIEL_5J", f"2024-{m:02d}", "pref-contact@exemple.gouv.fr", 90, 100, None, None])
        rows.append(["COURRIEL_5J", f"2024-{m:02d}", "Accueil 02 40 41 20 20", 45, 50, None, None])
        rows.append(["COURRIEL_5J", f"2024-{m:02d}", "Petite boîte", 1, 1, None, None])
        rows.append(["TEL_ABOUTIS", f"2024-{m:02d}", "", 850, 1000, None, None])
    from qep_core.importing import import_file

    import_file(engine, prefecture.id, "hostile.csv", long_csv(rows))
    return prefecture


def test_clu_masks_personal_data_and_pools_small_perimetres(engine, hostile):
    data = build_export(engine, hostile.id, ExportRequest("clu", 2024, min_volume=20)).data
    prs = Presentation(io.BytesIO(data))
    texts = deck_texts(prs)
    assert not any(has_personal(t) for t in texts)
    categories = [str(c) for s in prs.slides for sh in s.shapes if sh.has_chart and sh.name == "perimetre_chart"
                  for c in sh.chart.plots[0].categories]
    # names from files that are an address or a phone number are no public names: never shown, not
    # even masked (they are pooled with the small ones; see tests/test_public_names.py)
    assert not any("@" in c or "masqué" in c or "02 40" in c for c in categories)
    assert not any("Petite boîte" in c for c in categories)  # 12 answers < 20: never shown on its own
    # the COPIL deck keeps the names (internal)
    copil = Presentation(io.BytesIO(build_export(engine, hostile.id, ExportRequest("copil", 2024)).data))
    assert any("pref-contact@exemple.gouv.fr" in t for t in deck_texts(copil))


def test_mask_personal():
    text = "Écrire à jean.dupont@interieur.gouv.fr ou appeler le 06 12 34 56 78, le +33 2 40 41 20 20 ou 0240412020."
    masked = mask_personal(text)
    assert not has_personal(masked)
    assert masked.count("[téléphone masqué]") == 3 and "[courriel masqué]" in masked  # qep_core.privacy's words
    assert mask_personal("Délai de 5 jours, 2024, 12 345 appels") == "Délai de 5 jours, 2024, 12 345 appels"


# --- optional sections (surveys, action plan, trainings, audits) rendered from hand-built dataclasses -------------

SURVEYS = (SurveyResult("Accueil téléphonique", "mai – novembre 2024", 44, 29.5, 44, 16.9, 42.1, 24.0),
           SurveyResult("Point d'accueil numérique", "2024", 263, 99.6, 262, 97.9, 99.9, 100.0),
           SurveyResult("Contact : jean@exemple.fr", "2024", 6, 83.3, 6, 43.6, 97.0, None))
PLAN = ActionPlanCompletion((ModuleCompletion("Module 1 (relation générale)", 65, 14, 14),
                             ModuleCompletion("Module 2 (permis étrangers)", 4, 0, 0),
                             ModuleCompletion("Module 4 (collectivités)", 1, 0, 3),
                             ModuleCompletion("Pilotage", 25, 4, 5)),
                            ("Boucle auditive à l'accueil", "Réponses-types au standard (tél. 02 40 41 20 20)"))
TRAININGS = TrainingCompliance((TrainingLine("Accueil physique", 49, 30, 15, 4), TrainingLine("Accueil téléphonique", 8, 6, 2, 0),
                                TrainingLine("Site internet et réseaux sociaux", 2, 1, 1, 0)))
AUDITS = AuditSummary((AuditLine(__import__("datetime").date(2024, 6, 12), "audit de suivi", "organisme certificateur",
                                 conform=52, nc_minor=2, strong_points=6, sensitive_points=3, progress_tracks=4),))


@pytest.fixture
def with_sections(monkeypatch):  # type: ignore[no-untyped-def]
    from qep_core.exports import content

    providers = {"surveys": lambda ctx: SURVEYS, "action_plan": lambda ctx: PLAN, "trainings": lambda ctx: TRAININGS,
                 "audits": lambda ctx: AUDITS}
    patched = [content.OptionalSection(s.key, s.title, providers[s.key], s.empty_note) for s in content.OPTIONAL_PROVIDERS]
    monkeypatch.setattr(content, "OPTIONAL_PROVIDERS", patched)
    import qep_core.exports.bilan as bilan

    monkeypatch.setattr(bilan, "OPTIONAL_PROVIDERS", patched)


def test_optional_sections_render_when_their_data_exists(demo_engine, with_sections):
    assert PLAN.overall.done == 95 and PLAN.overall.total == 135  # the Loire-Atlantique table, totals recomputed
    assert round(PLAN.overall.rate or 0) == 70 and TRAININGS.total.up_to_date == 37 and TRAININGS.total.agents == 59
    html = unescape(export(demo_engine, "bilan", format="html").decode())
    assert "Intervalle de confiance à 95 %" in html and "29,5 %" in html and "16,9 % – 42,1 %" in html
    assert "Module 1 (relation générale)" in html and "70,4 %" in html  # 95 / 135
    assert "Accueil physique" in html and "61,2 %" in html  # 30 up to date / 49 agents
    assert "audit de suivi" in html
    assert "Aucune enquête enregistrée" not in html
    prs = Presentation(io.BytesIO(export(demo_engine, "clu", min_volume=10)))
    texts = deck_texts(prs)
    assert not any(has_personal(t) for t in texts)
    rows = [r for s in prs.slides for r in table_rows(s)]
    assert ["Accueil téléphonique", "mai – novembre 2024", "44 (44 exprimés)", "29,5 %", "16,9 % – 42,1 %", "24,0 %"] in rows
    small = next(r for r in rows if r[0] == "Contact : [courriel masqué]")
    assert small[3] == "non publié (< 10)"  # 6 answers: the sample size is shown, not the rate
    assert any(r[0] == "Total" and r[1] == "95" for r in rows)
    assert "Audits de l'année" not in [next(s.text_frame.text for s in sl.shapes if s.name == "title") for sl in prs.slides]


def test_sections_without_data_leave_a_note(demo_engine, monkeypatch):
    from qep_core.exports import bilan, content

    empty = [content.OptionalSection(s.key, s.title, lambda ctx: None, s.empty_note) for s in content.OPTIONAL_PROVIDERS]
    monkeypatch.setattr(content, "OPTIONAL_PROVIDERS", empty)
    monkeypatch.setattr(bilan, "OPTIONAL_PROVIDERS", empty)
    html = unescape(export(demo_engine, "bilan", format="html").decode())
    for note in ("Aucune enquête enregistrée pour cette année.", "Aucun plan d'actions enregistré pour cette année.",
                 "Aucun suivi des formations enregistré pour cette année.", "Aucun audit enregistré pour cette année."):
        assert note in html


# --- bilan and poster (PDF) ------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def squash(text: str) -> str:
    return re.sub(r"[\s\u202f\u00a0]+", " ", text)


def test_bilan_pdf_holds_the_years_figures(demo_engine):
    data = export(demo_engine, "bilan")
    reader, text = pdf_text(data)
    text = squash(text)
    assert len(reader.pages) >= 8
    assert "Bilan annuel 2024" in text and "Préfecture de démonstration" in text
    for title in ("Nos indicateurs", "Suggestions et réclamations", "Les revues du comité de pilotage", "Méthode de calcul"):
        assert title in text
    for r in core_results(demo_engine, year_period(2024)).values():
        assert squash(format_value(r.value, r.indicator.unit)) in text
    # complaints from the item log: 47 requests, 43 in time out of 47 (2 late, 2 unanswered past their deadline)
    assert "47 demandes reçues" in text and "43 sur 47" in text
    assert "Réclamation" in text and "Formulaire" in text
    assert "Renfort d'un agent au standard le lundi matin" in text  # actions decided in the frozen review
    html = export(demo_engine, "bilan", format="html").decode()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html


@pytest.mark.parametrize("page", ["A4", "A3"])
def test_poster_is_one_public_page(demo_engine, page):
    data = export(demo_engine, "affiche", quarter=3, page=page)
    reader, text = pdf_text(data)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(PDF_SIZES[page], abs=1)
    text = squash(text)
    assert "Nos résultats du 3e trimestre 2024" in text and "Préfecture de démonstration" in text
    results = core_results(demo_engine, quarter_period(2024, 3))
    for code in ("COURRIEL_5J", "TEL_ABOUTIS", "PAN_SATISFACTION", "COURRIER_10J"):
        assert squash(format_value(results[code].value, results[code].indicator.unit)) in text
    assert "3,2 jours" in text  # mean e-mail delay, in words (CM sent no August–September: see the demo)
    assert not has_personal(text)


def test_poster_leaves_out_figures_under_the_threshold(demo_engine):
    _, text = pdf_text(export(demo_engine, "affiche", quarter=3, min_volume=200))
    text = squash(text)
    results = core_results(demo_engine, quarter_period(2024, 3))
    assert results["RECLA_DELAI"].denominator < 200  # type: ignore[operator]
    assert "suggestions et réclamations" not in text
    assert squash(format_value(results["COURRIEL_5J"].value, "%")) in text


# --- spreadsheets ----------------------------------------------------------------------------------------------------


def test_workbook_has_a_sheet_per_module_with_core_values(demo_engine):
    wb = openpyxl.load_workbook(io.BytesIO(export(demo_engine, "xlsx")))
    assert wb.sheetnames == ["Synthèse", "Module 1", "Module 2", "Module 4", "Périmètres"]
    assert wb["Module 4"]["A1"].value == "Module 4 — Relation avec les collectivités territoriales — année 2024"
    results = core_results(demo_engine, year_period(2024))
    seen = 0
    for ws in wb.worksheets[1:4]:
        header = [c.value for c in ws[3]]
        assert header[:10] == ["Code", "Indicateur", "Engagement", "Canal", "Valeur", "Cible", "Sens", "Seuil d'alerte",
                               "Statut", "Même période N-1"]
        assert header[14:] == ["janv. 2024", "févr. 2024", "mars 2024", "avr. 2024", "mai 2024", "juin 2024",
                               "juil. 2024", "août 2024", "sept. 2024", "oct. 2024", "nov. 2024", "déc. 2024"]
        for row in ws.iter_rows(min_row=4, values_only=True):
            r = results[row[0]]
            assert row[4] == (None if r.value is None else pytest.approx(r.value))
            assert row[8] == r.status and row[11] == (None if r.numerator is None else pytest.approx(r.numerator))
            seen += 1
        rules = [rule for rng in ws.conditional_formatting for rule in rng.rules]
        assert len(rules) == 3  # atteint, à surveiller, non atteint
    assert seen == 20


def test_workbook_writes_hostile_labels_as_text(engine, prefecture):
    from qep_core.importing import import_file
    from qep_core.referentiel import add_indicator

    label = '=HYPERLINK("http://exemple.invalid","clic")'
    names = ["+1+1", "-2+3", "@SUM(A1:A2)", "=1+1 boîte"]
    with session_scope(engine, write=True) as session:
        add_indicator(session, prefecture, {"code": "PROPRE", "label": label, "kind": "rate", "module": "M1"})
    import_file(engine, prefecture.id, "propre.csv", long_csv([["PROPRE", "2024-01", n, 5, 10, None, None] for n in names]))
    data = build_export(engine, prefecture.id, ExportRequest("xlsx", 2024)).data
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere
    wb = openpyxl.load_workbook(io.BytesIO(data))
    found = {c.value: c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value in [label, *names]}
    assert set(found) == {label, *names}
    for cell in found.values():
        assert cell.data_type == "s" and cell.quotePrefix


@pytest.mark.parametrize("text", ["\tTab", "\rCR", "\nLF", "=A1", "+A1", "-A1", "@A1"])
def test_put_neutralises_every_dangerous_start(text):
    from qep_core.exports.xlsx_export import put

    ws = openpyxl.Workbook().active
    cell = put(ws, 1, 1, text)
    assert cell.value == text and cell.data_type == "s" and cell.quotePrefix
    assert not put(ws, 2, 1, "Boîte préfecture").quotePrefix


def test_services_publics_plus_csv_and_xlsx(demo_engine):
    data = export(demo_engine, "sp-plus")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == SP_PLUS_COLUMNS
    results = core_results(demo_engine, year_period(2024))
    codes = sp_plus_ready(demo_engine, 1)
    body = {r[5]: r for r in rows[1:]}
    for code, r in results.items():
        if r.value is None or (r.indicator.kind != "count" and (r.denominator or 0) < 10):
            assert codes[code] not in body  # no value, or too few answers to publish
            continue
        line = body[codes[code]]
        decimals = {"%": 1, "j": 1, "‰": 3, "": 0}[r.indicator.unit]
        assert float(line[6]) == pytest.approx(round(r.value, decimals))  # a number, decimal point
        assert line[2] == "Préfecture de démonstration" and line[0] == "SP-TEST" and line[7] == "annuelle"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", line[8])
    assert codes["COLL_RDV_10J"] not in body  # 7 requests in 2024
    wb = openpyxl.load_workbook(io.BytesIO(export(demo_engine, "sp-plus", format="xlsx")))
    sheet_rows = list(wb.active.iter_rows(values_only=True))
    assert list(sheet_rows[0]) == SP_PLUS_COLUMNS and len(sheet_rows) == len(rows)


# --- requests and the command line ------------------------------------------------------------------------------------


def test_bad_requests_are_refused_in_french(demo_engine):
    with pytest.raises(ExportError, match="aucune donnée pour 2030"):
        export(demo_engine, "copil", year=2030)
    with pytest.raises(ExportError, match="annuels"):
        export(demo_engine, "bilan", quarter=2)
    with pytest.raises(ExportError, match="A4 ou A3"):
        export(demo_engine, "affiche", quarter=2, page="A5")
    with pytest.raises(ExportError, match="inconnu"):
        export(demo_engine, "word")


def test_cli_writes_every_kind(demo_engine, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QEP_DATABASE_URL", str(demo_engine.url))
    targets = {"copil": "copil.pptx", "clu": "clu.pptx", "bilan": "bilan.html", "affiche": "affiche.pdf",
               "xlsx": "tdb.xlsx", "sp-plus": "sp.csv"}
    for kind, name in targets.items():
        args = ["export", "--kind", kind, "--year", "2024", "-o", str(tmp_path / name)]
        if kind in ("copil", "affiche"):
            args += ["--quarter", "3"]
        assert main(args) == 0
    assert Presentation(str(tmp_path / "copil.pptx")).slides
    assert (tmp_path / "bilan.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")  # html from the suffix
    assert (tmp_path / "affiche.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "sp.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["export", "--kind", "bilan", "--year", "2030", "-o", str(tmp_path / "x.pdf")]) == 2
    assert "aucune donnée pour 2030" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_content_audiences(demo_engine):
    with session_scope(demo_engine) as session:
        copil = build_content(session, 1, year_period(2024), COPIL)
        clu = build_content(session, 1, year_period(2024), CLU, min_volume=10)
    assert copil.decided_actions and not clu.decided_actions
    assert [f.code for f in copil.indicators] == [f.code for f in clu.indicators]
    values = core_values(demo_engine, year_period(2024))
    assert {f.code: f.value for f in copil.indicators} == values
    assert Path  # (imported for the render tests' helpers)


def test_demo_pilotage_feeds_the_bilan(demo_engine) -> None:
    """The action plan, the audit and the trainings of the demo reach the documents through the
    pilotage's own summaries (same figures as the Plan d'actions page)."""
    from qep_core.db import session_scope
    from qep_core.exports.content import ProviderContext, action_plan_provider, audits_provider, trainings_provider
    from qep_core.periods import year_period
    from qep_core.pilotage.summary import action_plan_summary

    with session_scope(demo_engine) as session:
        ctx = ProviderContext(session, 1, year_period(2024))
        plan, audits, trainings = action_plan_provider(ctx), audits_provider(ctx), trainings_provider(ctx)
        summary = action_plan_summary(session, 1, __import__("datetime").date(2024, 12, 31))
    assert plan is not None and audits is not None and trainings is not None
    assert plan.overall.done == summary.overall.fait
    assert plan.overall.total == summary.overall.total - summary.overall.abandonne
    assert audits.audits[0].date == __import__("datetime").date(2024, 3, 12)
    html = unescape(export(demo_engine, "bilan", format="html").decode())
    assert "Aucun plan d'actions enregistré" not in html and "Aucun audit enregistré" not in html


def test_demo_surveys_reach_the_documents_with_their_sample_size(demo_engine) -> None:
    from qep_core.db import session_scope
    from qep_core.exports.content import ProviderContext, surveys_provider
    from qep_core.periods import year_period
    from qep_core.surveys.summary import survey_summaries

    with session_scope(demo_engine) as session:
        results = surveys_provider(ProviderContext(session, 1, year_period(2024)))
        summaries = survey_summaries(session, 1, 2024)
    assert results is not None and len(results) == len([s for s in summaries if s.scales])
    first = summaries[0]
    overall = first.overall or first.scales[0]
    assert results[0].respondents == first.respondents and results[0].satisfaction_rate == overall.satisfaction_rate
    html = unescape(export(demo_engine, "bilan", format="html").decode())
    assert "Aucune enquête enregistrée" not in html
