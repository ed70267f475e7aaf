"""The regional view: an indicator across préfectures, each against its own target."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qep_core.charts import breakdown_chart
from qep_core.db import database_url, session_scope
from qep_core.periods import Period
from qep_core.prefectures import list_prefectures
from qep_core.referentiel import indicators_for
from qep_core.regional import compare_prefectures, group_value
from qep_core.rules.formatting import format_value
from qep_ui import data
from qep_ui.state import View, engine
from qep_ui.widgets import download_table


@st.cache_data(show_spinner=False, max_entries=64)
def _comparison(url: str, code: str, period: Period, prefecture_ids: tuple[int, ...], version: str) -> pd.DataFrame:
    """Cached on the exact préfectures the user may see: two users with different rights never share a result."""
    with session_scope(engine()) as session:
        pref_id = prefecture_ids[0]
        ind = next(d for d in indicators_for(session, pref_id) if d.code == code)
        return compare_prefectures(session, ind, period, prefecture_ids)


def comparison_section(view: View) -> None:
    with session_scope(engine()) as session:
        visible = tuple(p.id or 0 for p in list_prefectures(session) if view.principal.sees_prefecture(p.id or 0))
    if len(visible) < 2:
        st.info("Une seule préfecture est accessible avec ce compte : la comparaison demande une instance régionale "
                "ou nationale, et un compte rattaché à toutes ses préfectures.")
        return
    indicators, _, _ = data.referentiel(view)
    shared = [d for d in indicators if not d.own]  # the catalogue's own: the same in every préfecture
    by_code = {d.code: d for d in shared}
    code = st.selectbox("Indicateur", list(by_code), format_func=lambda c: f"{by_code[c].label} ({c})", key="cmp-ind")
    ind = by_code[code]
    frame = _comparison(database_url(), code, view.period, visible, view.version)
    group = group_value(ind, frame)
    with_data = frame.dropna(subset=["value"])
    st.caption(f"{view.period.label} — {len(with_data)} préfecture(s) sur {len(frame)} ont des données ; chacune est "
               f"comparée à sa propre cible. Ensemble (pondéré) : **{format_value(group, ind.unit)}**.")
    if with_data.empty:
        st.info("Aucune donnée pour cet indicateur sur cette période.")
        return
    st.plotly_chart(breakdown_chart(ind, frame, None, title=f"{ind.label} — par préfecture, {view.period.label}"),
                    config={"displaylogo": False}, key="cmp-chart")
    table = pd.DataFrame({
        "Préfecture": frame["perimetre"], "Département": frame["code_departement"],
        "Valeur": [format_value(v, ind.unit) for v in frame["value"]],
        "Cible": [format_value(t, ind.unit) if t is not None and t == t else "sans objectif" for t in frame["target"]],
        "Statut": frame["status"], "Numérateur": frame["numerator"], "Dénominateur": frame["denominator"],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    download_table(table, f"comparaison-{code}-{view.period.code}", key="cmp")
