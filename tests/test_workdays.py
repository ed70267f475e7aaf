"""Working days and delays (qep_core.workdays), checked against dates worked out by hand.

Calendar facts used below (checked on a printed calendar):
2022: Fri 23 Dec, Sun 25 Dec (Christmas), Mon 26 Dec, Fri 30 Dec; 2023: Sun 1 Jan, Mon 2 Jan,
Thu 13 / Fri 14 (national day) / Mon 17 July.
2024: Mon 1 Jan; Thu 28 Mar, Fri 29 Mar (Good Friday), Mon 1 Apr (Easter Monday);
Mon 6 May, Wed 8 May (Victoire 1945), Thu 9 May (Ascension), Mon 20 May (Whit Monday);
Fri 7 / Sat 8 / Sun 9 / Mon 10 June; Wed 14 / Thu 15 (Assumption) / Fri 16 Aug;
Thu 31 Oct, Fri 1 Nov (All Saints), Mon 11 Nov (Armistice);
Thu 19 / Fri 20 (La Réunion: abolition of slavery) / Mon 23 Dec; Tue 24, Wed 25 (Christmas),
Thu 26 (Saint-Étienne in Alsace-Moselle), Fri 27 Dec. 2025: Wed 1 Jan, Thu 2 Jan.

Delay = working days after the reception day, up to and including the answer day.
"""

from __future__ import annotations

import datetime as dt

import holidays
import numpy as np
import pandas as pd
import pytest

from qep_core.models import Prefecture
from qep_core.workdays import (
    WorkingCalendar,
    holiday_subdivision,
    meets_deadline,
    public_holidays,
    working_calendar,
)

D = dt.date


def cal(code: str = "44", whit_monday_worked: bool = True) -> WorkingCalendar:
    return WorkingCalendar(code, whit_monday_worked, years=range(2019, 2026))


# -- subdivisions --------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "expected"), [
    ("44", None), ("01", None), ("1", None), ("2A", None), ("2b", None), ("95", None), (" 75 ", None),
    ("57", "57"), ("67", "6AE"), ("68", "6AE"),
    ("971", "971"), ("972", "972"), ("973", "973"), ("974", "974"), ("976", "976"),
    ("975", "PM"), ("977", "BL"), ("978", "MF"),
])
def test_holiday_subdivision(code, expected):
    assert holiday_subdivision(code) == expected


@pytest.mark.parametrize("code", ["20", "00", "96", "99", "988", "987", "984", "2C", "", "4 4"])
def test_holiday_subdivision_rejects_unknown_codes_in_french(code):
    with pytest.raises(ValueError, match="code de département"):
        holiday_subdivision(code)


def test_every_mapped_subdivision_exists_in_the_package():
    # 67 and 68 are not subdivisions of the package (it raises NotImplementedError): 6AE is.
    for code in ["57", "67", "68", "971", "972", "973", "974", "975", "976", "977", "978"]:
        assert holiday_subdivision(code) in holidays.France.subdivisions
    with pytest.raises(NotImplementedError):
        holidays.France(subdiv="67", years=2024)


# -- public holidays -----------------------------------------------------------------------------


def test_public_holidays_metropolitan_2024_with_and_without_whit_monday():
    not_worked = public_holidays("44", 2024, whit_monday_worked=False)
    worked = public_holidays("44", 2024, whit_monday_worked=True)
    assert not_worked.dtype == np.dtype("datetime64[D]")
    assert len(not_worked) == 11  # the 11 national public holidays
    assert np.datetime64("2024-05-20") in not_worked
    assert np.datetime64("2024-05-20") not in worked
    assert len(worked) == 10
    assert not not_worked.flags.writeable  # cached and shared


def test_public_holidays_local_extras_2024():
    def extras(code):
        return sorted(set(public_holidays(code, 2024, False).tolist())
                      - set(public_holidays("44", 2024, False).tolist()))

    assert extras("57") == extras("67") == extras("68") == [D(2024, 3, 29), D(2024, 12, 26)]
    assert extras("974") == [D(2024, 12, 20)]
    assert extras("976") == [D(2024, 4, 27)]
    assert extras("973") == [D(2024, 6, 10)]
    assert extras("972") == [D(2024, 5, 22), D(2024, 7, 21)]
    assert extras("971") == [D(2024, 3, 7), D(2024, 3, 29), D(2024, 5, 27), D(2024, 7, 21)]
    assert extras("2A") == extras("975") == []


def test_whit_monday_worked_keeps_a_local_holiday_on_the_same_day():
    # 2019: Easter 21 April, Whit Monday 10 June = Guyane's abolition of slavery day.
    assert np.datetime64("2019-06-10") in public_holidays("973", 2019, whit_monday_worked=True)
    assert np.datetime64("2019-06-10") not in public_holidays("44", 2019, whit_monday_worked=True)


def test_public_holidays_years_and_bounds():
    span = public_holidays("44", range(2023, 2025), False)
    assert span.min() == np.datetime64("2023-01-01") and span.max() == np.datetime64("2024-12-25")
    assert np.array_equal(public_holidays("44", [2024, 2023], False), span)
    with pytest.raises(ValueError, match="hors du calendrier"):
        public_holidays("44", 1800, False)


# -- hand-checked delays, metropolitan (44) ------------------------------------------------------


@pytest.mark.parametrize(("received", "answered", "expected"), [
    # Same day: nothing after reception.
    (D(2024, 6, 10), D(2024, 6, 10), 0),
    # Mon 10 → Tue 11 June: the next working day.
    (D(2024, 6, 10), D(2024, 6, 11), 1),
    # Fri 7 → Mon 10 June: Sat, Sun skipped, Mon counts.
    (D(2024, 6, 7), D(2024, 6, 10), 1),
    # Received Sat 8 / Sun 9 June, answered Mon 10: 1 (DOMAIN.md example).
    (D(2024, 6, 8), D(2024, 6, 10), 1),
    (D(2024, 6, 9), D(2024, 6, 10), 1),
    # Received Saturday, answered Sunday: no working day in between.
    (D(2024, 6, 8), D(2024, 6, 9), 0),
    # Fri 7 → Sat 8 June: answered on a weekend the next day, still 0.
    (D(2024, 6, 7), D(2024, 6, 8), 0),
    # Easter Monday: Fri 29 Mar → Tue 2 Apr = Sat, Sun, Mon 1 (holiday), Tue → 1.
    (D(2024, 3, 29), D(2024, 4, 2), 1),
    # Thu 28 Mar → Tue 2 Apr: Fri 29 (worked in 44), Tue → 2.
    (D(2024, 3, 28), D(2024, 4, 2), 2),
    # Ascension: Tue 7 May → Fri 10 May = Wed 8 (Victoire 1945), Thu 9 (Ascension), Fri → 1.
    (D(2024, 5, 7), D(2024, 5, 10), 1),
    # 14 July 2023 is a Friday: Thu 13 → Mon 17 = Fri (holiday), Sat, Sun, Mon → 1.
    (D(2023, 7, 13), D(2023, 7, 17), 1),
    # Received on the holiday itself (Fri 14 July), answered Mon 17: 1, like a Saturday.
    (D(2023, 7, 14), D(2023, 7, 17), 1),
    # ... answered Sat 15 July: 0.
    (D(2023, 7, 14), D(2023, 7, 15), 0),
    # 15 August 2024 is a Thursday: Wed 14 → Fri 16 = Thu (holiday), Fri → 1.
    (D(2024, 8, 14), D(2024, 8, 16), 1),
    # 1 Nov (Fri) and 11 Nov (Mon) 2024: Thu 31 Oct → Tue 12 Nov
    # = [Fri 1 hol] [Mon 4 … Fri 8: 5] [Mon 11 hol] [Tue 12: 1] → 6 (8 without the holidays).
    (D(2024, 10, 31), D(2024, 11, 12), 6),
    # Christmas 2024 (Wed): Tue 24 → Fri 27 = Thu 26, Fri 27 → 2 (26 Dec worked in 44).
    (D(2024, 12, 24), D(2024, 12, 27), 2),
    # Christmas 2022 is a Sunday, no effect: Fri 23 → Tue 27 = Mon 26, Tue 27 → 2.
    (D(2022, 12, 23), D(2022, 12, 27), 2),
    # New Year 2025 (Wed): Fri 27 Dec 2024 → Thu 2 Jan = Mon 30, Tue 31, Thu 2 → 3.
    (D(2024, 12, 27), D(2025, 1, 2), 3),
    # New Year 2023 is a Sunday, no effect: Fri 30 Dec 2022 → Mon 2 Jan 2023 → 1.
    (D(2022, 12, 30), D(2023, 1, 2), 1),
    # Answer dated before reception: negative, not clipped (Mon 10 ← Fri 7 June).
    (D(2024, 6, 10), D(2024, 6, 7), -1),
])
def test_delays_metropolitan(received, answered, expected):
    delay = cal("44").working_days_between(received, answered)
    assert delay == expected
    assert type(delay) is int


@pytest.mark.parametrize(("answered", "not_worked", "worked"), [
    # Fri 17 May → Tue 21 May: Sat, Sun, Whit Monday 20, Tue.
    (D(2024, 5, 21), 1, 2),
    # Fri 17 May → Mon 20 May: 0 when Whit Monday is a holiday, 1 when it is worked.
    (D(2024, 5, 20), 0, 1),
])
def test_whit_monday_setting(answered, not_worked, worked):
    assert cal("44", whit_monday_worked=False).working_days_between(D(2024, 5, 17), answered) == not_worked
    assert cal("44", whit_monday_worked=True).working_days_between(D(2024, 5, 17), answered) == worked


# -- hand-checked delays, Alsace-Moselle and La Réunion -----------------------------------------


@pytest.mark.parametrize("code", ["57", "67", "68"])
def test_alsace_moselle_good_friday_and_26_december(code):
    local, metro = cal(code), cal("44")
    # Thu 28 Mar → Tue 2 Apr 2024: Good Friday and Easter Monday off → only Tue → 1 (44: 2).
    assert local.working_days_between(D(2024, 3, 28), D(2024, 4, 2)) == 1
    assert metro.working_days_between(D(2024, 3, 28), D(2024, 4, 2)) == 2
    # Tue 24 → Fri 27 Dec 2024: 25 and 26 off → only Fri → 1 (44: 2).
    assert local.working_days_between(D(2024, 12, 24), D(2024, 12, 27)) == 1
    assert metro.working_days_between(D(2024, 12, 24), D(2024, 12, 27)) == 2
    # 2022: Christmas on Sunday, but Mon 26 Dec is off there: Fri 23 → Tue 27 → 1 (44: 2).
    assert local.working_days_between(D(2022, 12, 23), D(2022, 12, 27)) == 1
    assert not local.is_working_day(D(2024, 3, 29)) and metro.is_working_day(D(2024, 3, 29))


def test_la_reunion_20_december():
    # 20 Dec 2024 is a Friday: Thu 19 → Mon 23 = Fri (holiday in 974), Sat, Sun, Mon → 1 (44: 2).
    assert cal("974").working_days_between(D(2024, 12, 19), D(2024, 12, 23)) == 1
    assert cal("44").working_days_between(D(2024, 12, 19), D(2024, 12, 23)) == 2


# -- deadlines -----------------------------------------------------------------------------------


def test_five_working_day_deadline_across_ascension():
    c = cal("44")
    # Received Mon 6 May 2024: Tue 7 (1), [Wed 8, Thu 9 off], Fri 10 (2), Mon 13 (3), Tue 14 (4),
    # Wed 15 (5). Without the two holidays the deadline would be Mon 13.
    assert c.add_working_days(D(2024, 5, 6), 5) == D(2024, 5, 15)
    assert c.working_days_between(D(2024, 5, 6), D(2024, 5, 15)) == 5
    assert meets_deadline(c.working_days_between(D(2024, 5, 6), D(2024, 5, 15)), 5)
    assert not meets_deadline(c.working_days_between(D(2024, 5, 6), D(2024, 5, 16)), 5)


def test_add_working_days_edges():
    c = cal("44")
    assert c.add_working_days(D(2024, 6, 8), 0) == D(2024, 6, 8)  # n = 0: the day itself, even a Saturday
    assert c.add_working_days(D(2024, 6, 8), 1) == D(2024, 6, 10)  # Sat → Mon
    assert c.add_working_days(D(2024, 6, 7), 1) == D(2024, 6, 10)  # Fri → Mon
    assert c.add_working_days(None, 5) is None
    # Vectorised, with a deadline per item (e-mail 5, letter 10) and a missing day.
    days = np.array(["2024-05-06", "2024-05-06", "NaT"], dtype="datetime64[D]")
    out = c.add_working_days(days, np.array([5, 10, 5]))
    # 10 working days from Mon 6 May: … Wed 15 (5), Thu 16 (6), Fri 17 (7), [Mon 20 Whit Monday worked] (8),
    # Tue 21 (9), Wed 22 (10).
    assert out.tolist() == [D(2024, 5, 15), D(2024, 5, 22), None]
    with pytest.raises(ValueError, match="négatif"):
        c.add_working_days(D(2024, 5, 6), -1)


def test_deadline_passed_both_sides():
    c = cal("44")
    received = D(2024, 5, 6)  # 5-working-day deadline: Wed 15 May (see above)
    assert not c.deadline_passed(received, 5, D(2024, 5, 14))
    assert not c.deadline_passed(received, 5, D(2024, 5, 15))  # still answerable today: pending
    assert c.deadline_passed(received, 5, D(2024, 5, 16))
    # Received Fri 7 June: Mon 10 (1) … Fri 14 (5). Imported Sat 15: the deadline day is over.
    assert not c.deadline_passed(D(2024, 6, 7), 5, D(2024, 6, 14))
    assert c.deadline_passed(D(2024, 6, 7), 5, D(2024, 6, 15))
    out = c.deadline_passed(pd.Series([D(2024, 5, 6), D(2024, 5, 10), None]), 5, D(2024, 5, 16))
    # Fri 10 May + 5: Mon 13, Tue 14, Wed 15, Thu 16, Fri 17 → not passed on 16 May.
    assert out.tolist() == [True, False, False]


def test_meets_deadline():
    assert meets_deadline(5, 5) and not meets_deadline(6, 5) and not meets_deadline(float("nan"), 5)
    assert not meets_deadline(None, 5)
    assert meets_deadline(np.array([0, 5, 6, np.nan]), 5).tolist() == [True, True, False, False]
    assert meets_deadline(np.array([4, 6]), np.array([5, 10])).tolist() == [True, True]
    assert meets_deadline(pd.Series([3, None, 7], dtype="Int64"), 5).tolist() == [True, False, False]


# -- inputs --------------------------------------------------------------------------------------


def test_input_kinds_and_missing_answers():
    c = cal("44")
    # Fri 7 June 2024 at 17:45 → Mon 10 June at 08:05: time of day ignored → 1.
    received = pd.Series(pd.to_datetime(["2024-06-07 17:45", "2024-06-08 09:00", "2024-06-07 10:00"]))
    answered = pd.Series(pd.to_datetime(["2024-06-10 08:05", None, "2024-06-07 16:00"]))
    out = c.working_days_between(received, answered)
    assert out.dtype == np.float64
    assert out[0] == 1 and np.isnan(out[1]) and out[2] == 0  # NaN marks the pending item
    # Series of datetime.date objects with None (what an object column holds).
    dates = c.working_days_between(pd.Series([D(2024, 6, 7), D(2024, 6, 8)]), pd.Series([D(2024, 6, 10), None]))
    assert dates[0] == 1 and np.isnan(dates[1])
    # numpy arrays of any unit, lists, and a scalar broadcast against an array.
    arr = np.array(["2024-06-07T23:59", "2024-06-08T00:01"], dtype="datetime64[m]")
    assert c.working_days_between(arr, np.datetime64("2024-06-10")).tolist() == [1.0, 1.0]
    assert c.working_days_between([D(2024, 6, 7)], [dt.datetime(2024, 6, 11, 9)]).tolist() == [2.0]
    # tz-aware: the local date counts (23:30 in Paris on Fri 7 June is still Friday there).
    paris = pd.Series(pd.to_datetime(["2024-06-07 23:30"])).dt.tz_localize("Europe/Paris")
    assert c.working_days_between(paris, pd.Series([D(2024, 6, 10)])).tolist() == [1.0]
    # Scalars: int, or NaN when the answer is missing.
    assert c.working_days_between(pd.Timestamp("2024-06-07 18:00"), np.datetime64("2024-06-10")) == 1
    assert np.isnan(c.working_days_between(D(2024, 6, 7), None))
    assert np.isnan(c.working_days_between(D(2024, 6, 7), pd.NaT))
    # An empty column read by pandas comes as float NaN.
    assert np.isnan(c.working_days_between(pd.Series([D(2024, 6, 7)]), pd.Series([np.nan]))).all()


def test_arrow_backed_and_empty_inputs():
    pa = pytest.importorskip("pyarrow")
    c = cal("44")
    received = pd.Series(pa.array([D(2024, 6, 7), None], pa.date32()), dtype=pd.ArrowDtype(pa.date32()))
    answered = pd.Series(pa.array([dt.datetime(2024, 6, 10, 9), dt.datetime(2024, 6, 10)], pa.timestamp("us")),
                         dtype=pd.ArrowDtype(pa.timestamp("us")))
    out = c.working_days_between(received, answered)
    assert out[0] == 1 and np.isnan(out[1])  # Fri 7 → Mon 10 June; missing reception → NaN
    empty = np.array([], dtype="datetime64[D]")
    assert c.working_days_between(empty, empty).size == 0
    assert c.add_working_days(empty, 5).size == 0


def test_strings_and_numbers_are_refused():
    c = cal("44")
    with pytest.raises(TypeError, match="convertir"):
        c.working_days_between("07/06/2024", D(2024, 6, 10))
    with pytest.raises(TypeError, match="convertir"):
        c.working_days_between(pd.Series(["2024-06-07"]), pd.Series([D(2024, 6, 10)]))
    with pytest.raises(TypeError, match="Excel"):
        c.working_days_between(np.array([45450]), np.array([45453]))


def test_table_extends_itself_and_rejects_absurd_dates():
    c = WorkingCalendar("44", False, years=2024)
    assert (c.first_year, c.last_year) == (2024, 2024)
    # Fri 23 Dec 2022 → Tue 27 Dec 2022 and a deadline in 2026: the table grows.
    assert c.working_days_between(D(2022, 12, 23), D(2022, 12, 27)) == 2
    assert c.add_working_days(D(2025, 12, 31), 2) == D(2026, 1, 5)  # Fri 2, Mon 5 (Thu 1 Jan off)
    assert (c.first_year, c.last_year) == (2022, 2026)
    # A deadline far beyond the table.
    assert c.add_working_days(D(2026, 12, 31), 600) > D(2029, 1, 1)
    with pytest.raises(ValueError, match="hors du calendrier"):
        c.working_days_between(D(24, 6, 7), D(2024, 6, 10))
    with pytest.raises(ValueError, match="hors du calendrier"):
        c.add_working_days(np.datetime64("2100-12-20"), 30)


def test_shared_calendar_and_prefecture():
    assert working_calendar("44", True) is working_calendar(" 44", True)
    assert working_calendar("44", True) is not working_calendar("44", False)
    pref = Prefecture(code="974", name="La Réunion", whit_monday_worked=False)
    c = WorkingCalendar.for_prefecture(pref)
    assert (c.subdivision, c.whit_monday_worked) == ("974", False)


# -- vectorised = scalar = slow reference --------------------------------------------------------

REFERENCE_SUBDIV = {"44": None, "57": "57", "67": "6AE", "971": "971", "973": "973", "974": "974"}


def slow_delay(code: str, whit_monday_worked: bool, received: dt.date, answered: dt.date) -> int:
    """Day-by-day count straight from the holidays package (French names: no code shared with the module)."""
    calendar = holidays.France(subdiv=REFERENCE_SUBDIV[code], years=range(2018, 2027), language="fr")

    def off(day: dt.date) -> bool:
        names = [n for n in calendar.get_list(day) if not (whit_monday_worked and n == "Lundi de Pentecôte")]
        return day.weekday() >= 5 or bool(names)

    lo, hi, sign = (received, answered, 1) if answered >= received else (answered, received, -1)
    count, day = 0, lo
    while day < hi:
        day += dt.timedelta(days=1)
        count += not off(day)
    return sign * count


def random_pairs(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2019-01-01")
    received = start + rng.integers(0, 7 * 365, n).astype("timedelta64[D]")
    answered = received + rng.integers(-3, 45, n).astype("timedelta64[D]")
    return received, answered


@pytest.mark.parametrize(("code", "whit"), [("44", True), ("44", False), ("57", False), ("67", True),
                                             ("971", False), ("973", True), ("974", False)])
def test_vectorised_equals_scalar_and_slow_reference(code, whit):
    c = WorkingCalendar(code, whit, years=2024)  # must also extend itself to 2019-2025
    received, answered = random_pairs(seed=sum(map(ord, code)) * 2 + whit, n=300)
    vector = c.working_days_between(received, answered)
    scalar = [c.working_days_between(r, a) for r, a in zip(received.tolist(), answered.tolist(), strict=True)]
    slow = [slow_delay(code, whit, r, a) for r, a in zip(received.tolist(), answered.tolist(), strict=True)]
    assert vector.tolist() == scalar == slow
    # Same as numpy's own business-day count over [received + 1, answered + 1) when answered ≥
    # received (numpy counts a reversed interval differently, so those are left out).
    forward = answered >= received
    busday = np.busday_count(received[forward] + 1, answered[forward] + 1, holidays=c.holidays)
    assert np.array_equal(vector[forward], busday)
    # The deadline is the earliest day reaching n, and one day earlier stays below n.
    n = np.random.default_rng(7).integers(1, 16, received.size)
    deadline = c.add_working_days(received, n)
    assert np.array_equal(c.working_days_between(received, deadline), n)
    assert np.all(c.working_days_between(received, deadline - 1) == n - 1)
    assert np.all(c.is_working_day(deadline))


def test_vectorised_with_missing_answers():
    c = cal("974", whit_monday_worked=False)
    received, answered = random_pairs(seed=11, n=400)
    answered = answered.copy()
    answered[::7] = np.datetime64("NaT")
    out = c.working_days_between(received, answered)
    assert np.isnan(out[::7]).all()
    kept = ~np.isnat(answered)
    assert np.array_equal(out[kept], c.working_days_between(received[kept], answered[kept]))
