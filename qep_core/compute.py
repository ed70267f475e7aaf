"""Indicator values for any period and périmètre, weighted, against the year's target.

The single rule: a figure over several months or périmètres is Σ numerators / Σ denominators
(Σ delays / Σ answers for a mean delay). Averaging monthly percentages is wrong whenever the
months have different volumes — Loire-Atlantique's 2022 e-mail table shows 94 % that way, while
its counts give 719 / 786 = 91.5 %.

Sums are done by the database (GROUP BY), so a national-scale query stays in milliseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from qep_core.models import (
    Observation,
    Perimetre,
)
from qep_core.periods import Period
from qep_core.referentiel import IndicatorDef, TargetBook, TargetRule, indicators_for
from qep_core.rules.bounds import period_window
from qep_core.rules.kinds import Direction, IndicatorKind
from qep_core.rules.status import (  # noqa: F401  (re-exported: the names callers read here)
    A_SURVEILLER,
    ATTEINT,
    NON_ATTEINT,
    PAS_DE_DONNEE,
    SANS_OBJECTIF,
    STATUS_RANK,
    STATUSES,
)

_EPS = 1e-9


def value_from_counts(ind: IndicatorDef, numerator: float | None, denominator: float | None) -> float | None:
    """The indicator's value in the unit users read (91.5 for 91,5 %), or None without data."""
    if numerator is None:
        return None
    if ind.kind == IndicatorKind.COUNT:
        return float(numerator)
    if denominator is None or denominator <= 0:
        return None
    return numerator / denominator * ind.scale


def status_of(value: float | None, rule: TargetRule) -> str:
    """atteint / à surveiller / non atteint / sans objectif / pas de donnée."""
    if value is None:
        return PAS_DE_DONNEE
    if rule.value is None:
        return SANS_OBJECTIF
    if rule.direction == Direction.HIGHER_IS_BETTER:
        if value >= rule.value - _EPS:
            return ATTEINT
        if rule.alert is not None and value >= rule.alert - _EPS:
            return A_SURVEILLER
        return NON_ATTEINT
    if value <= rule.value + _EPS:
        return ATTEINT
    if rule.alert is not None and value <= rule.alert + _EPS:
        return A_SURVEILLER
    return NON_ATTEINT


@dataclass(frozen=True)
class IndicatorResult:
    indicator: IndicatorDef
    period: Period
    numerator: float | None
    denominator: float | None
    value: float | None
    target: TargetRule
    status: str
    observations: int
    previous_numerator: float | None = None
    previous_denominator: float | None = None
    previous_value: float | None = None
    previous_period: Period | None = None

    @property
    def change(self) -> float | None:
        """Change against the same period a year earlier, in the indicator's unit (points for %)."""
        if self.value is None or self.previous_value is None:
            return None
        return self.value - self.previous_value


def observation_sums(
    session: Session,
    prefecture_id: int,
    period: Period,
    by: Sequence[str] = (),
    perimetre_ids: Iterable[int] | None = None,
    indicator_ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Σ numerator, Σ denominator and row count per indicator (and per month / périmètre).

    Only observations whose span lies inside the period count: a quarterly figure is part of
    its quarter and its year, never of one of its months.
    """
    group_cols: list[Any] = [Observation.indicator_id]
    names = ["indicator_id"]
    if "month" in by:
        group_cols.append(Observation.period_start)
        names.append("month")
    if "perimetre" in by:
        group_cols.append(Observation.perimetre_id)
        names.append("perimetre_id")
    stmt = (
        # sqlmodel's select() is typed for a fixed number of columns only, and this one varies
        select(*group_cols, func.sum(Observation.numerator), func.sum(Observation.denominator),  # type: ignore[call-overload]
               func.count())
        .where(Observation.prefecture_id == prefecture_id)
        .where(Observation.period_start >= period.start)
        .where(Observation.period_end <= period.end)
        .group_by(*group_cols)
    )
    if perimetre_ids is not None:
        stmt = stmt.where(col(Observation.perimetre_id).in_(list(perimetre_ids)))
    if indicator_ids is not None:
        stmt = stmt.where(col(Observation.indicator_id).in_(list(indicator_ids)))
    rows = session.exec(stmt).all()
    frame = pd.DataFrame(rows, columns=[*names, "numerator", "denominator", "observations"])
    if "month" in names and not frame.empty:
        frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame


def _sums_by_indicator(frame: pd.DataFrame) -> dict[int, tuple[float | None, float | None, int]]:
    out: dict[int, tuple[float | None, float | None, int]] = {}
    for row in frame.itertuples(index=False):
        den = None if pd.isna(row.denominator) else float(row.denominator)
        num = None if pd.isna(row.numerator) else float(row.numerator)
        out[int(row.indicator_id)] = (num, den, int(row.observations))
    return out


def compute_indicators(
    session: Session,
    prefecture_id: int,
    period: Period,
    *,
    perimetre_ids: Iterable[int] | None = None,
    codes: Iterable[str] | None = None,
    indicators: list[IndicatorDef] | None = None,
    with_previous: bool = True,
) -> list[IndicatorResult]:
    """Every (or the chosen) indicator of the préfecture for *period*, with target and status.

    This is the one function behind the CLI report, the dashboard tiles and the exports.
    """
    indicators = indicators if indicators is not None else indicators_for(session, prefecture_id)
    if codes is not None:
        wanted = set(codes)
        indicators = [d for d in indicators if d.code in wanted]
    ids = [d.id for d in indicators]
    perims = list(perimetre_ids) if perimetre_ids is not None else None
    current = _sums_by_indicator(observation_sums(session, prefecture_id, period, (), perims, ids))
    previous: dict[int, tuple[float | None, float | None, int]] = {}
    prev_period = comparison_period(session, prefecture_id, period) if with_previous else None
    if prev_period is not None:
        previous = _sums_by_indicator(observation_sums(session, prefecture_id, prev_period, (), perims, ids))
    book = TargetBook(session, prefecture_id, indicators)
    results = []
    for ind in indicators:
        num, den, n = current.get(ind.id, (None, None, 0))
        value = value_from_counts(ind, num, den)
        rule = book.rule(ind.code, period.year)
        pnum, pden, _ = previous.get(ind.id, (None, None, 0))
        results.append(
            IndicatorResult(
                indicator=ind, period=period, numerator=num, denominator=den, value=value,
                target=rule, status=status_of(value, rule), observations=n,
                previous_numerator=pnum, previous_denominator=pden,
                previous_value=value_from_counts(ind, pnum, pden), previous_period=prev_period,
            )
        )
    return results


def comparison_period(session: Session, prefecture_id: int, period: Period) -> Period:
    """The same period a year earlier — cut at the same month when the period is still running.

    September 2024 year-to-date is compared with January–September 2023, not with all of 2023:
    otherwise every count looks like a fall.
    """
    previous = period.shifted_years(-1)
    latest = latest_month_with_data(session, prefecture_id)
    if latest is not None and period.start <= latest < period.end:
        cut = latest.replace(year=latest.year - 1)
        return Period(previous.start, cut, "range")
    return previous


def compute_indicator(session: Session, prefecture_id: int, code: str, period: Period,
                      perimetre_ids: Iterable[int] | None = None) -> IndicatorResult:
    results = compute_indicators(session, prefecture_id, period, perimetre_ids=perimetre_ids, codes=[code])
    if not results:
        raise KeyError(f"indicateur inconnu : {code}")
    return results[0]


def _count(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]  # a SQL sum: a number once None and NaN are out


def _monthly_counts(session: Session, prefecture_id: int, indicators: list[IndicatorDef], period: Period,
                    perimetre_ids: Iterable[int] | None) -> dict[tuple[int, dt.date], tuple[float | None, float | None]]:
    """(indicator id, month) → (Σ numerator, Σ denominator), one query for all the indicators."""
    sums = observation_sums(session, prefecture_id, period, ("month",), perimetre_ids, [d.id for d in indicators])
    return {(int(r.indicator_id), r.month): (_count(r.numerator), _count(r.denominator))
            for r in sums.itertuples(index=False)}


def monthly_values(session: Session, prefecture_id: int, ind: IndicatorDef, period: Period,
                   perimetre_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """One row per month of *period* (months without data included, value None)."""
    counts = _monthly_counts(session, prefecture_id, [ind], period, perimetre_ids)
    book = TargetBook(session, prefecture_id, [ind])
    records = []
    for month in period.months:
        num, den = counts.get((ind.id, month), (None, None))
        value = value_from_counts(ind, num, den)
        rule = book.rule(ind.code, month.year)
        records.append({"month": month, "numerator": num, "denominator": den, "value": value,
                        "target": rule.value, "status": status_of(value, rule)})
    return pd.DataFrame.from_records(records)


def breakdown_by_perimetre(session: Session, prefecture_id: int, ind: IndicatorDef, period: Period) -> pd.DataFrame:
    """The indicator per périmètre over *period*, worst first for a "≥" indicator."""
    sums = observation_sums(session, prefecture_id, period, ("perimetre",), None, [ind.id])
    names = {p.id: p.name for p in session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id))}
    book = TargetBook(session, prefecture_id, [ind])
    rule = book.rule(ind.code, period.year)
    records = []
    for r in sums.itertuples(index=False):
        num = None if pd.isna(r.numerator) else float(r.numerator)
        den = None if pd.isna(r.denominator) else float(r.denominator)
        value = value_from_counts(ind, num, den)
        records.append({"perimetre": names.get(int(r.perimetre_id), "?"), "numerator": num, "denominator": den,
                        "value": value, "status": status_of(value, rule)})
    frame = pd.DataFrame.from_records(records, columns=["perimetre", "numerator", "denominator", "value", "status"])
    return frame.sort_values("value", ascending=ind.direction == Direction.HIGHER_IS_BETTER, na_position="last").reset_index(drop=True)


def monthly_values_all(session: Session, prefecture_id: int, indicators: list[IndicatorDef], period: Period,
                       perimetre_ids: Iterable[int] | None = None) -> dict[str, list[float | None]]:
    """Each indicator's value month by month over *period* (one query), e.g. for sparklines."""
    counts = _monthly_counts(session, prefecture_id, indicators, period, perimetre_ids)
    return {ind.code: [value_from_counts(ind, *counts.get((ind.id, month), (None, None))) for month in period.months]
            for ind in indicators}


def _in_window() -> tuple[Any, Any]:
    """Observations within the period window: a row stored before the window existed (year 9999,
    1900) is left out of the years offered instead of failing every page (rules.bounds)."""
    first, last = period_window()
    return Observation.period_start >= first, Observation.period_end <= last


def data_range(session: Session, prefecture_id: int) -> tuple[dt.date, dt.date] | None:
    """First and last month with data, within the period window: the years the app offers."""
    row = session.exec(
        select(func.min(Observation.period_start), func.max(Observation.period_end))
        .where(Observation.prefecture_id == prefecture_id, *_in_window())
    ).first()
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


def latest_month_with_data(session: Session, prefecture_id: int) -> dt.date | None:
    """The app and the CLI open on the latest period that has data."""
    monthly = session.exec(
        select(func.max(Observation.period_end))
        .where(Observation.prefecture_id == prefecture_id, Observation.period_start == Observation.period_end,
               *_in_window())
    ).first()
    if monthly is not None:  # a yearly survey "ends" in December: it must not push the date forward
        return monthly
    return session.exec(
        select(func.max(Observation.period_end)).where(Observation.prefecture_id == prefecture_id, *_in_window())
    ).first()
