"""Synthèse: every indicator of the chosen year against its target."""

import pandas as pd
import streamlit as st

from qep_core.compute import compute_indicators
from qep_core.db import session_scope
from qep_core.periods import year_period
from qep_core.report import format_target, format_value
from qep_ui.state import choose_prefecture, engine, latest_year

st.title("Qual-e-Pref — synthèse des indicateurs")
pref = choose_prefecture()
if pref is not None:
    last = latest_year(pref.id)
    if last is None:
        st.info("Aucune donnée importée pour cette préfecture. Importez un tableau de suivi : "
                "`python -m qep_core import FICHIER.xlsx`.")
    else:
        years = list(range(last, last - 6, -1))
        year = st.sidebar.selectbox("Année", years, index=0)
        period = year_period(year)
        with session_scope(engine()) as session:
            results = compute_indicators(session, pref.id, period)
        met = sum(r.status == "atteint" for r in results)
        rated = sum(r.status in ("atteint", "à surveiller", "non atteint") for r in results)
        st.subheader(f"{pref.name} — {period.label}")
        st.markdown(f"**{met} indicateur(s) sur {rated}** avec objectif et données atteignent leur cible.")
        table = pd.DataFrame([
            {"Code": r.indicator.code, "Indicateur": r.indicator.label,
             "Valeur": format_value(r.value, r.indicator.unit), "Cible": format_target(r), "Statut": r.status,
             f"{year - 1}": format_value(r.previous_value, r.indicator.unit)}
            for r in results
        ])
        st.dataframe(table, hide_index=True, width="stretch")
