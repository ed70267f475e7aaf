"""Import: analyse tracking sheets before saving them, history of the imports (with undo), template.

For a service (a contributor) it is its collection page: what it owes and its own sheet first,
its deposits and their fate after the upload. For the référente, the deposits waiting for her
validation come first when the préfecture validates its services' files."""

import streamlit as st

from qep_core import services
from qep_ui import deposits, importing
from qep_ui.state import require_view
from qep_ui.widgets import plain

view = require_view("import")
contributor = deposits.is_contributor()
depositing = importing.deposit_mode(view)
st.title("Vos envois" if contributor else "Import des tableaux de suivi")
st.caption(f"{plain(view.prefecture.name)} — " + (
    "chaque fichier est analysé avant d'être déposé, en entier ou pas du tout ; il ne compte qu'une fois validé par "
    "le référent qualité." if depositing else
    "chaque fichier est analysé avant d'être enregistré ; un import se fait en entier ou pas du tout, et peut être "
    "annulé depuis l'historique."))
importing.show_flash()
if contributor:
    st.header("Ce que vos périmètres envoient", divider="blue")
    deposits.supplies_section(view)
else:
    deposits.validation_section(view)

st.header("Déposer des fichiers" if depositing else "Importer des fichiers", divider="blue")
name_column, kind_column = st.columns(2)
with name_column:
    importing.user_name()
with kind_column:
    importing.log_kind_picker()
uploaded = importing.spreadsheet_upload(
    "Fichiers à importer", "import-files", accept_multiple_files=True,
    help="Tableaux de suivi mensuels (mois en colonnes), format long (indicateur, période, périmètre, numérateur, "
         "dénominateur) ou journaux (une ligne par élément, avec ses dates : les délais sont calculés en jours "
         f"ouvrés). {services.imports.MAX_UPLOAD_MB} Mo au plus par fichier.")
importing.uploads_section(view, uploaded)

if contributor:
    st.header("Vos dépôts", divider="blue")
    deposits.own_deposits_section(view)

st.header("Historique des imports", divider="blue")
importing.history_section(view)

st.header("Modèle de tableau de suivi", divider="blue")
importing.template_section(view)
