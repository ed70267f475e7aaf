"""The monthly digest: the month's dashboard of a préfecture as an A4 PDF, and the short French
summary that heads it and is the body of the e-mail (``python -m qep_core digest``).

Why a document of its own rather than the bilan of one month: the COPIL members who receive it
read it once, between two meetings, to know whether something needs them before the next one.
So it opens on « En bref » — what moved beyond the usual month-to-month variation, the control
charts' signals of the month, the targets at risk — and then gives, module by module, every
indicator's month against its target, against the month before and a year earlier, the quarter
and the year to date, and its variation and assurance (:mod:`qep_core.spc`).

Every figure comes from :func:`qep_core.compute.compute_indicators` (Σ numerators / Σ
denominators, as everywhere); the control charts are given by the caller (the service reads them
through ``services.dashboard.spc``, so the digest draws the same chart as the pages). The digest
stays at the préfecture's level and holds aggregates only: no périmètre, no item, no person, no
comment — it may be forwarded without a second thought.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from markupsafe import Markup
from sqlmodel import Session, col, select

from qep_core.compute import IndicatorResult, compute_indicators
from qep_core.exports.bilan import environment
from qep_core.exports.pdf import TEMPLATES, html_to_pdf
from qep_core.frenchforms import count_text, month_label_fr
from qep_core.models import Module, Prefecture
from qep_core.periods import Period, add_months, month_period, quarter_of
from qep_core.prefectures import labelled_modules
from qep_core.referentiel import indicators_for
from qep_core.rules.bounds import ValueOutOfBounds, check_month
from qep_core.rules.formatting import format_change, format_target, format_value, is_stable
from qep_core.rules.headings import module_heading
from qep_core.rules.kinds import Direction
from qep_core.rules.signals import (
    AMELIORATION,
    ASSURANCE_STYLES,
    MANQUEE,
    PREOCCUPATION,
    VARIATION_STYLES,
    assurance_style,
    variation_style,
)
from qep_core.rules.status import A_SURVEILLER, NON_ATTEINT, STATUS_TABLE, status_counts_text, style_of
from qep_core.spc import SpcChart, SpcPoint
from qep_core.spc_series import SPC_WINDOW_MONTHS

#: How many months the control charts of the digest span, the digest's month being the last: the
#: window of the tiles, the review and the alerts, so that all say the same of that month.
SPC_MONTHS = SPC_WINDOW_MONTHS
#: A change since the month before is « significant » when it is at least this many standard
#: deviations of the difference of two ordinary months (about 95 % of ordinary changes are smaller).
SIGNIFICANT_MOVE = 2.0
#: The most moves the summary lists (the largest first); the PDF's tables show every change.
MOST_MOVES = 5


class DigestError(ValueError):
    """A digest that cannot be made (a month without data…), with its French sentence."""


@dataclass(frozen=True)
class DigestLine:
    """One indicator in the month, as the digest shows it."""

    code: str
    label: str
    module_code: str
    unit: str
    direction: str
    value: float | None
    target: float | None
    status: str
    month_before: float | None  # the month before's value
    year_before: float | None  # the same month a year earlier
    quarter_value: float | None  # quarter to date, weighted
    quarter_status: str
    year_value: float | None  # year to date, weighted
    year_status: str
    variation: str | None = None  # the month's point on the control chart; None: not on a chart
    assurance: str | None = None
    move_score: float | None = None  # |change since the month before| / its ordinary spread

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.unit)

    @property
    def target_text(self) -> str:
        return format_target(self.target, self.direction, self.unit)

    @property
    def status_text(self) -> str:
        return style_of(self.status).text

    @property
    def month_change(self) -> float | None:
        return None if self.value is None or self.month_before is None else self.value - self.month_before

    @property
    def year_change(self) -> float | None:
        return None if self.value is None or self.year_before is None else self.value - self.year_before

    @property
    def month_change_text(self) -> str:
        return format_change(self.month_change, self.unit)

    @property
    def year_change_text(self) -> str:
        return format_change(self.year_change, self.unit)

    def to_date_text(self, which: str) -> str:
        """``88,1 % ✔``: a to-date figure and its status's symbol (the legend says the words); the figure
        alone without a verdict."""
        value, status = (self.quarter_value, self.quarter_status) if which == "quarter" else \
            (self.year_value, self.year_status)
        style = style_of(status)
        if value is None or not style.rated:  # « – » beside a figure would read as a stray dash
            return format_value(value, self.unit)
        return f"{format_value(value, self.unit)} {style.symbol}"

    @property
    def variation_text(self) -> str:
        return variation_style(self.variation).text if self.variation else "–"

    @property
    def assurance_text(self) -> str:
        style = assurance_style(self.assurance)
        return style.text if style else "–"

    @property
    def significant_move(self) -> bool:
        change = self.month_change
        return (self.move_score is not None and self.move_score >= SIGNIFICANT_MOVE and change is not None
                and not is_stable(change, self.unit))

    @property
    def signal(self) -> bool:
        return self.variation in (AMELIORATION, PREOCCUPATION)

    @property
    def at_risk(self) -> bool:
        """Below its target this month (non atteint, à surveiller) or bound to miss it (« manquée »)."""
        return self.status in (NON_ATTEINT, A_SURVEILLER) or self.assurance == MANQUEE


@dataclass(frozen=True)
class DigestModule:
    heading: str
    lines: tuple[DigestLine, ...]


@dataclass(frozen=True)
class Digest:
    prefecture_name: str
    prefecture_code: str
    month: Period
    modules: tuple[DigestModule, ...]
    generated_on: dt.date = field(default_factory=dt.date.today)

    @property
    def lines(self) -> list[DigestLine]:
        return [line for m in self.modules for line in m.lines]

    @property
    def month_label(self) -> str:
        return self.month.label  # « juin 2024 »

    @property
    def month_before_label(self) -> str:
        return month_label_fr(add_months(self.month.start, -1))

    @property
    def year_before_label(self) -> str:
        return month_label_fr(add_months(self.month.start, -12))

    @property
    def quarter_label(self) -> str:
        q = quarter_of(self.month.start.month)
        return f"{'1er' if q == 1 else f'{q}e'} trimestre à date"

    @property
    def moves(self) -> list[DigestLine]:
        """The largest significant changes since the month before, largest first."""
        found = [line for line in self.lines if line.significant_move]
        return sorted(found, key=lambda line: -(line.move_score or 0.0))[:MOST_MOVES]

    @property
    def signals(self) -> list[DigestLine]:
        """The month's special causes: concerns first."""
        return sorted((line for line in self.lines if line.signal), key=lambda line: line.variation != PREOCCUPATION)

    @property
    def at_risk(self) -> list[DigestLine]:
        """Targets at risk: worst status first, then those met this month but bound to be missed."""
        return sorted((line for line in self.lines if line.at_risk), key=lambda line: style_of(line.status).rank)

    @property
    def counts_text(self) -> str:
        counts: dict[str, int] = {}
        for line in self.lines:
            counts[line.status] = counts.get(line.status, 0) + 1
        return status_counts_text(counts)

    @property
    def file_name(self) -> str:
        return f"tableau-de-bord-{self.prefecture_code}-{self.month.code}.pdf"

    @property
    def subject(self) -> str:
        return f"Qual-e-Pref — tableau de bord de {self.month_label} — {self.prefecture_name}"


# ------------------------------------------------------------------------------------------------ the month

#: What ``--month`` accepts besides ``AAAA-MM``: the month before today's, for a monthly timer.
PREVIOUS = "previous"


def check_digest_month(month: dt.date, today: dt.date | None = None) -> dt.date:
    """The first day of *month*, or :class:`DigestError`: a month to come has nothing to tell,
    and one outside the period window (:mod:`qep_core.rules.bounds`) nothing stored."""
    today = today or dt.date.today()
    first = month.replace(day=1)
    if first > today.replace(day=1):
        raise DigestError(f"{month_label_fr(first)} est à venir : la synthèse porte sur un mois écoulé ou en cours")
    try:
        return check_month(first, "mois de la synthèse", today)
    except ValueOutOfBounds as exc:
        raise DigestError(str(exc)) from exc


def parse_digest_month(text: str, today: dt.date | None = None) -> dt.date:
    """``2024-06`` → 1 June 2024; ``previous`` → the month before *today*'s (the timer's month)."""
    today = today or dt.date.today()
    if text.strip().lower() == PREVIOUS:
        return check_digest_month(add_months(today.replace(day=1), -1), today)
    try:
        month = dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError as exc:
        raise DigestError(f"mois attendu au format AAAA-MM ou « {PREVIOUS} » (reçu : {text})") from exc
    return check_digest_month(month, today)


# ------------------------------------------------------------------------------------------------ figures


def _by_code(results: Iterable[IndicatorResult]) -> dict[str, IndicatorResult]:
    return {r.indicator.code: r for r in results}


def digest_figures(session: Session, prefecture_id: int, month: dt.date) -> Digest:
    """The digest of *month* (its first day) without the control charts (:func:`with_charts`):
    the préfecture's labelled modules, every indicator's month, month before, quarter and year to
    date. :class:`DigestError` when the préfecture has no value in that month."""
    pref = session.get(Prefecture, prefecture_id)
    if pref is None:
        raise DigestError("préfecture inconnue")
    period = month_period(month.year, month.month)
    modules = [m for m in labelled_modules(session, prefecture_id) if m.startswith("M")]
    indicators = [d for d in indicators_for(session, prefecture_id) if d.module_code in modules]
    current = compute_indicators(session, prefecture_id, period, indicators=indicators)
    if not any(r.value is not None for r in current):
        raise DigestError(f"aucune valeur pour {period.label} : la synthèse d'un mois sans donnée serait vide")
    before = _by_code(compute_indicators(session, prefecture_id, month_period(*_ym(add_months(month, -1))),
                                         indicators=indicators, with_previous=False))
    quarter_start = dt.date(month.year, 3 * quarter_of(month.month) - 2, 1)
    quarter = _by_code(compute_indicators(session, prefecture_id, Period(quarter_start, month, "range"),
                                          indicators=indicators, with_previous=False))
    year = _by_code(compute_indicators(session, prefecture_id, Period(dt.date(month.year, 1, 1), month, "range"),
                                       indicators=indicators, with_previous=False))
    titles = {m.code: m.title for m in session.exec(select(Module).order_by(col(Module.number)))}
    sections = []
    for code in sorted(modules, key=lambda c: list(titles).index(c) if c in titles else len(titles)):
        lines = tuple(_line(r, before[r.indicator.code], quarter[r.indicator.code], year[r.indicator.code])
                      for r in current if r.indicator.module_code == code)
        if lines:
            sections.append(DigestModule(module_heading(code, titles.get(code, code)), lines))
    return Digest(pref.name, pref.code, period, tuple(sections))


def _ym(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def _line(r: IndicatorResult, before: IndicatorResult, quarter: IndicatorResult, year: IndicatorResult) -> DigestLine:
    ind = r.indicator
    return DigestLine(code=ind.code, label=ind.label, module_code=ind.module_code, unit=ind.unit,
                      direction=ind.direction, value=r.value, target=r.target.value, status=r.status,
                      month_before=before.value, year_before=r.previous_value, quarter_value=quarter.value,
                      quarter_status=quarter.status, year_value=year.value, year_status=year.status)


def _sigma(point: SpcPoint, bounds: tuple[float, float] | None) -> float | None:
    """One month's ordinary spread: a third of the distance to its 3-sigma limit. A limit cut at
    a bound (0 or 100 % on a p′ chart) says only that the true one lies beyond, so the other
    side is read; with both sides cut the spread is unknown (None)."""
    halves = [abs(limit - point.centre) for limit in (point.lower, point.upper)
              if limit is not None and not (bounds and limit in bounds and limit != point.centre)]
    return max(halves) / 3 if halves else None


def move_score(chart: SpcChart, month: dt.date, scale: float = 100.0) -> float | None:
    """How many standard deviations of an ordinary month-to-month change the change from the
    month before to *month* is: |xᵢ − xᵢ₋₁| / √(σᵢ² + σᵢ₋₁²), each σ read from the chart's limits
    (Laney p′, whose limits are kept within 0 and *scale*, or XmR). None when either month is
    missing or its spread unknown (no limits yet, or both cut).

    Worked case: an XmR chart with limits 11.5 ± 4.433 (σ = 1.478) going from 11 to 16 scores
    5 / √(2 × 1.478²) = 5 / 2.090 = 2.39: a significant move (≥ 2)."""
    points = {p.month: p for p in chart.points}
    now, then = points.get(month), points.get(add_months(month, -1))
    if now is None or then is None:
        return None
    bounds = (0.0, scale) if chart.method == "p'" else None
    s_now, s_then = _sigma(now, bounds), _sigma(then, bounds)
    if s_now is None or s_then is None:
        return None
    spread = math.hypot(s_now, s_then)
    change = abs(now.value - then.value)
    if spread <= 0:
        return math.inf if change > 0 else 0.0
    return change / spread


def with_charts(digest: Digest, charts: Mapping[str, SpcChart]) -> Digest:
    """The digest with each indicator's variation of the month, assurance and move score, read
    from its control chart (*charts*: code → the chart of the months ending at the digest's)."""
    month = digest.month.start

    def charted(line: DigestLine) -> DigestLine:
        chart = charts.get(line.code)
        if chart is None:
            return line
        point = next((p for p in chart.points if p.month == month), None)
        scale = 1000.0 if line.unit == "‰" else 100.0
        return replace(line, variation=point.variation if point else None,
                       assurance=chart.assurance if point else None, move_score=move_score(chart, month, scale))

    modules = tuple(replace(m, lines=tuple(charted(line) for line in m.lines)) for m in digest.modules)
    return replace(digest, modules=modules)


# ------------------------------------------------------------------------------------------------ summary


def _move_text(line: DigestLine, since: str) -> str:
    change = line.month_change or 0.0
    way = "en progrès" if Direction(line.direction).improved(change) else "en recul"
    return f"{line.label} : {line.value_text} ({line.month_change_text} sur {since}), {way}"


def _signal_text(line: DigestLine) -> str:
    return f"{line.variation_text} — {line.label} : {line.value_text}"


def _risk_text(line: DigestLine) -> str:
    if line.status in (NON_ATTEINT, A_SURVEILLER):
        text = f"{line.status_text} — {line.label} : {line.value_text} pour une cible {line.target_text}"
        return text + (f" ; {line.assurance_text} si rien ne change" if line.assurance == MANQUEE else "")
    return f"{line.assurance_text} — {line.label} : {line.value_text} ce mois-ci, mais la cible " \
           f"{line.target_text} ne sera atteinte aucun mois si rien ne change"


@dataclass(frozen=True)
class SummarySection:
    title: str
    items: tuple[str, ...]
    empty: str  # what the section says when it lists nothing


def summary_sections(digest: Digest) -> list[SummarySection]:
    """« En bref »: what moved, the signals, the targets at risk — the PDF's first section and the e-mail."""
    moves, signals, risks = digest.moves, digest.signals, digest.at_risk
    since = digest.month_before_label
    return [
        SummarySection(f"Ce qui a bougé depuis {since}", tuple(_move_text(x, since) for x in moves),
                       "Rien n'a bougé au-delà de la variation habituelle d'un mois à l'autre."),
        SummarySection(count_text(len(signals), "signal ce mois-ci", "signaux ce mois-ci"),
                       tuple(_signal_text(x) for x in signals),
                       "Chaque indicateur reste dans sa variation habituelle."),
        SummarySection(count_text(len(risks), "cible en danger", "cibles en danger"),
                       tuple(_risk_text(x) for x in risks), "Aucune cible en danger ce mois-ci."),
    ]


def overview(digest: Digest) -> str:
    """« 16 indicateurs avec une valeur en juin 2024 : ✖ 3 non atteints · ✔ 12 atteints · … »."""
    shown = sum(1 for line in digest.lines if line.value is not None)
    counts = digest.counts_text
    head = f"{count_text(shown, 'indicateur')} avec une valeur en {digest.month_label}"
    return f"{head} : {counts}." if counts else f"{head}."


def summary_text(digest: Digest) -> str:
    """The summary as plain text: the e-mail's body (French, short, aggregates only)."""
    out = [f"Qual-e-Pref — {digest.prefecture_name} — tableau de bord de {digest.month_label}", "",
           "En bref : " + overview(digest)]
    for section in summary_sections(digest):
        out += ["", f"{section.title} :"]
        out += [f"- {item}" for item in section.items] or [section.empty]
    out += ["", f"Le tableau de bord complet est joint en PDF ({digest.file_name}).",
            "Message envoyé automatiquement par l'application Qual-e-Pref : chiffres agrégés, sans donnée "
            "personnelle."]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------ PDF


def _legend() -> str:
    statuses = " · ".join(s.text for s in STATUS_TABLE.values() if s.rated or s.word == "sans objectif")
    variations = " · ".join(s.text for s in VARIATION_STYLES.values())
    assurances = " · ".join(s.text for s in ASSURANCE_STYLES.values())
    return f"Statut : {statuses}. Variation du mois : {variations}. Assurance : {assurances}."


def render_digest_html(digest: Digest) -> str:
    """The digest as one self-contained HTML page (A4 landscape: ten columns per indicator)."""
    template = environment().get_template("digest.html")
    return template.render(
        d=digest, overview=overview(digest), sections=summary_sections(digest), legend=_legend(),
        base_css=Markup((TEMPLATES / "base.css").read_text(encoding="utf-8")),
        status_class=lambda status: style_of(status).css_class,
        title=f"Tableau de bord — {digest.month_label}", spc_months=SPC_MONTHS,
    )


def render_digest_pdf(digest: Digest) -> bytes:
    return html_to_pdf(render_digest_html(digest))
