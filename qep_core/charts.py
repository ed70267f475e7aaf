"""Plotly figures for the app and the exports, in French, with the DSFR chart palette.

Status is never carried by colour alone (several DSFR colours are faint on white, and slides
get printed in grey): bars that miss their target are hatched and every bar carries its value.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from qep_core.frenchforms import MONTH_ABBR_FR
from qep_core.label_placement import PlotFrame, Point, place_labels, polyline
from qep_core.readability import rate_axis_max
from qep_core.referentiel import IndicatorDef
from qep_core.rules.formatting import format_value
from qep_core.rules.kinds import Direction, IndicatorKind
from qep_core.rules.status import (
    A_SURVEILLER,
    ATTEINT,
    NON_ATTEINT,
    RATED_STATUSES,
    STATUS_TABLE,
    chart_legend,
    status_text,
)
from qep_core.signals.events import PROCESS_CHANGE, EventMark, marks_in

CATEGORICAL = ["#5C68E5", "#82B5F2", "#29598F", "#31A7AE", "#81EEF5", "#B478F1", "#CFB1F5", "#CECECE"]
SEQUENTIAL = ("#DBDAFF", "#00005F")
GREEN, YELLOW, RED = (f"#{STATUS_TABLE[s].colour}" for s in (ATTEINT, A_SURVEILLER, NON_ATTEINT))
NEUTRAL = "#B1B1B1"
BLUE, DARK_BLUE = "#5C68E5", "#29598F"
STATUS_COLOURS = {s: f"#{STATUS_TABLE[s].colour}" for s in RATED_STATUSES}
STATUS_PATTERNS = {ATTEINT: "", A_SURVEILLER: ".", NON_ATTEINT: "/"}
FONT = "Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
PLOT_WIDTH = 820  # px: the plot area of a full-width chart on a 1440 px screen, to place labels


def chart_text(text: object) -> str:
    """*text* as Plotly shows it literally. Plotly reads a subset of HTML in every text it draws
    (titles, tick labels, legend names, hover labels, annotations): ``<a href>`` becomes a link,
    ``<span style>`` restyles, and a name typed in a form or read from a file must do neither. The
    chart builders pass every text through here (a line break written ``\n`` becomes ``<br>``), so
    their callers hand them plain text."""
    return html.escape(str(text), quote=False).replace("\n", "<br>")


def month_tick(day: dt.date, with_year: bool = False) -> str:
    label = MONTH_ABBR_FR[day.month - 1]
    return f"{label} {day.year % 100:02d}" if with_year else label


def _base_layout(fig: go.Figure, title: str, y_title: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 17}},
        separators=", ", font={"family": FONT, "size": 14, "color": "#161616"},
        plot_bgcolor="white", paper_bgcolor="white", height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hoverlabel={"font": {"family": FONT}},
    )
    fig.update_yaxes(title_text=y_title, gridcolor="#E5E5E5", zeroline=True, zerolinecolor="#929292")
    fig.update_xaxes(showgrid=False)
    return fig


def axis_title(ind: IndicatorDef) -> str:
    return {"%": "taux (%)", "j": "délai (jours ouvrés)", "‰": "pour 1 000 demandes", "": "nombre"}[ind.unit]


STATUS_SYMBOLS = {s: STATUS_TABLE[s].marker for s in RATED_STATUSES}


def _value_range(ind: IndicatorDef, *series: pd.Series) -> list[float]:
    """A y range that shows the months apart: rates move within a few points, so start near
    the lowest value rather than at 0 (a line, not bars, so the zoom does not mislead)."""
    values = pd.concat([s.dropna() for s in series if s is not None]) if series else pd.Series(dtype=float)
    if values.empty:
        return [0, 100] if ind.unit == "%" else [0, 1]
    low, high = float(values.min()), float(values.max())
    span = max(high - low, 1.0 if ind.unit == "%" else (high or 1) * 0.1)
    bottom = max(0.0, low - span * 0.35)
    top = high + span * 0.35
    if ind.unit == "%":
        top = min(top, rate_axis_max([high]))
    return [bottom, top]


def _series(values: pd.Series | None) -> list[float | None]:
    return [] if values is None else [float(v) if pd.notna(v) else None for v in values]


def _label_positions(current: pd.DataFrame, previous: pd.DataFrame | None, texts: list[str], y_range: list[float],
                     height: int, obstacles: Sequence[tuple[Point, Point]] = ()) -> list[str]:
    """Each month's label on the side of its marker that its line, the target and the events'
    lines and labels (*obstacles*, :func:`_event_obstacles`) leave free."""
    values = _series(current["value"])
    frame = PlotFrame(PLOT_WIDTH, height - 140, len(values), (y_range[0], y_range[1]))
    heavy = polyline(frame, values) + polyline(frame, _series(current["target"]), steps=True) + list(obstacles)
    light = polyline(frame, _series(previous["value"] if previous is not None else None))
    return place_labels(frame, values, texts, heavy, light)


def monthly_chart(ind: IndicatorDef, current: pd.DataFrame, previous: pd.DataFrame | None = None,
                  title: str | None = None, height: int = 440, events: Sequence[EventMark] = ()) -> go.Figure:
    """The monthly value as a line whose markers carry the status (shape and colour), the target
    as a step line, the previous year dotted; hover gives the counts behind each month. The
    *events* whose month is shown stand as vertical lines, labelled above the data
    (:func:`add_event_marks`).

    *current* and *previous* come from :func:`qep_core.compute.monthly_values`.
    """
    fig = go.Figure()
    multi_year = len({m.year for m in current["month"]}) > 1
    x = [month_tick(m, multi_year) for m in current["month"]]
    events = sorted(marks_in(events, list(current["month"])), key=lambda m: m.day)
    levels = _event_levels(list(current["month"]), events)
    band = EVENT_ROW * (max(levels, default=-1) + 1)
    # the data's part of the plot, under the events' labels and a gap where a top value's label stands
    plot_height = (height - 140) * (1 - band) - (EVENT_GAP if events else 0)
    if current["target"].notna().any():
        sign = Direction(ind.direction).sign
        fig.add_scatter(
            x=x, y=current["target"], mode="lines", name=f"cible ({sign})",
            line={"color": "#161616", "width": 2, "dash": "dash", "shape": "hv"},
            hovertemplate="cible : %{y}<extra></extra>",
        )
    if previous is not None and previous["value"].notna().any():
        prev_texts = [format_value(v, ind.unit) if pd.notna(v) else "" for v in previous["value"]]
        fig.add_scatter(
            x=x, y=previous["value"], mode="lines+markers", name=_year_span(previous),
            line={"color": "#929292", "dash": "dot", "width": 2}, marker={"symbol": "square", "size": 6},
            customdata=list(zip(prev_texts, _counts_text(ind, previous), strict=True)),
            hovertemplate="%{x} (année précédente) : <b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
        )
    texts = [format_value(v, ind.unit) if pd.notna(v) else "" for v in current["value"]]
    y_range = _value_range(ind, current["value"], current["target"], previous["value"] if previous is not None else None)
    fig.add_scatter(
        x=x, y=current["value"], mode="lines+markers+text", name=_year_span(current),
        line={"color": BLUE, "width": 3},
        marker={"size": 12, "color": [STATUS_COLOURS.get(s, BLUE) for s in current["status"]],
                "symbol": [STATUS_SYMBOLS.get(s, "circle") for s in current["status"]],
                "line": {"color": "#161616", "width": 1}},
        text=texts, textposition=_label_positions(
            current, previous, texts, y_range, round(140 + plot_height),
            _event_obstacles(list(current["month"]), events, levels, (height - 140) * EVENT_ROW, plot_height)),
        textfont={"size": 13, "color": "#161616"}, cliponaxis=False,
        customdata=list(zip(current["status"], _counts_text(ind, current), strict=True)),
        hovertemplate="%{x} : <b>%{text}</b><br>%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
    )
    fig = _base_layout(fig, chart_text(title or ind.label), axis_title(ind), height)
    fig.update_xaxes(type="category", tickfont={"size": 13})
    fig.update_yaxes(range=y_range)
    fig.add_annotation(text=chart_legend(), xref="paper", yref="paper", x=0, y=-0.16,
                       showarrow=False, font={"size": 12, "color": "#3A3A3A"}, xanchor="left")
    fig.update_layout(margin={"l": 60, "r": 20, "t": 70, "b": 70})
    return add_event_marks(fig, list(current["month"]), events, levels)


EVENT_ROW = 0.075  # share of the plot's height one row of event labels takes, above the data
EVENT_GAP = 28  # px between the data and the events' labels: room for the label above a value at the top
EVENT_FONT, EVENT_CHAR_W = 11, 6.2  # px: the events' labels, and the width of one of their characters
EVENT_SHORT = 34  # characters of an event's label written on the chart; hover gives the whole
MAX_EVENT_ROWS = 3
EVENT_INK, CHANGE_INK = "#3A3A3A", "#29598F"


def _event_text(mark: EventMark) -> str:
    """The label written on the chart: short, a process change saying so."""
    short = mark.label if len(mark.label) <= EVENT_SHORT else mark.label[:EVENT_SHORT - 1].rstrip() + "…"
    return f"{short} ({PROCESS_CHANGE})" if mark.process_change else short


def _event_span(index: int, months: int, text: str) -> tuple[float, float, bool]:
    """Where a label stands in pixels (left, right) and whether it is written leftwards of its line
    (near the right edge)."""
    x = index * PLOT_WIDTH / max(months, 1)
    width = len(text) * EVENT_CHAR_W + 6
    leftwards = x + width > PLOT_WIDTH and x - width >= 0
    return (x - width, x, True) if leftwards else (x, x + width, False)


def _event_levels(months: list[dt.date], marks: Sequence[EventMark]) -> list[int]:
    """Each mark's row of labels (0 the top one). An event's line runs from the bottom of the plot
    up to its own label's row, so a label goes to the first row where it overlaps no other label,
    no line of an event labelled higher crosses it, and its own line crosses no label written
    lower; close events are then staggered rather than written over each other. Past the last row
    the label takes the row with the fewest clashes (hover still gives it whole)."""
    index = {m: i for i, m in enumerate(months)}
    placed: list[tuple[int, float, float, float]] = []  # level, left, right, x of the line
    levels = []
    for mark in marks:
        i = index[mark.month]
        left, right, _ = _event_span(i, len(months), _event_text(mark))
        x = i * PLOT_WIDTH / max(len(months), 1)

        def clashes(level: int, left: float = left, right: float = right, x: float = x) -> int:
            return sum(1 for k, a, b, line in placed
                       if (k == level and a < right + 4 and left < b + 4) or (k < level and left <= line <= right)
                       or (k > level and a <= x <= b))

        level = next((k for k in range(MAX_EVENT_ROWS) if not clashes(k)), None)
        if level is None:
            level = min(range(MAX_EVENT_ROWS), key=clashes)
        placed.append((level, left, right, x))
        levels.append(level)
    return levels


def _event_obstacles(months: list[dt.date], marks: Sequence[EventMark], levels: Sequence[int], row: float,
                     plot_height: float) -> list[tuple[Point, Point]]:
    """The events' lines and labels as the value labels' placement sees them (pixels, y downwards
    from the top of the data's part of the plot, the events' rows above it): a value label
    near the top of the axis may stand above its marker unless an event's label is there."""
    rows = max(levels, default=-1) + 1
    out: list[tuple[Point, Point]] = []
    for mark, level in zip(marks, levels, strict=True):
        i = months.index(mark.month)
        left, right, _ = _event_span(i, len(months), _event_text(mark))
        top = (level - rows) * row - EVENT_GAP
        x = i * PLOT_WIDTH / max(len(months), 1)
        out.append(((x, top), (x, plot_height)))
        out += [((left, top + dy), (right, top + dy)) for dy in range(0, round(row) + 1, 6)]
    return out


def add_event_marks(fig: go.Figure, months: list[dt.date], marks: Sequence[EventMark],
                    levels: Sequence[int] | None = None) -> go.Figure:
    """Draw the *marks* on a monthly chart with one x category per month of *months*: a vertical
    line at the start of the event's month — dotted for an event, solid and darker for a
    « changement de fonctionnement », from which the control limits restart — and its short label
    in a band above the data, in the row *levels* gives it (by default, :func:`_event_levels`'s). The
    line stands between two months' markers, and the data's own labels, placed by
    :mod:`qep_core.label_placement`, keep clear of it and of the band: no event is written over a
    figure. Any chart with one x category per month may take them (the control chart too)."""
    marks = sorted(marks_in(marks, months), key=lambda m: m.day)
    if not marks:
        return fig
    levels = list(levels) if levels is not None else _event_levels(months, marks)
    band = EVENT_ROW * (max(levels) + 1) + EVENT_GAP / max((fig.layout.height or 440) - 140, 1)
    fig.update_yaxes(domain=[0, 1 - band])
    index = {m: i for i, m in enumerate(months)}
    for mark, level in zip(marks, levels, strict=True):
        i = index[mark.month]
        text = _event_text(mark)
        colour = CHANGE_INK if mark.process_change else EVENT_INK
        top = 1 - EVENT_ROW * level
        fig.add_shape(type="line", xref="x", yref="paper", x0=i - 0.5, x1=i - 0.5, y0=0, y1=top, layer="below",
                      line={"color": colour, "width": 2 if mark.process_change else 1.5,
                            "dash": "solid" if mark.process_change else "dot"})
        leftwards = _event_span(i, len(months), text)[2]
        fig.add_annotation(x=i - 0.5, xref="x", y=top, yref="paper", yanchor="top",
                           xanchor="right" if leftwards else "left", xshift=-3 if leftwards else 3,
                           showarrow=False, text=chart_text(text), align="left",
                           hovertext=chart_text(f"{mark.day:%d/%m/%Y} : {mark.label}"),
                           font={"size": EVENT_FONT, "color": colour})
    return fig


def _year_span(frame: pd.DataFrame) -> str:
    years = sorted({m.year for m in frame["month"]})
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def _counts_text(ind: IndicatorDef, frame: pd.DataFrame) -> list[str]:
    out = []
    for num, den in zip(frame["numerator"], frame["denominator"], strict=True):
        if num is None or pd.isna(num):
            out.append("pas de donnée")
        elif ind.kind == IndicatorKind.COUNT:
            out.append(f"{format_value(num, '')}")
        elif ind.kind == IndicatorKind.MEAN_DELAY:
            out.append(f"{format_value(den, '')} réponses")
        else:
            counts = ind.counts
            out.append(f"{format_value(num, '')} {counts['numerator'].label.lower()} / "
                       f"{format_value(den, '')} {counts['denominator'].label.lower()}" if "numerator" in counts
                       else f"{format_value(num, '')} / {format_value(den, '')}")
    return [chart_text(t) for t in out]  # hover text: the counts' labels are the préfecture's own


LABEL_COLUMN = 210  # px right of the plot area where the bars' figures stand


def breakdown_chart(ind: IndicatorDef, frame: pd.DataFrame, target: float | None, title: str | None = None) -> go.Figure:
    """One horizontal bar per périmètre, worst at the top, the target as a vertical line.

    Each bar's value and status stand in a column right of the plot area, not at the bar's end:
    the target line and the hatching then never run through a figure. A rate axis ends at 100 %."""
    data = frame.dropna(subset=["value"]).iloc[::-1]
    if target is None and "target" in data:  # préfectures compared, each to its own target: shown when shared
        shared = data["target"].dropna().unique()
        target = float(shared[0]) if len(shared) == 1 else None
    colours = [STATUS_COLOURS.get(s, BLUE) for s in data["status"]]
    patterns = [STATUS_PATTERNS.get(s, "") for s in data["status"]]
    fig = go.Figure(go.Bar(
        x=data["value"], y=[chart_text(p) for p in data["perimetre"]], orientation="h",
        marker={"color": colours, "pattern": {"shape": patterns, "fgcolor": "#161616", "size": 6, "solidity": 0.25}},
        customdata=_counts_text(ind, data.rename(columns={"perimetre": "month"}).assign(month=data["perimetre"])),
        hovertemplate="%{y} : <b>%{x}</b><br>%{customdata}<extra></extra>",
    ))
    for name, value, status in zip(data["perimetre"], data["value"], data["status"], strict=True):
        fig.add_annotation(x=1, xref="paper", y=chart_text(name), yref="y", xanchor="left", xshift=10, showarrow=False,
                           text=f"<b>{format_value(value, ind.unit)}</b> · {status_text(status)}",
                           font={"size": 13, "color": "#161616"})
    if target is not None:
        fig.add_vline(x=target, line={"color": "#161616", "width": 2, "dash": "dash"}, layer="above",
                      annotation_text=f"cible {format_value(target, ind.unit)}", annotation_position="top",
                      annotation_font={"size": 13})
    fig = _base_layout(fig, chart_text(title or f"{ind.label} — par périmètre"), "", max(280, 48 * len(data) + 130))
    values = [float(v) for v in data["value"]] + ([target] if target is not None else [])
    top = rate_axis_max(values) if ind.unit == "%" else max(values, default=1) * 1.1 or 1
    fig.update_xaxes(title_text=axis_title(ind), gridcolor="#E5E5E5", rangemode="tozero",
                     range=[0, top], tickfont={"size": 12})
    if ind.unit == "%":
        fig.update_xaxes(ticksuffix=" %", tickvals=[v for v in range(0, int(top) + 1, 20)])
    fig.update_layout(showlegend=False, margin={"l": 10, "r": LABEL_COLUMN, "t": 80, "b": 50})
    fig.update_yaxes(automargin=True, tickfont={"size": 14, "color": "#161616"})
    return fig


def mini_chart(ind: IndicatorDef, current: pd.DataFrame, height: int = 140) -> go.Figure:
    """A small monthly line with the target, for lists of indicators (engagement pages)."""
    fig = go.Figure()
    x = [month_tick(m, True) for m in current["month"]]
    if current["target"].notna().any():  # drawn first: the data line stays readable on top of it
        fig.add_scatter(x=x, y=current["target"], mode="lines", line={"color": "#929292", "width": 1.5, "dash": "dash",
                                                                      "shape": "hv"},
                        hoverinfo="skip", name="cible")
    fig.add_scatter(x=x, y=current["value"], mode="lines+markers", line={"color": BLUE, "width": 2.5},
                    marker={"size": 7, "symbol": [STATUS_SYMBOLS.get(s, "circle") for s in current["status"]],
                            "color": [STATUS_COLOURS.get(s, BLUE) for s in current["status"]]},
                    hovertemplate="%{x} : %{y}<extra></extra>", name=chart_text(ind.code))
    fig.update_layout(height=height, margin={"l": 30, "r": 5, "t": 5, "b": 25}, showlegend=False, separators=", ",
                      plot_bgcolor="white", paper_bgcolor="white", font={"family": FONT, "size": 11})
    fig.update_xaxes(showgrid=False, type="category", nticks=6)
    fig.update_yaxes(gridcolor="#EEEEEE", range=_value_range(ind, current["value"], current["target"]))
    return fig
