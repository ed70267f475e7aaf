"""Enquêtes: satisfaction surveys question by question against last year, comments, types, mystery checks."""

import streamlit as st

from qep_ui import importing
from qep_ui.mystery import mystery_section
from qep_ui.state import require_view
from qep_ui.surveys import comments_section, import_section, questions_section, results_section, survey_picker

view = require_view()
st.title("Enquêtes de satisfaction et contrôles mystères")
st.caption(f"{view.prefecture.name} — taux de satisfaction calculés sur les réponses exprimées (sans avis, ne sait "
           "pas, non concerné et sans réponse exclus), avec leur effectif et leur intervalle de confiance à 95 %.")
importing.show_flash()
user = importing.user_name()
survey = survey_picker(view)
tabs = st.tabs(["Résultats", "Commentaires", "Questions", "Contrôles mystères", "Importer une enquête"])
with tabs[0]:
    if survey is None:
        st.info("Aucune enquête enregistrée pour cette préfecture : importez-en une dans l'onglet « Importer une "
                "enquête ».")
    else:
        results_section(view, survey)
with tabs[1]:
    if survey is not None:
        comments_section(view, survey, user)
with tabs[2]:
    if survey is not None:
        questions_section(view, survey, user)
with tabs[3]:
    mystery_section(view, user)
with tabs[4]:
    import_section(view, user)
