"""The document model behind every meeting output: plain dataclasses filled by small providers.

Why a model between the database and the files: the COPIL deck, the CLU deck, the bilan, the
poster and the spreadsheets show the same figures to different audiences. Building them from one
:class:`DocumentContent` keeps the numbers identical everywhere (they come from
:func:`qep_core.compute.compute_indicators`), and makes the public-safe rules (:func:`public_safe`)
one function that every public output goes through, instead of a filter in each renderer.

Sections come from providers:

* :func:`indicators_provider` (the indicators against targets and last year, by module, with the
  per-périmètre detail) and :func:`complaints_provider` (suggestions and complaints, from the
  item logs when there are some) are computed here;
* surveys, action plan, audits and trainings are kept by other parts of the application. Their
  providers are listed in :data:`OPTIONAL_PROVIDERS`; a provider that returns ``None`` leaves its
  section out of every document, with a short note in its place ("Aucune enquête enregistrée pour
  cette année"). Wiring a real source is one function returning the dataclass below.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session, col, select

from qep_core.collection.board import board as supply_board
from qep_core.collection.board import incomplete_quarters, quarters_around
from qep_core.compute import (
    IndicatorResult,
    comparison_period,
    compute_indicators,
    latest_month_with_data,
    observation_sums,
    status_of,
    value_from_counts,
)
from qep_core.drilldown import log_items
from qep_core.importing.itemlogs import RECLA_CHANNELS, RECLA_TYPES
from qep_core.models import Channel, Module, Perimetre, Prefecture
from qep_core.periods import Period, month_start, quarter_period
from qep_core.pilotage.summary import action_plan_summary, last_audit_per_module, training_summary
from qep_core.prefectures import labelled_modules
from qep_core.privacy import mask_personal_data
from qep_core.referentiel import IndicatorDef, TargetBook, engagements_for, indicators_for
from qep_core.review.minutes import DecidedAction, ReviewMeeting
from qep_core.review.workflow import decided_actions_of_year
from qep_core.rules.formatting import format_change, format_target, format_value, is_stable
from qep_core.rules.headings import module_heading
from qep_core.rules.items import ANSWERED_STATUSES, LATE_STATUSES, ItemStatus
from qep_core.rules.kinds import Direction, IndicatorKind
from qep_core.rules.public_names import public_name
from qep_core.rules.status import PAS_DE_DONNEE, STATUS_RANK
from qep_core.signals.events import EventMark, events_of
from qep_core.spc_series import SpcSummary, summaries_all
from qep_core.surveys.summary import survey_summaries

# ------------------------------------------------------------------------------------------------
# Audiences and public-safe rules

COPIL = "copil"
CLU = "clu"
PUBLIC = "public"  # the transparency poster and the Services Publics+ file
AUDIENCES = (COPIL, CLU, PUBLIC)
DEFAULT_MIN_VOLUME = 10  # below 10 answers a rate is too fragile (and too identifying) to publish


#: Titles in plain words for the users' committee and the public (the référentiel's labels are
#: written for auditors). A préfecture's own indicators keep their label.
PLAIN_TITLES: dict[str, str] = {
    "TEL_ABOUTIS": "Appels au standard qui aboutissent",
    "RECLA_DELAI": "Suggestions et réclamations traitées dans les délais",
    "RECLA_DELAI_MOYEN": "Délai moyen de réponse à vos suggestions et réclamations",
    "PAN_USAGERS": "Personnes accueillies au point numérique",
    "PAN_SATISFACTION": "Personnes satisfaites du point numérique",
    "COURRIER_10J": "Courriers qui reçoivent une réponse en 10 jours ouvrés",
    "COURRIER_DELAI_MOYEN": "Délai moyen de réponse aux courriers",
    "COURRIEL_5J": "Courriels qui reçoivent une réponse en 5 jours ouvrés",
    "COURRIEL_DELAI_MOYEN": "Délai moyen de réponse aux courriels",
    "SITE_MAJ_3J": "Mises à jour du site internet faites en 3 jours ouvrés",
    "SITE_CONNEXION": "Visites du site internet pour 100 habitants",
    "RS_ENGAGEMENT": "Réactions aux publications sur les réseaux sociaux",
    "ACCUEIL_SATISFACTION": "Personnes satisfaites de l'accueil au guichet",
    "FRAUDE_PC": "Fraudes détectées pour 1 000 demandes d'échange de permis",
    "COLL_COURRIER_LEGALITE_15J": "Courriers d'élus (légalité) avec réponse en 15 jours ouvrés",
    "COLL_COURRIER_BUDGET_15J": "Courriers d'élus (budget) avec réponse en 15 jours ouvrés",
    "COLL_COURRIEL_LEGALITE_5J": "Courriels d'élus (légalité) avec réponse en 5 jours ouvrés",
    "COLL_COURRIEL_BUDGET_5J": "Courriels d'élus (budget) avec réponse en 5 jours ouvrés",
    "COLL_RDV_PROPOSITION_4J": "Élus à qui une date de rendez-vous est proposée en 4 jours",
    "COLL_RDV_10J": "Rendez-vous d'élus tenus en 10 jours ouvrés",
}

OTHER_PERIMETRES = "Autres périmètres (regroupés)"


# ------------------------------------------------------------------------------------------------
# The dataclasses every renderer reads


@dataclass(frozen=True)
class PerimetreFigure:
    """One périmètre's value of an indicator (a mailbox, a service, a sous-préfecture).

    ``name`` is the internal name; ``public_name`` what public documents may call it (None: they
    must not name it, see :mod:`qep_core.rules.public_names`). After :func:`public_safe` the
    name *is* the public name.
    """

    name: str
    value: float | None
    numerator: float | None
    denominator: float | None
    status: str
    volume: float | None
    public_name: str | None = None


@dataclass(frozen=True)
class IndicatorFigure:
    """One indicator over the document's period, against its target and the same period a year earlier."""

    code: str
    label: str
    plain_label: str
    module_code: str
    engagement: str  # "17", or "module 2" for an indicator tied to a module only
    channel: str  # channel title ("Téléphone"), or the module's title
    kind: str
    unit: str
    direction: str
    frequency: str
    value: float | None
    numerator: float | None
    denominator: float | None
    target: float | None
    alert: float | None
    status: str
    previous_value: float | None
    volume: float | None  # the base of the figure: answers, calls, respondents (None for a count)
    method: str
    perimetres: tuple[PerimetreFigure, ...] = ()
    suppressed: bool = False  # public outputs: the volume is under the threshold, the value is not shown
    spc: SpcSummary | None = None  # the control chart's latest variation and assurance (monthly indicators)

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous_value is None:
            return None
        return self.value - self.previous_value

    @property
    def value_text(self) -> str:
        if self.suppressed:
            return "non publié"
        return format_value(self.value, self.unit)

    @property
    def target_text(self) -> str:
        return format_target(self.target, self.direction, self.unit)

    @property
    def previous_text(self) -> str:
        return "non publié" if self.suppressed else format_value(self.previous_value, self.unit)

    @property
    def change_text(self) -> str:
        """``+2,3 pt`` / ``-1,2 j``; ``–`` without both values."""
        change = None if self.suppressed else self.change
        return format_change(change, self.unit)

    @property
    def improved(self) -> bool | None:
        """Did the figure move the right way since last year (None without both values)?"""
        change = self.change
        if change is None or self.suppressed or self.kind == IndicatorKind.COUNT or is_stable(change, self.unit):
            return None
        return Direction(self.direction).improved(change)

    @property
    def is_rate(self) -> bool:
        return self.unit == "%"


@dataclass(frozen=True)
class ModuleSection:
    code: str
    title: str
    indicators: tuple[IndicatorFigure, ...]

    @property
    def heading(self) -> str:
        return module_heading(self.code, self.title)


@dataclass(frozen=True)
class ComplaintsSummary:
    """Suggestions and complaints of the period: counts by type and channel, delays.

    ``by_type`` / ``by_channel`` are empty when the figures come from a monthly tally rather than
    a log (a tally holds no type).
    """

    period_label: str
    received: int
    answered: int
    in_time: int
    late: int
    pending: int
    mean_delay: float | None
    by_type: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    source: str = "journal"  # "journal" (item log) or "tableau de suivi"

    @property
    def rate_in_time(self) -> float | None:
        """Answered in time / (answered + unanswered past their deadline), in %."""
        base = self.in_time + self.late
        return None if base == 0 else self.in_time / base * 100


@dataclass(frozen=True)
class SurveyResult:
    """One satisfaction survey: a rate only ever shown with its sample size and interval."""

    channel: str
    period_label: str
    respondents: int
    satisfaction_rate: float | None  # % of the expressed answers
    expressed: int
    ci_low: float | None = None
    ci_high: float | None = None
    previous_rate: float | None = None


@dataclass(frozen=True)
class ModuleCompletion:
    """Action plan progress of one module (Fait / En cours / Non fait, as the Loire-Atlantique bilan)."""

    module: str
    done: int
    in_progress: int
    not_done: int

    @property
    def total(self) -> int:
        return self.done + self.in_progress + self.not_done

    @property
    def rate(self) -> float | None:
        return None if self.total == 0 else self.done / self.total * 100


@dataclass(frozen=True)
class ActionPlanCompletion:
    modules: tuple[ModuleCompletion, ...]
    examples: tuple[str, ...] = ()  # titles of actions done, shown as examples (public-safe after masking)

    @property
    def overall(self) -> ModuleCompletion:
        """Totals recomputed from the modules (the Loire-Atlantique table's own totals did not add up)."""
        return ModuleCompletion("Total", sum(m.done for m in self.modules), sum(m.in_progress for m in self.modules),
                                sum(m.not_done for m in self.modules))


@dataclass(frozen=True)
class TrainingLine:
    """Training obligations of one role (accueil physique, téléphonique, site…) on a date, as the
    Isère table: agents concerned, up to date, still to train within their first year, late."""

    role: str
    agents: int
    up_to_date: int
    to_train: int
    late: int

    @property
    def rate(self) -> float | None:
        return None if self.agents == 0 else self.up_to_date / self.agents * 100


@dataclass(frozen=True)
class TrainingCompliance:
    lines: tuple[TrainingLine, ...]

    @property
    def total(self) -> TrainingLine:
        return TrainingLine("Total", sum(x.agents for x in self.lines), sum(x.up_to_date for x in self.lines),
                            sum(x.to_train for x in self.lines), sum(x.late for x in self.lines))


@dataclass(frozen=True)
class AuditLine:
    """One audit of the year: its kind and the count of each finding."""

    date: dt.date
    kind: str  # "audit interne", "audit de suivi", "audit de renouvellement"…
    body: str  # who audited (certification body, internal team)
    conform: int = 0
    nc_major: int = 0
    nc_minor: int = 0
    strong_points: int = 0
    sensitive_points: int = 0
    progress_tracks: int = 0


@dataclass(frozen=True)
class AuditSummary:
    audits: tuple[AuditLine, ...]


@dataclass(frozen=True)
class DocumentContent:
    """Everything a document shows, for one préfecture, one period and one audience."""

    prefecture_name: str
    prefecture_code: str
    period: Period
    previous_period: Period | None
    audience: str
    min_volume: int
    modules: tuple[ModuleSection, ...]
    complaints: ComplaintsSummary | None = None
    surveys: tuple[SurveyResult, ...] | None = None
    action_plan: ActionPlanCompletion | None = None
    trainings: TrainingCompliance | None = None
    audits: AuditSummary | None = None
    decided_actions: tuple[DecidedAction, ...] = ()
    meetings: tuple[ReviewMeeting, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)  # section key → why it is left out
    data_until: dt.date | None = None
    generated_on: dt.date = field(default_factory=dt.date.today)
    events: tuple[tuple[str | None, EventMark], ...] = ()  # (indicator code or None for all, mark): internal only
    # « T3 2024 : 1 mois sur 3 reçu pour CM »: quarters computed on months not all received (internal: names services)
    collection_gaps: tuple[str, ...] = ()

    @property
    def indicators(self) -> list[IndicatorFigure]:
        return [f for m in self.modules for f in m.indicators]

    @property
    def footer(self) -> str:
        return f"{self.prefecture_name} — {self.period.label}"

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUS_RANK, 0)
        for f in self.indicators:
            counts[PAS_DE_DONNEE if f.suppressed else f.status] += 1
        return counts

    def events_on(self, code: str) -> list[EventMark]:
        """The period's dated events that concern indicator *code* (or every indicator)."""
        return [mark for on, mark in self.events if on is None or on == code]

    def indicator(self, code: str) -> IndicatorFigure | None:
        return next((f for f in self.indicators if f.code == code), None)

    @property
    def period_meetings(self) -> list[ReviewMeeting]:
        """The reviews of the quarters inside the document's period (the quarter of a quarterly
        deck; every quarter of a yearly one), in order."""
        return [m for m in self.meetings if m.year and self.period.start <= quarter_period(m.year, m.quarter).start
                and quarter_period(m.year, m.quarter).end <= self.period.end]

    def comments_on(self, code: str) -> list[tuple[str, str]]:
        """The COPIL's comments on one indicator over the period: (quarter label, text)."""
        return [(m.quarter_label, text) for m in self.period_meetings if (text := m.note_for(code))]


# ------------------------------------------------------------------------------------------------
# Providers


@dataclass(frozen=True)
class ProviderContext:
    session: Session
    prefecture_id: int
    period: Period

    @property
    def year(self) -> int:
        return self.period.end.year


def method_text(ind: IndicatorDef) -> str:
    """How the figure is computed, in the words of the counts (the bilans' "méthode de calcul")."""
    counts = ind.counts
    if ind.kind == IndicatorKind.MEAN_DELAY:
        base = counts.get("count")
        return f"Σ délais / {base.label.lower() if base else 'réponses'}, en jours ouvrés (moyenne pondérée)"
    if ind.kind == IndicatorKind.COUNT:
        value = counts.get("value")
        return f"somme sur la période : {value.label.lower() if value else 'nombre'}"
    num, den = counts.get("numerator"), counts.get("denominator")
    factor = " × 1 000" if ind.kind == IndicatorKind.PER_MILLE else " × 100"
    if num and den:
        return f"{num.label.lower()} / {den.label.lower()}{factor}"
    return f"numérateur / dénominateur{factor}"


def _volume(ind: IndicatorDef, numerator: float | None, denominator: float | None) -> float | None:
    if ind.kind == IndicatorKind.COUNT:
        return None
    return denominator


def _perimetre_figures(session: Session, prefecture_id: int, indicators: list[IndicatorDef], period: Period,
                       book: TargetBook) -> dict[str, tuple[PerimetreFigure, ...]]:
    """Each indicator per périmètre, worst first, in one query (only those with two périmètres or more)."""
    sums = observation_sums(session, prefecture_id, period, ("perimetre",), None, [d.id for d in indicators])
    if sums.empty:
        return {}
    rows = session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id)).all()
    names = {p.id: p.name for p in rows}
    publics = {p.id: public_name(p.name, p.public_name) for p in rows}
    by_id = {d.id: d for d in indicators}
    grouped: dict[str, list[PerimetreFigure]] = {}
    for row in sums.itertuples(index=False):
        ind = by_id[int(row.indicator_id)]
        num = None if _nan(row.numerator) else float(row.numerator)
        den = None if _nan(row.denominator) else float(row.denominator)
        value = value_from_counts(ind, num, den)
        rule = book.rule(ind.code, period.year)
        grouped.setdefault(ind.code, []).append(PerimetreFigure(
            names.get(int(row.perimetre_id), "?"), value, num, den, status_of(value, rule),
            _volume(ind, num, den) if ind.kind != IndicatorKind.COUNT else num, publics.get(int(row.perimetre_id))))
    out = {}
    for code, figures in grouped.items():
        if len(figures) < 2:
            continue
        ind = next(d for d in indicators if d.code == code)
        out[code] = _worst_first(figures, ind.direction)
    return out


def _worst_first(figures: list[PerimetreFigure], direction: str) -> tuple[PerimetreFigure, ...]:
    return tuple(sorted(figures, key=lambda f: (f.value is None, (f.value or 0) * (1 if direction == ">=" else -1))))


def _nan(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def indicators_provider(ctx: ProviderContext, results: list[IndicatorResult] | None = None) -> tuple[ModuleSection, ...]:
    """The labelled modules' indicators, grouped by module in référentiel order, channel by channel."""
    session, pid, period = ctx.session, ctx.prefecture_id, ctx.period
    indicators = indicators_for(session, pid)
    modules = labelled_modules(session, pid)
    indicators = [d for d in indicators if d.module_code in modules]
    if results is None:
        results = compute_indicators(session, pid, period, indicators=indicators)
    by_code = {r.indicator.code: r for r in results}
    book = TargetBook(session, pid, indicators)
    perimetres = _perimetre_figures(session, pid, indicators, period, book)
    signals = summaries_all(session, pid, indicators, period.end)
    channel_titles = {c.code: c.title for c in session.exec(select(Channel))}
    channel_pos = {c.code: c.position for c in session.exec(select(Channel))}
    engagement_channel = {e.key: e.channel_code for e in engagements_for(session, pid)}
    module_rows = {m.code: m for m in session.exec(select(Module).order_by(col(Module.number)))}
    sections = []
    for code, module in module_rows.items():
        if code not in modules or module.kind != "module":
            continue
        figures = []
        for ind in indicators:
            if ind.module_code != code or ind.code not in by_code:
                continue
            r = by_code[ind.code]
            channel_code = engagement_channel.get(ind.engagement_key or "") or ""
            figures.append((channel_pos.get(channel_code, 99), ind.position, IndicatorFigure(
                code=ind.code, label=ind.label, plain_label=PLAIN_TITLES.get(ind.code, ind.label), module_code=code,
                engagement=_engagement_label(ind), channel=channel_titles.get(channel_code, module.title),
                kind=ind.kind, unit=ind.unit, direction=ind.direction, frequency=ind.frequency, value=r.value,
                numerator=r.numerator, denominator=r.denominator, target=r.target.value, alert=r.target.alert,
                status=r.status, previous_value=r.previous_value, volume=_volume(ind, r.numerator, r.denominator),
                method=method_text(ind), perimetres=perimetres.get(ind.code, ()), spc=signals.get(ind.code),
            )))
        if figures:
            figures.sort(key=lambda t: (t[0], t[1]))
            sections.append(ModuleSection(code, module.title, tuple(f for _, _, f in figures)))
    return tuple(sections)


def _engagement_label(ind: IndicatorDef) -> str:
    key = ind.engagement_key
    if key and key.startswith("E") and key[1:].isdigit():
        return key[1:]
    return key or f"module {ind.module_code.removeprefix('M')}"


RECLA_RATE, RECLA_MEAN = "RECLA_DELAI", "RECLA_DELAI_MOYEN"


def complaints_provider(ctx: ProviderContext) -> ComplaintsSummary | None:
    """Suggestions and complaints: from the log's items when a log holds the months, else from the
    monthly tally (then without the split by type and channel). None when nothing was recorded.

    Only items of the batches that currently hold a month count (a corrected log replaces the old
    one), the same rule as the drill-down, so these counts always add up to the dashboard's rate.
    """

    session, pid, period = ctx.session, ctx.prefecture_id, ctx.period
    results = {r.indicator.code: r for r in compute_indicators(session, pid, period, codes=[RECLA_RATE, RECLA_MEAN],
                                                                 with_previous=False)}
    rate, mean = results.get(RECLA_RATE), results.get(RECLA_MEAN)
    items = log_items(session, pid, RECLA_RATE, period)
    if len(items):
        details = [json.loads(d or "{}") for d in items["details"]]
        status = list(items["Statut"])
        by_type = {t: sum(1 for d in details if d.get("type") == t) for t in RECLA_TYPES}
        by_channel = {c: sum(1 for d in details if d.get("canal") == c) for c in RECLA_CHANNELS}
        answered = sum(s in ANSWERED_STATUSES for s in status)
        delays = [float(x) for x, s in zip(items["Délai (jours ouvrés)"], status, strict=True)
                  if s in ANSWERED_STATUSES and not _nan(x)]
        return ComplaintsSummary(
            period.label, len(items), answered, sum(s == ItemStatus.IN_TIME for s in status),
            sum(s in LATE_STATUSES for s in status), sum(s == ItemStatus.PENDING for s in status),
            sum(delays) / len(delays) if delays else None,
            {k: v for k, v in by_type.items() if v}, {k: v for k, v in by_channel.items() if v}, "journal")
    if rate is None or rate.denominator is None:
        return None
    in_time, base = int(rate.numerator or 0), int(rate.denominator)
    return ComplaintsSummary(period.label, base, base, in_time, base - in_time, 0,
                             mean.value if mean is not None else None, {}, {}, "tableau de suivi")


def review_provider(ctx: ProviderContext) -> tuple[tuple[ReviewMeeting, ...], tuple[DecidedAction, ...]]:
    """The COPIL's quarterly reviews of the year and the actions they decided (frozen ones as frozen)."""
    return decided_actions_of_year(ctx.session, ctx.prefecture_id, ctx.year)  # the plan as it stands today


def surveys_provider(ctx: ProviderContext) -> tuple[SurveyResult, ...] | None:
    """The year's surveys: each one's overall satisfaction question (the one that feeds the
    catalogue, else its first scale), with its sample size, interval and last year's rate."""

    results = []
    for survey in survey_summaries(ctx.session, ctx.prefecture_id, ctx.year):
        question = survey.overall or (survey.scales[0] if survey.scales else None)
        if question is None:
            continue
        period = (f"{survey.period_start:%m/%Y} – {survey.period_end:%m/%Y}" if survey.period_start != survey.period_end
                  else f"{survey.period_start:%m/%Y}")
        results.append(SurveyResult(survey.channel_label, period, survey.respondents, question.satisfaction_rate,
                                    question.expressed, question.ci_low, question.ci_high, question.previous_rate))
    return tuple(results) or None


def _period_end(ctx: ProviderContext) -> dt.date:
    """The last day of the document's period (figures of the pilotage are "as of" a date)."""
    end = ctx.period.end
    return min(dt.date(end.year + end.month // 12, end.month % 12 + 1, 1) - dt.timedelta(days=1), dt.date.today())


def action_plan_provider(ctx: ProviderContext) -> ActionPlanCompletion | None:
    """Action plan completion per module at the end of the period (abandoned actions left out of
    the rate, as Fait / (toutes − abandonnées))."""

    summary = action_plan_summary(ctx.session, ctx.prefecture_id, _period_end(ctx))
    if summary.overall.total == 0:
        return None
    return ActionPlanCompletion(tuple(ModuleCompletion(m.label, m.fait, m.en_cours, m.a_faire)
                                      for m in summary.by_module if m.total))


def trainings_provider(ctx: ProviderContext) -> TrainingCompliance | None:
    """Training obligations per role at the end of the period."""

    summary = training_summary(ctx.session, ctx.prefecture_id, _period_end(ctx))
    if not summary.by_role:
        return None
    return TrainingCompliance(tuple(TrainingLine(r.label, r.concerned, r.a_jour, r.a_former, r.en_retard)
                                    for r in summary.by_role))


def audits_provider(ctx: ProviderContext) -> AuditSummary | None:
    """The audits held during the document's year, with their findings counted."""

    modules = [m for m in last_audit_per_module(ctx.session, ctx.prefecture_id, _period_end(ctx))
               if m.audit_date.year == ctx.year]
    if not modules:
        return None
    by_audit: dict[int, list] = {}
    for m in modules:
        by_audit.setdefault(m.audit_id, []).append(m)
    lines = []
    for parts in by_audit.values():
        first = parts[0]
        lines.append(AuditLine(first.audit_date, first.audit_kind_label.lower(), first.auditor or "—",
                               conform=sum(p.conforme for p in parts), nc_major=sum(p.nc_majeure for p in parts),
                               nc_minor=sum(p.nc_mineure for p in parts), strong_points=sum(p.points_forts for p in parts),
                               sensitive_points=sum(p.points_sensibles for p in parts),
                               progress_tracks=sum(p.pistes_de_progres for p in parts)))
    return AuditSummary(tuple(sorted(lines, key=lambda a: a.date)))


@dataclass(frozen=True)
class OptionalSection:
    """A section kept by another part of the application: shown when its provider has data."""

    key: str  # the DocumentContent field it fills
    title: str
    provider: Callable[[ProviderContext], Any]
    empty_note: str


#: The one place where the sections of other modules are plugged in (order = order in documents).
OPTIONAL_PROVIDERS: list[OptionalSection] = [
    OptionalSection("surveys", "Enquêtes de satisfaction", surveys_provider,
                    "Aucune enquête enregistrée pour cette année."),
    OptionalSection("trainings", "Formation des agents", trainings_provider,
                    "Aucun suivi des formations enregistré pour cette année."),
    OptionalSection("action_plan", "Plan d'actions", action_plan_provider,
                    "Aucun plan d'actions enregistré pour cette année."),
    OptionalSection("audits", "Audits", audits_provider, "Aucun audit enregistré pour cette année."),
]
COMPLAINTS_NOTE = "Aucune suggestion ni réclamation enregistrée pour cette période."


def events_provider(ctx: ProviderContext) -> tuple[tuple[str | None, EventMark], ...]:
    """The préfecture's dated events of the period (internal notes: COPIL documents only)."""
    return tuple((e.indicator_code, EventMark(e.day, e.label, e.process_change))
                 for e in events_of(ctx.session, ctx.prefecture_id, first=ctx.period.start, last=ctx.period.end))


def collection_provider(ctx: ProviderContext, latest: dt.date | None) -> tuple[str, ...]:
    """The quarters of the period whose figures rest on months some service has not (wholly) sent,
    as of today (:func:`qep_core.collection.board.incomplete_quarters`): said wherever the figures
    are shown. Empty when nothing is declared in the collection."""
    today = dt.date.today()
    first, last = quarters_around(ctx.period.start, ctx.period.end)
    # after *latest* (the month of the newest figure) nothing is collected yet at all, which « données
    # disponibles jusqu'à … » already says
    last = min(last, month_start(today), latest or last)
    if last < first:
        return ()
    return tuple(incomplete_quarters(supply_board(ctx.session, ctx.prefecture_id, first, last, today), today))


def build_content(session: Session, prefecture_id: int, period: Period, audience: str = COPIL,
                  min_volume: int = DEFAULT_MIN_VOLUME, results: list[IndicatorResult] | None = None) -> DocumentContent:
    """The whole document model; public audiences go through :func:`public_safe` before anyone sees it."""
    if audience not in AUDIENCES:
        raise ValueError(f"public inconnu : {audience}")

    pref = session.get(Prefecture, prefecture_id)
    if pref is None:
        raise ValueError(f"préfecture inconnue : {prefecture_id}")
    ctx = ProviderContext(session, prefecture_id, period)
    data_until = latest_month_with_data(session, prefecture_id)
    modules = indicators_provider(ctx, results)
    complaints = complaints_provider(ctx)
    meetings, decided = review_provider(ctx)
    notes: dict[str, str] = {}
    optional: dict[str, Any] = {}
    for section in OPTIONAL_PROVIDERS:
        value = section.provider(ctx)
        if value is None or (isinstance(value, Sequence) and not value):
            notes[section.key] = section.empty_note
        else:
            optional[section.key] = value
    if complaints is None:
        notes["complaints"] = COMPLAINTS_NOTE
    content = DocumentContent(
        prefecture_name=pref.name, prefecture_code=pref.code, period=period,
        previous_period=comparison_period(session, prefecture_id, period), audience=audience, min_volume=min_volume,
        modules=modules, complaints=complaints, decided_actions=decided, meetings=meetings, notes=notes,
        data_until=data_until, **optional,
        events=events_provider(ctx),  # public_safe strips them from every other audience
        collection_gaps=collection_provider(ctx, data_until),  # so does it these (they name services)
    )
    return content if audience == COPIL else public_safe(content, min_volume)


def _pooled(name: str, members: list[PerimetreFigure], fig: IndicatorFigure) -> PerimetreFigure:
    """Périmètres as one line under *name* (weighted: Σ numerators / Σ denominators), without a
    status (the target is the préfecture's, not a pool's); a périmètre alone under its own public
    name keeps its figure."""
    if len(members) == 1 and members[0].public_name == name:
        return replace(members[0], name=name)
    num = sum(p.numerator or 0 for p in members)
    den = sum(p.denominator or 0 for p in members)
    value = num / den * IndicatorKind(fig.kind).scale if den else None
    return PerimetreFigure(name, value, num, den, PAS_DE_DONNEE, den, name)


def _safe_perimetres(fig: IndicatorFigure, min_volume: int) -> tuple[PerimetreFigure, ...]:
    """Périmètres under their public names only, those sharing one as a single line; the ones
    without a public name and those too small pooled as "Autres périmètres" (if the pool is big
    enough)."""
    if fig.kind == IndicatorKind.COUNT:
        return ()
    groups: dict[str, list[PerimetreFigure]] = {}
    unnamed: list[PerimetreFigure] = []
    for p in fig.perimetres:
        if p.public_name:
            groups.setdefault(p.public_name, []).append(p)
        else:
            unnamed.append(p)
    out: list[PerimetreFigure] = []
    for name, members in groups.items():
        line = _pooled(name, members, fig)
        if line.volume is not None and line.volume >= min_volume:
            out.append(line)
        else:
            unnamed.extend(members)
    out = list(_worst_first(out, fig.direction))  # a merged line ranks by its own value
    if unnamed:
        pool = _pooled(OTHER_PERIMETRES, unnamed, fig)
        if (pool.denominator or 0) >= min_volume:
            out.append(pool)
    return tuple(out) if len(out) >= 2 else ()


def public_safe(content: DocumentContent, min_volume: int) -> DocumentContent:
    """What the users' committee and the public may see.

    * a figure whose base (answers, calls, respondents) is under *min_volume* is not published
      (``suppressed``: shown as "non publié", never as a number), nor its control chart's words;
    * périmètres only under their public names (:mod:`qep_core.rules.public_names`), never the
      names files gave them; none under *min_volume*: small ones and those without a public name
      are pooled as "Autres périmètres" when the pool reaches the threshold, dropped otherwise;
    * free text only masked (e-mail addresses and phone numbers removed), and the COPIL's decided
      actions, comments and analysis not at all (they are internal minutes: only the meeting dates stay);
    * surveys under the threshold keep their sample size but lose their rate.
    """
    modules = []
    for section in content.modules:
        figures = []
        for fig in section.indicators:
            small = fig.kind != IndicatorKind.COUNT and fig.volume is not None and fig.volume < min_volume
            figures.append(replace(fig, suppressed=small, perimetres=() if small else _safe_perimetres(fig, min_volume),
                                   spc=None if small else fig.spc,
                                   label=mask_personal_data(fig.label), plain_label=mask_personal_data(fig.plain_label)))
        modules.append(replace(section, indicators=tuple(figures)))
    surveys = content.surveys
    if surveys:
        surveys = tuple(replace(s, channel=mask_personal_data(s.channel),
                                satisfaction_rate=s.satisfaction_rate if s.expressed >= min_volume else None,
                                ci_low=s.ci_low if s.expressed >= min_volume else None,
                                ci_high=s.ci_high if s.expressed >= min_volume else None) for s in surveys)
    plan = content.action_plan
    if plan is not None:
        plan = replace(plan, examples=tuple(mask_personal_data(x) for x in plan.examples))
    meetings = tuple(replace(m, analysis="", notes=()) for m in content.meetings)
    return replace(content, modules=tuple(modules), surveys=surveys, action_plan=plan, decided_actions=(),
                   meetings=meetings, min_volume=min_volume, events=(), collection_gaps=())


def all_text(content: DocumentContent) -> str:
    """Every string of the model, for checks (a public document must hold no personal data)."""
    parts: list[str] = [content.prefecture_name]

    def walk(obj: object) -> None:
        if isinstance(obj, str):
            parts.append(obj)
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(k)
                walk(v)
        elif isinstance(obj, (list, tuple)):
            for x in obj:
                walk(x)
        elif hasattr(obj, "__dataclass_fields__"):
            for name in obj.__dataclass_fields__:
                walk(getattr(obj, name))

    walk(content)
    return "\n".join(parts)
