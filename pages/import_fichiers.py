"""Import: analyse tracking sheets before saving them, history of the imports (with undo), template."""

import streamlit as st

from qep_core import services
from qep_ui import importing
from qep_ui.state import require_view
from qep_ui.widgets import plain

view = require_view("import")
st.title("Import des tableaux de suivi")
st.caption(f"{plain(view.prefecture.name)} — chaque fichier est analysé avant d'être enregistré ; un import "
           "se fait en entier ou pas du tout, et peut être annulé depuis l'historique.")
importing.show_flash()
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

st.header("Historique des imports", divider="blue")
importing.history_section(view)

st.header("Modèle de tableau de suivi", divider="blue")
importing.template_section(view)
