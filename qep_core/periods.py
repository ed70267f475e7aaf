"""Periods: a month, a quarter, a year, twelve rolling months, or any run of whole months.

A period is stored as the first day of its first month and the first day of its last month, the
same convention as observations, so "does this observation fall in the period" is two date
comparisons that any SQL database answers with an index.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from qep_core.frenchforms import MONTH_NAMES_FR


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def quarter_of(month: int) -> int:
    """The quarter (1 to 4) a month (1 to 12) falls in: the one place this arithmetic lives."""
    if not 1 <= month <= 12:
        raise ValueError("month must be 1 to 12")
    return (month - 1) // 3 + 1


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    kind: str  # month | quarter | year | rolling12 | range

    def __post_init__(self) -> None:
        if self.start.day != 1 or self.end.day != 1:
            raise ValueError("a period is made of whole months")
        if self.end < self.start:
            raise ValueError("a period cannot end before it starts")

    @property
    def months(self) -> list[dt.date]:
        out, day = [], self.start
        while day <= self.end:
            out.append(day)
            day = add_months(day, 1)
        return out


    @property
    def quarter(self) -> int:
        """The quarter (1 to 4) the period starts in: a quarter period's own number."""
        return quarter_of(self.start.month)

    @property
    def year(self) -> int:
        """The year whose target applies: the year the period ends in."""
        return self.end.year

    def shifted_years(self, years: int) -> Period:
        return Period(add_months(self.start, 12 * years), add_months(self.end, 12 * years), self.kind)


    @property
    def code(self) -> str:
        """Machine form: ``2022``, ``2022-T3``, ``2022-05``, ``2021-11..2022-10``."""
        if self.kind == "year":
            return str(self.start.year)
        if self.kind == "quarter":
            return f"{self.start.year}-T{self.quarter}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m}..{self.end:%Y-%m}"

    @property
    def label(self) -> str:
        """French form for screens and slides."""
        if self.kind == "year":
            return f"année {self.start.year}"
        if self.kind == "quarter":
            q = self.quarter
            return f"{'1er' if q == 1 else f'{q}e'} trimestre {self.start.year}"
        if self.kind == "month":
            return f"{MONTH_NAMES_FR[self.start.month - 1]} {self.start.year}"
        first = f"{MONTH_NAMES_FR[self.start.month - 1]} {self.start.year}"
        last = f"{MONTH_NAMES_FR[self.end.month - 1]} {self.end.year}"
        prefix = "12 mois glissants, " if self.kind == "rolling12" else ""
        return f"{prefix}{first} – {last}"


def month_period(year: int, month: int) -> Period:
    day = dt.date(year, month, 1)
    return Period(day, day, "month")


def quarter_period(year: int, quarter: int) -> Period:
    if not 1 <= quarter <= 4:
        raise ValueError("quarter must be 1 to 4")
    start = dt.date(year, 3 * quarter - 2, 1)
    return Period(start, add_months(start, 2), "quarter")


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 1), "year")


def rolling_12(last_month: dt.date) -> Period:
    end = month_start(last_month)
    return Period(add_months(end, -11), end, "rolling12")


def range_period(first_month: dt.date, last_month: dt.date) -> Period:
    return Period(month_start(first_month), month_start(last_month), "range")


def parse_period(text: str) -> Period:
    """``2022``, ``2022-T3`` / ``2022-Q3``, ``2022-05``, ``2021-11..2022-10``."""
    text = text.strip()
    if m := re.fullmatch(r"(\d{4})", text):
        return year_period(int(m.group(1)))
    if m := re.fullmatch(r"(\d{4})-?[TtQq]([1-4])", text):
        return quarter_period(int(m.group(1)), int(m.group(2)))
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        return month_period(int(m.group(1)), int(m.group(2)))
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})\.\.(\d{4})-(\d{1,2})", text):
        return range_period(dt.date(int(m.group(1)), int(m.group(2)), 1), dt.date(int(m.group(3)), int(m.group(4)), 1))
    raise ValueError(f"période non reconnue : « {text} » (ex. 2022, 2022-T3, 2022-05)")
