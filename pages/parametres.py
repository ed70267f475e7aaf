"""Paramètres: the préfecture, its périmètres, its yearly targets, its own indicators, its own labels,
its dated events, its monthly collection, its Services Publics+ fields.

Unlike the other pages it must work before any préfecture exists (it is where the first one is
created), so it reads the sidebar's view with ``current_view()`` instead of ``require_view()``.
"""

import streamlit as st

from qep_ui import collection, events, mappings, sp_plus
from qep_ui import settings as ui
from qep_ui.auth import require
from qep_ui.state import current_view
from qep_ui.widgets import plain

require("edit_settings")
st.title("Paramètres")
# Messages go in a slot that is always there: the tabs then keep their place on the page, and the
# browser keeps the tab the user was working in across the rerun that follows a save.
with st.container():
    ui.show_flash()
view = current_view()
if view is None:
    ui.first_prefecture()
    st.stop()

st.caption(f"{plain(view.prefecture.name)} ({view.prefecture.code}) — changez de préfecture dans le menu latéral.")
tab_pref, tab_perim, tab_targets, tab_own, tab_map, tab_events, tab_collect, tab_sp = st.tabs([
    "Préfecture", "Périmètres", "Cibles", "Indicateurs propres", "Correspondances", "Événements", "Collecte mensuelle",
    "Services Publics+"])
with tab_pref:
    ui.prefecture_tab(view)
with tab_perim:
    ui.perimetres_tab(view)
with tab_targets:
    ui.targets_tab(view)
with tab_own:
    ui.own_indicators_tab(view)
with tab_map:
    mappings.mappings_tab(view)
with tab_events:
    events.events_tab(view)
with tab_collect:
    collection.settings_tab(view)
with tab_sp:
    sp_plus.settings_tab(view)
