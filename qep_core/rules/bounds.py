"""The bounds of a stored value: periods within a window, counts finite and sane, texts of bounded length.

Why one home: a period ``9999-12`` accepted by an import made every page fail for every user
(``year 10000 is out of range`` as soon as a page stepped to the next month); ``1900-01`` put 125
years in every year list; counts of ``1e308`` swamped the yearly sums (Σ numerators / Σ
denominators read 55,6 % instead of 94,9 %); a 1 MB périmètre name was refused by PostgreSQL
(``varchar(200)``) with a raw error while SQLite stored it. Imports (:mod:`qep_core.importing.bounds`),
the check at every flush (:mod:`qep_core.db`), the command line and the pages' period lists all
ask this module, so a bound is the same wherever a value comes from, and on both back-ends.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

import numpy as np

from qep_core.config import int_setting
from qep_core.frenchforms import format_number_fr, month_label_fr

MAX_MONTHLY_COUNT = 10_000_000
"""The most a count may be for one month and one périmètre (e-mails received, calls answered…).

The busiest préfectures receive some 10⁵ e-mails, letters, calls or visitors a month: ten million
is two orders of magnitude above any real month, so no true figure is refused, while a typing or
export error (a phone number in a count column, ``1e308``) is. Sums of such counts stay exact to
the unit in floating point (far below 2⁵³), so a yearly rate computed from them is exact too.
A span of several months (a quarter, a year) may hold as many times this."""

MAX_MEAN_DELAY_DAYS = 1000
"""The longest mean delay, in working days (about four years): beyond, it is an error of unit or
of column (a date or an amount), not a delay."""

MAX_TARGET = 12 * MAX_MONTHLY_COUNT
"""The largest target or alert threshold: a value users read, so a rate (at most 100, checked
apart), a delay, or a count over at most a year of one périmètre."""

MAX_INTEGER = 2**31 - 1
"""The largest whole number an ``INTEGER`` column holds on PostgreSQL; SQLite would take more, so
the same refusal on both back-ends needs this bound checked before the database sees it."""

PLANNED_YEARS_AHEAD = 10
"""How far a planned date (an action's due date) may lie after the period window."""

CAREER_FIRST_YEAR = 1950
"""The earliest start of an agent's post: careers begin before the period window does."""

# Texts whose column has no length in the schema (``TEXT``, or ``VARCHAR`` without length), with
# the length users may type. Columns with a length (``VARCHAR(200)``) take the schema's length:
# PostgreSQL enforces it and SQLite does not, so it is checked here too (:func:`text_limit`).
TEXT_LIMITS: dict[str, int] = {
    "prefecture.name": 200,
    "perimetre.address": 320,  # the longest e-mail address
    "module.title": 500,
    "channel.title": 500,
    "engagement.title": 500,
    "indicator.label": 500,
    "import_batch.file_name": 1000,
    "survey.title": 300,
    "survey.file_name": 1000,
    "survey_question.text": 10_000,
    "survey_channel_setting.question_text": 10_000,
    "pilotage_action.title": 2000,
    "pilotage_action.comment": 10_000,
    "pilotage_action.answers": 10_000,
    "pilotage_audit_finding.note": 10_000,
    "pilotage_audit_remark.text": 10_000,
    "mystery_check.notes": 10_000,
    "review_comment.text": 10_000,
    "review_action.text": 10_000,
}

# Dates and years, by the range they must lie in (see :func:`date_range`).
PERIOD, PLANNED, CAREER = "period", "planned", "career"
DATE_RULES: dict[str, str] = {
    "observation.period_start": PERIOD,
    "observation.period_end": PERIOD,
    "target.year": PERIOD,
    "survey.year": PERIOD,
    "survey.period_start": PERIOD,
    "survey.period_end": PERIOD,
    "quarter_review.year": PERIOD,
    "quarter_review.meeting_date": PERIOD,
    "review_action.due_date": PLANNED,
    "pilotage_action.due_date": PLANNED,
    "pilotage_action.status_date": PERIOD,
    "pilotage_action.created_on": PERIOD,
    "pilotage_action_status.changed_on": PERIOD,
    "pilotage_plan_snapshot.as_of": PERIOD,
    "pilotage_audit.audit_date": PERIOD,
    "pilotage_training.training_date": PERIOD,
    "pilotage_tutoring.start": PERIOD,
    "pilotage_tutoring.end": PLANNED,
    "pilotage_agent.post_start": CAREER,
    "pilotage_agent.post_end": PLANNED,
    "mystery_check.checked_on": PERIOD,
    "log_item_archive.first_received": PERIOD,
    "log_item_archive.last_received": PERIOD,
}

# Whole numbers that count things, bounded like a month's count.
COUNT_COLUMNS = frozenset({"survey.respondents", "pilotage_plan_snapshot.fait", "pilotage_plan_snapshot.en_cours",
                           "pilotage_plan_snapshot.a_faire", "pilotage_plan_snapshot.abandonne",
                           "log_item_archive.items", "import_batch.rows", "import_batch.replaced"})

# How a refusal names a column; others are named ``table.column``.
FIELD_LABELS: dict[str, str] = {
    "perimetre.name": "nom du périmètre",
    "perimetre.address": "adresse du périmètre",
    "prefecture.name": "nom de la préfecture",
    "indicator.label": "libellé de l'indicateur",
    "engagement.title": "intitulé de l'engagement",
    "observation.period_start": "période",
    "observation.period_end": "période",
    "observation.numerator": "numérateur",
    "observation.denominator": "dénominateur",
    "target.year": "année de la cible",
    "target.target": "cible",
    "target.alert_threshold": "seuil d'alerte",
    "survey.year": "année de l'enquête",
    "survey.title": "titre de l'enquête",
    "pilotage_action.title": "intitulé de l'action",
    "pilotage_action.comment": "commentaire de l'action",
    "pilotage_action.due_date": "échéance de l'action",
    "pilotage_audit.audit_date": "date de l'audit",
    "pilotage_audit_remark.text": "remarque d'audit",
    "pilotage_audit_finding.note": "note d'audit",
    "pilotage_training.training_date": "date de la formation",
    "pilotage_training.title": "intitulé de la formation",
    "pilotage_agent.name": "nom de l'agent",
    "mystery_check.checked_on": "date du contrôle mystère",
    "mystery_check.notes": "notes du contrôle mystère",
    "review_comment.text": "commentaire de revue",
    "review_action.text": "action de revue",
}


class ValueOutOfBounds(ValueError):
    """A value outside its bounds; nothing was written. Its message is French, for users."""


def _clamped(name: str, low: int, high: int) -> int:
    return min(max(int_setting(name), low), high)


def period_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last month a period may cover: January of ``QEP_PERIOD_FIRST_YEAR`` to
    December of ``QEP_PERIOD_YEARS_AHEAD`` years after *today*'s (a yearly target or a quarter
    planned ahead). The settings are clamped to sane values so that a typing error in them cannot
    open the window to year 1 or 9999."""
    today = today or dt.date.today()
    first = _clamped("QEP_PERIOD_FIRST_YEAR", 1990, today.year)
    ahead = _clamped("QEP_PERIOD_YEARS_AHEAD", 0, 5)
    return dt.date(first, 1, 1), dt.date(today.year + ahead, 12, 1)


def window_years(today: dt.date | None = None) -> range:
    """The years of the window, newest first: what a year list may offer at most."""
    first, last = period_window(today)
    return range(last.year, first.year - 1, -1)


def bounded_years(first: dt.date | None, last: dt.date | None, today: dt.date | None = None) -> list[int]:
    """The years from *first* to *last* (months with data) cut to the window, newest first; the
    current year alone when there is nothing (or nothing in the window)."""
    low, high = period_window(today)
    start = max(first or low, low)
    end = min(last or high, high)
    if start > end or first is None or last is None:
        year = min(max((today or dt.date.today()).year, low.year), high.year)
        return [year]
    return list(range(end.year, start.year - 1, -1))


def clamp_month(month: dt.date | None, today: dt.date | None = None) -> dt.date | None:
    """*month* brought into the window (None stays None): what a read path shows of a value stored
    before the window existed, instead of failing on it."""
    if month is None:
        return None
    low, high = period_window(today)
    return min(max(month, low), high)


def date_range(rule: str, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day a date (or the year of a date) of *rule* may be."""
    first, last = period_window(today)
    end = dt.date(last.year, 12, 31)
    if rule == PLANNED:
        return first, dt.date(last.year + PLANNED_YEARS_AHEAD, 12, 31)
    if rule == CAREER:
        return dt.date(CAREER_FIRST_YEAR, 1, 1), end
    return first, end


def window_text(today: dt.date | None = None) -> str:
    first, last = period_window(today)
    return f"de {month_label_fr(first)} à {month_label_fr(last)}"


def month_fault(month: dt.date, today: dt.date | None = None) -> str | None:
    """Why *month* is out of the window, in French; None when it is in."""
    first, last = period_window(today)
    if first <= month <= last:
        return None
    return (f"{month_label_fr(month)} est hors des périodes acceptées ({window_text(today)} ; réglages "
            "QEP_PERIOD_FIRST_YEAR et QEP_PERIOD_YEARS_AHEAD)")


def check_month(month: dt.date, what: str = "période", today: dt.date | None = None) -> dt.date:
    """*month*, or :class:`ValueOutOfBounds` naming *what* when it is out of the window."""
    fault = month_fault(month, today)
    if fault is not None:
        raise ValueOutOfBounds(f"{what} : {fault}")
    return month


def check_year(year: int, what: str = "année", today: dt.date | None = None) -> int:
    """*year*, or :class:`ValueOutOfBounds` when no month of it is in the window."""
    first, last = period_window(today)
    if not first.year <= year <= last.year:
        raise ValueOutOfBounds(f"{what} : {year} est hors des années acceptées ({first.year} à {last.year} ; "
                               "réglages QEP_PERIOD_FIRST_YEAR et QEP_PERIOD_YEARS_AHEAD)")
    return year


def shown_number(value: float) -> str:
    """A number as a refusal quotes it: French digits, or ``1e+308`` when digits would fill the screen."""
    if not math.isfinite(value) or abs(value) >= 1e12:
        return {math.inf: "infini", -math.inf: "moins l'infini"}.get(value, "NaN" if math.isnan(value) else f"{value:.3g}")
    return format_number_fr(value, 0 if float(value).is_integer() else 2)


def count_faults(kinds: Iterable[str], months: np.ndarray, numerator: np.ndarray, denominator: np.ndarray
                 ) -> list[tuple[str, str, np.ndarray]]:
    """Counts out of bounds, as (which count: ``numerator``/``denominator``, French reason, mask).

    A numerator must be a finite number, not negative; a denominator too, or absent (NaN) for a
    plain count. Each count is at most :data:`MAX_MONTHLY_COUNT` per month covered; a mean delay's
    numerator (Σ delays) at most :data:`MAX_MEAN_DELAY_DAYS` per answer.
    """
    kind = np.asarray(list(kinds), dtype=object)
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    limit = MAX_MONTHLY_COUNT * np.maximum(np.asarray(months, dtype=float), 1.0)
    is_mean = kind == "mean_delay"
    faults: list[tuple[str, str, np.ndarray]] = []
    per_month = f"plus de {shown_number(MAX_MONTHLY_COUNT)} par mois et par périmètre"
    with np.errstate(invalid="ignore", over="ignore"):
        for which, values, absent_ok in (("numerator", num, np.zeros(len(num), dtype=bool)),
                                         ("denominator", den, kind == "count")):
            nan = np.isnan(values) & ~absent_ok
            faults.append((which, "nombre illisible (NaN)", nan))
            faults.append((which, "nombre infini", np.isinf(values)))
            faults.append((which, "nombre négatif : un compte ou un délai ne peut pas être négatif", values < 0))
            capped = (values > limit) & np.isfinite(values) & ~(is_mean & (which == "numerator"))
            faults.append((which, f"nombre invraisemblable ({per_month})", capped))
        mean_over = is_mean & np.isfinite(num) & np.isfinite(den) & (num > MAX_MEAN_DELAY_DAYS * np.maximum(den, 1.0))
    faults.append(("numerator", f"délai moyen invraisemblable (plus de {MAX_MEAN_DELAY_DAYS} jours ouvrés)", mean_over))
    return [f for f in faults if f[2].any()]


def text_fault(value: str, limit: int) -> str | None:
    """Why a text is too long, in French; None when it fits."""
    if len(value) <= limit:
        return None
    return f"texte trop long : {format_number_fr(len(value), 0)} caractères pour {format_number_fr(limit, 0)} au plus"
