"""Helpers shared by the bench scripts (imported from the script's own folder)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def fmt_int(n: float) -> str:
    """``65 285``: thousands with a narrow no-break space, as the figures are read."""
    return f"{n:,.0f}".replace(",", "\u202f")


def median_time(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    """Median wall time of *runs* calls, and the last call's result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result
