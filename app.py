"""Qual-e-Pref dashboard: entry point. Builds the navigation and the shared sidebar choices."""

import streamlit as st

from qep_ui.state import sidebar
from qep_ui.theme import apply_theme

st.set_page_config(page_title="Qual-e-Pref — tableau de bord", page_icon=":material/verified:", layout="wide")
apply_theme()

PAGES = {
    "Piloter": [
        st.Page("pages/tableau_de_bord.py", title="Tableau de bord", icon=":material/dashboard:", default=True),
        st.Page("pages/indicateurs.py", title="Indicateurs", icon=":material/monitoring:", url_path="indicateurs"),
        st.Page("pages/engagements.py", title="Engagements", icon=":material/account_tree:", url_path="engagements"),
        st.Page("pages/enquetes.py", title="Enquêtes", icon=":material/forum:", url_path="enquetes"),
    ],
    "Alimenter": [
        st.Page("pages/import_fichiers.py", title="Import", icon=":material/upload_file:", url_path="import"),
        st.Page("pages/saisie.py", title="Saisie", icon=":material/edit_note:", url_path="saisie"),
    ],
    "Administrer": [
        st.Page("pages/parametres.py", title="Paramètres", icon=":material/settings:", url_path="parametres"),
    ],
}

navigation = st.navigation(PAGES)
st.session_state["_view"] = sidebar()
navigation.run()
