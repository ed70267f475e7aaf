"""Formations: who is up to date with the training rule on a chosen date (per role; who must be
trained this year), the agents, the sessions and tutoring agreements, Excel import and export."""

import streamlit as st

from qep_ui import formations
from qep_ui.pilotage_common import as_of_picker, show_flash
from qep_ui.state import require_view
from qep_ui.widgets import plain

view = require_view("read_detail")
st.title("Formations")
cols = st.columns([3, 1], vertical_alignment="bottom")
cols[0].caption(f"{plain(view.prefecture.name)} — agents d'accueil physique et téléphonique, du site et des réseaux sociaux, "
                "référent(e) qualité, lutte contre la fraude : formés dans l'année de leur prise de poste, puis au moins "
                "tous les 4 ans.")
with cols[1]:
    as_of = as_of_picker(view, "tr-as-of")
show_flash()
tab_situation, tab_agents, tab_sessions, tab_files = st.tabs(["Situation", "Agents", "Formations et tutorats",
                                                              "Import / export"])
with tab_situation:
    formations.situation_section(view, as_of)
with tab_agents:
    formations.agents_section(view)
with tab_sessions:
    formations.sessions_section(view)
with tab_files:
    formations.import_export_section(view, as_of)
