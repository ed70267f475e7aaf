"""The pilotage's parts of an engagement's dossier (gathered in
:data:`qep_ui.engagement_sections.SECTIONS`): the last audit's finding and remarks, the actions
(open and done), the trainings that serve it, and the link to the one-engagement dossier.

What each part shows comes from :func:`qep_core.services.engagements.engagement_dossiers`, read
once per run for the whole préfecture and already cut to the reader: the users' committee gets
counts, conformity and figures, never an audit remark, an owner's name or an internal note.
Figures are as of :func:`qep_ui.pilotage_common.as_of_default` (the end of the sidebar's period,
or today), like the pilotage pages.
"""

from __future__ import annotations

from typing import TypeAlias

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import count_text
from qep_ui.audits import conformity_badge, remark_line
from qep_ui.auth import actor
from qep_ui.pilotage_common import as_of_default, french_date
from qep_ui.state import View
from qep_ui.widgets import markdown_cells, plain

dossiers = services.engagements
Engagement: TypeAlias = services.engagements.Engagement
IndicatorResult: TypeAlias = services.engagements.IndicatorResult

DOSSIER_PARAM = "dossier"
MEMO_KEY = "_engagement_dossiers"


def dossier_of(view: View, engagement: Engagement) -> services.engagements.EngagementDossier | None:
    """The engagement's pilotage dossier, from one read of the préfecture's per run (the view is
    built anew on every run, so a write is seen on the next one)."""
    as_of = as_of_default(view)
    memo = st.session_state.get(MEMO_KEY)
    if memo is None or memo[0] is not view or memo[1] != as_of:
        memo = (view, as_of, dossiers.engagement_dossiers(actor(), view.prefecture.id or 0, as_of))
        st.session_state[MEMO_KEY] = memo
    return memo[2].get(engagement.key)


def audit_section(view: View, engagement: Engagement, results: list[IndicatorResult]) -> bool:
    dossier = dossier_of(view, engagement)
    audit = dossier.audit if dossier else None
    if audit is None:
        return False
    cols = st.columns([3, 1.4], vertical_alignment="center")
    cols[0].markdown(f"**Dernier audit : {plain(audit.title)}**" + (f" — {plain(audit.auditor)}" if audit.auditor else ""))
    with cols[1]:
        conformity_badge(audit.conformity)
    if dossier is not None and dossier.public_only:
        counts = ", ".join(count_text(n, *forms) for kind, forms in dossiers.REMARK_KINDS_COUNTED.items()
                           if (n := audit.remark_counts.get(kind, 0)))
        st.caption(f"Remarques de l'auditeur : {counts or 'aucune'} (le détail relève du suivi interne).")
        return True
    for r in audit.remarks:
        answer = ""
        if r.actionable:
            answer = f" — *{plain(r.action)}*" if r.action else " — *sans action*"
        st.markdown(remark_line(r.kind, r.text) + answer)
    if audit.note:
        st.caption(f"Note de l'auditeur : {plain(audit.note)}")
    return True


def actions_section(view: View, engagement: Engagement, results: list[IndicatorResult]) -> bool:
    dossier = dossier_of(view, engagement)
    actions = dossier.actions if dossier else None
    if dossier is None or actions is None:
        return False
    st.markdown(f"**Actions au {dossier.as_of:%d/%m/%Y}** : {count_text(actions.done, 'faite')}, {actions.open} en cours ou à faire"
                + (f", dont {actions.late} en retard" if actions.late else "")
                + (f", {count_text(actions.abandoned, 'abandonnée')}" if actions.abandoned else ""))
    if not actions.rows:
        return True
    frame = pd.DataFrame([{
        "Réf.": a.ref, "Action": a.title, "Source": a.source, "Responsable": a.owner,
        "Échéance": french_date(a.due_date), "Statut": a.status_label + (" — en retard" if a.late else ""),
        "Depuis le": french_date(a.since),
    } for a in actions.rows])
    st.table(markdown_cells(frame.set_index("Réf.")))  # a plain table: it wraps its text and prints whole
    return True


def trainings_section(view: View, engagement: Engagement, results: list[IndicatorResult]) -> bool:
    dossier = dossier_of(view, engagement)
    trainings = dossier.trainings if dossier else None
    if dossier is None or trainings is None:
        return False
    total = trainings.total
    roles = "tous les rôles" if trainings.roles is None else ", ".join(plain(r.label.lower()) for r in trainings.by_role)
    st.markdown(f"**Formations au {dossier.as_of:%d/%m/%Y}** ({roles}) : {count_text(total.a_jour, 'agent')} à jour sur "
                f"{total.concerned}, {total.a_former} à former dans leur première année, {total.en_retard} en retard")
    frame = pd.DataFrame([{"Rôle": r.label, "Agents concernés": r.concerned, "À jour": r.a_jour,
                           "À former (1re année)": r.a_former, "En retard": r.en_retard,
                           "Non formés sous tutorat": r.tutored} for r in trainings.by_role])
    st.table(markdown_cells(frame.set_index("Rôle")))
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
