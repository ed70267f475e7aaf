"""Historique: every change made to the préfecture's data — who, when, what it was before and after."""

import streamlit as st

from qep_ui.history import history_section
from qep_ui.state import require_view
from qep_ui.widgets import plain

view = require_view("history")
st.title("Historique des modifications")
st.caption(f"{plain(view.prefecture.name)} — imports, annulations, cibles, paramètres, comptes… Chaque modification est "
           "enregistrée dans la même transaction que le changement lui-même : l'historique ne peut pas le contredire.")
history_section(view)
