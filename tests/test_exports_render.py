"""Slides and PDFs rendered as a person sees them: LibreOffice turns the decks into PDF, pdftotext reads
back the text inside each box, pdftoppm writes PNG pages (test-artifacts/exports/) to look at.

A text that overflowed its box (a table row grown by LibreOffice, a title too long for its line)
would leave part of its words outside the box's area: every text box and table of every slide is
checked that way. Skipped, with the reason, when LibreOffice or poppler is not installed
(``.ci/run`` installs ``libreoffice-impress`` and ``poppler-utils``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import unicodedata
from html import unescape
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Emu
from pypdf import PdfReader

from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.exports.service import ExportRequest, build_export
from qep_core.exports.textfit import fits
from qep_core.review.workflow import freeze_review, reopen_review, save_comment

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "exports"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")
needs_office = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (libreoffice-impress) n'est pas installé")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftoppm, pdftotext) n'est pas installé")


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('render') / 'demo.db'}")
    create_schema(engine)
    load_demo(engine)
    return engine


def to_pdf(pptx: bytes, folder: Path, stem: str) -> Path:
    source = folder / f"{stem}.pptx"
    source.write_bytes(pptx)
    profile = folder / "lo-profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), str(source)], check=True, capture_output=True, timeout=240)
    return folder / f"{stem}.pdf"


def to_png(pdf: Path, stem: str, dpi: int = 60) -> list[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{stem}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(ARTIFACTS / stem)], check=True, timeout=120)
    return sorted(ARTIFACTS.glob(f"{stem}-*.png"))


def squash(text: str) -> str:
    """Letters only: the comparison ignores line breaks, spaces and ligatures the PDF may introduce."""
    return re.sub(r"[\s\u00ad]+", "", unicodedata.normalize("NFKC", text))


def text_in_box(pdf: Path, page: int, box: tuple[float, float, float, float]) -> str:
    x, y, w, h = (round(v) for v in box)
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-r", "72", "-x", str(x), "-y", str(y),
                          "-W", str(w), "-H", str(h), str(pdf), "-"], check=True, capture_output=True, timeout=60)
    return out.stdout.decode("utf-8")


Word = tuple[float, float, float, float, str]


def words_by_page(pdf: Path) -> list[list[Word]]:
    """Every word of the PDF with its box in points (``pdftotext -bbox``), page by page."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, timeout=120)
    pages: list[list[Word]] = []
    for chunk in out.stdout.decode("utf-8").split("<page ")[1:]:
        words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', chunk)
        pages.append([(float(a), float(b), float(c), float(d), unescape(t)) for a, b, c, d, t in words])
    return pages


def words_in(words: list[Word], box: tuple[float, float, float, float]) -> str:
    """The words whose centre lies in *box* (x, y, width, height), line by line."""
    x, y, w, h = box
    inside = [wd for wd in words if x <= (wd[0] + wd[2]) / 2 <= x + w and y <= (wd[1] + wd[3]) / 2 <= y + h]
    inside.sort(key=lambda wd: (round(wd[1] / 4), wd[0]))
    return " ".join(wd[4] for wd in inside)


def _pt(emu: int) -> float:
    return Emu(emu).pt


def check_no_overflow(pptx: bytes, pdf: Path) -> int:
    """Every text box, and every cell of every table, reads back whole from its own area of the page.

    A cell is looked for in the rectangle its column width and row height give: a row that
    LibreOffice had to grow pushes the rows below out of their rectangles and fails the check."""
    prs = Presentation(io.BytesIO(pptx))
    pages = words_by_page(pdf)
    assert len(pages) == len(prs.slides)
    checked = 0
    pad = 2.0  # points of tolerance around a box
    for number, slide in enumerate(prs.slides, start=1):
        words = pages[number - 1]
        boxes: list[tuple[str, str, tuple[float, float, float, float]]] = []
        for shape in slide.shapes:
            left, top = _pt(shape.left), _pt(shape.top)
            if shape.has_text_frame and shape.text_frame.text.strip():
                boxes.append((shape.name, shape.text_frame.text, (left, top, _pt(shape.width), _pt(shape.height))))
            elif shape.has_table:
                table = shape.table
                y = top
                for i, row in enumerate(table.rows):
                    x = left
                    for j, cell in enumerate(row.cells):
                        width = _pt(table.columns[j].width)
                        boxes.append((f"{shape.name}[{i},{j}]", cell.text, (x, y, width, _pt(row.height))))
                        x += width
                    y += _pt(row.height)
        for name, expected, (x, y, w, h) in boxes:
            if not expected.strip():
                continue
            found = squash(words_in(words, (x - pad, y - pad, w + 2 * pad, h + 2 * pad)))
            assert squash(expected) in found, f"diapositive {number}, « {name} » déborde : {expected[:80]!r} / {found[:80]!r}"
            checked += 1
    return checked


@needs_office
@needs_poppler
@pytest.mark.parametrize(("kind", "quarter"), [("copil", 3), ("clu", None)])
def test_rendered_slides_keep_every_text_inside_its_box(demo_engine, tmp_path, kind, quarter):
    pptx = build_export(demo_engine, 1, ExportRequest(kind, 2024, quarter)).data
    pdf = to_pdf(pptx, tmp_path, kind)
    assert check_no_overflow(pptx, pdf) > 40
    pages = to_png(pdf, kind)
    assert len(pages) == len(Presentation(io.BytesIO(pptx)).slides)
    assert all(p.stat().st_size > 5_000 for p in pages)  # a page with content, not a blank


@needs_poppler
def test_bilan_and_poster_render_to_png(demo_engine, tmp_path):
    bilan = tmp_path / "bilan.pdf"
    bilan.write_bytes(build_export(demo_engine, 1, ExportRequest("bilan", 2024)).data)
    pages = to_png(bilan, "bilan", dpi=50)
    assert len(pages) == len(PdfReader(str(bilan)).pages) >= 8
    for page in ("A4", "A3"):
        poster = tmp_path / f"affiche-{page}.pdf"
        poster.write_bytes(build_export(demo_engine, 1, ExportRequest("affiche", 2024, 3, page=page)).data)
        assert len(to_png(poster, f"affiche-{page}", dpi=40 if page == "A3" else 60)) == 1
        footer = text_in_box(poster, 1, (0, 0, 2000, 2000))
        assert "Document établi le" in footer  # the last line is on the page, not pushed to a second one


def test_slide_texts_fit_their_boxes_by_measure(demo_engine):
    """Without rendering: every text box's text fits at the size written in the file."""
    for kind, quarter in (("copil", 3), ("clu", None)):
        prs = Presentation(io.BytesIO(build_export(demo_engine, 1, ExportRequest(kind, 2024, quarter)).data))
        for slide in prs.slides:
            for shape in slide.shapes:
                if not (shape.has_text_frame and shape.text_frame.text.strip()):
                    continue
                tf = shape.text_frame
                runs = [r for p in tf.paragraphs for r in p.runs]
                size = runs[0].font.size.pt
                assert all(r.font.size.pt == size for r in runs)
                width = _pt(shape.width) - _pt(tf.margin_left) - _pt(tf.margin_right)
                height = _pt(shape.height) - _pt(tf.margin_top) - _pt(tf.margin_bottom)
                assert fits(tf.text, width, height, size, bool(runs[0].font.bold)), (shape.name, tf.text[:60])
                assert size >= 9


def outside_margins(pdf: Path, margin_mm: float = 16.0) -> list[str]:
    """Words of *pdf* that reach into the left or right margin (the pages' content area is A4 less
    *margin_mm* on each side): a table or a word running off the page."""
    width = PdfReader(str(pdf)).pages[0].mediabox.width
    margin = margin_mm / 25.4 * 72
    return [f"page {n} : {w[4]!r} ({w[0]:.0f}–{w[2]:.0f} pt)" for n, words in enumerate(words_by_page(pdf), start=1)
            for w in words if w[0] < margin - 1 or w[2] > float(width) - margin + 1]


@needs_poppler
def test_the_bilan_and_the_minutes_stay_within_their_margins(demo_engine, tmp_path):
    """Every word inside the page's content area — the nine-column audits table, the surveys table
    and a comment made of one 200-character word included."""
    with session_scope(demo_engine, write=True) as session:
        reopen_review(session, 1, 2024, 2)
        save_comment(session, 1, 2024, 2, "COURRIEL_5J", "https://intranet.example/" + "x" * 200)
        freeze_review(session, 1, 2024, 2, dt.date(2024, 7, 11), "rq")
    for kind, quarter in (("bilan", None), ("pv", 2)):
        pdf = tmp_path / f"{kind}.pdf"
        pdf.write_bytes(build_export(demo_engine, 1, ExportRequest(kind, 2024, quarter)).data)
        assert outside_margins(pdf) == [], kind
        assert to_png(pdf, f"{kind}-marges", dpi=50)  # looked at: test-artifacts/exports/
    text = "".join(w[4] for page in words_by_page(pdf) for w in page)
    assert "https://intranet.example/" + "x" * 200 in text  # the long word is printed whole, broken across lines
