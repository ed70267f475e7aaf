"""Control charts of every monthly indicator at once, from one query: what the quarterly review,
the dashboard's tiles and the COPIL deck say of the latest month's variation and of the target.

Why one module: the review, a tile and a slide must tell the same story about the same month, so
they read the same window (the :data:`SPC_WINDOW_MONTHS` months ending at the period's end, limits
from its first ``QEP_SPC_BASELINE_MONTHS``, see :mod:`qep_core.spc`) and the same sentences
(:mod:`qep_core.spc_text`). Only monthly indicators get a chart: a quarterly or yearly figure has
too few points for limits to mean anything. A month without data is left out, not read as zero,
as on the Indicateurs page (:func:`qep_core.services.dashboard.spc`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from qep_core.compute import observation_sums, value_from_counts
from qep_core.periods import Period, add_months
from qep_core.referentiel import IndicatorDef, TargetBook
from qep_core.signals.events import process_changes
from qep_core.spc import SpcChart, chart_for_kind
from qep_core.spc_text import assurance_sentence, variation_sentence

__all__ = ["SPC_WINDOW_MONTHS", "SpcSummary", "charts_all", "spc_window", "summaries_all", "summary_of"]

#: Months a chart covers, ending at the period's end: the first 12 set the limits (the baseline),
#: the last 12 are read against them.
SPC_WINDOW_MONTHS = 24


@dataclass(frozen=True)
class SpcSummary:
    """What a tile or a slide says of one indicator: its latest month's variation and the
    assurance, each with its sentence (primitives only: cached by the pages, frozen in reviews)."""

    code: str
    month: dt.date  # the latest month with data in the window
    value: float  # its value, in the unit users read
    variation: str  # amélioration | préoccupation | variation commune
    assurance: str | None  # atteinte | aléatoire | manquée; None without target or limits
    variation_text: str
    assurance_text: str


def spc_window(end: dt.date, months: int = SPC_WINDOW_MONTHS) -> Period:
    """The *months* months ending with the month of *end*."""
    last = end.replace(day=1)
    return Period(add_months(last, 1 - months), last, "range")


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]  # a SQL sum: a number once None and NaN are out


def charts_all(session: Session, prefecture_id: int, indicators: Iterable[IndicatorDef], end: dt.date,
               perimetre_ids: Iterable[int] | None = None, months: int = SPC_WINDOW_MONTHS) -> dict[str, SpcChart]:
    """The control chart of each monthly indicator over the window ending at *end* (one query),
    against the target of *end*'s year; an indicator without any month of data has none."""
    monthly = [d for d in indicators if d.frequency == "monthly"]
    if not monthly:
        return {}
    window = spc_window(end, months)
    scope = None if perimetre_ids is None else list(perimetre_ids)
    sums = observation_sums(session, prefecture_id, window, ("month",), scope, [d.id for d in monthly])
    counts: dict[tuple[int, dt.date], tuple[float | None, float | None]] = {
        (int(r.indicator_id), r.month): (_number(r.numerator), _number(r.denominator))
        for r in sums.itertuples(index=False)}
    book = TargetBook(session, prefecture_id, monthly)
    changes = process_changes(session, prefecture_id, scope)
    charts = {}
    for ind in monthly:
        rows = [(month, *counts[(ind.id, month)]) for month in window.months
                if value_from_counts(ind, *counts.get((ind.id, month), (None, None))) is not None]
        if not rows:
            continue
        charts[ind.code] = chart_for_kind(ind.kind, [m for m, _, _ in rows], [float(n or 0) for _, n, _ in rows],
                                          [d for _, _, d in rows], ind.direction, book.rule(ind.code, end.year).value,
                                          changes[ind.code])  # limits restart at a dated process change
    return charts


def summary_of(code: str, chart: SpcChart) -> SpcSummary:
    """The latest month of *chart* in words (the chart has at least one point)."""
    last = chart.points[-1]
    return SpcSummary(code, last.month, last.value, last.variation, chart.assurance, variation_sentence(chart),
                      assurance_sentence(chart))


def summaries_all(session: Session, prefecture_id: int, indicators: Iterable[IndicatorDef], end: dt.date,
                  perimetre_ids: Iterable[int] | None = None) -> dict[str, SpcSummary]:
    """:func:`summary_of` each chart of :func:`charts_all`."""
    return {code: summary_of(code, chart)
            for code, chart in charts_all(session, prefecture_id, indicators, end, perimetre_ids).items()}
