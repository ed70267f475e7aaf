"""Survey and mystery-check figures (plotly), with the DSFR palette of :mod:`qep_core.charts`.

* A scale question is a **stacked horizontal bar** per year (or per profile answer), from the best
  level on the left to the worst on the right, in the divergent green → yellow → red family; the bar
  is 100 % of the answers *expressed* (the rate's base); its label gives n and the answers left out;
  every segment wide enough carries its share, and the rate with its 95 % interval stands at the
  end of the bar. Colour is never the only carrier: order, legend and numbers say the same.
* Choices are horizontal bars, most frequent first, each with its count and share.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from qep_core.charts import BLUE, FONT, GREEN, RED, YELLOW, chart_text
from qep_core.frenchforms import count_text, format_number_fr
from qep_core.readability import DARK_TEXT, rgb, text_colour_on
from qep_core.surveys.channels import MYSTERY_CHANNELS
from qep_core.surveys.mystery import ChannelResult, CriterionResult
from qep_core.surveys.stats import ScaleStats

MIN_SEGMENT_TEXT = 6.0  # % of the bar under which a segment's share is left to the hover
RATE_TICKS = {"tickvals": [0, 25, 50, 75, 100], "ticktext": ["0 %", "25 %", "50 %", "75 %", "100 %"]}
LABEL_COLUMN = 190  # px right of the plot where a bar's figures stand: no gridline, bar or error bar crosses them


def _margin_label(fig: go.Figure, y: str, text: str, size: int) -> None:
    """*text* in the column right of the plot area, level with the bar *y* (the axis stays 0-100 %)."""
    fig.add_annotation(x=1, xref="paper", y=y, yref="y", xanchor="left", xshift=8, showarrow=False, align="left",
                       text=text, font={"size": size, "color": DARK_TEXT})


def _mix(a: str, b: str, t: float) -> str:
    ra, ga, ba = rgb(a)
    rb, gb, bb = rgb(b)
    return f"#{round(ra + (rb - ra) * t):02X}{round(ga + (gb - ga) * t):02X}{round(ba + (bb - ba) * t):02X}"


def scale_colours(levels: int) -> list[str]:
    """*levels* colours from DSFR green (best) through yellow to red (worst)."""
    if levels == 1:
        return [GREEN]
    out = []
    for i in range(levels):
        t = i / (levels - 1)
        out.append(_mix(GREEN, YELLOW, t * 2) if t <= 0.5 else _mix(YELLOW, RED, (t - 0.5) * 2))
    return out


def pct(value: float | None, decimals: int = 1) -> str:
    return "–" if value is None else f"{format_number_fr(value, decimals)} %"


def rate_text(stats: ScaleStats, short: bool = False) -> str:
    """``93,1 % [90,0 – 95,3]`` — the rate and its 95 % interval."""
    ci = stats.ci_pct
    if stats.rate_pct is None:
        return "aucune réponse exprimée"
    if short or ci is None:
        return pct(stats.rate_pct)
    return f"{pct(stats.rate_pct)} [{format_number_fr(ci[0], 1)} – {format_number_fr(ci[1], 1)}]"


def left_out_text(stats: ScaleStats) -> str:
    if not stats.excluded:
        return ""
    return f", {count_text(stats.excluded, 'exclue')}"


def _template_text(text: str) -> str:
    """*text* inside a hover template: escaped, and any ``%{`` in it broken by a zero-width space
    (Plotly would read it as a field to fill in)."""
    return chart_text(text).replace("%{", "%\u200b{")


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": chart_text(title), "x": 0, "xanchor": "left", "font": {"size": 16}},
        separators=", ", font={"family": FONT, "size": 13, "color": DARK_TEXT},
        plot_bgcolor="white", paper_bgcolor="white", height=height,
        margin={"l": 10, "r": 20, "t": 80 if title else 40, "b": 30}, hoverlabel={"font": {"family": FONT}},
    )
    return fig


def wrap(text: str, width: int = 90) -> str:
    """Break a long question into lines for a chart title (plotly does not wrap); plain text, the
    lines joined by ``\n`` (the chart builders escape it and turn ``\n`` into ``<br>``)."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "\n".join(lines[:3]) + ("…" if len(lines) > 3 else "")


def scale_chart(title: str, rows: Sequence[tuple[str, ScaleStats]], rate_label: str = "satisfaits",
                colours: Sequence[str] | None = None) -> go.Figure:
    """Stacked 100 % bars, one per row (« 2024 », « 2023 », or each answer of a profile question),
    levels best → worst from left to right (*colours*, else green → red); the rate at the bar's end.
    Each share is written in the colour that reads on its segment (:func:`text_colour_on`)."""
    if not rows:
        raise ValueError("aucune ligne à tracer")
    scale = rows[0][1].scale
    colours = list(colours or scale_colours(len(scale.levels)))
    colours += scale_colours(len(scale.levels))[len(colours):]  # a palette shorter than the scale
    labels = [chart_text(f"{name} · n = {stats.expressed}{left_out_text(stats)}") for name, stats in rows]
    fig = go.Figure()
    for i, level in enumerate(scale.levels):
        shares = [100 * s.counts[i] / s.expressed if s.expressed else 0 for _, s in rows]
        counts = [s.counts[i] for _, s in rows]
        fig.add_bar(
            y=labels, x=shares, orientation="h", name=chart_text(level), marker={"color": colours[i],
                                                                    "line": {"color": "white", "width": 1}},
            text=[f"{format_number_fr(v, 0)} %" if v >= MIN_SEGMENT_TEXT else "" for v in shares],
            textposition="inside", insidetextanchor="middle", textangle=0,
            textfont={"color": text_colour_on(colours[i]), "size": 13},
            customdata=list(zip(counts, [pct(v) for v in shares], [count_text(n, "réponse") for n in counts],
                                strict=True)),
            hovertemplate=f"{_template_text(level)} : %{{customdata[2]}} (%{{customdata[1]}})<extra>%{{y}}</extra>",
        )
    for label, (_, stats) in zip(labels, rows, strict=True):
        _margin_label(fig, label, f"<b>{rate_text(stats, short=True)}</b> {rate_label}", 13)
    fig.update_layout(barmode="stack", bargap=0.35,
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0,
                              "traceorder": "normal", "font": {"size": 12}})
    fig.update_xaxes(range=[0, 100], **RATE_TICKS, showgrid=True, gridcolor="#E5E5E5", zeroline=False)
    fig.update_yaxes(autorange="reversed", automargin=True, tickfont={"size": 13})
    height = (130 if title else 95) + 46 * len(rows) + (18 * title.count("\n"))
    fig = _layout(fig, title, height)
    fig.update_layout(margin={"r": LABEL_COLUMN})
    return fig


def choice_chart(title: str, distribution: Sequence[tuple[str, int]], base: int, base_label: str,
                 limit: int = 15) -> go.Figure:
    """Horizontal bars, most frequent first; share of *base* (respondents who answered)."""
    shown = list(distribution[:limit])
    rest = distribution[limit:]
    if rest:
        shown.append((f"Autres ({len(rest)})", sum(n for _, n in rest)))
    labels = [chart_text(label if len(label) <= 60 else label[:57] + "…") for label, _ in shown]
    counts = [n for _, n in shown]
    shares = [100 * n / base if base else 0 for n in counts]
    fig = go.Figure(go.Bar(
        y=labels, x=shares, orientation="h", marker={"color": BLUE},
        text=[f"{n} ({format_number_fr(s, 0)} %)" for n, s in zip(counts, shares, strict=True)],
        textposition="outside", cliponaxis=False, textfont={"size": 13},
        hovertemplate="%{y} : %{text}<extra></extra>",
    ))
    top = max(shares, default=0)
    fig.update_xaxes(range=[0, min(100.0, max(10.0, top * 1.3))], ticksuffix=" %", gridcolor="#E5E5E5",
                     title_text=f"part des {base} {base_label}")
    fig.update_yaxes(autorange="reversed", automargin=True, tickfont={"size": 13})
    fig.update_layout(showlegend=False, bargap=0.3)
    fig = _layout(fig, title, (90 if title else 50) + 36 * len(shown) + 18 * title.count("\n"))
    fig.update_layout(margin={"r": 110})  # room for "12 (95 %)" beyond a bar that nearly reaches 100 %
    if not title:
        fig.update_layout(margin={"t": 15})
    return fig


def number_chart(title: str, distribution: Sequence[tuple[str, int]]) -> go.Figure:
    fig = go.Figure(go.Bar(x=[chart_text(label) for label, _ in distribution], y=[n for _, n in distribution],
                           marker={"color": BLUE}, text=[n for _, n in distribution], textposition="outside",
                           cliponaxis=False, hovertemplate="%{x} : %{y}<extra></extra>"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text="réponses", gridcolor="#E5E5E5")
    fig.update_layout(showlegend=False)
    return _layout(fig, title, 320)


def mystery_criteria_chart(title: str, results: Sequence[CriterionResult]) -> go.Figure:
    """One bar per criterion: share of checks that met it (n.a. left out), with its 95 % interval."""
    data = [r for r in results if r.scored]
    labels = [chart_text(r.criterion if len(r.criterion) <= 60 else r.criterion[:57] + "…") for r in data]
    rates = [r.rate or 0.0 for r in data]
    lows = [r.rate - r.ci[0] if r.ci and r.rate is not None else 0 for r in data]
    highs = [r.ci[1] - r.rate if r.ci and r.rate is not None else 0 for r in data]
    fig = go.Figure(go.Bar(
        y=labels, x=rates, orientation="h", marker={"color": BLUE},
        error_x={"type": "data", "symmetric": False, "array": highs, "arrayminus": lows, "color": "#3A3A3A",
                 "thickness": 1.2},
        customdata=[[f"{format_number_fr(v, 0)} % · {r.met}/{r.scored}", r.na] for v, r in zip(rates, data, strict=True)],
        hovertemplate="%{y} : %{customdata[0]} (sans objet : %{customdata[1]})<extra></extra>",
    ))
    # the figures stand in a column of their own, right of 100 %: error bars never cross them
    for label, v, r in zip(labels, rates, data, strict=True):
        _margin_label(fig, label, f"{format_number_fr(v, 0)} % · {r.met}/{r.scored}", 12)
    fig.update_xaxes(range=[0, 100], **RATE_TICKS, gridcolor="#E5E5E5",
                     title_text="contrôles où le critère est respecté (sans objet exclus), intervalle à 95 %")
    fig.update_yaxes(autorange="reversed", automargin=True, tickfont={"size": 12})
    fig.update_layout(showlegend=False, bargap=0.3)
    fig = _layout(fig, title, 140 + 32 * len(data))
    fig.update_layout(margin={"r": 120})
    return fig


def mystery_trend_chart(title: str, results: Sequence[ChannelResult]) -> go.Figure:
    """Criteria met per channel and period, a line per channel (markers differ by channel)."""
    fig = go.Figure()
    symbols = {"appel": "circle", "courriel": "square", "visite": "diamond"}
    colours = {"appel": BLUE, "courriel": "#29598F", "visite": "#31A7AE"}
    for channel, label in MYSTERY_CHANNELS.items():
        mine = [r for r in results if r.channel == channel]
        if not mine:
            continue
        fig.add_scatter(
            x=[r.period for r in mine], y=[r.rate for r in mine], mode="lines+markers+text", name=label,
            line={"color": colours[channel], "width": 2.5},
            marker={"symbol": symbols[channel], "size": 10, "color": colours[channel]},
            text=[pct(r.rate, 0) for r in mine], textposition="bottom center" if channel == "appel" else "top center",
            cliponaxis=False,
            customdata=[[count_text(r.checks, "contrôle"), r.fully_met] for r in mine],
            hovertemplate=(f"{label} %{{x}} : %{{y:.1f}} %% des critères respectés<br>%{{customdata[0]}}, "
                           "%{customdata[1]} sans aucun manquement<extra></extra>"),
        )
    fig.update_xaxes(type="category", title_text="période")
    fig.update_yaxes(range=[0, 100], ticksuffix=" %", gridcolor="#E5E5E5", title_text="critères respectés")
    fig.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0})
    fig = _layout(fig, title, 380)
    fig.update_layout(margin={"t": 110 if title else 70})  # a label above a 100 % point stays clear of the legend
    return fig

