"""Statistical process control: which monthly moves are signals, and will the target be met.

Why: a COPIL reading twelve monthly figures sees a story in every wiggle. The NHS "Making Data
Count" rules tell the wiggles a process always makes (« variation commune ») from the changes
worth acting on (« amélioration », « préoccupation »), and say whether the target will be met if
nothing changes (the « assurance »). One rule set, here, for every page, export and command.

Limits come from a baseline: the first ``QEP_SPC_BASELINE_MONTHS`` months (12) shown, or fewer
when fewer; after a dated process change they are computed again from its month on, and the
signals are looked for within each of these segments only.

* Rates (a numerator out of a denominator): Laney p′ chart, see :func:`p_prime_chart`.
* Mean delays and counts: XmR chart, see :func:`xmr_chart`.
* Signals, see :func:`signals_of`; variation and assurance sentences, see :mod:`qep_core.spc_text`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from qep_core.config import int_setting
from qep_core.rules.kinds import Direction, IndicatorKind
from qep_core.rules.signals import ALEATOIRE, AMELIORATION, ATTEINTE, COMMUNE, MANQUEE, PREOCCUPATION

__all__ = ["ALEATOIRE", "AMELIORATION", "ATTEINTE", "BEYOND_LIMIT", "COMMUNE", "MANQUEE", "PREOCCUPATION", "RUN",
           "SIGNAL_ORDER", "TREND", "TWO_OF_THREE", "SpcChart", "SpcPoint", "assurance", "chart_for_kind",
           "p_prime_chart", "signals_of", "xmr_chart"]

#: The signals, in the order that decides a point's variation when several flag it.
BEYOND_LIMIT = "point hors des limites"
TREND = "tendance"
TWO_OF_THREE = "2 points sur 3 près d'une limite"
RUN = "série d'un même côté de la moyenne"
SIGNAL_ORDER = (BEYOND_LIMIT, TREND, TWO_OF_THREE, RUN)

RUN_POINTS = 7  # points in a row on one side of the centre
TREND_STEPS = 6  # consecutive rises (or falls): 7 points, as NHSRplotthedots' "7 point trend"
XMR_FACTOR = 2.66  # 3 / d2 (1.128): three sigmas from the mean moving range
MR_SCREEN = 3.267  # a moving range above 3.267 × their mean is left out once (D4 for n = 2)
D2 = 1.128
_EPS = 1e-12


@dataclass(frozen=True)
class SpcPoint:
    """One month on the chart, in the unit users read (91.5 for 91,5 %)."""

    month: dt.date
    value: float
    numerator: float | None
    denominator: float | None
    centre: float
    lower: float | None  # None: fewer than 2 baseline months, no limit to draw
    upper: float | None
    signals: tuple[str, ...]
    variation: str


@dataclass(frozen=True)
class SpcChart:
    """A control chart: ``method`` is ``"p'"`` or ``"xmr"``; ``assurance`` is None without target."""

    method: str
    points: tuple[SpcPoint, ...]
    assurance: str | None
    direction: Direction = Direction.HIGHER_IS_BETTER
    target: float | None = None


@dataclass(frozen=True)
class _Band:
    """A point's centre and the distance from it to a 3-sigma limit (None: no limit)."""

    centre: float
    half: float | None


def baseline_months() -> int:
    """How many months the limits are computed from (the setting, at least 2)."""
    return max(2, int_setting("QEP_SPC_BASELINE_MONTHS"))


def segments(months: Sequence[dt.date], process_changes: Sequence[dt.date] = ()) -> list[range]:
    """The index ranges of *months* between process changes: a change dated in a month (any day)
    starts a new segment at the first month shown on or after it."""
    starts = {0}
    for change in process_changes:
        first = change.replace(day=1)
        starts |= {next((i for i, m in enumerate(months) if m >= first), len(months))}
    cuts = [*sorted(s for s in starts if s < len(months)), len(months)]
    return [range(a, b) for a, b in itertools.pairwise(cuts)]


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def screened_mean_range(values: Sequence[float]) -> float | None:
    """The mean moving range after leaving out, once, those above 3.267 × their mean.

    Worked case: 10, 12, 11, 30, 12 → ranges 2, 1, 19, 18, mean 10; 3.267 × 10 = 32.67, none
    left out → 10. With 10, 11, 10, 11, 10, 11, 60: ranges 1 ×5 and 49, mean 54 / 6 = 9;
    49 > 29.4 is left out → mean of the five 1s = 1.
    """
    ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
    if not ranges:
        return None
    first = _mean(ranges)
    kept = [r for r in ranges if r <= MR_SCREEN * first + _EPS]
    return _mean(kept)


def _xmr_bands(values: Sequence[float], baseline: int) -> list[_Band]:
    base = values[:baseline]
    amr = screened_mean_range(base)
    centre = _mean(base)
    return [_Band(centre, None if amr is None else XMR_FACTOR * amr)] * len(values)


def _p_prime_bands(numerators: Sequence[float], denominators: Sequence[float], baseline: int) -> list[_Band]:
    """Laney p′ bands of one segment, as proportions (0.915 for 91,5 %)."""
    pbar = sum(numerators[:baseline]) / sum(denominators[:baseline])
    if not _EPS < pbar < 1 - _EPS:  # all or nothing in the baseline: no binomial spread to measure
        return [_Band(pbar, 0.0 if min(baseline, len(numerators)) > 1 else None)] * len(numerators)
    sigmas = [math.sqrt(pbar * (1 - pbar) / n) for n in denominators]
    z = [(x / n - pbar) / s for x, n, s in zip(numerators[:baseline], denominators, sigmas, strict=False)]
    if len(z) < 2:
        return [_Band(pbar, None)] * len(numerators)
    sigma_z = _mean([abs(b - a) for a, b in itertools.pairwise(z)]) / D2
    return [_Band(pbar, 3 * s * sigma_z) for s in sigmas]


def p_prime_chart(months: Sequence[dt.date], numerators: Sequence[float], denominators: Sequence[float],
                  direction: Direction | str, target: float | None, process_changes: Sequence[dt.date] = (),
                  *, scale: float = 100.0, baseline: int | None = None) -> SpcChart:
    """Laney p′ chart of a monthly rate: the p chart's limits widened (or narrowed) by how much
    the months really vary between themselves, so a large volume does not flag every month.

    Over the baseline months: p̄ = Σ numerators / Σ denominators; σᵢ = √(p̄(1−p̄)/nᵢ);
    zᵢ = (pᵢ − p̄)/σᵢ; σ_z = mean |zᵢ − zᵢ₋₁| / 1.128; the limits of month i are
    p̄ ± 3 σᵢ σ_z, kept within [0, 100 %].

    Worked case: 45/50, 40/50 → p̄ = 85/100 = 0.85, σ = √(0.85 × 0.15 / 50) = 0.0505;
    z = +0.990, −0.990; σ_z = 1.980 / 1.128 = 1.755; limits 85 ± 3 × 5.05 × 1.755 = 85 ± 26.6 %,
    i.e. 58.4 % to 100 % (111.6 cut at 100).
    """
    base = baseline or baseline_months()
    bands: list[_Band] = []
    for seg in segments(months, process_changes):
        raw = _p_prime_bands([numerators[i] for i in seg], [denominators[i] for i in seg], base)
        bands += [_Band(b.centre * scale, None if b.half is None else b.half * scale) for b in raw]
    values = [x / n * scale for x, n in zip(numerators, denominators, strict=True)]
    return _chart("p'", months, values, list(numerators), list(denominators), bands, direction, target,
                  process_changes, (0.0, scale))


def xmr_chart(months: Sequence[dt.date], values: Sequence[float], direction: Direction | str,
              target: float | None, process_changes: Sequence[dt.date] = (), *, baseline: int | None = None,
              numerators: Sequence[float | None] | None = None,
              denominators: Sequence[float | None] | None = None) -> SpcChart:
    """XmR chart of monthly values (a mean delay, a count), as NHS "Making Data Count".

    Over the baseline months: centre = their mean; limits = centre ± 2.66 × the mean moving
    range, after leaving out once the moving ranges above 3.267 × their mean
    (:func:`screened_mean_range`).

    Worked case: 10, 12, 11, 13 → centre 46 / 4 = 11.5; moving ranges 2, 1, 2, mean 5 / 3 = 1.667;
    limits 11.5 ± 2.66 × 1.667 = 11.5 ± 4.433, i.e. 7.067 to 15.933.
    """
    base = baseline or baseline_months()
    bands: list[_Band] = []
    for seg in segments(months, process_changes):
        bands += _xmr_bands([values[i] for i in seg], base)
    none: list[float | None] = [None] * len(values)
    return _chart("xmr", months, list(values), list(numerators or none), list(denominators or none), bands,
                  direction, target, process_changes, None)


def chart_for_kind(kind: IndicatorKind | str, months: Sequence[dt.date], numerators: Sequence[float],
                   denominators: Sequence[float | None], direction: Direction | str, target: float | None,
                   process_changes: Sequence[dt.date] = (), *, baseline: int | None = None) -> SpcChart:
    """The chart an indicator kind takes: p′ for a rate or a per mille (Σ num / Σ den a month),
    XmR for a mean delay (Σ delays / Σ answers a month) and for a count (the count)."""
    kind = IndicatorKind(kind)
    if kind is IndicatorKind.COUNT:
        return xmr_chart(months, numerators, direction, target, process_changes, baseline=baseline,
                         numerators=numerators, denominators=denominators)
    dens = [float(d or 0) for d in denominators]
    if kind is IndicatorKind.MEAN_DELAY:
        return xmr_chart(months, [x / n for x, n in zip(numerators, dens, strict=True)], direction, target,
                         process_changes, baseline=baseline, numerators=numerators, denominators=dens)
    return p_prime_chart(months, numerators, dens, direction, target, process_changes, scale=kind.scale,
                         baseline=baseline)


def _chart(method: str, months: Sequence[dt.date], values: list[float], numerators: list[float | None],
           denominators: list[float | None], bands: list[_Band], direction: Direction | str,
           target: float | None, process_changes: Sequence[dt.date], bounds: tuple[float, float] | None) -> SpcChart:
    way = Direction(direction)
    flags: list[list[tuple[str, int]]] = [[] for _ in values]
    for seg in segments(months, process_changes):
        for offset, found in enumerate(signals_of([values[i] for i in seg], [bands[i] for i in seg])):
            flags[seg.start + offset] = found
    points = []
    for i, month in enumerate(months):
        band = bands[i]
        lower = upper = None
        if band.half is not None:
            lower, upper = band.centre - band.half, band.centre + band.half
            if bounds is not None:
                lower, upper = max(bounds[0], lower), min(bounds[1], upper)
        names = tuple(name for name in SIGNAL_ORDER if any(n == name for n, _ in flags[i]))
        points.append(SpcPoint(month, values[i], numerators[i], denominators[i], band.centre, lower, upper, names,
                               _variation(flags[i], way)))
    last = points[-1] if points else None
    return SpcChart(method, tuple(points), assurance(last.lower, last.upper, way, target) if last else None, way,
                    target)


def _variation(found: list[tuple[str, int]], way: Direction) -> str:
    """The variation of the signal first in :data:`SIGNAL_ORDER` (its side: +1 up, −1 down)."""
    if not found:
        return COMMUNE
    _, side = min(found, key=lambda f: SIGNAL_ORDER.index(f[0]))
    return AMELIORATION if way.improved(side) else PREOCCUPATION


def signals_of(values: Sequence[float], bands: Sequence[_Band]) -> list[list[tuple[str, int]]]:
    """Each point's (signal, side) pairs within one segment, side +1 above / rising, −1 below / falling.

    * beyond a limit: |value − centre| > 3σ;
    * a run: 7 or more points in a row on one side of the centre (a point on it breaks the run),
      every point of the run flagged;
    * a trend: 6 or more consecutive rises or falls (7 points; an equal value breaks it), every
      point of the trend flagged;
    * 2 of 3: two of three consecutive points beyond 2σ (2/3 of the way to the limit) on the same
      side; those two (or three) flagged.
    """
    n = len(values)
    out: list[list[tuple[str, int]]] = [[] for _ in range(n)]
    dev = [v - b.centre for v, b in zip(values, bands, strict=True)]
    side = [0 if abs(d) <= _EPS else (1 if d > 0 else -1) for d in dev]
    for i, b in enumerate(bands):
        if b.half is not None and abs(dev[i]) > b.half + _EPS:
            out[i].append((BEYOND_LIMIT, side[i]))
    for start, end, s in _stretches(side):
        if s and end - start >= RUN_POINTS:
            for i in range(start, end):
                out[i].append((RUN, s))
    steps = [_sign(b - a) for a, b in itertools.pairwise(values)]
    for start, end, s in _stretches(steps):
        if s and end - start >= TREND_STEPS:
            for i in range(start, end + 1):  # the steps start..end-1 join the points start..end
                out[i].append((TREND, s))
    for i in range(max(0, n - 2)):
        for s in (1, -1):
            near = [j for j in range(i, i + 3) if _beyond_two_sigma(dev[j], bands[j], s)]
            for j in near if len(near) >= 2 else ():
                if (TWO_OF_THREE, s) not in out[j]:
                    out[j].append((TWO_OF_THREE, s))
    return out


def _sign(x: float) -> int:
    return 0 if abs(x) <= _EPS else (1 if x > 0 else -1)


def _beyond_two_sigma(dev: float, band: _Band, side: int) -> bool:
    return band.half is not None and band.half > 0 and side * dev > 2 / 3 * band.half + _EPS


def _stretches(signs: Sequence[int]) -> list[tuple[int, int, int]]:
    """Maximal stretches of equal signs: (start, end exclusive, sign)."""
    out, start = [], 0
    for i in range(1, len(signs) + 1):
        if i == len(signs) or signs[i] != signs[start]:
            out.append((start, i, signs[start]))
            start = i
    return out


def assurance(lower: float | None, upper: float | None, direction: Direction | str,
              target: float | None) -> str | None:
    """Will the target be met if nothing changes? From the latest limits: « atteinte » when the
    whole band is on the good side of the target (a limit on the target counts as met, as a
    value on it does), « manquée » when the whole band is on the bad side, « aléatoire » when the
    target lies inside the band; None without a target or without limits.

    Worked case (≥ 90 %): band 91–97 → atteinte; 80–88 → manquée; 86–94 → aléatoire.
    """
    if target is None or lower is None or upper is None:
        return None
    good_low, good_high = (lower, upper) if Direction(direction) is Direction.HIGHER_IS_BETTER else (-upper, -lower)
    aim = target if Direction(direction) is Direction.HIGHER_IS_BETTER else -target
    if good_low >= aim - _EPS:
        return ATTEINTE
    if good_high < aim - _EPS:
        return MANQUEE
    return ALEATOIRE
