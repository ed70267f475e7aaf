"""The control chart as a COPIL reads it: the months, the usual average, the limits of usual
variation, the target, and the months that are signals marked by colour *and* shape.

Why a chart of its own rather than a layer on :func:`qep_core.charts.monthly_chart`: the monthly
chart shows a year against its target and the year before; the control chart needs a longer
window (its limits come from the first twelve months shown) and its markers say variation, not
status — a month can be « non atteint » and an « amélioration » at once, and one chart saying
both would say neither.
"""

from __future__ import annotations

import plotly.graph_objects as go

from qep_core.charts import FONT, axis_title, chart_text, month_tick
from qep_core.referentiel import IndicatorDef
from qep_core.rules.formatting import format_value
from qep_core.rules.kinds import Direction
from qep_core.rules.signals import AMELIORATION, COMMUNE, PREOCCUPATION, variation_style
from qep_core.spc import SpcChart, SpcPoint

#: Plotly marker of each variation: shape as well as colour (charts get printed in grey).
VARIATION_MARKERS = {AMELIORATION: "diamond", PREOCCUPATION: "square", COMMUNE: "circle"}
LIMIT_COLOUR, CENTRE_COLOUR, LINE_COLOUR = "#6A6A6A", "#3A3A3A", "#29598F"


def _hover(ind: IndicatorDef, p: SpcPoint) -> str:
    lines = [f"moyenne habituelle : {format_value(p.centre, ind.unit)}"]
    if p.lower is not None and p.upper is not None:
        lines.append(f"limites : {format_value(p.lower, ind.unit)} – {format_value(p.upper, ind.unit)}")
    lines.append(variation_style(p.variation).text + (f" ({', '.join(p.signals)})" if p.signals else ""))
    return "<br>".join(chart_text(line) for line in lines)


def _y_range(ind: IndicatorDef, chart: SpcChart) -> list[float]:
    """Every value, limit and the target in view, with a margin; rates kept within 0–100 %."""
    seen = [p.value for p in chart.points] + [p.centre for p in chart.points]
    seen += [x for p in chart.points for x in (p.lower, p.upper) if x is not None]
    if chart.target is not None:
        seen.append(chart.target)
    low, high = min(seen), max(seen)
    pad = max(high - low, 1.0) * 0.12
    low, high = low - pad, high + pad
    if ind.unit in ("%", "‰", "j", ""):
        low = max(0.0, low)
    if ind.unit == "%":
        high = min(100.0 + pad / 2, high)
    return [low, high]


def spc_figure(ind: IndicatorDef, chart: SpcChart, title: str, height: int = 460) -> go.Figure:
    """*chart* (:func:`qep_core.spc.chart_for_kind`) drawn: limits dashed, the usual average solid
    grey, the target dashed black, each month a marker whose colour and shape say its variation."""
    fig = go.Figure()
    points = chart.points
    x = [month_tick(p.month, True) for p in points]
    limit_style = {"color": LIMIT_COLOUR, "width": 1.5, "dash": "dash", "shape": "hvh"}
    if any(p.upper is not None for p in points):
        fig.add_scatter(x=x, y=[p.upper for p in points], mode="lines", name="limites de la variation habituelle",
                        line=limit_style, legendgroup="limits", hoverinfo="skip")
        fig.add_scatter(x=x, y=[p.lower for p in points], mode="lines", name="limite basse", showlegend=False,
                        line=limit_style, legendgroup="limits", hoverinfo="skip")
    fig.add_scatter(x=x, y=[p.centre for p in points], mode="lines", name="moyenne habituelle",
                    line={"color": CENTRE_COLOUR, "width": 1.5, "shape": "hvh"}, hoverinfo="skip")
    if chart.target is not None:
        fig.add_scatter(x=x, y=[chart.target] * len(points), mode="lines",
                        name=f"cible ({Direction(chart.direction).sign} {format_value(chart.target, ind.unit)})",
                        line={"color": "#161616", "width": 2, "dash": "dot"}, hoverinfo="skip")
    fig.add_scatter(x=x, y=[p.value for p in points], mode="lines", name="valeur du mois", showlegend=False,
                    line={"color": LINE_COLOUR, "width": 2}, hoverinfo="skip")
    for variation in (COMMUNE, AMELIORATION, PREOCCUPATION):
        chosen = [p for p in points if p.variation == variation]
        if not chosen:
            continue
        style = variation_style(variation)
        fig.add_scatter(
            x=[month_tick(p.month, True) for p in chosen], y=[p.value for p in chosen], mode="markers",
            name=style.text, marker={"symbol": VARIATION_MARKERS[variation], "size": 11 if variation == COMMUNE else 14,
                                     "color": f"#{style.colour}", "line": {"color": "#161616", "width": 1}},
            text=[format_value(p.value, ind.unit) for p in chosen],
            customdata=[_hover(ind, p) for p in chosen],
            hovertemplate="%{x} : <b>%{text}</b><br>%{customdata}<extra></extra>",
        )
    fig.update_layout(
        title={"text": chart_text(title), "x": 0, "xanchor": "left", "font": {"size": 17}},
        separators=", ", font={"family": FONT, "size": 14, "color": "#161616"},
        plot_bgcolor="white", paper_bgcolor="white", height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        # below the month ticks, where a phone's width can wrap it into rows without covering the title
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "xanchor": "left", "x": 0,
                "font": {"size": 13}},
        hoverlabel={"font": {"family": FONT}},
    )
    fig.update_yaxes(title_text=axis_title(ind), gridcolor="#E5E5E5", range=_y_range(ind, chart))
    # Two years of months do not fit side by side: label the first month of each quarter (every
    # month keeps its marker and its hover), upright, and let Plotly turn them on a narrow screen.
    quarter_starts = [tick for tick, p in zip(x, points, strict=True) if p.month.month % 3 == 1]
    fig.update_xaxes(type="category", showgrid=False, tickfont={"size": 12},
                     tickvals=quarter_starts if len(points) > 12 else x, ticktext=None)
    return fig
