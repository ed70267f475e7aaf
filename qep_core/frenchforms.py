"""Reading the French forms that tracking sheets really contain.

Services type figures the way they read them: ``48 %``, ``99,6%``, ``1 234``, ``5 jours``,
``0,05 /1000``, ``n.c``; months as ``janvier``, ``févr.``, ``mai-22`` or Excel serial dates.
Parsing is strict: a value either parses to a number, is an explicit "missing" marker, or is
reported as an error. Nothing is guessed silently.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass

#: Every way a sheet says "no figure this time" (not communicated, not available, not applicable):
#: a missing value, never a zero. The one list the readers use (counts, rates, item-log dates) and
#: the one the README documents (« Valeurs manquantes ») — a test keeps both the same. Case and
#: accents do not matter (``NC``, ``Non communiqué``); an empty cell is missing too.
MISSING_SPELLINGS = (
    "n.c", "n.c.", "nc", "n c", "n/c", "non communiqué", "non communiquée",
    "nd", "n.d", "n.d.", "non disponible",
    "na", "n/a", "sans objet", "so", "s.o", "s.o.", "aucun", "aucune",
    "-", "--", "—", "–", "/",
)
NO_TARGET_MARKERS = ("pas d'obj", "pas d obj", "pas d'objectif", "sans objectif", "aucun objectif")

MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "feb": 2, "february": 2,
    "mars": 3, "mar": 3, "march": 3,
    "avril": 4, "avr": 4, "apr": 4, "april": 4,
    "mai": 5, "may": 5,
    "juin": 6, "jun": 6, "june": 6,
    "juillet": 7, "juil": 7, "jul": 7, "july": 7,
    "aout": 8, "aou": 8, "aug": 8, "august": 8,
    "septembre": 9, "sept": 9, "sep": 9, "september": 9,
    "octobre": 10, "oct": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}
MONTH_NAMES_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                  "septembre", "octobre", "novembre", "décembre"]
MONTH_ABBR_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                 "oct.", "nov.", "déc."]

EXCEL_EPOCH = dt.date(1899, 12, 30)


def normalize(text: object) -> str:
    """Lower-case, accent-free, punctuation-free text with single spaces.

    Column headers and row labels are matched on this form so that ``Période``, ``periode``
    and ``PÉRIODE :`` are the same word.
    """
    if text is None:
        return ""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = s.replace("œ", "oe").replace("æ", "ae")
    s = re.sub(r"[^a-z0-9%]+", " ", s)
    return s.strip()


def contains_phrase(haystack: str, phrase: str) -> bool:
    """True when *phrase* occurs in *haystack* as whole words (both already normalized)."""
    if not phrase:
        return False
    return f" {phrase} " in f" {haystack} "


class ValueFormatError(ValueError):
    """A cell that should hold a number holds something else."""


@dataclass(frozen=True)
class ParsedNumber:
    """A number read from a cell, with the unit the cell showed (``%``, ``‰``, ``j``) if any."""

    value: float
    unit: str | None = None


def is_missing(cell: object) -> bool:
    """An empty cell or an explicit 'not communicated' marker: missing, never zero."""
    if cell is None:
        return True
    if isinstance(cell, float) and math.isnan(cell):
        return True
    if isinstance(cell, str):
        return normalize_marker(cell) in MISSING_MARKERS
    return False


def normalize_marker(cell: str) -> str:
    """Lower case, no accents, single spaces; punctuation kept (``n.c.`` and ``-`` are markers)."""
    s = unicodedata.normalize("NFKD", cell)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower().strip()
    return re.sub(r"\s+", " ", s)


#: :data:`MISSING_SPELLINGS` as cells are compared to them (see :func:`normalize_marker`).
MISSING_MARKERS = frozenset({"", *(normalize_marker(m) for m in MISSING_SPELLINGS)})


def is_no_target(cell: object) -> bool:
    return isinstance(cell, str) and normalize_marker(cell).startswith(NO_TARGET_MARKERS)


_NUMBER_RE = re.compile(
    r"^(?P<sign>[-+−])?\s*(?P<num>\d{1,3}(?:[ \u00a0\u202f.]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?|[.,]\d+)"
    r"\s*(?P<unit>%|‰|/ ?1 ?000|pour ?mille|pour ?1 ?000|j|jours?|jours? ouvres?|jo)?\.?$"
)


def parse_number(cell: object) -> ParsedNumber | None:
    """Parse a cell into a number; ``None`` when the cell is missing (``n.c``, empty).

    Raises :class:`ValueFormatError` for text that is neither a number nor a missing marker.
    Accepts ``1 234`` (normal, non-breaking or narrow spaces), ``1.234`` as thousands only when
    followed by exactly three digits groups, decimal commas, and the units ``%``, ``‰``,
    ``/1000``, ``j`` and ``jours``.
    """
    if is_missing(cell):
        return None
    if isinstance(cell, bool):
        raise ValueFormatError(f"valeur logique « {cell} » au lieu d'un nombre")
    if isinstance(cell, (int, float)):
        if math.isinf(cell):
            raise ValueFormatError("nombre infini")
        return ParsedNumber(float(cell))
    if isinstance(cell, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        raise ValueFormatError(f"date « {cell} » au lieu d'un nombre")
    text = str(cell).strip()
    folded = normalize_marker(text)
    match = _NUMBER_RE.match(folded)
    if not match:
        raise ValueFormatError(f"« {text} » n'est pas un nombre")
    raw = match.group("num")
    if re.fullmatch(r"\d{1,3}(?:[.]\d{3})+", raw):
        raw = raw.replace(".", "")  # 1.234.567 written with dots as thousands separators
    raw = re.sub(r"[ \u00a0\u202f]", "", raw).replace(",", ".")
    value = float(raw)
    if match.group("sign") in ("-", "−"):
        value = -value
    unit_raw = match.group("unit")
    unit: str | None = None
    if unit_raw:
        if unit_raw == "%":
            unit = "%"
        elif unit_raw.startswith(("j",)):
            unit = "j"
        else:
            unit = "‰"
    return ParsedNumber(value, unit)


def excel_serial_to_date(serial: float) -> dt.date:
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


_YEAR_RE = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")


def find_year(text: object) -> int | None:
    """The single four-digit year in a title (``Bilan 2022``), or None if zero or several."""
    years = {int(m.group(0)) for m in _YEAR_RE.finditer(str(text or ""))}
    return years.pop() if len(years) == 1 else None


@dataclass(frozen=True)
class MonthRef:
    """A month as written in a column header: the month, and the year when the header has one."""

    month: int
    year: int | None = None


def _two_digit_year(y: int) -> int:
    return 2000 + y if y < 100 else y


def parse_month_header(cell: object) -> MonthRef | None:
    """Recognise a month column header; None when the cell is not a month.

    Accepts French and English names and abbreviations (``janvier``, ``févr.``, ``sept``),
    with an optional year (``mai 2022``, ``mai-22``), ``2022-05``, ``05/2022``, real dates and
    Excel serial dates (as produced by a header typed as a date).
    """
    if cell is None:
        return None
    if isinstance(cell, dt.datetime):
        return MonthRef(cell.month, cell.year)
    if isinstance(cell, dt.date):
        return MonthRef(cell.month, cell.year)
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if 20000 <= cell <= 80000:  # an Excel date serial between 1954 and 2119
            d = excel_serial_to_date(cell)
            return MonthRef(d.month, d.year)
        return None
    text = normalize(cell)
    if not text:
        return None
    m = re.fullmatch(r"([a-z]+)(?: (\d{2}|\d{4}))?", text)
    if m and m.group(1) in MONTHS:
        year = _two_digit_year(int(m.group(2))) if m.group(2) else None
        return MonthRef(MONTHS[m.group(1)], year)
    m = re.fullmatch(r"(\d{4}) (\d{1,2})(?: (\d{1,2}))?", text)  # 2022-05 or 2022-05-01
    if m and 1 <= int(m.group(2)) <= 12:
        return MonthRef(int(m.group(2)), int(m.group(1)))
    m = re.fullmatch(r"(?:(\d{1,2}) )?(\d{1,2}) (\d{4}|\d{2})", text)  # 05/2022, 01/05/2022
    if m and 1 <= int(m.group(2)) <= 12:
        year = _two_digit_year(int(m.group(3)))
        if m.group(1) is not None:
            try:
                dt.date(year, int(m.group(2)), int(m.group(1)))  # 31/02/2022 is no month at all
            except ValueError:
                return None
        return MonthRef(int(m.group(2)), year)
    return None


_DATE_LIKE = re.compile(r"^\s*\d{1,4}\s*[-/.]\s*\d{1,2}(?:\s*[-/.]\s*\d{1,4})?\s*$")


def looks_like_date(cell: object) -> bool:
    """``2022-13`` or ``31/02/2022``: meant as a date, even if it is an impossible one."""
    return isinstance(cell, str) and bool(_DATE_LIKE.match(cell))


def parse_quarter_header(cell: object) -> tuple[int, int | None] | None:
    """``T1``, ``1er trimestre``, ``trimestre 2 2023``, ``Q3`` → (quarter, year or None)."""
    text = normalize(cell)
    if not text:
        return None
    patterns = [
        r"(?:t|q)([1-4])(?: (\d{4}))?",
        r"([1-4])(?:er|e|eme|nd)? trimestre(?: (\d{4}))?",
        r"trimestre ([1-4])(?: (\d{4}))?",
    ]
    for pattern in patterns:
        m = re.fullmatch(pattern, text)
        if m:
            return int(m.group(1)), int(m.group(2)) if m.group(2) else None
    return None


def parse_year_header(cell: object) -> int | None:
    """``2022`` or ``Année 2022`` as a column header for a yearly figure."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return int(cell) if float(cell).is_integer() and 1990 <= cell <= 2100 else None
    text = normalize(cell)
    m = re.fullmatch(r"(?:annee |an )?((?:19|20)\d{2})", text)
    return int(m.group(1)) if m else None


class PeriodFormatError(ValueError):
    """A cell that should name a month does not."""


def parse_month_cell(cell: object) -> dt.date:
    """A month in a data cell of the long layout → the first day of that month.

    Unlike a header, a data cell must carry its year; ``2022-13`` or ``31/02/2022`` are
    impossible dates and are rejected.
    """
    if isinstance(cell, str):
        text = cell.strip()
        french = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)  # 17/05/2022
        iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)  # 2022-05-17 (00:00:00)
        if french or iso:
            day, month, year = (int(g) for g in french.groups()) if french else reversed(
                [int(g) for g in iso.groups()])  # type: ignore[union-attr]  # iso matched when french did not
            try:
                return dt.date(year, month, day).replace(day=1)
            except ValueError as exc:
                raise PeriodFormatError(f"date impossible « {text} »") from exc
        m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})|(\d{1,2})[-/.](\d{4})", text)
        if m:
            year = int(m.group(1) or m.group(4))
            month = int(m.group(2) or m.group(3))
            if not 1 <= month <= 12:
                raise PeriodFormatError(f"mois impossible « {text} »")
            return dt.date(year, month, 1)
    ref = parse_month_header(cell)
    if ref is None:
        raise PeriodFormatError(f"« {cell} » n'est pas un mois reconnu (ex. 2022-05, 05/2022, mai 2022)")
    if ref.year is None:
        raise PeriodFormatError(f"« {cell} » : l'année manque (ex. mai 2022)")
    if not 1990 <= ref.year <= 2100:
        raise PeriodFormatError(f"année impossible dans « {cell} »")
    return dt.date(ref.year, ref.month, 1)


def format_number_fr(value: float | None, decimals: int = 1) -> str:
    """``91.54`` → ``91,5``; thousands separated by a narrow no-break space."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def month_label_fr(day: dt.date, short: bool = False) -> str:
    names = MONTH_ABBR_FR if short else MONTH_NAMES_FR
    return f"{names[day.month - 1]} {day.year}"


def plural(n: int, singular: str, plural_form: str = "") -> str:
    """The form of *singular* that agrees with *n*: singular for 0 and 1, as French wants.

    Why: « 3 valeur(s) » reads like a form to fill in, not a sentence. *plural_form* defaults to
    *singular* + ``s`` (unchanged when it already ends in s, x or z), which suits one regular word;
    pass it for anything else — several words that agree (« valeur retirée » / « valeurs
    retirées »), ``-al`` → ``-aux``, ``nouveau`` → ``nouveaux``.
    """
    if abs(n) < 2:
        return singular
    if plural_form:
        return plural_form
    return singular if singular.endswith(("s", "x", "z")) else singular + "s"


def count_text(n: int, singular: str, plural_form: str = "") -> str:
    """« 1 valeur », « 3 valeurs », « 0 valeur »: the count followed by the agreeing form (:func:`plural`)."""
    return f"{n} {plural(n, singular, plural_form)}"
