"""Working days (jours ouvrés) of a préfecture, and delays counted in them.

Every delay indicator of the référentiel (courriels in 5 working days, courriers in 10, site
updates in 3, élus' letters in 15…) is counted in working days of the préfecture's own
département, so the calendar cannot be national:

* Monday to Friday, minus the public holidays of the département as the ``holidays`` package
  knows them (``holidays.France`` with a subdivision for Alsace-Moselle and the overseas
  départements, see :func:`holiday_subdivision`);
* Whit Monday is a public holiday, but many préfectures work it as the "journée de solidarité":
  with ``whit_monday_worked=True`` (the :class:`~qep_core.models.Prefecture` default) it counts
  as a working day.

Semantics (DOMAIN.md): the delay of an item is the number of working days **after** its
reception date **up to and including** its answer date. Received Friday, answered Monday: 1.
Answered the day it came: 0. Received Saturday (or on a holiday), answered Monday: 1. The item
meets a deadline of N days when its delay is ≤ N. An item without an answer is late once its
deadline has passed at the import date, and pending before that.

Why a cumulative table: a calendar covers a few thousand days, so ``cum[i]`` = number of working
days from the table's first day up to day ``i`` included fits in a small int32 array. The delay of
(received, answered) is then ``cum[answered] - cum[received]``: two fancy-indexing operations for
any number of items (about 10 ms for a million pairs on this machine, about 5 times faster than
``np.busday_count`` with a holiday list and a hundred times faster than a Python loop; see
``bench/bench_workdays.py``). The deadline date is a lookup in the inverse table (first day
reaching a given count). Nothing here loops over rows.

Input dates may be numpy ``datetime64`` arrays (any unit), pandas Series / Index (numpy or Arrow
backed, naive or tz-aware), sequences of ``datetime.date`` / ``datetime.datetime`` (with None for
missing), or scalars. The time of day is ignored (a tz-aware timestamp counts on its own local
date). Strings are refused: French dates ("05/07/2022") must be parsed by
:mod:`qep_core.frenchforms` first, never guessed here.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import holidays
import numpy as np
import pandas as pd
from dateutil.easter import easter  # python-dateutil: a dependency of both holidays and pandas

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "WorkingCalendar",
    "holiday_subdivision",
    "meets_deadline",
    "public_holidays",
    "working_calendar",
]

#: The calendar extends itself to any date within these years. Outside them a date is almost
#: certainly a typo (0024 for 2024, an Excel serial read as a year…): a clear error is better
#: than silently building a table over centuries.
MIN_YEAR = 1950
MAX_YEAR = 2100

DAY = np.dtype("datetime64[D]")
_NAT = np.datetime64("NaT", "D")

_METROPOLITAN_RE = re.compile(r"^(0[1-9]|1\d|2[AB1-9]|[3-8]\d|9[0-5])$")

#: Overseas codes → ``holidays.France`` subdivision. The five overseas départements (DROM) have
#: their own subdivision under the same code. Among the collectivités, only those with a préfet
#: are mapped: Saint-Pierre-et-Miquelon (975, package code "PM": in 2024 the 11 metropolitan
#: days, nothing more) and Saint-Barthélemy / Saint-Martin (977 "BL", 978 "MF", which share one
#: préfecture but not their holidays: each territory keeps its own). The Pacific collectivités and
#: the TAAF (984, 986-988) are run by a haut-commissaire or an administrateur supérieur under
#: their own labour law; they are refused rather than given a guessed calendar.
_OVERSEAS_SUBDIVISIONS = {
    "971": "971",  # Guadeloupe
    "972": "972",  # Martinique
    "973": "973",  # Guyane
    "974": "974",  # La Réunion
    "976": "976",  # Mayotte
    "975": "PM",  # Saint-Pierre-et-Miquelon (collectivité)
    "977": "BL",  # Saint-Barthélemy (collectivité)
    "978": "MF",  # Saint-Martin (collectivité)
}
_ALSACE_MOSELLE = {"57": "57", "67": "6AE", "68": "6AE"}


def _normalize_code(departement_code: str) -> str:
    code = str(departement_code).strip().upper()
    if len(code) == 1 and code.isdigit():
        code = "0" + code
    return code


def holiday_subdivision(departement_code: str) -> str | None:
    """The ``holidays.France`` subdivision whose holidays apply to a département, None for metropolitan law.

    Moselle keeps its own code ("57"); Bas-Rhin and Haut-Rhin share "6AE" (the package raises
    NotImplementedError for "67" and "68"). Corsica ("2A", "2B") and every other metropolitan
    département follow the national calendar. Codes are normalised like the préfecture form
    ("1" → "01", "2a" → "2A"). An unknown code raises ValueError (in French, shown to the user):
    silently treating a typo as metropolitan would shift every delay of an overseas préfecture.
    """
    code = _normalize_code(departement_code)
    if code in _ALSACE_MOSELLE:
        return _ALSACE_MOSELLE[code]
    if code in _OVERSEAS_SUBDIVISIONS:
        return _OVERSEAS_SUBDIVISIONS[code]
    if _METROPOLITAN_RE.match(code):
        return None
    raise ValueError(
        f"code de département sans calendrier de jours fériés : « {departement_code} » "
        "(attendu 01 à 95, 2A, 2B, 971 à 978)"
    )


def _year_bounds(years: int | Iterable[int]) -> tuple[int, int]:
    """(first, last) of the years asked; a calendar always covers every year in between."""
    if isinstance(years, int | np.integer):
        first = last = int(years)
    elif isinstance(years, range) and len(years) > 0:
        first, last = min(years[0], years[-1]), max(years[0], years[-1])
    else:
        listed = [int(y) for y in years]
        if not listed:
            raise ValueError("aucune année demandée pour le calendrier des jours ouvrés")
        first, last = min(listed), max(listed)
    if first < MIN_YEAR or last > MAX_YEAR:
        raise ValueError(
            f"années {first}-{last} hors du calendrier des jours ouvrés ({MIN_YEAR}-{MAX_YEAR}) : "
            "date de saisie erronée ?"
        )
    return first, last


@functools.lru_cache(maxsize=128)
def _holiday_array(subdivision: str | None, first: int, last: int, whit_monday_worked: bool) -> np.ndarray:
    """Keyed by subdivision, not by département code, so that 67 and 68 (and all metropolitan codes) share."""
    calendar = holidays.France(subdiv=subdivision, years=range(first, last + 1))
    days = set(calendar)
    if whit_monday_worked:
        for year in range(first, last + 1):
            whit_monday = easter(year) + dt.timedelta(days=50)
            # Only drop the day when Whit Monday is its sole holiday: in Guyane (973) the
            # abolition of slavery (10 June) fell on Whit Monday in 2019 and stays a holiday.
            if whit_monday in days and len(calendar.get_list(whit_monday)) == 1:
                days.discard(whit_monday)
    out = np.array(sorted(days), dtype=DAY)
    out.flags.writeable = False  # cached and shared: nobody may edit it in place
    return out


def public_holidays(departement_code: str, years: int | Iterable[int], whit_monday_worked: bool) -> np.ndarray:
    """The public holidays of a département, as a sorted read-only ``datetime64[D]`` array.

    *years* is a year, a range or any iterable of years; every year from the first to the last is
    covered. With ``whit_monday_worked=True`` (the préfecture works the "journée de solidarité")
    Whit Monday is not a holiday for delay computation. The package itself leaves Whit Monday out
    in 2005-2007, when the law made it the solidarity day everywhere; that is kept as is.

    Cached per (subdivision, first year, last year, flag): 67 and 68 share one entry.
    Holidays falling on a weekend are included (they change nothing to working days).
    """
    first, last = _year_bounds(years)
    return _holiday_array(holiday_subdivision(departement_code), first, last, bool(whit_monday_worked))


# ----------------------------------------------------------------------------------------------
# Input conversion


def _is_missing_scalar(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return isinstance(value, np.datetime64) and np.isnat(value)


def _scalar_day(value: Any) -> np.datetime64:
    if _is_missing_scalar(value):
        return _NAT
    if isinstance(value, np.datetime64):
        return value.astype(DAY)
    if isinstance(value, dt.datetime):  # also pd.Timestamp; wall-clock date when tz-aware
        return np.datetime64(value.date(), "D")
    if isinstance(value, dt.date):
        return np.datetime64(value, "D")
    raise TypeError(f"date attendue, reçu {type(value).__name__} : {value!r}")


def _object_days(values: np.ndarray) -> np.ndarray:
    """Object arrays (dates, datetimes, Timestamps, None/NaT) → datetime64[D], without a row loop."""
    kind = pd.api.types.infer_dtype(values.ravel(), skipna=True)
    if kind == "empty":
        return np.full(values.shape, _NAT)
    if kind not in ("date", "datetime", "datetime64"):
        raise TypeError(
            f"dates attendues, reçu des valeurs de type « {kind} » : convertir d'abord les dates "
            "(les formats français comme 05/07/2022 ne sont pas devinés ici)"
        )
    index = pd.DatetimeIndex(pd.to_datetime(values.ravel()))
    if index.tz is not None:
        index = index.tz_localize(None)  # keep the local wall-clock date
    return index.to_numpy().astype(DAY).reshape(values.shape)


def _as_days(value: Any) -> tuple[np.ndarray, bool]:
    """(datetime64[D] array, True when *value* was a scalar). Time of day dropped."""
    if isinstance(value, str):
        raise TypeError(f"date attendue, reçu le texte {value!r} : convertir d'abord les dates")
    if _is_missing_scalar(value) or isinstance(value, np.datetime64 | dt.date):
        return np.asarray(_scalar_day(value)), True
    if isinstance(value, pd.Series | pd.Index):
        dtype = value.dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            value = value.dt.tz_localize(None) if isinstance(value, pd.Series) else value.tz_localize(None)
        arr = value.to_numpy()
    else:
        arr = np.asarray(value)
    if arr.dtype.kind == "M":
        return arr.astype(DAY, copy=False), False
    if arr.dtype == object:
        return _object_days(arr), False
    if arr.dtype.kind == "f" and np.isnan(arr).all():  # an all-empty column read by pandas
        return np.full(arr.shape, _NAT), False
    raise TypeError(
        f"dates attendues, reçu un tableau de type {arr.dtype} (numéros de série Excel ou textes : "
        "convertir d'abord les dates)"
    )


def _as_counts(n: Any) -> np.ndarray:
    counts = np.asarray(n)
    if counts.dtype.kind == "f":
        if not np.all(np.isfinite(counts)) or np.any(counts != np.round(counts)):
            raise ValueError(f"nombre de jours ouvrés entier attendu, reçu {n!r}")
        counts = counts.astype(np.int64)
    elif counts.dtype.kind not in "iu":
        raise TypeError(f"nombre de jours ouvrés entier attendu, reçu {n!r}")
    if np.any(counts < 0):
        raise ValueError(f"nombre de jours ouvrés négatif : {n!r}")
    return counts.astype(np.int64, copy=False)


# ----------------------------------------------------------------------------------------------
# The calendar


@dataclass(frozen=True, slots=True)
class _Table:
    """One immutable build of the calendar; swapped as a whole when the calendar grows."""

    first_year: int
    last_year: int
    origin: int  # first day (1 January of first_year), as days since 1970-01-01
    working: np.ndarray  # bool per day
    cum: np.ndarray  # int32: working days from the first day up to day i included
    reaching: np.ndarray  # int64: reaching[k] = first day index i with cum[i] >= k, k = 0..cum[-1]
    holidays: np.ndarray  # datetime64[D], the holidays of first_year..last_year

    @property
    def size(self) -> int:
        return len(self.cum)


class _HasPrefectureCalendar(Protocol):
    code: str
    whit_monday_worked: bool


class WorkingCalendar:
    """The working days of one département, with a cumulative table for vectorised delays.

    Build it once per (département, Whit Monday setting) — :func:`working_calendar` caches it —
    and reuse it for every item. Methods take scalars or arrays (broadcast against each other)
    and never loop over rows.

    Dates outside the years covered extend the table automatically (a rebuild of well under a
    millisecond once the holidays package is loaded, done once per new span), up to :data:`MIN_YEAR`-:data:`MAX_YEAR`; a date outside those bounds raises
    a ValueError in French naming the date, since it is a data error the user must fix. Each
    build is immutable and swapped atomically, so a calendar shared between Streamlit sessions
    (``st.cache_resource``) stays consistent.
    """

    def __init__(self, departement_code: str, whit_monday_worked: bool = True,
                 years: int | Iterable[int] | None = None) -> None:
        self.departement_code = _normalize_code(departement_code)
        self.subdivision = holiday_subdivision(self.departement_code)
        self.whit_monday_worked = bool(whit_monday_worked)
        if years is None:
            years = range(2015, dt.date.today().year + 2)
        first, last = _year_bounds(years)
        self._lock = threading.Lock()
        self._table = self._build(first, last)

    @classmethod
    def for_prefecture(cls, prefecture: _HasPrefectureCalendar) -> WorkingCalendar:
        """The (cached) calendar of a :class:`~qep_core.models.Prefecture` row."""
        return working_calendar(prefecture.code, prefecture.whit_monday_worked)

    def __repr__(self) -> str:
        t = self._table
        return (f"WorkingCalendar({self.departement_code!r}, whit_monday_worked={self.whit_monday_worked}, "
                f"years={t.first_year}-{t.last_year})")

    # -- table management ----------------------------------------------------------------------

    def _build(self, first: int, last: int) -> _Table:
        hol = _holiday_array(self.subdivision, first, last, self.whit_monday_worked)
        start = np.datetime64(f"{first:04d}-01-01", "D")
        end = np.datetime64(f"{last + 1:04d}-01-01", "D")
        days = np.arange(start, end, dtype=DAY)
        working = np.is_busday(days, holidays=hol)  # Monday-Friday minus holidays
        working.flags.writeable = False
        cum = np.cumsum(working, dtype=np.int32)
        cum.flags.writeable = False
        # The inverse of cum, so that a deadline is a plain gather instead of a binary search.
        reaching = np.searchsorted(cum, np.arange(int(cum[-1]) + 1), side="left").astype(np.int64)
        reaching.flags.writeable = False
        return _Table(first, last, int(start.astype(np.int64)), working, cum, reaching, hol)

    def _extend(self, low_day: int, high_day: int) -> _Table:
        """A table covering day numbers low_day..high_day (days since 1970), built if needed."""
        low, high = (int(np.datetime64(d, "D").astype("datetime64[Y]").astype(np.int64)) + 1970
                     for d in (low_day, high_day))
        if low < MIN_YEAR or high > MAX_YEAR:
            bad = np.datetime64(low_day if low < MIN_YEAR else high_day, "D")
            raise ValueError(
                f"date {bad} hors du calendrier des jours ouvrés ({MIN_YEAR}-{MAX_YEAR}) : "
                "date de saisie erronée ?"
            )
        with self._lock:
            table = self._table
            first, last = min(table.first_year, low), max(table.last_year, high)
            if (first, last) != (table.first_year, table.last_year):
                table = self._build(first, last)
                self._table = table
            return table

    def _table_for(self, *day_numbers: np.ndarray) -> _Table:
        """The current table, extended so that every given day number falls inside it."""
        table = self._table
        lows = [int(d.min()) for d in day_numbers if d.size]
        highs = [int(d.max()) for d in day_numbers if d.size]
        if not lows:
            return table
        low, high = min(lows), max(highs)
        if low < table.origin or high >= table.origin + table.size:
            table = self._extend(min(low, table.origin), max(high, table.origin + table.size - 1))
        return table

    @staticmethod
    def _day_numbers(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(days since 1970 with missing days set to the valid ones' stand-in, missing mask)."""
        missing = np.isnat(days)
        numbers = days.view(np.int64)
        if missing.any():
            numbers = numbers.copy()
            valid = numbers[~missing]
            numbers[missing] = valid[0] if valid.size else 0  # any in-range day: masked later
        return numbers, missing

    # -- public API ----------------------------------------------------------------------------

    @property
    def first_year(self) -> int:
        return self._table.first_year

    @property
    def last_year(self) -> int:
        return self._table.last_year

    @property
    def holidays(self) -> np.ndarray:
        """The holidays of the years currently covered (read-only ``datetime64[D]``)."""
        return self._table.holidays

    def is_working_day(self, days: Any) -> bool | np.ndarray:
        """Whether each day is a working day; a missing day is False."""
        arr, scalar = _as_days(days)
        numbers, missing = self._day_numbers(np.atleast_1d(arr))
        table = self._table_for(numbers)
        out = table.working[numbers - table.origin] & ~missing
        return bool(out[0]) if scalar else out.reshape(arr.shape)

    def working_days_between(self, received: Any, answered: Any) -> int | float | np.ndarray:
        """Working days after *received* up to and including *answered* (the item's delay).

        Scalars give an ``int`` (``math.nan`` when a date is missing). Arrays or Series give a
        ``float64`` ndarray in which **NaN** marks an item with no answer (pending) or no
        reception date. NaN rather than a -1 sentinel: a sentinel would silently lower a mean
        delay and would count as "within the deadline" in ``delay <= n``, whereas NaN is skipped by
        ``np.nanmean``/pandas and compares False. An answer dated before its reception gives a
        negative number (the working days between the two, negated), not clipped: the import
        reports it as a data error.
        """
        r, r_scalar = _as_days(received)
        a, a_scalar = _as_days(answered)
        r, a = np.broadcast_arrays(np.atleast_1d(r), np.atleast_1d(a))
        rn, r_missing = self._day_numbers(np.ascontiguousarray(r))
        an, a_missing = self._day_numbers(np.ascontiguousarray(a))
        table = self._table_for(rn, an)
        cum, origin = table.cum, table.origin
        delay = (cum[an - origin] - cum[rn - origin]).astype(np.float64)
        missing = r_missing | a_missing
        if missing.any():
            delay[missing] = np.nan
        if r_scalar and a_scalar:
            value = delay[0]
            return math.nan if math.isnan(value) else int(value)
        return delay

    def _deadlines(self, day: Any, n: Any) -> tuple[np.ndarray, bool]:
        """(n-th working day after each day as datetime64[D], True when both inputs were scalars)."""
        arr, scalar = _as_days(day)
        counts = _as_counts(n)
        scalar = scalar and counts.ndim == 0
        arr, counts = np.broadcast_arrays(np.atleast_1d(arr), np.atleast_1d(counts))
        numbers, missing = self._day_numbers(np.ascontiguousarray(arr))
        table = self._table_for(numbers)
        while True:
            idx = numbers - table.origin
            target = table.cum[idx] + counts  # int64: counts is int64
            if target.size == 0 or target.max() < table.reaching.size:
                break
            # Some deadline lies past the last year: grow by enough years and search again.
            last = min(table.last_year + int(counts.max()) // 200 + 1, MAX_YEAR + 1)
            table = self._extend(table.origin, int(np.datetime64(f"{last:04d}-12-31", "D").astype(np.int64)))
        # n = 0: reaching[] gives the last working day *before* a weekend reception: keep the day.
        result = (np.maximum(table.reaching[target], idx) + table.origin).astype(DAY)
        if missing.any():
            result[missing] = _NAT
        return result, scalar

    def add_working_days(self, day: Any, n: Any) -> dt.date | np.ndarray | None:
        """The deadline date: the *n*-th working day after *day*.

        It is the earliest date whose delay from *day* equals *n* (an answer on that date, or on
        a weekend or holiday right after it, still meets the deadline); ``n = 0`` gives *day*
        itself. *n* is a non-negative integer or an array of them (5 for e-mails, 10 for
        letters…), broadcast against *day*. A scalar day with a scalar *n* gives a
        ``datetime.date`` (None when the day is missing); otherwise a ``datetime64[D]`` ndarray
        with NaT for missing days. The table grows when a deadline falls beyond its last year.
        """
        result, scalar = self._deadlines(day, n)
        if scalar:
            return None if np.isnat(result[0]) else result[0].astype(object)
        return result

    def deadline_passed(self, received: Any, n: Any, as_of: Any) -> bool | np.ndarray:
        """True when an unanswered item is late as of *as_of* (the import date).

        Late means the n-th working day after reception (:meth:`add_working_days`) is strictly
        before *as_of*: on the deadline day itself the item can still be answered in time, so it
        stays pending. When *as_of* is a working day this is exactly "an answer dated *as_of*
        would have a delay > n". The two readings differ only when *as_of* is a weekend or
        holiday right after the deadline (deadline Friday, import Saturday): the deadline day has
        ended without an answer, so the item is counted late. Missing dates give False.
        """
        deadline, scalar = self._deadlines(received, n)
        ref, ref_scalar = _as_days(as_of)
        passed = deadline < ref  # NaT compares False on either side
        if scalar and ref_scalar:
            return bool(passed[0])
        return passed


@functools.lru_cache(maxsize=256)
def _cached_calendar(code: str, whit_monday_worked: bool) -> WorkingCalendar:
    return WorkingCalendar(code, whit_monday_worked)


def working_calendar(departement_code: str, whit_monday_worked: bool = True) -> WorkingCalendar:
    """The shared calendar of a département (built once per code and Whit Monday setting).

    It starts over 2015 to next year and grows by itself when dates fall outside; sharing it is
    safe because each build is immutable.
    """
    return _cached_calendar(_normalize_code(departement_code), bool(whit_monday_worked))


def meets_deadline(delay: Any, n: Any) -> bool | np.ndarray:
    """Whether a delay (in working days) meets a deadline of *n* working days: delay ≤ n.

    A missing delay (NaN: no answer yet) is False: a pending item is never counted "in time";
    whether it is late or still pending is :meth:`WorkingCalendar.deadline_passed`'s business.
    """
    if delay is None:
        return False
    if isinstance(delay, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        values = delay.to_numpy(dtype=np.float64, na_value=np.nan)  # nullable Int64/Float64 with <NA>
    else:
        values = np.asarray(delay, dtype=np.float64)
    out = values <= np.asarray(n)
    return bool(out) if np.ndim(out) == 0 else out
