"""Signaux: the alerts imports raised (a threshold or a target crossed, a new concern on a control
chart), each linking to its indicator; who is told of them by e-mail, for the référent(e) qualité."""

import streamlit as st

from qep_ui import alerts
from qep_ui.auth import allowed
from qep_ui.state import require_view
from qep_ui.widgets import plain

view = require_view("read_detail")
st.title("Signaux")
st.caption(f"{plain(view.prefecture.name)} — après chaque import ou saisie : un mois qui passe sous son seuil d'alerte "
           "ou sa cible (au-dessus pour un délai), ou une nouvelle préoccupation sur la carte de contrôle, à l'échelle "
           "de la préfecture entière.")
alerts.show_flash()
alerts.alerts_section(view)
if allowed("edit_settings"):
    alerts.subscriptions_section(view)
