"""Text is text in the documents too: the HTML bilan and poster escape what they quote (Jinja
autoescape), WeasyPrint reads no address a text could name, the decks hold plain runs (no link),
and the chart builders escape every text Plotly would read as HTML."""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd
import pytest
from pptx import Presentation
from sqlalchemy.engine import Engine

from qep_core.charts import breakdown_chart, chart_text, mini_chart, monthly_chart
from qep_core.db import get_engine, session_scope
from qep_core.exports.affiche import affiche_content, render_affiche_html
from qep_core.exports.content import DEFAULT_MIN_VOLUME
from qep_core.exports.pdf import TEMPLATES, html_to_pdf, is_local
from qep_core.exports.service import ExportRequest, build_export
from qep_core.pilotage.actions import Completion
from qep_core.pilotage.charts import completion_chart
from qep_core.referentiel import indicators_for
from qep_core.surveys.charts import choice_chart, mystery_criteria_chart, number_chart, wrap
from qep_core.surveys.mystery import CriterionResult
from tests.markup_probe import PAYLOAD, payload_database

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def payload_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = get_engine(payload_database(tmp_path_factory.mktemp("plain-exports") / "demo.db"))
    yield engine
    engine.dispose()


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local web server that records the paths asked of it."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", asked
    httpd.shutdown()
    httpd.server_close()


def test_the_html_bilan_escapes_what_it_quotes(payload_engine: Engine) -> None:
    html = build_export(payload_engine, 1, ExportRequest("bilan", 2024, format="html")).data.decode()
    assert "<img" not in html and "<a " not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the préfecture's name, indicator labels…


def test_the_html_poster_escapes_what_it_quotes(payload_engine: Engine) -> None:
    with session_scope(payload_engine) as session:
        content, tiles = affiche_content(session, 1, 2024, 3, DEFAULT_MIN_VOLUME)
        html = render_affiche_html(content, tiles)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html  # the préfecture's name


def test_the_pdf_bilan_is_built_from_the_payload(payload_engine: Engine) -> None:
    assert build_export(payload_engine, 1, ExportRequest("bilan", 2024, format="pdf")).data.startswith(b"%PDF")


def test_weasyprint_reads_no_address_from_elsewhere(server: tuple[str, list[str]]) -> None:
    base, asked = server
    page = (f'<p>x</p><img src="{base}/img.png"><div style="background: url({base}/css.png)">y</div>'
            f'<link rel="stylesheet" href="{base}/style.css"><img src="file:///etc/hostname">'
            f'<img src="data:image/png;base64,{base64.b64encode(PNG).decode()}">')
    assert html_to_pdf(page).startswith(b"%PDF")
    assert asked == []
    # the same page through WeasyPrint's own fetcher does call the server: the check above means something
    from weasyprint import HTML

    HTML(string=page, base_url=str(TEMPLATES)).write_pdf()
    assert asked


def test_what_the_fetcher_allows() -> None:
    assert is_local("data:image/png;base64,AAAA")
    assert is_local((TEMPLATES / "base.css").as_uri())
    assert not is_local("http://127.0.0.1:9/pixel.png")
    assert not is_local("https://example.org/a.png")
    assert not is_local("file:///etc/passwd")
    assert not is_local((TEMPLATES / ".." / ".." / "db.py").resolve().as_uri())
    assert not is_local("file://elsewhere" + str(TEMPLATES / "base.css"))
    assert not is_local("ftp://example.org/a.png")


@pytest.mark.parametrize("kind", ["copil", "clu"])
def test_decks_hold_plain_runs(payload_engine: Engine, kind: str) -> None:
    deck = Presentation(io.BytesIO(build_export(payload_engine, 1, ExportRequest(kind, 2024, 3)).data))
    runs = []
    for slide in deck.slides:
        for shape in slide.shapes:
            frames = [shape.text_frame] if shape.has_text_frame else []
            if shape.has_table:
                frames += [cell.text_frame for row in shape.table.rows for cell in row.cells]
            runs += [run for frame in frames for paragraph in frame.paragraphs for run in paragraph.runs]
    assert not [run.text for run in runs if run.hyperlink.address]
    assert any(run.text.startswith("![x](http") for run in runs)  # the préfecture's name, as typed


# ------------------------------------------------------------------------------------------ charts

def _strings(figure: object) -> list[str]:
    out: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(figure.to_plotly_json())  # type: ignore[attr-defined]
    return out


def _assert_escaped(figure: object) -> None:
    texts = _strings(figure)
    assert not [t for t in texts if "<img" in t], texts
    assert any("&lt;img" in t for t in texts)


def test_chart_text() -> None:
    assert chart_text("<a href='x'>a & b</a>\nsuite") == "&lt;a href='x'&gt;a &amp; b&lt;/a&gt;<br>suite"
    assert "\n" in wrap(PAYLOAD * 3, 60) and "<br>" not in wrap(PAYLOAD * 3, 60)


def test_chart_builders_escape_their_texts(payload_engine: Engine) -> None:
    with session_scope(payload_engine) as session:
        ind = replace(next(d for d in indicators_for(session, 1) if d.kind == "rate"), label=PAYLOAD)
    months = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=3, freq="MS").date, "value": [90.0, 91, 92],
                           "target": [90.0] * 3, "status": ["atteint"] * 3, "numerator": [9, 9, 9],
                           "denominator": [10, 10, 10]})
    _assert_escaped(monthly_chart(ind, months, title=PAYLOAD))
    _assert_escaped(mini_chart(ind, months).update_layout(title=chart_text(PAYLOAD)))
    per = pd.DataFrame({"perimetre": [PAYLOAD, "Standard"], "value": [80.0, 95], "status": ["non atteint", "atteint"],
                        "numerator": [8, 19], "denominator": [10, 20]})
    _assert_escaped(breakdown_chart(ind, per, 90.0))
    _assert_escaped(completion_chart([Completion("M1", PAYLOAD, 1, 1, 1, 0)], PAYLOAD))
    _assert_escaped(mystery_criteria_chart(PAYLOAD, [CriterionResult("appel", PAYLOAD, 3, 1, 0)]))
    _assert_escaped(choice_chart(wrap(PAYLOAD), [(PAYLOAD, 3), ("Autre", 1)], 4, "répondants"))
    _assert_escaped(number_chart(PAYLOAD, [(PAYLOAD, 2)]))
