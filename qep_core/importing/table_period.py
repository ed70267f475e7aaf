"""The period a table states, and the year of each of its month columns.

A service's table says what it covers in words, not in cells: its title (« Bilan annuel 2022 »,
« Courriels — juin 2022 », « du 1er novembre 2021 au 30 septembre 2022 »), its sheet name
(« T2 2022 »), or the file's name (« suivi_courriels_2022.xlsx »). Month columns usually carry no
year (« janv. », « févr. »…). Two rules keep a figure from landing in the wrong month:

* **Month columns are dated by walking the calendar**, never by guessing. From a range's first
  month, each column is the next month of that name; with two years stated (« 2021-2022 »), the
  columns must turn the year exactly once; with one year, they must not turn it at all. A column
  whose year cannot be decided is refused, naming its cells.
* **A table without month columns** (one column per périmètre, or a single value column) covers
  exactly the month, quarter or year its title gives: the « juin 2022 » table of the mailboxes
  never becomes the whole of 2022 (the « juillet 2022 » file would then replace June).

Worked case: title « du 1er novembre 2021 au 30 septembre 2022 », columns novembre … septembre →
novembre and décembre are 2021, janvier … septembre 2022; under « Bilan annuel 2022 » the same
columns are refused (novembre and décembre could be 2021 or 2022).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass

from qep_core.frenchforms import MONTH_NAMES_FR, MONTHS, normalize
from qep_core.periods import add_months

#: Where a table's period may be stated, from the most to the least specific.
SOURCES = ("en-tête", "titre", "nom de la feuille", "nom du fichier")

_MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"((?:19|20)\d{2})"
_DAY = r"(?:(?:1er|\d{1,2}) )?"
_MONTH_YEAR = rf"(?:({_MONTH_WORD}) {_YEAR}|(\d{{1,2}}) {_YEAR})"  # « novembre 2021 » or « 11 2021 »
_RANGE = re.compile(rf"(?:^| )(?:du |de |d )?{_DAY}{_MONTH_YEAR} (?:au|a|jusqu au) {_DAY}{_MONTH_YEAR}(?: |$)")
_QUARTER = re.compile(rf"(?:^| )(?:(?:t|q)([1-4])|([1-4])(?:er|e|eme|nd)? trimestre|trimestre ([1-4])) {_YEAR}(?: |$)")
_MONTH = re.compile(rf"(?:^| )({_MONTH_WORD}) {_YEAR}(?: |$)")
_TWO_YEARS = re.compile(rf"(?:^| ){_YEAR} {_YEAR}(?: |$)")
_ANY_YEAR = re.compile(rf"(?<!\d){_YEAR}(?!\d)")
_FULL_DATE = re.compile(r"(?<!\d)(?:\d{4}[-_.]\d{2}[-_.]\d{2}|\d{2}[-_.]\d{2}[-_.]\d{4})(?!\d)")


@dataclass(frozen=True)
class StatedPeriod:
    """What a text says a table covers: first and last month, and how it said it."""

    start: dt.date
    end: dt.date
    kind: str  # month | quarter | year | years | range
    source: str  # one of SOURCES
    text: str  # the words, as written

    @property
    def calendar_span(self) -> bool:
        """A month, a quarter or a calendar year: a span the figures of the app can hold."""
        if self.kind in ("month", "quarter", "year"):
            return True
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        return (months == 1 or (months == 3 and self.start.month % 3 == 1)
                or (months == 12 and self.start.month == 1))

    def describe(self) -> str:
        return f"« {self.text} » ({self.source})"


def _month_of(word: str | None, number: str | None) -> int | None:
    if word:
        return MONTHS[word]
    if number and 1 <= int(number) <= 12:
        return int(number)
    return None


def stated_period(text: object, source: str) -> StatedPeriod | None:
    """The period a title, sheet name or file name states; None when it states none or several.

    A full date (« export du 2023-01-15 ») in a file name is when it was written, not what it
    covers: it is not read as a period.
    """
    raw = str(text or "").strip()
    if not raw:
        return None
    norm = normalize(_FULL_DATE.sub(" ", raw) if source == "nom du fichier" else raw)
    ranges = _RANGE.findall(norm)
    if len(ranges) == 1:
        w1, y1, n1, ny1, w2, y2, n2, ny2 = ranges[0]
        m1, m2 = _month_of(w1, n1), _month_of(w2, n2)
        if m1 and m2:
            start, end = dt.date(int(y1 or ny1), m1, 1), dt.date(int(y2 or ny2), m2, 1)
            if start <= end <= add_months(start, 23):
                kind = "year" if (start.month, end.month, start.year) == (1, 12, end.year) else "range"
                return StatedPeriod(start, end, kind, source, raw)
        return None
    quarters = {(int(a or b or c), int(y)) for a, b, c, y in _QUARTER.findall(norm)}
    if len(quarters) == 1:
        (q, year), = quarters
        start = dt.date(year, 3 * q - 2, 1)
        return StatedPeriod(start, add_months(start, 2), "quarter", source, raw)
    months = {(MONTHS[w], int(y)) for w, y in _MONTH.findall(norm)}
    if len(months) == 1:
        (month, year), = months
        day = dt.date(year, month, 1)
        return StatedPeriod(day, day, "month", source, raw)
    if len(months) > 1 or len(quarters) > 1:
        return None
    pairs = [(int(a), int(b)) for a, b in _TWO_YEARS.findall(norm) if int(b) == int(a) + 1]
    years = {int(y) for y in _ANY_YEAR.findall(norm)}
    if len(pairs) == 1 and years == set(pairs[0]):
        first, second = pairs[0]
        return StatedPeriod(dt.date(first, 1, 1), dt.date(second, 12, 1), "years", source, raw)
    if len(years) == 1:
        (year,) = years
        return StatedPeriod(dt.date(year, 1, 1), dt.date(year, 12, 1), "year", source, raw)
    return None


class PeriodConflict(ValueError):
    """Two places of the file state periods that cannot both be true."""


def _months(period: StatedPeriod) -> int:
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1


def table_period(statements: list[StatedPeriod]) -> StatedPeriod | None:
    """The period of a table from what its places state (most specific source first).

    The narrowest statement wins when all of them overlap (« juin 2022 » in a sheet named « 2022 »,
    or « du 1er novembre 2021 au 30 septembre 2022 » in a « Bilan 2022 »); two statements that share
    no month are a conflict, and the user says which is right.
    """
    for first in statements:
        for other in statements:
            if other.end < first.start or first.end < other.start:
                raise PeriodConflict(f"{first.describe()} et {other.describe()} désignent des périodes différentes : "
                                     "corrigez celui qui est faux")
    return min(statements, key=_months, default=None)  # min keeps the first (most specific source) on ties


@dataclass(frozen=True)
class MonthColumn:
    """A month column as written: its position, its month, and its year when the header has one."""

    index: int
    letter: str
    month: int
    year: int | None


class UndatedColumns(ValueError):
    """Month columns whose year the file does not decide; the message names them."""


def _names(columns: list[MonthColumn]) -> str:
    shown = ", ".join(f"{c.letter} ({MONTH_NAMES_FR[c.month - 1]})" for c in columns[:6])
    return shown + (f"… ({len(columns)} colonnes)" if len(columns) > 6 else "")


def _next_of(month: int, after: dt.date) -> dt.date:
    """The first month named *month* strictly after *after*."""
    day = add_months(after, 1)
    while day.month != month:
        day = add_months(day, 1)
    return day


def date_month_columns(columns: list[MonthColumn], period: StatedPeriod | None) -> dict[int, dt.date]:
    """The first day of each month column, by column index.

    Columns with a year in their header are dated by it; the others by walking the calendar from
    the nearest dated column before them, or from the stated period. Raises
    :class:`UndatedColumns` when the walk cannot start or leaves the stated range.
    """
    dated: dict[int, dt.date] = {}
    previous: dt.date | None = None
    pending: list[MonthColumn] = []  # yearless columns before the first dated one
    for col in columns:
        if col.year is not None:
            previous = dt.date(col.year, col.month, 1)
        elif previous is not None:
            previous = _next_of(col.month, previous)
        else:
            pending.append(col)
            continue
        dated[col.index] = previous
    if not pending:
        return dated
    if len(pending) < len(columns):  # yearless columns before a dated one: walk back from it
        anchor = dated[columns[len(pending)].index]
        for col in reversed(pending):
            day = add_months(anchor, -1)
            while day.month != col.month:
                day = add_months(day, -1)
            dated[col.index] = anchor = day
        return dated
    if period is None:
        raise UndatedColumns(f"l'année des colonnes de mois {_names(columns)} n'est écrite nulle part : indiquez-la "
                             "dans le titre ou le nom de la feuille (« Courriels 2022 ») ou dans chaque en-tête "
                             "(« janv. 2022 »)")
    turns = [b for a, b in itertools.pairwise(columns) if b.month <= a.month]
    if period.kind == "range":
        day = add_months(period.start, -1)
        for col in columns:
            day = _next_of(col.month, day)
            if day > period.end:
                raise UndatedColumns(f"la colonne {col.letter} ({MONTH_NAMES_FR[col.month - 1]}) ne tient pas dans la "
                                     f"période {period.describe()}")
            dated[col.index] = day
        return dated
    if period.kind == "years":
        if len(turns) != 1:
            raise UndatedColumns(f"{period.describe()} donne deux années, mais les colonnes {_names(columns)} "
                                 + ("ne passent pas de décembre à janvier : à quelle année appartient chacune ? "
                                    if not turns else "changent d'année plus d'une fois : ")
                                 + "écrivez l'année dans les en-têtes (« nov. 2021 ») ou la période dans le titre "
                                   "(« du 1er novembre 2021 au 30 septembre 2022 »)")
        year = period.start.year
        for col in columns:
            if col is turns[0]:
                year += 1
            dated[col.index] = dt.date(year, col.month, 1)
        return dated
    if turns:
        before = columns[:columns.index(turns[0])]
        raise UndatedColumns(f"les colonnes de mois passent de {MONTH_NAMES_FR[before[-1].month - 1]} à "
                             f"{MONTH_NAMES_FR[turns[0].month - 1]} (colonne {turns[0].letter}) alors que "
                             f"{period.describe()} ne donne qu'une année : les colonnes {_names(before)} sont-elles "
                             f"de {period.start.year - 1} ou de {period.start.year} ? Indiquez la période dans le "
                             "titre (« du 1er novembre 2021 au 30 septembre 2022 ») ou l'année dans chaque en-tête")
    for col in columns:
        dated[col.index] = dt.date(period.start.year, col.month, 1)
    return dated
