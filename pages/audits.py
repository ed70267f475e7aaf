"""Audits: findings per engagement (conformity, PF / PS / PP remarks) and the actions answering
them; entry of an audit in the app, or import of a report's table."""

import streamlit as st

from qep_ui import audits
from qep_ui.pilotage_common import show_flash
from qep_ui.state import require_view
from qep_ui.widgets import plain

view = require_view("read_detail")
st.title("Audits")
st.caption(f"{plain(view.prefecture.name)} — constats des audits internes et externes, engagement par engagement ; chaque "
           "point sensible, piste de progrès ou non-conformité peut devenir une action du plan en un clic.")
show_flash()
tab_findings, tab_entry, tab_import = st.tabs(["Constats", "Saisie", "Import"])
with tab_findings:
    audits.findings_section(view)
with tab_entry:
    audits.new_audit_form(view)
    audits.findings_editor(view)
with tab_import:
    audits.import_section(view)
