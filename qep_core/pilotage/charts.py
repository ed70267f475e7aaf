"""Charts of the pilotage, with the DSFR palette and the house rules of :mod:`qep_core.charts`:
French labels, every bar carries its figure, and a state is never told by colour alone.

In the stacked bars each segment carries its count, in the colour that reads on it (4.5:1,
:func:`~qep_core.readability.text_colour_on`), and segments come in the legend's order with a dark
outline; there is no hatching, because a count printed over a pattern does not read. The end-of-bar
figure stands a few pixels beyond the bar, clear of the last segment's count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from qep_core.charts import BLUE, DARK_BLUE, FONT, GREEN, NEUTRAL, RED, YELLOW, chart_text
from qep_core.frenchforms import count_text
from qep_core.pilotage.actions import Completion, format_rate
from qep_core.pilotage.trainings import RoleCounts
from qep_core.readability import rate_axis_max, text_colour_on

STATUS_BARS = [  # (attribute, legend, colour), left to right
    ("fait", "Fait", DARK_BLUE),
    ("en_cours", "En cours", "#82B5F2"),
    ("a_faire", "À faire", "#CECECE"),
    ("abandonne", "Abandonné", "#FFFFFF"),
]
COMPLIANCE_BARS = [
    ("a_jour", "À jour", GREEN),
    ("a_former", "À former (1re année)", YELLOW),
    ("en_retard", "En retard", RED),
]
END_GAP = 8  # px between a bar's end and its figure


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": chart_text(title), "x": 0, "xanchor": "left", "font": {"size": 17}}, barmode="stack",
        separators=", ", font={"family": FONT, "size": 14, "color": "#161616"}, plot_bgcolor="white",
        paper_bgcolor="white", height=height, margin={"l": 10, "r": 30, "t": 50, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.16, "xanchor": "left", "x": 0, "traceorder": "normal",
                "font": {"size": 13}},
        hoverlabel={"font": {"family": FONT}},
        uniformtext={"minsize": 11, "mode": "hide"},  # a count that does not fit its segment is left to the hover
    )
    fig.update_yaxes(automargin=True, tickfont={"size": 14, "color": "#161616"})
    fig.update_xaxes(gridcolor="#E5E5E5")
    return fig


def _stacked_bars(labels: list[str], rows: Sequence[object], bars: list[tuple[str, str, str]],
                  end_texts: list[str], title: str, x_title: str) -> go.Figure:
    fig = go.Figure()
    labels = [chart_text(label) for label in labels[::-1]]  # first row at the top
    rows = list(rows)[::-1]
    totals = [sum(getattr(r, a) for a, *_ in bars) for r in rows]
    for attr, name, colour in bars:
        values = [getattr(r, attr) for r in rows]
        if not any(values):
            continue
        fig.add_bar(y=labels, x=values, orientation="h", name=name,
                    marker={"color": colour, "line": {"color": "#3A3A3A", "width": 1}},
                    text=[str(v) if v else "" for v in values], textposition="inside", insidetextanchor="middle",
                    textangle=0, textfont={"color": text_colour_on(colour), "size": 13},
                    hovertemplate="%{y} — " + name + " : %{x}<extra></extra>")
    for label, total, text in zip(labels, totals, end_texts[::-1], strict=True):
        fig.add_annotation(x=total, y=label, xanchor="left", xshift=END_GAP, showarrow=False, text=text,
                           font={"size": 14, "color": "#161616"})
    fig = _layout(fig, title, max(260, 46 * len(rows) + 170))
    top = max(totals, default=1) or 1
    fig.update_xaxes(title_text=x_title, range=[0, top * 1.45], rangemode="tozero")
    fig.update_layout(legend={"y": -110 / fig.layout.height - 0.05}, margin={"b": 100})
    return fig


def completion_chart(rows: Sequence[Completion], title: str) -> go.Figure:
    """One bar per module (or source): its actions by status, the completion rate at its end."""
    ends = [f"{format_rate(r.rate)} ({r.fait} / {r.counted})" for r in rows]
    return _stacked_bars([r.label for r in rows], rows, STATUS_BARS, ends, title, "nombre d'actions")


def completion_over_time_chart(frame: pd.DataFrame, snapshots: Sequence[tuple[dt.date, float | None]] = (),
                               title: str = "Taux de réalisation au fil des mois") -> go.Figure:
    """The completion rate at each month's end (line), the number of actions in the plan (grey
    steps, right axis), and imported per-module tables as diamonds."""
    fig = go.Figure()
    x = [pd.Timestamp(d) for d in frame["day"]]
    rates = frame["rate"].astype(float)
    fig.add_scatter(x=x, y=frame["total"], mode="lines", name="actions au plan (axe de droite)", yaxis="y2",
                    line={"color": NEUTRAL, "width": 2, "shape": "hv", "dash": "dot"},
                    hovertemplate="%{x|%m/%Y} : %{y} actions<extra></extra>")
    fig.add_scatter(x=x, y=rates, mode="lines+markers", name="taux de réalisation",
                    line={"color": BLUE, "width": 3}, marker={"size": 6, "color": BLUE},
                    customdata=list(zip(frame["fait"], frame["total"] - frame["abandonne"], strict=True)),
                    hovertemplate="%{x|%m/%Y} : <b>%{y:.0f} %</b> (%{customdata[0]} / %{customdata[1]})<extra></extra>")
    if len(frame):
        last = frame.iloc[-1]
        if pd.notna(last["rate"]):
            fig.add_annotation(x=x[-1], y=float(last["rate"]), text=f"<b>{format_rate(float(last['rate']))}</b>",
                               showarrow=False, xanchor="left", xshift=8, font={"size": 15})
    shown = [(d, r) for d, r in snapshots if r is not None]
    if shown:
        fig.add_scatter(x=[pd.Timestamp(d) for d, _ in shown], y=[r for _, r in shown], mode="markers+text",
                        name="tableau de réalisation importé", marker={"symbol": "diamond", "size": 13,
                                                                        "color": DARK_BLUE},
                        text=[format_rate(r) for _, r in shown], textposition="top center",
                        hovertemplate="%{x|%d/%m/%Y} : %{y:.0f} %<extra>tableau importé</extra>")
    fig = _layout(fig, title, 400)
    most = int(frame["total"].max()) if len(frame) else 1
    fig.update_layout(barmode=None, margin={"l": 60, "r": 60, "t": 50, "b": 90},
                      legend={"y": -0.15},
                      yaxis={"range": [0, rate_axis_max(rates)], "ticksuffix": " %", "title": {"text": "taux de réalisation"},
                             "gridcolor": "#E5E5E5"},
                      yaxis2={"overlaying": "y", "side": "right", "range": [0, most * 1.05], "showgrid": False,
                              "tickformat": "d", "title": {"text": "actions au plan"},
                              "tickfont": {"color": "#666666"}})
    fig.update_xaxes(tickformat="%m/%Y", showgrid=False)
    return fig


def trainings_by_role_chart(rows: Sequence[RoleCounts], title: str) -> go.Figure:
    """Per role: agents up to date, to be trained within their first year, late."""
    ends = [count_text(r.concerned, "agent") for r in rows]
    return _stacked_bars([r.label for r in rows], rows, COMPLIANCE_BARS, ends, title, "agents concernés")
