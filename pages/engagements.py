"""Engagements: the préfecture's modules and engagements, each with what evidences it."""

import streamlit as st

from qep_core.rules.status import status_counts_text
from qep_ui import data
from qep_ui.engagement_sections import SECTIONS, dossier_if_chosen, engagement_status_counts
from qep_ui.state import require_view
from qep_ui.widgets import plain

view = require_view()
if dossier_if_chosen(view):  # ?dossier=E17: one engagement's dossier, printable
    st.stop()
st.title("Engagements de service")
st.caption(f"{plain(view.prefecture.name)} — {view.period.label}. Modules labellisés, puis pilotage et labellisation.")
indicators, engagements, modules = data.referentiel(view)
titles = data.module_titles()
results = data.results(view)

for module in [m for m in titles if m in modules]:
    st.header(data.module_heading(module, titles), divider="blue")
    in_module = [e for e in engagements if e.module_code == module]
    if not in_module:
        st.caption("Les engagements de ce module ne sont pas encore décrits : ajoutez-les dans **Paramètres**.")
    for engagement in in_module:
        counts = engagement_status_counts(engagement, results)
        marks = status_counts_text(counts)
        number = f"{engagement.number}. " if engagement.number else ""
        # lazy: a closed engagement's sections (charts, surveys, actions) run only once it is opened
        panel = st.expander(f"{number}{plain(engagement.title)}" + (f"  —  {marks}" if marks else ""),
                            expanded=any(s in counts for s in ("non atteint", "à surveiller")),
                            key=f"engagement-{engagement.key}", on_change="rerun")
        if not panel.open:
            continue
        with panel:
            shown = False
            for _title, section in SECTIONS:
                shown = section(view, engagement, results) or shown
            if not shown:
                st.caption("Pas d'indicateur chiffré pour cet engagement : il est suivi par ses preuves "
                           "(procédures, affichages, audits).")
