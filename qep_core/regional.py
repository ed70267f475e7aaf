"""One indicator across the préfectures of an instance: the regional or national view.

Each préfecture is judged against its own target (targets are set per préfecture and per year),
and the group's figure is the weighted one, Σ numerators / Σ denominators over every
préfecture — never the mean of their rates, which would give a small préfecture the weight of a
large one.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from qep_core.compute import status_of, value_from_counts
from qep_core.models import Observation, Prefecture
from qep_core.periods import Period
from qep_core.referentiel import IndicatorDef, TargetBook

COLUMNS = ["prefecture_id", "code_departement", "perimetre", "numerator", "denominator", "value", "target", "status"]


def compare_prefectures(session: Session, ind: IndicatorDef, period: Period,
                        prefecture_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """*ind* for each préfecture over *period* (one GROUP BY), best first; ``perimetre`` holds the
    préfecture's name so that the périmètre chart draws it. Préfectures without data are listed
    with no value."""
    prefs = session.exec(select(Prefecture).order_by(Prefecture.code)).all()
    if prefecture_ids is not None:
        wanted = set(prefecture_ids)
        prefs = [p for p in prefs if p.id in wanted]
    stmt = (select(Observation.prefecture_id, func.sum(Observation.numerator), func.sum(Observation.denominator))
            .where(Observation.indicator_id == ind.id, Observation.period_start >= period.start,
                   Observation.period_end <= period.end,
                   col(Observation.prefecture_id).in_([p.id for p in prefs]))
            .group_by(col(Observation.prefecture_id)))
    sums = {int(pid): (num, den) for pid, num, den in session.exec(stmt)}
    records = []
    for pref in prefs:
        num, den = sums.get(pref.id or 0, (None, None))
        num = None if num is None else float(num)
        den = None if den is None else float(den)
        value = value_from_counts(ind, num, den) if pref.id in sums else None
        rule = TargetBook(session, pref.id or 0, [ind]).rule(ind.code, period.year)
        records.append({"prefecture_id": pref.id, "code_departement": pref.code, "perimetre": pref.name,
                        "numerator": num, "denominator": den, "value": value, "target": rule.value,
                        "status": status_of(value, rule)})
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    return frame.sort_values("value", ascending=ind.direction != ">=", na_position="last").reset_index(drop=True)


def group_value(ind: IndicatorDef, frame: pd.DataFrame) -> float | None:
    """The weighted figure of the whole group of préfectures."""
    has = frame.dropna(subset=["value"])
    if has.empty:
        return None
    den = has["denominator"].sum() if has["denominator"].notna().any() else None
    return value_from_counts(ind, float(has["numerator"].sum()), None if den is None else float(den))
