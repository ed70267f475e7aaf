"""Weighted aggregation, targets per year, statuses and year-over-year change."""

from __future__ import annotations

import pytest

from qep_core.compute import (
    A_SURVEILLER,
    ATTEINT,
    NON_ATTEINT,
    PAS_DE_DONNEE,
    SANS_OBJECTIF,
    compute_indicator,
    compute_indicators,
    latest_month_with_data,
    status_of,
)
from qep_core.db import session_scope
from qep_core.importing import import_file
from qep_core.periods import month_period, parse_period, quarter_period, rolling_12, year_period
from qep_core.referentiel import TargetRule, set_target

HEADER = ["indicateur", "période", "périmètre", "numérateur", "dénominateur", "valeur", "effectif"]


def long_csv(rows: list[list[object]]) -> bytes:
    lines = [";".join(HEADER)] + [";".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def loaded(engine, prefecture):
    rows = [
        ["TEL_ABOUTIS", "2022-01", "", 450, 1000, None, None],
        ["TEL_ABOUTIS", "2022-02", "", 95, 100, None, None],
        ["TEL_ABOUTIS", "2022-03", "", 900, 1000, None, None],
        ["TEL_ABOUTIS", "2021-01", "", 400, 1000, None, None],
        ["TEL_ABOUTIS", "2021-02", "", 80, 100, None, None],
        ["TEL_ABOUTIS", "2021-03", "", 800, 1000, None, None],
        ["COURRIEL_DELAI_MOYEN", "2022-01", "Boîte A", None, None, 2, 100],
        ["COURRIEL_DELAI_MOYEN", "2022-01", "Boîte B", None, None, 8, 10],
        ["SITE_CONNEXION", "2022-T1", "", 130000, 1429272, None, None],
        ["PAN_USAGERS", "2022-01", "", None, None, 30, None],
        ["PAN_USAGERS", "2022-02", "", None, None, 42, None],
        ["FRAUDE_PC", "2022-T1", "", 1, 2000, None, None],
    ]
    import_file(engine, prefecture.id, "long.csv", long_csv(rows))
    return prefecture


def test_quarter_is_sum_of_counts(engine, loaded):
    with session_scope(engine) as session:
        r = compute_indicator(session, loaded.id, "TEL_ABOUTIS", quarter_period(2022, 1))
    assert (r.numerator, r.denominator) == (1445, 2100)
    assert r.value == pytest.approx(1445 / 2100 * 100)  # 68.8 %, not the 77.5 % mean of 45/95/90
    assert r.status == NON_ATTEINT
    assert r.previous_value == pytest.approx(1280 / 2100 * 100)
    assert r.change == pytest.approx((1445 - 1280) / 2100 * 100)


def test_mean_delay_across_perimetres_is_count_weighted(engine, loaded):
    with session_scope(engine) as session:
        r = compute_indicator(session, loaded.id, "COURRIEL_DELAI_MOYEN", month_period(2022, 1))
    assert r.value == pytest.approx((2 * 100 + 8 * 10) / 110)  # 2.5 j, not (2 + 8) / 2 = 5
    assert r.status == ATTEINT


def test_counts_add_up_and_have_no_target(engine, loaded):
    with session_scope(engine) as session:
        r = compute_indicator(session, loaded.id, "PAN_USAGERS", year_period(2022))
    assert r.value == 72 and r.status == SANS_OBJECTIF


def test_quarterly_figure_counts_in_its_quarter_and_year_not_in_a_month(engine, loaded):
    with session_scope(engine) as session:
        q = compute_indicator(session, loaded.id, "SITE_CONNEXION", quarter_period(2022, 1))
        y = compute_indicator(session, loaded.id, "SITE_CONNEXION", year_period(2022))
        m = compute_indicator(session, loaded.id, "SITE_CONNEXION", month_period(2022, 2))
    assert q.value == pytest.approx(130000 / 1429272 * 100) and q.status == ATTEINT
    assert y.value == q.value
    assert m.value is None and m.status == PAS_DE_DONNEE


def test_per_mille(engine, loaded):
    with session_scope(engine) as session:
        r = compute_indicator(session, loaded.id, "FRAUDE_PC", quarter_period(2022, 1))
    assert r.value == pytest.approx(0.5) and r.indicator.unit == "‰" and r.status == ATTEINT


def test_targets_change_by_year_and_can_be_removed(engine, loaded):
    with session_scope(engine, write=True) as session:
        set_target(session, loaded.id, "TEL_ABOUTIS", 2022, 60.0, alert=50.0)
    with session_scope(engine) as session:
        r22 = compute_indicator(session, loaded.id, "TEL_ABOUTIS", quarter_period(2022, 1))
        r21 = compute_indicator(session, loaded.id, "TEL_ABOUTIS", quarter_period(2021, 1))
    assert r22.target.value == 60.0 and r22.status == ATTEINT
    assert r21.target.value == 90.0 and r21.status == NON_ATTEINT  # the default still applies before 2022
    with session_scope(engine, write=True) as session:
        set_target(session, loaded.id, "TEL_ABOUTIS", 2023, None)
        r23 = compute_indicators(session, loaded.id, year_period(2023), codes=["TEL_ABOUTIS"])[0]
    assert r23.target.value is None


@pytest.mark.parametrize(("value", "rule", "expected"), [
    (None, TargetRule(90, ">=", 80, ""), PAS_DE_DONNEE),
    (95, TargetRule(None, ">=", None, ""), SANS_OBJECTIF),
    (90, TargetRule(90, ">=", 80, ""), ATTEINT),
    (85, TargetRule(90, ">=", 80, ""), A_SURVEILLER),
    (80, TargetRule(90, ">=", 80, ""), A_SURVEILLER),
    (79.9, TargetRule(90, ">=", 80, ""), NON_ATTEINT),
    (85, TargetRule(90, ">=", None, ""), NON_ATTEINT),
    (5, TargetRule(5, "<=", 7, ""), ATTEINT),
    (6, TargetRule(5, "<=", 7, ""), A_SURVEILLER),
    (7.5, TargetRule(5, "<=", 7, ""), NON_ATTEINT),
])
def test_status(value, rule, expected):
    assert status_of(value, rule) == expected


def test_latest_month_and_periods(engine, loaded):
    with session_scope(engine) as session:
        latest = latest_month_with_data(session, loaded.id)
    assert latest.isoformat() == "2022-03-01"
    assert rolling_12(latest).code == "2021-04..2022-03"
    assert parse_period("2022-T3") == quarter_period(2022, 3)
    assert parse_period("2022-05") == month_period(2022, 5)
    assert quarter_period(2022, 1).label == "1er trimestre 2022"


def test_running_year_is_compared_with_the_same_months_a_year_earlier(engine, loaded):
    """Data stops in March 2022: 2022 is compared with January–March 2021, not all of 2021."""
    rows = [["PAN_USAGERS", f"2021-{m:02d}", "", None, None, 10, None] for m in range(1, 13)]
    import_file(engine, loaded.id, "pan-2021.csv", long_csv(rows))
    with session_scope(engine) as session:
        r = compute_indicator(session, loaded.id, "PAN_USAGERS", year_period(2022))
    assert r.value == 72 and r.previous_value == 30  # Jan–Feb–Mar 2021, not 120
    assert r.previous_period.code == "2021-01..2021-03"
