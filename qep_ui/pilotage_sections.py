"""The pilotage's parts of an engagement's dossier (registered in
:data:`qep_ui.engagement_sections.SECTIONS`): the last audit's finding and remarks, the actions
(open and done), the trainings that serve it; and the one-engagement dossier view, printable.

Figures are as of :func:`qep_ui.pilotage_common.as_of_default` (the end of the sidebar's period,
or today), like the pilotage pages.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qep_core.compute import IndicatorResult
from qep_core.db import session_scope
from qep_core.models import Engagement
from qep_core.pilotage.actions import display_ref, is_late, plan_on
from qep_core.pilotage.audits import audit_title, last_finding
from qep_core.pilotage.refs import engagement_number
from qep_core.pilotage.trainings import agent_records, counts_per_role
from qep_core.pilotage.vocabulary import (
    ACTIONABLE_REMARKS,
    CLOSED_STATUSES,
    ROLE_CHANNELS,
    SOURCES,
    STATUSES,
    TRAINING_ENGAGEMENTS,
)
from qep_ui.pilotage_common import as_of_default, french_date
from qep_ui.state import View, engine

DOSSIER_PARAM = "dossier"


def audit_section(view: View, engagement: Engagement, results: list[IndicatorResult]) -> bool:
    as_of = as_of_default(view)
    with session_scope(engine()) as session:
        found = last_finding(session, view.prefecture.id or 0, engagement.key, as_of)
    if found is None:
        return False
    from qep_ui.audits import conformity_badge, remark_line

    audit, finding = found
    cols = st.columns([3, 1.4], vertical_alignment="center")
    cols[0].markdown(f"**Dernier audit : {audit_title(audit)}**" + (f" — {audit.auditor}" if audit.auditor else ""))
    with cols[1]:
        conformity_badge(finding.finding.conformity)
    for r in finding.remarks:
        answer = ""
        if r.remark.kind in ACTIONABLE_REMARKS:
            answer = (f" — *action {display_ref(r.action)} : {STATUSES[r.action.status].lower()}*" if r.action
                      else " — *sans action*")
        st.markdown(remark_line(r.remark.kind, r.remark.text) + answer)
    if finding.finding.note:
        st.caption(f"Note de l'auditeur : {finding.finding.note}")
    return True


def actions_section(view: View, engagement: Engagement, results: list[IndicatorResult]) -> bool:
    as_of = as_of_default(view)
    with session_scope(engine()) as session:
        day = plan_on(session, view.prefecture.id or 0, as_of)
    mine = [s for s in day.states if s.action.engagement_key == engagement.key]
    if not mine:
        return False
    open_ = [s for s in mine if s.status not in CLOSED_STATUSES]
    done = [s for s in mine if s.status == "fait"]
    st.markdown(f"**Actions au {as_of:%d/%m/%Y}** : {len(done)} faite(s), {len(open_)} en cours ou à faire"
                + (f", dont {sum(s.late for s in open_)} en retard" if any(s.late for s in open_) else ""))
    frame = pd.DataFrame([{
        "Réf.": display_ref(s.action), "Action": s.action.title, "Source": SOURCES.get(s.action.source, ""),
        "Responsable": s.action.owner, "Échéance": french_date(s.action.due_date),
        "Statut": STATUSES[s.status] + (" — en retard" if is_late(s.action.due_date, s.status, as_of) else ""),
        "Depuis le": french_date(s.status_date),
    } for s in sorted(mine, key=lambda s: (s.status in CLOSED_STATUSES, s.action.due_date or as_of))])
    st.table(frame.set_index("Réf."))  # a plain table: it wraps its text and prints whole
    return True


def roles_serving(engagement: Engagement) -> list[str] | None:
    """The roles whose training serves the engagement; None for all (engagement 4, pilotage 3)."""
    if engagement.key in TRAINING_ENGAGEMENTS:
        return None
    return [role for role, channels in ROLE_CHANNELS.items() if engagement.channel_code in channels
            and engagement.module_code in ("M1", "PIL")] or (["fraude"] if engagement.module_code == "M2" else [])


def trainings_section(view: View, engagement: Engagement, results: list[IndicatorResult]) -> bool:
    roles = roles_serving(engagement)
    if roles == []:
        return False
    as_of = as_of_default(view)
    with session_scope(engine()) as session:
        records = agent_records(session, view.prefecture.id or 0)
    rows, total = counts_per_role([r for r in records if roles is None or r.agent.role in roles], as_of)
    if not total.concerned:
        return False
    st.markdown(f"**Formations au {as_of:%d/%m/%Y}** ({'tous les rôles' if roles is None else ', '.join(r.label.lower() for r in rows)}) : "
                f"{total.a_jour} agent(s) à jour sur {total.concerned}, {total.a_former} à former dans leur première "
                f"année, {total.en_retard} en retard")
    frame = pd.DataFrame([{"Rôle": r.label, "Agents concernés": r.concerned, "À jour": r.a_jour,
                           "À former (1re année)": r.a_former, "En retard": r.en_retard,
                           "Non formés sous tutorat": r.tutored} for r in rows])
    st.table(frame.set_index("Rôle"))
    return True


def dossier_link_section(view: View, engagement: Engagement, results: list[IndicatorResult]) -> bool:
    """A link to the engagement's own printable dossier (shows nothing of its own: returns False)."""
    if st.query_params.get(DOSSIER_PARAM):
        return False
    st.page_link("pages/engagements.py", label="Ouvrir le dossier de l'engagement (imprimable)",
                 icon=":material/print:", query_params={DOSSIER_PARAM: engagement.key})
    return False


PILOTAGE_SECTIONS = [
    ("Audit", audit_section),
    ("Actions", actions_section),
    ("Formations", trainings_section),
    ("Dossier", dossier_link_section),
]


def dossier_if_chosen(view: View) -> bool:
    """When the address names an engagement (``?dossier=E17``), show its dossier alone, every part
    open (the page then stops); False otherwise."""
    from qep_ui import data
    from qep_ui.data import module_heading, module_titles
    from qep_ui.engagement_sections import SECTIONS

    key = st.query_params.get(DOSSIER_PARAM)
    if not key:
        return False
    _, engagements, _ = data.referentiel(view)
    results = data.results(view)
    chosen = next((e for e in engagements if e.key == key), None)
    if chosen is None:
        if key:
            st.query_params.pop(DOSSIER_PARAM, None)
        return False
    number = engagement_number(chosen)
    st.title(f"Dossier de l'engagement {number}")
    st.subheader(chosen.title)
    st.caption(f"{view.prefecture.name} — {module_heading(chosen.module_code, module_titles())} — indicateurs : "
               f"{view.period.label} ; audit, actions et formations au {as_of_default(view):%d/%m/%Y}. "
               "Pour l'imprimer ou l'enregistrer en PDF : Ctrl+P (le menu et les boutons ne sont pas imprimés).")
    st.page_link("pages/engagements.py", label="Tous les engagements", icon=":material/arrow_back:",
                 query_params={})
    for title, section in SECTIONS:
        if section is dossier_link_section:
            continue
        with st.container(border=True):
            st.markdown(f"### {title}")
            if not section(view, chosen, results):
                st.caption({"Indicateurs": "Pas d'indicateur chiffré pour cet engagement."}.get(
                    title, "Rien d'enregistré pour cet engagement."))
    return True
