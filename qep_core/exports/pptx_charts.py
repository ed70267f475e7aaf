"""Native PowerPoint bar charts for the decks, drawn to read at a glance.

Why a module of their own: the rules of a readable chart (issue 14) are chart-level and apply to
every deck chart alike: value labels outside the bars, or inside in the colour that reads on the bar
(:func:`qep_core.readability.text_colour_on`, 4.5:1); tick labels never turned; few ticks on a
narrow rate axis; a target line placed on its value by fixing the plot area, since python-pptx
charts have no reference line.
"""

from __future__ import annotations

from collections.abc import Sequence

from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import MSO_CONNECTOR
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from qep_core.readability import text_colour_on

FONT = "Arial"  # rendered with Liberation Sans (same metrics) where Arial is absent
INK = RGBColor(0x16, 0x16, 0x16)


def _style_chart(chart, size: float = 12) -> None:
    chart.font.size = Pt(size)
    chart.font.name = FONT
    chart.font.color.rgb = INK


INSIDE_MIN = 0.25  # share of the axis under which a bar is too short to hold its label: it goes outside


def _hex(colour: RGBColor) -> str:
    return f"#{colour}"


def _upright(axis) -> None:
    """Tick labels written horizontally: PowerPoint turns crowded category labels 45°, unreadable."""
    axis.tick_labels.font.size = axis.tick_labels.font.size  # makes sure the axis has its c:txPr
    body = axis._element.txPr.find(qn("a:bodyPr"))
    body.set("rot", "0")
    body.set("vert", "horz")


def _label_inside(label, fill: RGBColor, value: float | None, axis_max: float | None,
                  position: XL_LABEL_POSITION) -> None:
    """A value label inside its bar, in the colour that reads on the bar (4.5:1), or outside the bar
    in ink when the bar is too short to hold it or no colour reads on it."""
    colour = text_colour_on(_hex(fill))
    short = value is None or not axis_max or value < INSIDE_MIN * axis_max
    if short or colour is None:
        label.position = XL_LABEL_POSITION.OUTSIDE_END
        label.font.color.rgb = INK
    else:
        label.position = position
        label.font.color.rgb = RGBColor.from_string(colour.lstrip("#"))
    label.font.size = Pt(11)


def add_bar_chart(slide, x: float, y: float, w: float, h: float, categories: Sequence[str],
                  series: Sequence[tuple[str, Sequence[float | None], RGBColor]], *, number_format: str,
                  point_colors: Sequence[RGBColor | None] | None = None, max_value: float | None = None,
                  horizontal: bool = True, legend: bool = True, name: str = "chart",
                  inside: XL_LABEL_POSITION | None = None):
    """A clustered bar chart, values printed on the bars; the last series may be coloured per point
    (status), the others keep one colour. Labels stand outside the bars, or *inside* (at the bar's
    end or base) in a colour computed from the bar's; tick labels are never rotated."""
    data = CategoryChartData(number_format=number_format)
    data.categories = list(categories)
    for title, values, _ in series:
        data.add_series(title, list(values))
    kind = XL_CHART_TYPE.BAR_CLUSTERED if horizontal else XL_CHART_TYPE.COLUMN_CLUSTERED
    frame = slide.shapes.add_chart(kind, Inches(x), Inches(y), Inches(w), Inches(h), data)
    frame.name = name
    chart = frame.chart
    _style_chart(chart, 12)
    chart.has_title = False  # the slide's title says it; a lone series would otherwise be titled by its name
    chart.has_legend = legend and len(series) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(12)
    plot = chart.plots[0]
    plot.gap_width = 50
    plot.overlap = -5 if len(series) > 1 else 0
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format = number_format
    labels.number_format_is_linked = False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END
    labels.font.size = Pt(11)
    for k, (_, values, colour) in enumerate(series):
        s = plot.series[k]
        s.format.fill.solid()
        s.format.fill.fore_color.rgb = colour
        s.invert_if_negative = False
        fills = list(point_colors or []) if k == len(series) - 1 else []
        if inside is not None:
            for i, value in enumerate(values):
                fill = (fills[i] if i < len(fills) else None) or colour
                _label_inside(s.points[i].data_label, fill, value, max_value, inside)
    if point_colors:
        last = plot.series[len(series) - 1]
        for i, point_colour in enumerate(point_colors):
            if point_colour is not None:
                point = last.points[i]
                point.format.fill.solid()
                point.format.fill.fore_color.rgb = point_colour
                point.format.line.color.rgb = INK
                point.format.line.width = Pt(0.75)
    value_axis = chart.value_axis
    value_axis.minimum_scale = 0
    if max_value is not None:
        value_axis.maximum_scale = max_value
        if "%" in number_format:  # few ticks on a narrow chart: "0 %  50 %  100 %" stays level
            value_axis.major_unit = 50 if w < 4 else 25 if w < 7 else 10
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xDD, 0xDD, 0xDD)
    value_axis.tick_labels.font.size = Pt(11)
    value_axis.tick_labels.number_format = number_format.replace("0.0", "0").replace("0.000", "0.0")
    value_axis.tick_labels.number_format_is_linked = False
    category_axis = chart.category_axis
    category_axis.tick_labels.font.size = Pt(12)
    category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    _upright(category_axis)
    _upright(value_axis)
    if horizontal:
        category_axis.reverse_order = True  # first category at the top, as in the table beside it
    return frame


def plot_inside(chart, left: float, top: float, width: float, height: float) -> None:
    """Fix the plot area (bars only, without tick labels) to fractions of the chart frame, so that
    a shape drawn over the chart (the target line) lands on the value it stands for."""
    plot_area = chart._chartSpace.chart.plotArea
    layout = plot_area.find(qn("c:layout"))
    if layout is None:
        layout = plot_area.makeelement(qn("c:layout"), {})
        plot_area.insert(0, layout)
    manual = layout.makeelement(qn("c:manualLayout"), {})
    layout.append(manual)
    for tag, val in (("layoutTarget", "inner"), ("xMode", "edge"), ("yMode", "edge"), ("x", left), ("y", top),
                     ("w", width), ("h", height)):
        manual.append(manual.makeelement(qn(f"c:{tag}"), {"val": str(val)}))


def add_target_line(slide, frame, left: float, top: float, width: float, height: float, target: float,
                    axis_max: float, text: str) -> None:
    """A dashed vertical line at *target* across the plot area fixed by :func:`plot_inside`, its value
    written under the plot (the value axis is at the top), clear of the bars' labels (at their base)."""
    x = frame.left + int(frame.width * (left + width * min(target, axis_max) / axis_max))
    y0 = frame.top + int(frame.height * top)
    y1 = frame.top + int(frame.height * (top + height))
    line = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, x, y0, x, y1)
    line.name = "target_line"
    line.line.color.rgb = INK
    line.line.width = Pt(1.75)
    line.line.dash_style = MSO_LINE_DASH_STYLE.DASH
    label_w = Inches(1.8)
    box = slide.shapes.add_textbox(x - label_w // 2, y1 + Inches(0.04), label_w, Inches(0.3))
    box.name = "target_label"
    tf = box.text_frame
    tf.margin_top = tf.margin_bottom = 0
    para = tf.paragraphs[0]
    para.alignment = PP_ALIGN.CENTER
    run = para.add_run()
    run.text = text
    run.font.size = Pt(12)
    run.font.name = FONT
    run.font.color.rgb = INK
