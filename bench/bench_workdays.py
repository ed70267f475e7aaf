"""Working-day delay benchmark: the cumulative table of qep_core.workdays against np.busday_count.

Run from the project root::

    PYTHONPATH=. .venv/bin/python bench/bench_workdays.py            # 1 000 000 pairs, ~10 s
    PYTHONPATH=. .venv/bin/python bench/bench_workdays.py --n 100000 --runs 3

Data (seeded): 1 M (received, answered) pairs, reception uniform over 2019-2025, answer 0 to 60
calendar days later, 2 % of answers missing (pending items). Calendar of Moselle (57: Good Friday
and 26 December on top of the national days) with Whit Monday a holiday, the richest metropolitan
case.

Timed, median of --runs:

* building the calendar, cold (holidays cache cleared: the ``holidays`` package is asked) and warm;
* all delays from ``datetime64[D]`` arrays (target < 0.1 s), with and without missing answers;
* the same from pandas Series of timestamps with a time of day (the conversion to days included);
* ``np.busday_count`` with the holiday array on the same pairs (complete pairs only: it has no NaT),
  and a check that both give the same delays;
* deadlines (``add_working_days``) and ``deadline_passed`` for all pairs.

Peak memory: tracemalloc around one delay computation (numpy reports its buffers to it), and the
process's maximum resident size (``resource.getrusage``).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd

from qep_core import workdays
from qep_core.workdays import WorkingCalendar, meets_deadline

SEED = 20240520
CODE = "57"
YEARS = range(2019, 2026)


def timed(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    """Median wall time of *runs* calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def make_pairs(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(received, answered complete, answered with 2 % NaT) as datetime64[D]."""
    rng = np.random.default_rng(SEED)
    start, end = np.datetime64("2019-01-01"), np.datetime64("2025-12-31")
    received = start + rng.integers(0, int((end - start).astype(int)) + 1, n).astype("timedelta64[D]")
    answered = received + rng.integers(0, 61, n).astype("timedelta64[D]")
    pending = answered.copy()
    pending[rng.random(n) < 0.02] = np.datetime64("NaT")
    return received, answered, pending


def line(label: str, seconds: float, extra: str = "") -> None:
    print(f"  {label:<58} {seconds * 1000:9.2f} ms  {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of (received, answered) pairs")
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (median)")
    args = parser.parse_args()
    n, runs = args.n, args.runs

    received, answered, pending = make_pairs(n)
    print(f"{n:_} pairs, received 2019-2025, département {CODE}, median of {runs} runs".replace("_", " "))

    def cold_build() -> WorkingCalendar:
        workdays._holiday_array.cache_clear()
        return WorkingCalendar(CODE, whit_monday_worked=False, years=YEARS)

    t_first, cal = timed(cold_build, 1)  # the very first call also warms the holidays package
    t_cold, cal = timed(cold_build, runs)
    t_warm, cal = timed(lambda: WorkingCalendar(CODE, whit_monday_worked=False, years=YEARS), runs)
    print("calendar")
    line("build, first call in the process (7 years)", t_first)
    line("build, holidays cache cleared (holidays package asked)", t_cold)
    line("build, holiday array cached (table only)", t_warm,
         f"{cal.holidays.size} holidays, table {cal._table.cum.nbytes // 1024} KiB")

    print("delays")
    t_delay, delays = timed(lambda: cal.working_days_between(received, answered), runs)
    line("working_days_between, datetime64[D], complete", t_delay, "(target < 100 ms)")
    t_pending, with_nan = timed(lambda: cal.working_days_between(received, pending), runs)
    line("working_days_between, datetime64[D], 2 % missing answers", t_pending,
         f"{int(np.isnan(with_nan).sum())} NaN")

    offsets = np.random.default_rng(SEED + 1).integers(0, 86_400, n).astype("timedelta64[s]")
    received_s = pd.Series(received.astype("datetime64[s]") + offsets)
    pending_s = pd.Series(pending.astype("datetime64[s]") + offsets[::-1])
    t_series, from_series = timed(lambda: cal.working_days_between(received_s, pending_s), runs)
    line("working_days_between, pandas Series with time of day", t_series)
    assert np.array_equal(from_series, with_nan, equal_nan=True)

    hol = cal.holidays
    t_busday, busday = timed(lambda: np.busday_count(received + 1, answered + 1, holidays=hol), runs)
    line("np.busday_count(received + 1, answered + 1, holidays)", t_busday,
         f"same delays: {bool(np.array_equal(busday, delays))}")
    assert np.array_equal(busday, delays)

    print("deadlines")
    t_deadline, deadline = timed(lambda: cal.add_working_days(received, 5), runs)
    line("add_working_days(received, 5)", t_deadline)
    as_of = np.datetime64("2025-06-30")
    t_passed, passed = timed(lambda: cal.deadline_passed(received, 5, as_of), runs)
    line("deadline_passed(received, 5, 2025-06-30)", t_passed, f"{int(passed.sum())} passed")
    t_meets, meets = timed(lambda: meets_deadline(with_nan, 5), runs)
    line("meets_deadline(delays, 5)", t_meets, f"{meets.mean():.1%} in time")
    assert np.array_equal(cal.working_days_between(received, deadline), np.full(n, 5.0))

    tracemalloc.start()
    cal.working_days_between(received, pending)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    inputs = received.nbytes + pending.nbytes
    maxrss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print("memory")
    print(f"  peak allocated during one delay computation   {peak / 2**20:6.1f} MiB "
          f"(inputs {inputs / 2**20:.1f} MiB, result {n * 8 / 2**20:.1f} MiB)")
    print(f"  process max resident size                     {maxrss_mib:6.1f} MiB")
    print(f"ratio busday_count / table: {t_busday / t_delay:.1f}×")


if __name__ == "__main__":
    main()
