"""What an engagement gathers. Each section is a function that renders its part for one
engagement and says whether it had anything: the indicators first, then the surveys, then the
pilotage's parts (:mod:`qep_ui.pilotage_sections`: audit, actions, trainings, the dossier's link);
and the one-engagement dossier view, printable (``?dossier=E17``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import streamlit as st

from qep_core import services
from qep_core.periods import rolling_12
from qep_ui import data
from qep_ui.pilotage_common import as_of_default
from qep_ui.pilotage_sections import DOSSIER_PARAM, PILOTAGE_SECTIONS, dossier_link_section
from qep_ui.state import View
from qep_ui.surveys import engagement_surveys_section
from qep_ui.widgets import change_text, plain, status_badge

dossiers = services.engagements
Engagement: TypeAlias = services.engagements.Engagement
IndicatorResult: TypeAlias = services.engagements.IndicatorResult
Section = Callable[[View, Engagement, list[IndicatorResult]], bool]


def indicators_section(view: View, engagement: Engagement, results: list[IndicatorResult]) -> bool:
    mine = [r for r in results if r.indicator.engagement_key == engagement.key]
    for r in mine:
        ind = r.indicator
        cols = st.columns([2.2, 1, 2.2], vertical_alignment="center")
        with cols[0]:
            st.markdown(f"**{plain(ind.label)}**")
            st.page_link("pages/indicateurs.py", label=f"Voir le détail ({plain(ind.code)})", query_params={"ind": ind.code})
        with cols[1]:
            st.markdown(f"### {dossiers.format_value(r.value, ind.unit)}")
            status_badge(r.status)
            st.caption(f"cible {dossiers.format_target(r)}" + (f" · {change_text(r)} vs N-1" if r.change is not None
                                                                else ""))
        with cols[2]:
            months = data.monthly(view, ind.code, rolling_12(view.period.end))
            if months["value"].notna().any():
                st.plotly_chart(dossiers.mini_chart(ind, months), config={"displayModeBar": False},
                                key=f"mini-{engagement.key}-{ind.code}")
            else:
                st.caption("Aucune donnée sur les 12 derniers mois.")
    return bool(mine)


def surveys_section(view: View, engagement: Engagement, results: list[IndicatorResult]) -> bool:
    return engagement_surveys_section(view, engagement, results)


SECTIONS: list[tuple[str, Section]] = [("Indicateurs", indicators_section), ("Enquêtes", surveys_section),
                                       *PILOTAGE_SECTIONS]


def engagement_status_counts(engagement: Engagement, results: list[IndicatorResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        if r.indicator.engagement_key == engagement.key:
            counts[r.status] = counts.get(r.status, 0) + 1
    return counts


def dossier_if_chosen(view: View) -> bool:
    """When the address names an engagement (``?dossier=E17``), show its dossier alone, every part
    open (the page then stops); False otherwise."""
    key = st.query_params.get(DOSSIER_PARAM)
    if not key:
        return False
    _, engagements, _ = data.referentiel(view)
    results = data.results(view)
    chosen = next((e for e in engagements if e.key == key), None)
    if chosen is None:
        st.query_params.pop(DOSSIER_PARAM, None)
        return False
    number = dossiers.engagement_number(chosen)
    st.title(f"Dossier de l'engagement {number}")
    st.subheader(plain(chosen.title))
    st.caption(f"{plain(view.prefecture.name)} — {data.module_heading(chosen.module_code, data.module_titles())} — "
               f"indicateurs : {view.period.label} ; audit, actions et formations au {as_of_default(view):%d/%m/%Y}. "
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
