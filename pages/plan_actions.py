"""Plan d'actions: progress per module, per source and over time, late actions, the editable
plan with its dated status history, and its Excel import and export."""

import streamlit as st

from qep_ui import plan_actions
from qep_ui.pilotage_common import as_of_picker, show_flash
from qep_ui.state import require_view
from qep_ui.widgets import plain

view = require_view("read_detail")
st.title("Plan d'actions")
cols = st.columns([3, 1], vertical_alignment="bottom")
cols[0].caption(f"{plain(view.prefecture.name)} — les actions d'amélioration, d'où elles viennent (auto-diagnostic, audits, "
                "enquêtes, réclamations, agents, CLU), qui les porte et où elles en sont.")
with cols[1]:
    as_of = as_of_picker(view, "pa-as-of")
show_flash()
tab_progress, tab_actions, tab_files = st.tabs(["Avancement", "Actions", "Import / export"])
with tab_progress:
    plan_actions.progress_section(view, as_of)
with tab_actions:
    plan_actions.actions_editor(view, as_of)
with tab_files:
    plan_actions.import_export_section(view, as_of)
