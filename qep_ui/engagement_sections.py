"""What an engagement gathers. Each section is a function that renders its part for one
engagement and says whether it had anything; indicators come first, later modules (surveys,
audit findings, actions) register their own section here."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from qep_core.charts import mini_chart
from qep_core.compute import IndicatorResult
from qep_core.models import Engagement
from qep_core.periods import rolling_12
from qep_core.report import format_target
from qep_core.rules.formatting import format_value
from qep_ui import data
from qep_ui.state import View
from qep_ui.widgets import change_text, status_badge

Section = Callable[[View, Engagement, list[IndicatorResult]], bool]


def indicators_section(view: View, engagement: Engagement, results: list[IndicatorResult]) -> bool:
    mine = [r for r in results if r.indicator.engagement_key == engagement.key]
    for r in mine:
        ind = r.indicator
        cols = st.columns([2.2, 1, 2.2], vertical_alignment="center")
        with cols[0]:
            st.markdown(f"**{ind.label}**")
            st.page_link("pages/indicateurs.py", label=f"Voir le détail ({ind.code})", query_params={"ind": ind.code})
        with cols[1]:
            st.markdown(f"### {format_value(r.value, ind.unit)}")
            status_badge(r.status)
            st.caption(f"cible {format_target(r)}" + (f" · {change_text(r)} vs N-1" if r.change is not None else ""))
        with cols[2]:
            months = data.monthly(view, ind.code, rolling_12(view.period.end))
            if months["value"].notna().any():
                st.plotly_chart(mini_chart(ind, months), config={"displayModeBar": False},
                                key=f"mini-{engagement.key}-{ind.code}")
            else:
                st.caption("Aucune donnée sur les 12 derniers mois.")
    return bool(mine)


SECTIONS: list[tuple[str, Section]] = [("Indicateurs", indicators_section)]


def surveys_section(view: View, engagement: Engagement, results: list[IndicatorResult]) -> bool:
    from qep_ui.surveys import engagement_surveys_section

    return engagement_surveys_section(view, engagement, results)


SECTIONS.append(("Enquêtes", surveys_section))


def engagement_status_counts(engagement: Engagement, results: list[IndicatorResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        if r.indicator.engagement_key == engagement.key:
            counts[r.status] = counts.get(r.status, 0) + 1
    return counts


from qep_ui.pilotage_sections import PILOTAGE_SECTIONS  # noqa: E402  (audit, actions, trainings, printable dossier)

SECTIONS += PILOTAGE_SECTIONS
