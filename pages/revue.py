"""Revue trimestrielle: the quarter for the comité de pilotage, its analysis, decisions and frozen minutes."""

import streamlit as st

from qep_ui import review
from qep_ui.collection import incomplete_caption
from qep_ui.importing import show_flash, user_name
from qep_ui.state import require_view
from qep_ui.widgets import plain

view = require_view()
st.title("Revue trimestrielle du COPIL")
if not view.has_data:
    st.info("Aucune donnée importée pour cette préfecture : déposez un tableau de suivi dans la page **Import**.")
    st.stop()
show_flash()
cols = st.columns([1, 1, 2])
with cols[0]:
    quarter = review.choose_quarter(view)
with cols[1]:
    user = user_name()
rv = review.load(view, quarter)
st.subheader(f"{plain(view.prefecture.name)} — {rv.review.period.label}")
review.status_banner(rv)
incomplete_caption(view, rv.review.period)  # quarters computed on months not all received
review.headline(rv)
st.markdown("Les indicateurs en recul viennent en premier, puis les non atteints et ceux à surveiller.")
review.quarter_table(rv)
review.slips_section(rv)
review.requirements_section(rv)
review.signals_section(rv)
review.analysis_section(view, rv)
review.comments_section(view, rv, user)
review.actions_section(view, rv)
review.freeze_section(view, rv, user)
if view.principal.can("export"):
    st.page_link("pages/exports.py", label="Diaporama du COPIL et autres documents : page Exports",
                 icon=":material/download:")
