"""The Indicateurs page's control chart: is the latest month a signal or the usual variation, and
will the target be met if nothing changes (qep_core.spc, explained by qep_core.spc_text)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import month_label_fr
from qep_core.periods import Period
from qep_core.rules import assurance_style, format_value, variation_style
from qep_ui import data
from qep_ui.events import marked
from qep_ui.state import View
from qep_ui.widgets import download_table, signal_badge

Dashboard = services.dashboard


def spc_period(chart_period: Period) -> Period:
    """The months of the control chart: the window the tiles, the review and the decks read too
    (two years ending with the chart's last month), so that all say the same of that month."""
    return Dashboard.spc_window(chart_period.end)


def spc_table(ind: Dashboard.IndicatorDef, chart: Dashboard.SpcChart) -> pd.DataFrame:
    """The chart's months as a table: its alternative for screen readers and for copying."""
    return pd.DataFrame({
        "Mois": [month_label_fr(p.month) for p in chart.points],
        "Valeur": [format_value(p.value, ind.unit) for p in chart.points],
        "Moyenne habituelle": [format_value(p.centre, ind.unit) for p in chart.points],
        "Limite basse": [format_value(p.lower, ind.unit) for p in chart.points],
        "Limite haute": [format_value(p.upper, ind.unit) for p in chart.points],
        "Variation": [variation_style(p.variation).text for p in chart.points],
        "Signaux": [", ".join(p.signals) for p in chart.points],
    })


def spc_section(view: View, ind: Dashboard.IndicatorDef, chart_period: Period,
                perimetre_ids: tuple[int, ...] | None) -> None:
    """Variation and assurance in words and icons, then the chart and its table."""
    period = spc_period(chart_period)
    st.subheader("Signal ou variation habituelle ?")
    chart = data.spc(view, ind.code, period, perimetre_ids)
    if len(chart.points) < 2:
        st.caption(f"{period.label} : trop peu de mois avec une valeur pour distinguer un signal de la variation "
                   "habituelle (il en faut au moins deux, et douze pour des limites solides).")
        return
    texts = Dashboard.spc_texts(chart)
    last = chart.points[-1]
    cols = st.columns(2)
    with cols[0]:
        st.markdown(f"**Variation — {month_label_fr(last.month)}**")
        signal_badge(variation_style(last.variation))
        st.caption(texts.variation)
    with cols[1]:
        st.markdown("**Assurance de la cible**")
        signal_badge(assurance_style(chart.assurance), "pas de verdict")
        st.caption(texts.assurance)
    # short: the page's title already names the indicator, and a phone cuts a long chart title
    title = f"Carte de contrôle, {month_label_fr(chart.points[0].month, True)} à {month_label_fr(last.month, True)}"
    figure = marked(Dashboard.spc_figure(ind, chart, title), view, ind.code, [p.month for p in chart.points],
                    perimetre_ids)  # the dated events, a process change where the limits restart
    st.plotly_chart(figure, config={"displaylogo": False}, key="spc_chart")
    st.caption(texts.method)
    with st.expander("Tableau de la carte de contrôle (alternative au graphique)", expanded=False):
        table = spc_table(ind, chart)
        st.dataframe(table, hide_index=True, width="stretch")
        download_table(table, f"{ind.code}-signaux-{period.code}", key="spc")
