"""Control charts (qep_core.spc): hand-computed Laney p′ and XmR limits, a published NHS series,
each Making Data Count signal, the assurance against the target, the COPIL sentences, and the
``spc`` command on the demo database."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from qep_core.cli.main import main as cli
from qep_core.periods import add_months
from qep_core.rules.kinds import Direction
from qep_core.spc import (
    ALEATOIRE,
    AMELIORATION,
    ATTEINTE,
    BEYOND_LIMIT,
    COMMUNE,
    MANQUEE,
    PREOCCUPATION,
    RUN,
    TREND,
    TWO_OF_THREE,
    SpcChart,
    assurance,
    chart_for_kind,
    p_prime_chart,
    screened_mean_range,
    segments,
    xmr_chart,
)
from qep_core.spc_text import assurance_sentence, variation_sentence
from tests.test_pages import demo_url  # noqa: F401  (module-scoped demo database)

UP, DOWN = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER


def months(n: int, first: dt.date = dt.date(2023, 1, 1)) -> list[dt.date]:
    return [add_months(first, i) for i in range(n)]


# A stable baseline for the signal tests: 11, 9, 11, 9… (12 months) → centre 10, every moving
# range 2, limits 10 ± 2.66 × 2 = 10 ± 5.32 (4.68 to 15.32); 2σ lines at 10 ± 2/3 × 5.32 = 10 ± 3.547.
BASELINE = [11.0, 9.0] * 6


def limits(chart: SpcChart, i: int = 0) -> tuple[float, float | None, float | None]:
    p = chart.points[i]
    return p.centre, p.lower, p.upper


# ------------------------------------------------------------------------------------------ XmR


def test_xmr_worked_case() -> None:
    # 10, 12, 11, 13: centre 46 / 4 = 11.5; moving ranges 2, 1, 2 → mean 5 / 3 = 1.6667;
    # limits 11.5 ± 2.66 × 1.6667 = 11.5 ± 4.4333 → 7.0667 to 15.9333
    chart = xmr_chart(months(4), [10, 12, 11, 13], UP, None, baseline=4)
    assert chart.method == "xmr"
    assert limits(chart) == pytest.approx((11.5, 7.066667, 15.933333))
    assert all(p.variation == COMMUNE and p.signals == () for p in chart.points)


# NHSRplotthedots, tests/testthat/_snaps/ptd_spc_standard.md: set.seed(123); y <- rnorm(20), limits
# over all 20 points, moving ranges above 3.267 × their mean left out (screen_outliers = TRUE).
NHS_Y = [-0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621, -1.26506123,
         -0.68685285, -0.44566197, 1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113, 1.78691314,
         0.49785048, -1.96661716, 0.70135590, -0.47279141]


def test_xmr_matches_the_published_nhs_values() -> None:
    chart = xmr_chart(months(20), NHS_Y, UP, None, baseline=20)
    assert limits(chart) == pytest.approx((0.1416238, -3.01138, 3.294627), abs=1e-6)
    # the same with y[15] (R counts from 1) set to 10: the two ranges around it are left out
    y = list(NHS_Y)
    y[14] = 10
    chart = xmr_chart(months(20), y, UP, None, baseline=20)
    assert limits(chart) == pytest.approx((0.6694159, -2.383666, 3.722497), abs=1e-6)
    assert BEYOND_LIMIT in chart.points[14].signals


def test_moving_ranges_above_3267_times_their_mean_are_left_out_once() -> None:
    # 10, 11, 10, 11, 10, 11, 60: ranges 1, 1, 1, 1, 1, 49 → mean 54 / 6 = 9; 3.267 × 9 = 29.4;
    # 49 is left out → mean of the five 1s = 1 (not recomputed again)
    values = [10, 11, 10, 11, 10, 11, 60]
    assert screened_mean_range(values) == pytest.approx(1.0)
    assert screened_mean_range([10, 12, 11, 30, 12]) == pytest.approx(10.0)  # 2, 1, 19, 18: none above 32.67
    chart = xmr_chart(months(7), values, UP, None, baseline=7)
    # centre 123 / 7 = 17.571; limits 17.571 ± 2.66 × 1
    assert limits(chart) == pytest.approx((17.571429, 14.911429, 20.231429))
    assert chart.points[-1].signals[0] == BEYOND_LIMIT and chart.points[-1].variation == AMELIORATION


# ------------------------------------------------------------------------------------------ Laney p′

# 12 months, n = 100, 400, 100, 400…, answered 80, 340, 80, 340… (80 %, 85 %):
# p̄ = (6 × 80 + 6 × 340) / (6 × 500) = 2520 / 3000 = 0.84
# σ(100) = √(0.84 × 0.16 / 100) = 0.0366606; σ(400) = 0.0183303
# z(80 %) = (0.80 − 0.84) / 0.0366606 = −1.091089; z(85 %) = (0.85 − 0.84) / 0.0183303 = +0.545545
# every |Δz| = 1.636634 → σ_z = 1.636634 / 1.128 = 1.450917
# n = 100: 84 % ± 3 × 3.66606 × 1.450917 = 84 ± 15.9574 → 68.0426 % to 99.9574 %
# n = 400: 84 % ± 3 × 1.83303 × 1.450917 = 84 ± 7.9787 → 76.0213 % to 91.9787 %
P_NUM, P_DEN = [80.0, 340.0] * 6, [100.0, 400.0] * 6


def test_laney_p_prime_worked_case() -> None:
    chart = p_prime_chart(months(12), P_NUM, P_DEN, UP, None)
    assert chart.method == "p'"
    assert limits(chart, 0) == pytest.approx((84.0, 68.0426, 99.9574), abs=1e-3)
    assert limits(chart, 1) == pytest.approx((84.0, 76.0213, 91.9787), abs=1e-3)
    assert [p.value for p in chart.points[:2]] == pytest.approx([80.0, 85.0])
    assert all(p.variation == COMMUNE for p in chart.points)


def test_p_prime_limits_stay_within_0_and_100_percent() -> None:
    # 45/50, 40/50: p̄ = 0.85, σ = √(0.85 × 0.15 / 50) = 0.050498; z = ±0.990148; σ_z = 1.980295 / 1.128
    # = 1.755581; 85 ± 3 × 5.0498 × 1.755581 = 85 ± 26.5957 → 58.4043 % to 111.6 %, cut at 100 %
    chart = p_prime_chart(months(2), [45, 40], [50, 50], UP, None)
    assert limits(chart) == pytest.approx((85.0, 58.4043, 100.0), abs=1e-3)


def test_a_process_change_starts_new_limits() -> None:
    # six more months at 90 %, 95 % (90/100, 380/400) after a change dated 15 January 2024:
    # new p̄ = (3 × 90 + 3 × 380) / (3 × 500) = 1410 / 1500 = 0.94; the first twelve keep 84 %
    num, den = [*P_NUM, *[90.0, 380.0] * 3], [*P_DEN, *[100.0, 400.0] * 3]
    ms = months(18)
    assert segments(ms, [dt.date(2024, 1, 15)]) == [range(0, 12), range(12, 18)]
    changed = p_prime_chart(ms, num, den, UP, None, [dt.date(2024, 1, 15)])
    assert [p.centre for p in changed.points] == pytest.approx([84.0] * 12 + [94.0] * 6)
    assert changed.points[0].upper == pytest.approx(99.9574, abs=1e-3)
    assert all(p.variation == COMMUNE for p in changed.points[12:])
    unchanged = p_prime_chart(ms, num, den, UP, None)
    assert unchanged.points[-1].centre == pytest.approx(84.0)
    assert BEYOND_LIMIT in unchanged.points[-1].signals  # 95 % > 91.98 %: a signal without the change


def test_each_kind_takes_its_chart() -> None:
    ms = months(4)
    delays = chart_for_kind("mean_delay", ms, [20, 24, 22, 26], [2, 2, 2, 2], DOWN, None, baseline=4)
    assert delays.method == "xmr" and [p.value for p in delays.points] == [10, 12, 11, 13]
    assert limits(delays) == pytest.approx((11.5, 7.066667, 15.933333))
    counts = chart_for_kind("count", ms, [10, 12, 11, 13], [None] * 4, UP, None, baseline=4)
    assert counts.method == "xmr" and counts.points[0].numerator == 10
    per_mille = chart_for_kind("per_mille", months(2), [45, 40], [50, 50], UP, None)
    assert per_mille.method == "p'" and per_mille.points[0].centre == pytest.approx(850.0)


def test_the_baseline_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    values = [10.0, 12.0, 11.0, 13.0, 30.0, 30.0]
    monkeypatch.setenv("QEP_SPC_BASELINE_MONTHS", "4")
    assert xmr_chart(months(6), values, UP, None).points[0].centre == pytest.approx(11.5)
    monkeypatch.setenv("QEP_SPC_BASELINE_MONTHS", "12")  # fewer months than that: all of them
    assert xmr_chart(months(6), values, UP, None).points[0].centre == pytest.approx(106 / 6)


# ------------------------------------------------------------------------------------------ signals


def test_a_run_of_7_on_one_side_flags_every_point_of_it() -> None:
    run = [10.5, 10.4, 10.6, 10.5, 10.4, 10.6, 10.5]  # 7 months above 10, none beyond 2σ, no trend
    chart = xmr_chart(months(19), BASELINE + run, UP, None)
    assert [RUN in p.signals for p in chart.points] == [False] * 12 + [True] * 7
    assert {p.variation for p in chart.points[12:]} == {AMELIORATION}
    assert variation_sentence(chart) == "Amélioration : 7 mois de suite au-dessus de la moyenne habituelle."
    short = xmr_chart(months(18), BASELINE + run[:6], UP, None)  # 6 are not a run
    assert all(p.variation == COMMUNE for p in short.points)


def test_a_trend_of_6_rises_flags_its_7_points() -> None:
    # 9 (the last baseline month), 9.5, 10, 10.5, 11, 11.5, 12: six rises
    rising = [9.5, 10.0, 10.5, 11.0, 11.5, 12.0]
    chart = xmr_chart(months(18), BASELINE + rising, DOWN, None)  # a delay going up
    assert [TREND in p.signals for p in chart.points] == [False] * 11 + [True] * 7
    assert {p.variation for p in chart.points[11:]} == {PREOCCUPATION}
    assert variation_sentence(chart) == "Préoccupation : 7 mois de suite en hausse."
    five = xmr_chart(months(17), BASELINE + rising[:5], DOWN, None)
    assert not any(TREND in p.signals for p in five.points)


def test_a_delay_going_down_is_an_improvement() -> None:
    falling = [10.5, 10.0, 9.5, 9.0, 8.5, 8.0]  # 11 (last baseline month) then six falls
    chart = xmr_chart(months(18), [9.0, 11.0] * 6 + falling, DOWN, None)
    assert [TREND in p.signals for p in chart.points] == [False] * 11 + [True] * 7
    assert chart.points[-1].variation == AMELIORATION
    assert variation_sentence(chart) == "Amélioration : 7 mois de suite en baisse."
    low = xmr_chart(months(19), [*BASELINE, 9.5, 9.6, 9.4, 9.5, 9.6, 9.4, 9.5], DOWN, None)
    assert low.points[-1].variation == AMELIORATION and RUN in low.points[-1].signals


def test_2_of_3_beyond_2_sigma_on_the_same_side() -> None:
    # 2σ line at 13.547, limit at 15.32: 14 and 14 around 10.5
    chart = xmr_chart(months(15), [*BASELINE, 14.0, 10.5, 14.0], UP, None)
    assert [TWO_OF_THREE in p.signals for p in chart.points[12:]] == [True, False, True]
    assert chart.points[-1].variation == AMELIORATION
    assert variation_sentence(chart) == "Amélioration : 2 des 3 derniers mois sont près de la limite haute."
    opposite = xmr_chart(months(15), [*BASELINE, 14.0, 10.0, 6.0], UP, None)  # one above, one below
    assert all(p.variation == COMMUNE for p in opposite.points)


def test_a_point_beyond_a_limit() -> None:
    chart = xmr_chart(months(13), [*BASELINE, 4.0], UP, None)  # below 4.68
    last = chart.points[-1]
    assert last.signals[0] == BEYOND_LIMIT and last.variation == PREOCCUPATION
    assert variation_sentence(chart) == ("Préoccupation : le dernier mois est au-dessous de la limite basse de la "
                                         "variation habituelle.")
    common = xmr_chart(months(13), [*BASELINE, 10.2], UP, None)
    assert variation_sentence(common).startswith("Variation commune")


# ------------------------------------------------------------------------------------------ assurance


@pytest.mark.parametrize(("lower", "upper", "direction", "target", "expected"), [
    (91, 97, UP, 90, ATTEINTE), (80, 88, UP, 90, MANQUEE), (86, 94, UP, 90, ALEATOIRE), (90, 95, UP, 90, ATTEINTE),
    (2, 4, DOWN, 5, ATTEINTE), (6, 8, DOWN, 5, MANQUEE), (3, 7, DOWN, 5, ALEATOIRE), (2, 4, DOWN, None, None),
])
def test_assurance(lower: float, upper: float, direction: Direction, target: float | None,
                   expected: str | None) -> None:
    assert assurance(lower, upper, direction, target) == expected


def test_assurance_uses_the_latest_limits_and_says_so() -> None:
    # baseline 10 ± 5.32 (4.68 to 15.32): a delay target ≤ 20 is always met, ≤ 3 never, ≤ 10 by chance
    met = xmr_chart(months(12), BASELINE, DOWN, 20)
    assert met.assurance == ATTEINTE
    assert assurance_sentence(met) == "La cible sera atteinte chaque mois si rien ne change."
    assert xmr_chart(months(12), BASELINE, DOWN, 3).assurance == MANQUEE
    assert xmr_chart(months(12), BASELINE, DOWN, 10).assurance == ALEATOIRE
    assert assurance_sentence(xmr_chart(months(12), BASELINE, DOWN, None)) == "Pas de cible : rien à garantir."
    # after a change the latest limits are the new segment's: p̄ = 0.94; σ(400) = √(0.94 × 0.06 / 400)
    # = 0.011874, σ(100) = 0.023749; z = −0.04 / 0.023749 = −1.684304, +0.01 / 0.011874 = +0.842152;
    # σ_z = 2.526456 / 1.128 = 2.239766; n = 400: 94 ± 3 × 1.1874 × 2.239766 = 94 ± 7.9787 → 86.02 % to 100 %
    num, den = [*P_NUM, *[90.0, 380.0] * 3], [*P_DEN, *[100.0, 400.0] * 3]
    changed = p_prime_chart(months(18), num, den, UP, 85.0, [dt.date(2024, 1, 1)])
    assert limits(changed, -1) == pytest.approx((94.0, 86.0213, 100.0), abs=1e-3)
    assert changed.assurance == ATTEINTE
    # without the change the latest limits are the first twelve months': 76.02 % to 91.98 % → by chance
    assert p_prime_chart(months(18), num, den, UP, 85.0).assurance == ALEATOIRE


# ------------------------------------------------------------------------------------------ the command


@pytest.fixture
def demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    return demo_url


def _lines(points: list[dict[str, Any]]) -> list[float]:
    """Every point's centre, lower and upper limit, one after the other."""
    return [p[key] for p in points for key in ("centre", "lower", "upper")]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert cli(["spc", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_command_gives_the_chart_of_the_core_function(demo: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--indicator", "TEL_ABOUTIS", "--from", "2023-01", "--to", "2024-09")
    assert set(out) >= {"indicator", "method", "assurance", "points"} and out["method"] == "p'"
    assert out["indicator"] == "TEL_ABOUTIS" and out["assurance"] in (ATTEINTE, MANQUEE, ALEATOIRE)
    first = out["points"][0]
    assert set(first) == {"month", "value", "numerator", "denominator", "centre", "lower", "upper", "signals",
                          "variation"}
    assert first["month"] == "2023-01" and 0 < first["value"] < 100
    pts = out["points"]
    core = p_prime_chart([dt.date.fromisoformat(p["month"] + "-01") for p in pts], [p["numerator"] for p in pts],
                         [p["denominator"] for p in pts], UP, 90.0)
    assert _lines(pts) == pytest.approx([x for p in core.points for x in (p.centre, p.lower, p.upper)])
    assert [p["variation"] for p in pts] == [p.variation for p in core.points]


def test_the_command_draws_a_delay_with_a_process_change(demo: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--indicator", "COURRIEL_DELAI_MOYEN", "--from", "2023-01", "--to", "2024-09",
               "--change", "2024-01")
    pts = out["points"]
    assert out["method"] == "xmr" and pts[0]["value"] == pytest.approx(pts[0]["numerator"] / pts[0]["denominator"])
    ms = [dt.date.fromisoformat(p["month"] + "-01") for p in pts]
    core = xmr_chart(ms, [p["value"] for p in pts], DOWN, 5.0, [dt.date(2024, 1, 1)])
    assert _lines(pts) == pytest.approx([x for p in core.points for x in (p.centre, p.lower, p.upper)])
    assert out["assurance"] == core.assurance
    assert pts[0]["centre"] != pts[-1]["centre"]  # limits computed again from January 2024
    assert cli(["spc", "--indicator", "COURRIEL_DELAI_MOYEN"]) == 0
    assert "Délai moyen de réponse aux courriels" in capsys.readouterr().out


def test_the_command_refuses_a_bad_month_or_indicator(demo: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["spc", "--indicator", "TEL_ABOUTIS", "--from", "janvier"]) == 2
    assert "--from : mois attendu au format AAAA-MM" in capsys.readouterr().err
    assert cli(["spc", "--indicator", "NOPE"]) == 2
    assert "indicateur inconnu : NOPE" in capsys.readouterr().err
    assert cli(["spc", "--indicator", "TEL_ABOUTIS", "--from", "2024-06", "--to", "2024-01"]) == 2
