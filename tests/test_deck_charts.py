"""The decks' charts and tables read at a glance (issue 14): on the COPIL and CLU decks of the demo,
a rate axis ends at 100 % (above only when a value does), no tick label is turned, a label inside
a bar reads on it (4.5:1), and the target column holds each text on one line."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Emu

from qep_core.db import create_schema, get_engine
from qep_core.demo import load_demo
from qep_core.exports.pptx_slides import TEXT_PAD
from qep_core.exports.service import ExportRequest, build_export
from qep_core.exports.textfit import wrap
from qep_core.readability import contrast_ratio

TARGET_HEADERS = ("Cible", "Objectif")


@pytest.fixture(scope="module")
def decks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('decks') / 'demo.db'}")
    create_schema(engine)
    load_demo(engine)
    out: dict[str, Any] = {}
    for kind in ("copil", "clu"):
        for quarter in (None, 3):
            data = build_export(engine, 1, ExportRequest(kind, 2024, quarter)).data
            out[f"{kind}-{quarter or 'année'}"] = Presentation(io.BytesIO(data))
    return out


def charts(prs: Any) -> Iterator[tuple[int, str, Any]]:
    for number, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            if shape.has_chart:
                yield number, shape.name, shape.chart


def _values(chart: Any) -> list[float]:
    return [v for s in chart.plots[0].series for v in s.values if v is not None]


def test_rate_axes_end_at_100(decks: dict[str, Any]) -> None:
    seen = 0
    for name, prs in decks.items():
        for number, shape_name, chart in charts(prs):
            fmt = chart.value_axis.tick_labels.number_format
            if "%" not in fmt:
                continue
            seen += 1
            top, values = chart.value_axis.maximum_scale, _values(chart)
            assert top is not None, f"{name} slide {number} {shape_name}: a rate axis without its end"
            if max(values, default=0) <= 100:
                assert top <= 100, f"{name} slide {number} {shape_name}: rate axis to {top} %"
            else:
                assert top <= max(values) * 1.1 + 5, f"{name} slide {number} {shape_name}: axis far above the data"
    assert seen >= 4


def test_no_tick_label_is_turned(decks: dict[str, Any]) -> None:
    for name, prs in decks.items():
        for number, shape_name, chart in charts(prs):
            horizontal = chart.plots[0]._element.find(qn("c:barDir")).get("val") == "bar"
            for axis in (chart.category_axis, chart.value_axis):
                body = axis._element.find(qn("c:txPr")).find(qn("a:bodyPr"))
                assert body.get("rot") == "0", f"{name} slide {number} {shape_name}: tick labels may be turned"
            assert horizontal, f"{name} slide {number} {shape_name}: categories under columns get turned; use bars"


def test_labels_inside_bars_read_on_them(decks: dict[str, Any]) -> None:
    checked = 0
    for name, prs in decks.items():
        for number, shape_name, chart in charts(prs):
            for series in chart.plots[0].series:
                for dlbl in series._element.findall(f"{qn('c:dLbls')}/{qn('c:dLbl')}"):
                    position = dlbl.find(qn("c:dLblPos"))
                    if position is None or position.get("val") not in ("inEnd", "inBase"):
                        continue
                    idx = int(dlbl.find(qn("c:idx")).get("val"))
                    fill = series.points[idx].format.fill
                    bar = str(fill.fore_color.rgb if fill.type is not None else series.format.fill.fore_color.rgb)
                    text = dlbl.find(f".//{qn('a:solidFill')}/{qn('a:srgbClr')}").get("val")
                    ratio = contrast_ratio(f"#{text}", f"#{bar}")
                    assert ratio >= 4.5, f"{name} slide {number} {shape_name}: #{text} on #{bar} is {ratio:.2f}:1"
                    checked += 1
    assert checked > 10


def test_target_column_holds_each_text_on_one_line(decks: dict[str, Any]) -> None:
    checked = 0
    for name, prs in decks.items():
        for number, slide in enumerate(prs.slides, start=1):
            for shape in slide.shapes:
                if not shape.has_table:
                    continue
                table = shape.table
                headers = [c.text for c in table.rows[0].cells]
                for j, header in enumerate(headers):
                    if header not in TARGET_HEADERS:
                        continue
                    width_pt = Emu(table.columns[j].width).pt - 2 * TEXT_PAD * 72
                    for row in list(table.rows)[1:]:
                        para = row.cells[j].text_frame.paragraphs[0]
                        size = para.runs[0].font.size.pt
                        lines = wrap(row.cells[j].text, width_pt, size)
                        assert len(lines) == 1, f"{name} slide {number}: « {row.cells[j].text} » on {lines}"
                        checked += 1
    assert checked > 10


def test_per_perimetre_charts_show_their_target(decks: dict[str, Any]) -> None:
    seen = 0
    for name, prs in decks.items():
        for number, slide in enumerate(prs.slides, start=1):
            frames = [s for s in slide.shapes if s.has_chart and s.name == "perimetre_chart"]
            if not frames:
                continue
            notes = next(s for s in slide.shapes if s.name == "perimetre_notes").text_frame.text
            lines = [s for s in slide.shapes if s.name == "target_line"]
            labels = [s.text_frame.text for s in slide.shapes if s.name == "target_label"]
            if "Cible : pas d'objectif" in notes:
                assert not lines, f"{name} slide {number}: a target line without a target"
                continue
            frame = frames[0]
            assert len(lines) == 1 and labels and labels[0].startswith("cible "), f"{name} slide {number}"
            line = lines[0]
            assert frame.left < line.left < frame.left + frame.width, f"{name} slide {number}: line off the chart"
            assert line.top >= frame.top and line.top + line.height <= frame.top + frame.height
            seen += 1
    assert seen >= 2
