"""Collecte: who has sent what this year — each service's months received, partial, late or
expected, the year at a glance, completeness per indicator, a month's detail with what is missing."""

import streamlit as st

from qep_ui.collection import board_page
from qep_ui.state import require_view
from qep_ui.widgets import plain

view = require_view("read_detail")
st.title("Collecte")
st.caption(f"{plain(view.prefecture.name)} — qui a envoyé quoi, mois par mois, pour l'année choisie dans le menu "
           "latéral, selon les déclarations de Paramètres › Collecte mensuelle.")
board_page(view)
