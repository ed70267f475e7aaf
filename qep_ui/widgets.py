"""Widgets shared by the pages: status badges, indicator tiles, tables with their downloads."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Protocol

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.frenchforms import count_text, month_label_fr, plural
from qep_core.rules import (
    A_SURVEILLER,
    ATTEINT,
    NON_ATTEINT,
    RATED_STATUSES,
    IndicatorKind,
    SignalStyle,
    assurance_style,
    delta_colour,
    format_change,
    format_value,
    status_text,
    style_of,
    variation_style,
)

_dashboard = services.dashboard
IndicatorResult = _dashboard.IndicatorResult
SpcSummary = _dashboard.SpcSummary
format_target = _dashboard.format_target  # a result's target as it reads (qep_core.report)
_csv_bytes, _xlsx_bytes = _dashboard.csv_bytes, _dashboard.xlsx_bytes


class Issue(Protocol):
    """An import problem as the tables show it (``qep_core.importing.Issue``)."""

    @property
    def severity(self) -> str: ...
    @property
    def sheet(self) -> str | None: ...
    @property
    def row(self) -> int | None: ...
    @property
    def column(self) -> str | None: ...
    @property
    def message(self) -> str: ...

_MARKDOWN_ACTIVE = str.maketrans({c: "\\" + c for c in "\\[]!$~|<>#`*_&"})


def plain(text: object) -> str:
    """*text* from a file or a user, shown literally where Streamlit renders Markdown (messages,
    labels): no image fetched from elsewhere (``![](https://…)`` in a file name or a cell would make
    every reader's browser call that address), no link, no LaTeX, no HTML tag or entity (``&lt;``
    stays as typed). Never ``unsafe_allow_html``."""
    return str(text).translate(_MARKDOWN_ACTIVE)


def markdown_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """*frame* for ``st.table``, whose cells, index and headers are Markdown (unlike ``st.dataframe``,
    whose cells are text and must stay unescaped): every text passed through :func:`plain`."""
    def text(value: object) -> object:
        return plain(value) if isinstance(value, str) else value

    out = frame.map(text)
    out.index = out.index.map(text)
    out.columns = out.columns.map(text)
    return out


def status_badge(status: str) -> None:
    """The status said by a word and an icon (qep_core.rules.status), never by colour alone."""
    style = style_of(status)
    st.badge(status, icon=style.icon, color=style.badge)  # type: ignore[arg-type]  # Streamlit types color as a Literal of its colour names; ours are among them


def signal_badge(style: SignalStyle | None, empty: str = "—") -> None:
    """A variation or an assurance (qep_core.rules.signals) as a badge: symbol, word and icon."""
    if style is None:
        st.badge(empty, color="gray")
        return
    st.badge(style.word, icon=style.icon, color=style.badge)  # type: ignore[arg-type]  # as in status_badge


def variation_text(variation: str | None) -> str:
    """« ⊕ amélioration » (symbol and word, qep_core.rules.signals); « – » without a chart."""
    return "–" if variation is None else variation_style(variation).text


def assurance_text(assurance: str | None) -> str:
    """« ● cible atteinte »; « – » without a target or limits."""
    style = assurance_style(assurance)
    return "–" if style is None else style.text


def change_text(result: IndicatorResult) -> str | None:
    """``+2,3 pt`` against the same period a year earlier, « stable » when it shows as zero
    (:func:`qep_core.rules.format_change`); None without both values."""
    if result.change is None:
        return None
    return format_change(result.change, result.indicator.unit)


def delta_style(result: IndicatorResult) -> dict[str, str]:
    """``delta_color`` and ``delta_arrow`` of a change: no colour nor arrow when it is stable."""
    colour = delta_colour(result.change, result.indicator.unit, result.indicator.direction)
    return {"delta_color": colour, "delta_arrow": "off" if colour == "off" else "auto"}


def spc_caption(spc: SpcSummary) -> None:
    """The latest month's variation and the assurance, small, symbol and word (never colour
    alone); the sentences a COPIL member reads in the tooltip."""
    parts = [variation_text(spc.variation)] + ([assurance_text(spc.assurance)] if spc.assurance else [])
    st.caption(" · ".join(parts),
               help=plain(f"Carte de contrôle, dernier mois ({month_label_fr(spc.month)}) : {spc.variation_text} "
                          f"{spc.assurance_text}"))


def tile(result: IndicatorResult, spark: Sequence[float | None] | None, link_page: str | None = None,
         spc: SpcSummary | None = None, gap: str | None = None) -> None:
    """One indicator: value, status (word + icon), target, change vs last year, 12-month sparkline,
    the control chart's latest variation and assurance when it has one (*spc*), and the months its
    figure lacks (*gap*, « manque CM (août, sept.) ») when some service has not sent them."""
    ind = result.indicator
    with st.container(border=True):
        chart = [v for v in (spark or []) if v is not None]
        st.metric(
            plain(ind.label), format_value(result.value, ind.unit), delta=change_text(result), **delta_style(result),  # type: ignore[arg-type]  # Streamlit types both as Literals; ours are among them
            delta_description="vs N-1" if result.change is not None else None,
            chart_data=chart if len(chart) >= 2 else None, chart_type="line", border=False,
            help=f"{plain(ind.code)} — cible {format_target(result)}" + (
                f" ; {format_value(result.numerator, '')} / {format_value(result.denominator, '')}"
                if result.denominator is not None and ind.kind not in (IndicatorKind.MEAN_DELAY, IndicatorKind.COUNT) else ""),
        )
        status_badge(result.status)
        st.caption("pas d'objectif" if result.target.value is None else f"cible {format_target(result)}")
        if spc is not None:
            spc_caption(spc)
        if gap:
            st.caption(f":material/hourglass_bottom: mois incomplets : {plain(gap)}",
                       help="Calculé sans ces mois : le service ne les a pas (encore) envoyés — page Collecte.")
        if link_page:
            st.page_link(link_page, label="Voir le détail", icon=":material/monitoring:",
                         query_params={"ind": ind.code})


def summary_line(results: list[IndicatorResult]) -> str:
    """« **3 indicateurs sur 5** atteignent leur cible · 2 non atteints · 1 sans objectif ou sans
    donnée »: the words agree with the counts and a count of zero is left out, not shown as « 0 ».
    """
    met = sum(r.status == ATTEINT for r in results)
    watch = sum(r.status == A_SURVEILLER for r in results)
    missed = sum(r.status == NON_ATTEINT for r in results)
    rated = sum(r.status in RATED_STATUSES for r in results)
    head = (f"**{count_text(met, 'indicateur')} sur {rated}** {plural(met, 'atteint sa cible', 'atteignent leur cible')}"
            if rated else "**Aucun indicateur** n'a à la fois un objectif et des données")
    rest = [f"{watch} à surveiller" if watch else "", count_text(missed, "non atteint", "non atteints") if missed else "",
            f"{len(results) - rated} sans objectif ou sans donnée" if len(results) > rated else ""]
    return " · ".join([head, *(part for part in rest if part)])


def xlsx_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx of the tables (cells and titles neutralised against formula injection: safe_cells)."""
    return _xlsx_bytes(frames)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return _csv_bytes(frame)


def download_table(frame: pd.DataFrame, stem: str, key: str) -> None:
    """CSV (Excel-friendly: ``;`` and BOM) and XLSX downloads side by side, each file made only
    when its button is clicked (an Excel file costs tens of milliseconds on every rerun otherwise)."""
    cols = st.columns(2)
    cols[0].download_button("Télécharger (CSV)", functools.partial(csv_bytes, frame), f"{stem}.csv", "text/csv",
                            key=f"{key}-csv", icon=":material/download:", on_click="ignore")
    cols[1].download_button("Télécharger (Excel)", functools.partial(xlsx_bytes, {stem: frame}), f"{stem}.xlsx",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}-xlsx",
                            icon=":material/download:", on_click="ignore")


def issues_table(issues: Sequence[Issue]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"Gravité": i.severity, "Feuille": i.sheet or "", "Ligne": "" if i.row is None else str(i.row),
          "Colonne": i.column or "", "Message": i.message} for i in issues],
        columns=["Gravité", "Feuille", "Ligne", "Colonne", "Message"],
    )


def show_issues(issues: Sequence[Issue], key: str) -> None:
    if not issues:
        return
    st.dataframe(issues_table(issues), hide_index=True, width="stretch", key=key,
                 column_config={"Ligne": st.column_config.TextColumn(width="small"),
                                "Message": st.column_config.TextColumn(width="large")})


def results_table(results: list[IndicatorResult]) -> pd.DataFrame:
    """The table alternative of the dashboard (RGAA) and its download."""
    return pd.DataFrame([
        {"Code": r.indicator.code, "Indicateur": r.indicator.label,
         "Valeur": format_value(r.value, r.indicator.unit), "Cible": format_target(r), "Statut": status_text(r.status),
         "N-1": format_value(r.previous_value, r.indicator.unit), "Évolution": change_text(r) or "–",
         "Numérateur": r.numerator, "Dénominateur": r.denominator}
        for r in results
    ])
