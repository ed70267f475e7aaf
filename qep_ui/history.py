"""The Historique page's table: filters, the before / after of one change, download."""

from __future__ import annotations

import json

import streamlit as st

from qep_core import services
from qep_ui.auth import actor
from qep_ui.state import View
from qep_ui.widgets import download_table, plain


def _pretty(raw: str) -> str:
    if not raw:
        return "—"
    return json.dumps(json.loads(raw), ensure_ascii=False, indent=2)


def history_section(view: View) -> None:
    cols = st.columns([1, 1, 1])
    labels = services.history.ACTION_LABELS
    action = cols[0].selectbox("Nature", ["", *labels], format_func=lambda a: labels.get(a, "Toutes"),
                               key="history-action")
    limit = cols[1].selectbox("Dernières modifications", [100, 500, 2000], key="history-limit")
    frame = services.history.change_history(actor(), view.prefecture.id or 0, action=action or None, limit=limit)
    users = sorted(set(frame["Qui"]))
    who = cols[2].selectbox("Auteur", ["", *users], format_func=lambda u: u or "Tous", key="history-user")
    if who:
        frame = frame.loc[frame["Qui"] == who]
    if frame.empty:
        st.info("Aucune modification enregistrée pour ces critères.")
        return
    shown = frame.drop(columns=["Avant", "Après", "action"])
    event = st.dataframe(shown, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         column_config={"Quand": st.column_config.DatetimeColumn("Quand", format="DD/MM/YYYY HH:mm")},
                         key="history-table")
    download_table(frame.drop(columns=["action"]), f"historique-{view.prefecture.code}", key="history")
    rows = event.selection.rows if event is not None else []
    if rows:
        chosen = frame.iloc[rows[0]]
        st.subheader(f"{plain(chosen['Quoi'])} — {plain(chosen['Objet'])}")
        left, right = st.columns(2)
        left.markdown("**Avant**")
        left.code(_pretty(chosen["Avant"]), language="json")
        right.markdown("**Après**")
        right.code(_pretty(chosen["Après"]), language="json")
    else:
        st.caption("Sélectionnez une ligne pour voir les valeurs avant et après la modification.")
