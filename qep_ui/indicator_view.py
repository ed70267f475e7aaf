"""Tables and texts of the indicator page (kept out of the page script so it stays thin)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import count_text, month_label_fr
from qep_core.periods import Period, quarter_period, year_period
from qep_core.rules import format_value, status_text
from qep_ui import data
from qep_ui.state import View
from qep_ui.widgets import change_text, plain

Dashboard = services.dashboard
IndicatorDef = Dashboard.IndicatorDef
format_target = Dashboard.format_target  # a result's target as it reads (qep_core.report)


def period_for_chart(period: Period) -> Period:
    """Twelve months to draw: the chosen rolling year, or the calendar year of the chosen period."""
    return period if period.kind == "rolling12" else year_period(period.end.year)


def definition_text(ind: IndicatorDef, engagements: list[Dashboard.Engagement]) -> str:
    eng = next((e for e in engagements if e.key == ind.engagement_key), None)
    where = f"Engagement {eng.number} — {eng.title}" if eng and eng.number else f"Module {ind.module_code[1:]}"
    counts = ind.counts
    if ind.kind == "mean_delay":
        how = f"moyenne pondérée : Σ délais / {counts['count'].label.lower()}, en jours ouvrés"
    elif ind.kind == "count":
        how = f"somme : {counts['value'].label.lower()}"
    else:
        factor = " × 1 000" if ind.kind == "per_mille" else ""
        how = f"{counts['numerator'].label.lower()} / {counts['denominator'].label.lower()}{factor}"
    sign = "≥" if ind.direction == ">=" else "≤"
    return plain(f"{where} · {Dashboard.KIND_LABELS[ind.kind]} ({how}) · objectif {sign} · suivi {Dashboard.FREQUENCY_LABELS[ind.frequency]} "
            f"· code {ind.code}")  # a caption: labels typed in Paramètres shown literally


def result_summary(result: Dashboard.IndicatorResult) -> tuple[str, str | None, str, str]:
    unit = result.indicator.unit
    return (format_value(result.value, unit), change_text(result), format_target(result),
            format_value(result.previous_value, unit))


def aggregates_table(view: View, ind: IndicatorDef, year: int, perimetre_ids: tuple[int, ...] | None) -> pd.DataFrame:
    """Quarters and year, each computed from its own counts (never an average of months)."""
    rows = []
    for label, period in [(f"T{q}", quarter_period(year, q)) for q in range(1, 5)] + [("Année", year_period(year))]:
        r = next(x for x in data.results(view, period, perimetre_ids) if x.indicator.code == ind.code)
        rows.append({"Période": label, "Valeur": format_value(r.value, ind.unit), "Statut": status_text(r.status),
                     "N-1": format_value(r.previous_value, ind.unit)})
    return pd.DataFrame(rows)


def monthly_table(ind: IndicatorDef, current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Mois": [month_label_fr(m) for m in current["month"]],
        "Numérateur": current["numerator"], "Dénominateur": current["denominator"],
        "Valeur": [format_value(v if pd.notna(v) else None, ind.unit) for v in current["value"]],
        "Cible": [format_value(t if pd.notna(t) else None, ind.unit) for t in current["target"]],
        "Statut": [status_text(s) for s in current["status"]],
        "Année précédente": [format_value(v if pd.notna(v) else None, ind.unit) for v in previous["value"]],
    })


def breakdown_table(ind: IndicatorDef, frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Périmètre": frame["perimetre"], "Numérateur": frame["numerator"], "Dénominateur": frame["denominator"],
        "Valeur": [format_value(v if pd.notna(v) else None, ind.unit) for v in frame["value"]],
        "Statut": [status_text(s) for s in frame["status"]],
    })


def late_items_section(view: View, ind: IndicatorDef, period: Period, perimetre_ids: tuple[int, ...] | None) -> None:
    """The late items behind a log-fed figure; personal columns only on explicit request."""
    late = data.log_items(view, ind.code, period, perimetre_ids, only_late=True)
    if late.empty:
        everything = data.log_items(view, ind.code, period, perimetre_ids, only_late=False)
        if not everything.empty:
            st.caption(f"{count_text(len(everything), 'élément')} du journal pour {period.label} : aucun en retard.")
        return
    st.subheader(f"Éléments en retard — {period.label}")
    st.caption(f"{count_text(len(late), 'élément')} hors délai ou sans réponse une fois le délai dépassé, d'après le journal importé.")
    shown = late.drop(columns=["details"])
    if view.principal.can("read_personal") and st.toggle(
            "Afficher les autres colonnes du journal (expéditeur, objet… : données personnelles possibles)",
            key=f"personal-{ind.code}"):
        shown = pd.concat([shown, Dashboard.personal_columns(late)], axis=1)
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={"Reçu le": st.column_config.DateColumn(format="DD/MM/YYYY"),
                                "Répondu le": st.column_config.DateColumn(format="DD/MM/YYYY"),
                                "Échéance": st.column_config.DateColumn(format="DD/MM/YYYY")})
