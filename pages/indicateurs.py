"""Indicateurs: one indicator month by month against its target and last year, by périmètre."""

import streamlit as st

from qep_core import services
from qep_ui import data
from qep_ui.events import chart_marks, indicator_events_section
from qep_ui.indicator_view import (
    aggregates_table,
    breakdown_table,
    definition_text,
    late_items_section,
    monthly_table,
    period_for_chart,
    result_summary,
)
from qep_ui.spc_view import spc_section
from qep_ui.state import publish, remember_choice, require_view
from qep_ui.widgets import delta_style, download_table, plain, status_badge

view = require_view()
indicators, engagements, modules = data.referentiel(view)
available = [d for d in indicators if d.module_code in modules]
by_code = {d.code: d for d in available}
codes = list(by_code)
remember_choice("ind", codes, codes[0])
code = st.selectbox("Indicateur", codes, key="ind", format_func=lambda c: f"{by_code[c].label} ({c})")
publish("ind")
ind = by_code[code]
st.title(plain(ind.label))
st.caption(definition_text(ind, engagements))

who = view.principal
# The users' committee sees the préfecture as a whole: a périmètre picked alone would show figures
# under the publication threshold, under names files gave (public names: see rules.public_names).
perims = data.perimetres(view) if who.can("read_detail") else []  # the service: those this user may read
names = {p.name: p.id for p in perims}
chosen = st.multiselect("Périmètres (tous si aucun n'est choisi)", list(names), key="ind_perimetres",
                        placeholder="Toute la préfecture") if names else []
perimetre_ids = tuple(sorted(names[n] for n in chosen)) or None

result = next(r for r in data.results(view, perimetre_ids=perimetre_ids) if r.indicator.code == code)
cols = st.columns([1, 1, 1, 1.3])
cols[0].metric(f"Valeur — {view.period.label}", *result_summary(result)[:2], **delta_style(result))  # type: ignore[arg-type]  # Literals
cols[1].metric("Cible", result_summary(result)[2])
with cols[2]:
    st.markdown("**Statut**")
    status_badge(result.status)
cols[3].metric("Même période un an plus tôt", result_summary(result)[3])

chart_period = period_for_chart(view.period)
current = data.monthly(view, code, chart_period, perimetre_ids)
previous = data.monthly(view, code, chart_period.shifted_years(-1), perimetre_ids)
marks = chart_marks(view, code, chart_period, perimetre_ids)  # internal notes: none for the users' committee
figure = data.monthly_figure(view, code, chart_period, perimetre_ids, f"{ind.label} — {chart_period.label}", marks)
st.plotly_chart(figure, config={"displaylogo": False}, key="monthly_chart")
st.markdown(f"**Cumuls {chart_period.end.year}** — pondérés (Σ numérateurs / Σ dénominateurs), jamais une moyenne "
            "des taux mensuels")
st.dataframe(aggregates_table(view, ind, chart_period.end.year, perimetre_ids), hide_index=True)

with st.expander("Tableau des mois (alternative au graphique)", expanded=False):
    table = monthly_table(ind, current, previous)
    st.dataframe(table, hide_index=True, width="stretch")
    download_table(table, f"{code}-{chart_period.code}", key="monthly")

spc_section(view, ind, chart_period, perimetre_ids)

if who.can("read_detail"):
    st.subheader(f"Par périmètre — {view.period.label}")
    breakdown = data.breakdown(view, code)
    if breakdown["value"].notna().sum() < 2:
        st.caption("Un seul périmètre (ou aucun) a des données pour cette période : pas de répartition à montrer.")
    else:
        st.plotly_chart(services.dashboard.breakdown_chart(ind, breakdown, result.target.value,
                                        title=f"{ind.label} — par périmètre, {view.period.label}"),
                        config={"displaylogo": False}, key="breakdown_chart")
        table = breakdown_table(ind, breakdown)
        st.dataframe(table, hide_index=True, width="stretch")
        download_table(table, f"{code}-perimetres-{view.period.code}", key="breakdown")

if who.can("read_items"):
    late_items_section(view, ind, view.period, perimetre_ids)

indicator_events_section(view, code, ind.label, chart_period, perimetre_ids)
