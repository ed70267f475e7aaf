"""Qual-e-Pref dashboard: entry point. Builds the navigation and the shared sidebar choices."""

import streamlit as st

from qep_core import services
from qep_ui.auth import identity_sidebar, sign_in
from qep_ui.state import sidebar
from qep_ui.theme import apply_theme

st.set_page_config(page_title="Qual-e-Pref — tableau de bord", page_icon=":material/verified:", layout="wide")
apply_theme()
principal = sign_in()

# (page, the action it needs): the navigation only lists what the role may open; each page checks again.
PAGES = {
    "Piloter": [
        (st.Page("pages/tableau_de_bord.py", title="Tableau de bord", icon=":material/dashboard:", default=True), "read"),
        (st.Page("pages/indicateurs.py", title="Indicateurs", icon=":material/monitoring:", url_path="indicateurs"), "read"),
        (st.Page("pages/engagements.py", title="Engagements", icon=":material/account_tree:", url_path="engagements"),
         "read"),
        (st.Page("pages/comparaison.py", title="Comparaison des préfectures", icon=":material/compare_arrows:",
                 url_path="comparaison"), "compare"),
        (st.Page("pages/revue.py", title="Revue trimestrielle", icon=":material/fact_check:", url_path="revue"), "read"),
        (st.Page("pages/exports.py", title="Exports", icon=":material/download:", url_path="exports"), "export"),
        (st.Page("pages/enquetes.py", title="Enquêtes", icon=":material/forum:", url_path="enquetes"), "read"),
        (st.Page("pages/signaux.py", title="Signaux", icon=":material/notifications:", url_path="signaux"),
         "read_detail"),
    ],
    "Qualité": [
        (st.Page("pages/plan_actions.py", title="Plan d'actions", icon=":material/checklist:", url_path="plan-actions"),
         "read_detail"),
        (st.Page("pages/audits.py", title="Audits", icon=":material/rule:", url_path="audits"), "read_detail"),
        (st.Page("pages/formations.py", title="Formations", icon=":material/school:", url_path="formations"),
         "read_detail"),
    ],
    "Alimenter": [
        (st.Page("pages/import_fichiers.py", title="Import", icon=":material/upload_file:", url_path="import"), "import"),
        (st.Page("pages/saisie.py", title="Saisie", icon=":material/edit_note:", url_path="saisie"), "enter"),
        (st.Page("pages/collecte.py", title="Collecte", icon=":material/inventory:", url_path="collecte"), "read_detail"),
    ],
    "Administrer": [
        (st.Page("pages/parametres.py", title="Paramètres", icon=":material/settings:", url_path="parametres"),
         "edit_settings"),
        (st.Page("pages/historique.py", title="Historique", icon=":material/history:", url_path="historique"), "history"),
    ],
}

navigation = st.navigation({
    section: [page for page, action in pages if principal.can(action)]
    for section, pages in PAGES.items() if any(principal.can(action) for _, action in pages)
}, expanded=True)  # every page listed: no English "View N more" fold
identity_sidebar(principal)
st.session_state["_view"] = sidebar(principal)
try:
    navigation.run()
except services.ValueOutOfBounds as exc:  # refused at the flush (qep_core.rules.row_bounds): nothing was written
    st.error(f"Rien n'a été enregistré : {exc}")
