"""The collection board's year view: a heatmap of périmètres × months, each cell's status in words
and symbol (never the colour alone), every text through :func:`qep_core.charts.chart_text`."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from qep_core.charts import chart_text
from qep_core.collection.board import STATUS_LOOK, STATUSES, SupplyRecord
from qep_core.frenchforms import MONTH_ABBR_FR


def year_heatmap(records: Sequence[SupplyRecord], title: str) -> go.Figure:
    """Rows: périmètres (as the board orders them); columns: the months of *records*."""
    months = sorted({r.month for r in records})
    names = list(dict.fromkeys(r.perimetre for r in records))
    cells = {(r.perimetre, r.month): r for r in records}
    codes = {s: i for i, s in enumerate(STATUSES)}
    z, text, hover = [], [], []
    for name in names:
        row_z: list[float | None] = []
        row_text, row_hover = [], []
        for month in months:
            record = cells.get((name, month))
            row_z.append(None if record is None else codes[record.status])
            row_text.append("" if record is None else chart_text(record.look.label))
            row_hover.append("" if record is None else chart_text(
                f"{name} — {MONTH_ABBR_FR[month.month - 1]} {month.year}\n{record.look.label}\n{record.detail()}"))
        z.append(row_z)
        text.append(row_text)
        hover.append(row_hover)
    n = len(STATUSES)
    scale = []
    for i, status in enumerate(STATUSES):  # one flat band of colour per status
        scale += [(i / n, STATUS_LOOK[status].colour), ((i + 1) / n, STATUS_LOOK[status].colour)]
    figure = go.Figure(go.Heatmap(
        z=z, x=[f"{MONTH_ABBR_FR[m.month - 1]} {m.year}" for m in months], y=[chart_text(n_) for n_ in names],
        text=text, texttemplate="%{text}", textfont={"size": 12, "color": "#1f2933"}, customdata=hover,
        hovertemplate="%{customdata}<extra></extra>", colorscale=scale, zmin=-0.5, zmax=n - 0.5, showscale=False,
        xgap=2, ygap=2))
    figure.update_layout(title=chart_text(title), height=120 + 34 * len(names), margin={"l": 10, "r": 10, "t": 50, "b": 30},
                         yaxis={"autorange": "reversed"}, plot_bgcolor="white")
    return figure
