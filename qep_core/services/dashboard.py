"""Read models of the pages that show figures: the sidebar, the dashboard, an indicator, the
comparison of préfectures, and the ``report`` command.

Every figure is CUT to the principal before it leaves this module: a contributor's results,
sparklines, monthly series, breakdown and late items sum over its own périmètres only (asking
for another service's périmètre is refused); the breakdown needs ``read_detail``, the items
``read_items``, and the items' personal columns ``read_personal`` (without it they are blanked
here, not only hidden by the page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session, col, select

from qep_core.access import AccessDenied, Principal, outside_perimetres
from qep_core.charts import breakdown_chart, monthly_chart
from qep_core.compute import (
    A_SURVEILLER,
    ATTEINT,
    NON_ATTEINT,
    PAS_DE_DONNEE,
    SANS_OBJECTIF,
    IndicatorResult,
    breakdown_by_perimetre,
    compute_indicators,
    data_range,
    latest_month_with_data,
    monthly_values,
    monthly_values_all,
)
from qep_core.drilldown import log_items, personal_columns
from qep_core.models import Channel, Engagement, Module, Perimetre, Prefecture
from qep_core.periods import Period, rolling_12
from qep_core.prefectures import PrefectureError, labelled_modules, list_prefectures, perimetre_key, perimetres_of
from qep_core.prefectures import resolve_prefecture as _resolve_prefecture
from qep_core.referentiel import FREQUENCY_LABELS, KIND_LABELS, IndicatorDef, engagements_for, indicators_for
from qep_core.regional import compare_prefectures, group_value
from qep_core.report import format_target, format_value, to_csv, to_json, to_table
from qep_core.safe_cells import csv_bytes, xlsx_bytes
from qep_core.services._unit import Actor, operation, unit
from qep_core.services.system import history_version
from qep_core.signals.events import process_change_days
from qep_core.spc import SpcChart, SpcPoint, baseline_months, chart_for_kind
from qep_core.spc_chart import spc_figure
from qep_core.spc_series import SpcSummary, spc_window, summaries_all
from qep_core.spc_text import assurance_sentence, method_sentence, variation_sentence

__all__ = [
    "ATTEINT", "A_SURVEILLER", "FREQUENCY_LABELS", "KIND_LABELS", "NON_ATTEINT", "PAS_DE_DONNEE", "SANS_OBJECTIF",
    "Comparison", "DataStatus", "Engagement", "IndicatorDef", "IndicatorResult", "Perimetre", "Prefecture",
    "PrefectureError", "SpcChart", "SpcPoint", "SpcSummary", "SpcTexts", "breakdown", "breakdown_chart",
    "channel_titles", "compare", "csv_bytes", "data_status",
    "format_target", "format_value", "indicator_results", "late_items", "module_titles", "monthly", "monthly_chart",
    "perimetre_ids_by_name", "perimetres", "personal_columns", "prefecture", "prefectures", "referentiel", "scope",
    "sparklines", "spc", "spc_figure", "spc_summaries", "spc_texts", "spc_window", "to_csv", "to_json", "to_table", "xlsx_bytes",
]

NO_PERIMETRE = -1  # a contributor without any périmètre sees no figure


@dataclass(frozen=True)
class DataStatus:
    """What the sidebar needs: the months with data and the version the caches are keyed on."""

    first_month: dt.date | None
    last_month: dt.date | None
    version: str


@dataclass(frozen=True)
class Comparison:
    """One indicator across the préfectures the principal sees, and the group's weighted figure."""

    indicator: IndicatorDef
    frame: pd.DataFrame
    group: float | None


def scope(principal: Principal, perimetre_ids: Iterable[int] | None = None) -> tuple[int, ...] | None:
    """The périmètres a read covers: those asked for (all when None), cut to the principal's.
    A contributor asking for nothing in particular gets its own périmètres."""
    asked = None if perimetre_ids is None else tuple(sorted(set(perimetre_ids)))
    own = principal.perimetre_ids
    if own is None:
        return asked
    if asked is None:
        return tuple(sorted(own)) or (NO_PERIMETRE,)
    return asked


def _names(session: Session, prefecture_id: int) -> dict[int, str]:
    return {p.id or 0: p.name for p in perimetres_of(session, prefecture_id)}


def _cut(work_session: Session, principal: Principal, prefecture_id: int,
         perimetre_ids: Iterable[int] | None) -> tuple[int, ...] | None:
    """The scope of a read; explicitly asking for another service's périmètre is refused."""
    chosen = scope(principal, perimetre_ids)
    if perimetre_ids is not None and principal.perimetre_ids is not None:
        outside = [p for p in perimetre_ids if p not in principal.perimetre_ids]
        if outside:
            names = _names(work_session, prefecture_id)
            raise outside_perimetres([f"« {names.get(p, f'n° {p}')} »" for p in sorted(set(outside))],
                                     "seuls les chiffres de vos périmètres vous sont montrés.")
    return chosen


def _indicator(session: Session, prefecture_id: int, code: str) -> IndicatorDef:
    found = next((d for d in indicators_for(session, prefecture_id) if d.code == code), None)
    if found is None:
        raise KeyError(f"indicateur inconnu : {code}")
    return found


# ------------------------------------------------------------------------------------------------ sidebar


@operation("read", writes=False)
def prefectures(actor: Actor) -> list[Prefecture]:
    """The préfectures the principal may see, by code."""
    with unit(actor, "read") as work:
        return [p for p in list_prefectures(work.session) if actor.principal.sees_prefecture(p.id or 0)]


@operation("read", writes=False)
def prefecture(actor: Actor, code: str | None) -> Prefecture:
    """A préfecture by its département code (the only one when *code* is None), if the principal sees it."""
    with unit(actor, "read") as work:
        found = _resolve_prefecture(work.session, code)
    if not actor.principal.sees_prefecture(found.id or 0):
        raise AccessDenied("Accès refusé : cette préfecture n'est pas dans le périmètre de votre compte.")
    return found


@operation("read", writes=False)
def data_status(actor: Actor, prefecture_id: int) -> DataStatus:
    """First and latest month with data, and the data version (the key of the page caches)."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        span = data_range(work.session, prefecture_id)
        latest = latest_month_with_data(work.session, prefecture_id)
        version = history_version(work.session, prefecture_id)
    return DataStatus(span[0] if span else None, latest if span else None, version)


@operation("read", writes=False)
def perimetres(actor: Actor, prefecture_id: int) -> list[Perimetre]:
    """The préfecture's périmètres the principal may read (a contributor: its own)."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        return [p for p in perimetres_of(work.session, prefecture_id) if actor.principal.sees_perimetre(p.id or 0)]


@operation("read", writes=False)
def referentiel(actor: Actor, prefecture_id: int) -> tuple[list[IndicatorDef], list[Engagement], list[str]]:
    """The préfecture's indicators, engagements and labelled modules."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        return (indicators_for(work.session, prefecture_id), engagements_for(work.session, prefecture_id),
                labelled_modules(work.session, prefecture_id))


@operation("read", writes=False)
def module_titles(actor: Actor) -> dict[str, str]:
    """Module code → title (M1 → "Relation générale avec les usagers"), in référentiel order."""
    with unit(actor, "read") as work:
        return {m.code: m.title for m in work.session.exec(select(Module).order_by(col(Module.number)))}


@operation("read", writes=False)
def channel_titles(actor: Actor) -> dict[str, str]:
    """Channel code → title (telephone → "Téléphone"), as the référentiel names them."""
    with unit(actor, "read") as work:
        return {c.code: c.title for c in work.session.exec(select(Channel).order_by(col(Channel.position)))}


# ------------------------------------------------------------------------------------------------ figures


@operation("read", writes=False)
def indicator_results(actor: Actor, prefecture_id: int, period: Period,
                      perimetre_ids: Iterable[int] | None = None) -> list[IndicatorResult]:
    """Every indicator of *period* against its target, over the principal's périmètres."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        chosen = _cut(work.session, actor.principal, prefecture_id, perimetre_ids)
        return compute_indicators(work.session, prefecture_id, period, perimetre_ids=chosen)


@operation("read", writes=False)
def sparklines(actor: Actor, prefecture_id: int, end: Period) -> dict[str, list[float | None]]:
    """Each indicator's twelve months up to the end of *end*, over the principal's périmètres."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        chosen = scope(actor.principal)
        return monthly_values_all(work.session, prefecture_id, indicators_for(work.session, prefecture_id),
                                  rolling_12(end.end), chosen)


@operation("read", writes=False)
def monthly(actor: Actor, prefecture_id: int, code: str, period: Period,
            perimetre_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """One indicator month by month (months without data included), over the principal's périmètres."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        chosen = _cut(work.session, actor.principal, prefecture_id, perimetre_ids)
        return monthly_values(work.session, prefecture_id, _indicator(work.session, prefecture_id, code), period,
                              chosen)


@operation("read", writes=False)
def spc(actor: Actor, prefecture_id: int, code: str, period: Period, perimetre_ids: Iterable[int] | None = None,
        process_changes: Iterable[dt.date] = ()) -> SpcChart:
    """One indicator's control chart over the months of *period* with data (a month without data
    is left out, not read as zero), over the principal's périmètres; the target is that of the
    period's last year. Limits start again after each of *process_changes* and after each event of
    the préfecture flagged « changement de fonctionnement » that applies to this indicator (or to
    all) and to the périmètres read (or to the whole préfecture): see qep_core.spc and
    services.events. Only the days of these events are read, never their labels."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        chosen = _cut(work.session, actor.principal, prefecture_id, perimetre_ids)
        ind = _indicator(work.session, prefecture_id, code)
        frame = monthly_values(work.session, prefecture_id, ind, period, chosen)
        changes = sorted({*process_changes, *process_change_days(work.session, prefecture_id, code, chosen)})
    rows = frame.loc[frame["value"].notna()]
    target = frame["target"].iloc[-1] if len(frame) else None
    return chart_for_kind(ind.kind, list(rows["month"]), [float(x) for x in rows["numerator"]],
                          [None if pd.isna(x) else float(x) for x in rows["denominator"]], ind.direction,
                          None if target is None or pd.isna(target) else float(target), changes)


@dataclass(frozen=True)
class SpcTexts:
    """The sentences beside a control chart: the latest month's variation, the assurance, the method."""

    variation: str
    assurance: str
    method: str


def spc_texts(chart: SpcChart) -> SpcTexts:
    return SpcTexts(variation_sentence(chart), assurance_sentence(chart), method_sentence(chart, baseline_months()))


@operation("read", writes=False)
def spc_summaries(actor: Actor, prefecture_id: int, end: Period) -> dict[str, SpcSummary]:
    """Each monthly indicator's latest variation and assurance (the dashboard's tiles), from its
    control chart over the 24 months up to the end of *end* (qep_core.spc_series), all in one
    query, over the principal's périmètres."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        return summaries_all(work.session, prefecture_id, indicators_for(work.session, prefecture_id), end.end,
                             scope(actor.principal))


@operation("read_detail", writes=False)
def breakdown(actor: Actor, prefecture_id: int, code: str, period: Period) -> pd.DataFrame:
    """One indicator per périmètre (only the principal's périmètres)."""
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        frame = breakdown_by_perimetre(work.session, prefecture_id, _indicator(work.session, prefecture_id, code),
                                       period)
        own = actor.principal.perimetre_ids
        if own is not None:
            names = {name for pid, name in _names(work.session, prefecture_id).items() if pid in own}
            frame = frame.loc[frame["perimetre"].isin(names)].reset_index(drop=True)
        return frame


@operation("read_items", writes=False)
def late_items(actor: Actor, prefecture_id: int, code: str, period: Period,
               perimetre_ids: Iterable[int] | None = None, only_late: bool = True) -> pd.DataFrame:
    """The items behind a log-fed indicator (late ones by default) over the principal's périmètres;
    their other columns (sender, subject…) only for a principal who may read personal data."""
    with unit(actor, "read_items", prefecture_id=prefecture_id) as work:
        chosen = _cut(work.session, actor.principal, prefecture_id, perimetre_ids)
        frame = log_items(work.session, prefecture_id, code, period, chosen, only_late)
    if not actor.principal.can("read_personal") and "details" in frame.columns:
        frame = frame.assign(details="")
    return frame


@operation("compare", writes=False)
def compare(actor: Actor, prefecture_id: int, code: str, period: Period) -> Comparison | None:
    """*code* across every préfecture the principal sees (None when it sees only one)."""
    with unit(actor, "compare", prefecture_id=prefecture_id) as work:
        visible = [p.id or 0 for p in list_prefectures(work.session) if actor.principal.sees_prefecture(p.id or 0)]
        if len(visible) < 2:
            return None
        ind = _indicator(work.session, prefecture_id, code)
        frame = compare_prefectures(work.session, ind, period, visible)
    return Comparison(ind, frame, group_value(ind, frame))


def perimetre_ids_by_name(perims: list[Perimetre], names: Iterable[str]) -> list[int] | None:
    """The ids of the périmètres named (spelling and case forgiven); None when one is unknown."""
    wanted = {perimetre_key(n) for n in names}
    found = [p.id or 0 for p in perims if perimetre_key(p.name) in wanted]
    return found if len(found) == len(wanted) else None
