"""Exports: the COPIL and CLU decks, the annual bilan, the transparency poster, the workbook and the
Services Publics+ file, built from the same figures as the dashboard."""

import streamlit as st

from qep_ui import exports
from qep_ui.state import require_view
from qep_ui.widgets import plain

view = require_view("export")
st.title("Exports")
st.caption(f"{plain(view.prefecture.name)} — l'année se choisit dans la barre latérale.")
if view.principal.can("manage_users"):  # the command line is the administrators' tool, not the readers'
    st.caption("Pour l'administrateur, la même chose en ligne de commande : "
               "`python -m qep_core export --kind copil --year 2024 --quarter 3 -o copil.pptx`.")
if not view.has_data:
    st.info("Aucune donnée importée pour cette préfecture : déposez un tableau de suivi dans la page **Import**.")
    st.stop()
request = exports.request_form(view)
exports.prepare(view, request)
exports.download(request)
exports.digest_section(view)
