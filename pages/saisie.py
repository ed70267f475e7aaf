"""Saisie: type a month's counts for a service that keeps no sheet; saved exactly like an import."""

import streamlit as st

from qep_ui import importing
from qep_ui.state import require_view

view = require_view("enter")
st.title("Saisie des valeurs du mois")
st.caption("Pour les services qui ne tiennent pas de tableau de suivi : les valeurs saisies sont contrôlées et "
           "enregistrées comme un import (historique, remplacement, annulation dans la page **Import**).")
importing.show_flash()
cols = st.columns(3)
with cols[0]:
    month = importing.month_picker(view)
with cols[1]:
    perimetre = importing.perimetre_picker(view)
with cols[2]:
    importing.user_name()
if perimetre is not None:
    importing.saisie_form(view, month, perimetre)
