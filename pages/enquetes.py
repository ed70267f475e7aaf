"""Enquêtes: satisfaction surveys question by question against last year, comments, types, mystery checks."""

import streamlit as st

from qep_core import services
from qep_ui import importing
from qep_ui.auth import actor
from qep_ui.mystery import mystery_section
from qep_ui.state import require_view
from qep_ui.surveys import comments_section, import_section, questions_section, results_section, survey_picker
from qep_ui.widgets import plain

view = require_view()
st.title("Enquêtes de satisfaction et contrôles mystères")
st.caption(f"{plain(view.prefecture.name)} — taux de satisfaction calculés sur les réponses exprimées (sans avis, ne sait "
           "pas, non concerné et sans réponse exclus), avec leur effectif et leur intervalle de confiance à 95 %.")
importing.show_flash()
acting = actor()
editor = services.surveys.can_edit(acting)
if editor or services.mystery.can_enter(acting):
    importing.user_name()  # on a single-user laptop, the name the history records ("Votre nom")
survey = survey_picker(view)
names = ["Résultats", *(["Commentaires"] if not acting.principal.public_only else []),
         *(["Questions"] if editor else []), "Contrôles mystères", *(["Importer une enquête"] if editor else [])]
# lazy: only the chosen tab runs (the results' charts, or the comments, or the mystery checks…)
tabs = dict(zip(names, st.tabs(names, key="enquetes-onglet", on_change="rerun"), strict=True))
if tabs["Résultats"].open:
    with tabs["Résultats"]:
        if survey is None:
            st.info("Aucune enquête enregistrée pour cette préfecture" + (
                " : importez-en une dans l'onglet « Importer une enquête »." if editor else "."))
        else:
            results_section(view, survey)
if "Commentaires" in tabs and survey is not None and tabs["Commentaires"].open:
    with tabs["Commentaires"]:
        comments_section(view, survey)
if "Questions" in tabs and survey is not None and tabs["Questions"].open:
    with tabs["Questions"]:
        questions_section(view, survey)
if tabs["Contrôles mystères"].open:
    with tabs["Contrôles mystères"]:
        mystery_section(view)
if "Importer une enquête" in tabs and tabs["Importer une enquête"].open:
    with tabs["Importer une enquête"]:
        import_section(view)
