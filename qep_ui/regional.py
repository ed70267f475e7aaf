"""The regional view: an indicator across préfectures, each against its own target."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import count_text, plural
from qep_core.periods import Period
from qep_ui import data
from qep_ui.auth import actor
from qep_ui.state import View
from qep_ui.widgets import download_table

Dashboard = services.dashboard


@st.cache_data(show_spinner=False, max_entries=64)
def _comparison(_actor: services.Actor, url: str, scope: data.Scope, pref_id: int, code: str, period: Period,
                version: str) -> Dashboard.Comparison | None:
    """Cached on the user's scope (the préfectures it may see): two users with different rights never share a result."""
    return Dashboard.compare(_actor, pref_id, code, period)


def comparison_section(view: View) -> None:
    indicators, _, _ = data.referentiel(view)
    shared = [d for d in indicators if not d.own]  # the catalogue's own: the same in every préfecture
    by_code = {d.code: d for d in shared}
    who = actor()
    if len(Dashboard.prefectures(who)) < 2:
        st.info("Une seule préfecture est accessible avec ce compte : la comparaison demande une instance régionale "
                "ou nationale, et un compte rattaché à toutes ses préfectures.")
        return
    code = st.selectbox("Indicateur", list(by_code), format_func=lambda c: f"{by_code[c].label} ({c})", key="cmp-ind")
    ind = by_code[code]
    found = _comparison(who, data.database_url(), data.scope_key(who.principal), view.prefecture.id or 0, code,
                        view.period, data.instance_version())
    if found is None:
        return
    frame, group = found.frame, found.group
    with_data = frame.dropna(subset=["value"])
    fmt = Dashboard.format_value
    st.caption(f"{view.period.label} — {count_text(len(with_data), 'préfecture')} sur {len(frame)} "
               f"{plural(len(with_data), 'a', 'ont')} des données ; chacune est "
               f"comparée à sa propre cible. Ensemble (pondéré) : **{fmt(group, ind.unit)}**.")
    if with_data.empty:
        st.info("Aucune donnée pour cet indicateur sur cette période.")
        return
    st.plotly_chart(Dashboard.breakdown_chart(ind, frame, None, title=f"{ind.label} — par préfecture, {view.period.label}"),
                    config={"displaylogo": False}, key="cmp-chart")
    table = pd.DataFrame({
        "Préfecture": frame["perimetre"], "Département": frame["code_departement"],
        "Valeur": [fmt(v, ind.unit) for v in frame["value"]],
        "Cible": [fmt(t, ind.unit) if t is not None and t == t else "sans objectif" for t in frame["target"]],
        "Statut": frame["status"], "Numérateur": frame["numerator"], "Dénominateur": frame["denominator"],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    download_table(table, f"comparaison-{code}-{view.period.code}", key="cmp")
