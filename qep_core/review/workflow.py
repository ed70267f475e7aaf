"""The quarterly COPIL review: every indicator of a quarter against its target, last year and the
year to date; the ones that slipped first; what the rest of the year must achieve; the quarter's
months that are signals on the indicator's control chart (:mod:`qep_core.spc`), with the latest
month's variation and the assurance, in sentences; the COPIL's comments and decided actions; and
the frozen minutes.

Freezing: once the COPIL has met, :func:`freeze_review` stores the whole review (figures,
comments, actions) as JSON in ``quarter_review.snapshot_json``. :func:`open_review` then shows the
snapshot, never the live figures, and lists the indicators whose live value has moved since
("les chiffres ont changé depuis la réunion"), so that last quarter's minutes stay true after a
corrected file is imported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from qep_core.compute import (
    IndicatorResult,
    compute_indicators,
    observation_sums,
    status_of,
)
from qep_core.frenchforms import MONTH_ABBR_FR, MONTH_NAMES_FR, count_text
from qep_core.models import Prefecture, utcnow
from qep_core.periods import Period, add_months, quarter_period
from qep_core.pilotage.actions import TITLE_MAX, create_action, delete_actions, plan_on
from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.models import Action
from qep_core.pilotage.vocabulary import STATUSES
from qep_core.prefectures import labelled_modules
from qep_core.referentiel import IndicatorDef, TargetBook, indicators_for
from qep_core.review.minutes import DecidedAction, ReviewMeeting, ReviewNote
from qep_core.review.models import REVIEW_FROZEN, REVIEW_OPEN, QuarterReview, ReviewAction, ReviewComment
from qep_core.rules.formatting import DISPLAY_DECIMALS, format_amount, format_value
from qep_core.rules.kinds import Direction, IndicatorKind
from qep_core.rules.signals import AMELIORATION, COMMUNE, PREOCCUPATION, variation_style
from qep_core.rules.status import (
    PAS_DE_DONNEE,
    RATED_STATUSES,
    SANS_OBJECTIF,
    STATUS_RANK,
)
from qep_core.spc import SpcChart
from qep_core.spc_series import charts_all
from qep_core.spc_text import assurance_sentence, variation_sentence

# Slips: a status worse than the same quarter a year earlier (judged against this year's target),
# or a move the wrong way of at least 2 points for a rate, or 10 % of last year's value otherwise.
SLIP_POINTS = 2.0
SLIP_RELATIVE = 0.10

# Signals: each monthly indicator's control chart over the SPC_WINDOW_MONTHS months ending at the
# quarter's end (qep_core.spc_series), its limits from the first ones; a month of the quarter is
# reported when the chart flags it (amélioration or préoccupation). A review frozen before the
# control charts holds « breaks » instead (a median ± MAD rule): they are read back as signals
# named OLD_BREAK, so that its minutes still show what the COPIL saw.
OLD_BREAK = "rupture avec la tendance (règle d'avant les cartes de contrôle)"

# What the rest of the year must achieve.
ACQUIS = "acquis"
A_ATTEINDRE = "à atteindre"
HORS_ATTEINTE = "hors d'atteinte"
ANNEE_CLOSE = "année close"
NON_APPLICABLE = "non applicable"


class ReviewError(ValueError):
    """A change refused with a French message (a frozen review, an unknown indicator…)."""


# ------------------------------------------------------------------------------------------------
# Dataclasses (primitives only, so that a review round-trips through JSON unchanged)


@dataclass(frozen=True)
class Requirement:
    state: str  # acquis | à atteindre | hors d'atteinte | année close | non applicable
    required_value: float | None  # in the indicator's unit, over the remaining months
    remaining_months: int
    remaining_volume: float | None
    basis: str  # where the remaining volume comes from
    text: str


@dataclass(frozen=True)
class MonthSignal:
    """A month of the quarter the control chart flags: its value, its variation (amélioration or
    préoccupation) and the signals that flag it (:data:`qep_core.spc.SIGNAL_ORDER` names)."""

    month: str  # ISO date of the month's first day
    value: float
    variation: str
    signals: tuple[str, ...]


@dataclass(frozen=True)
class ReviewLine:
    code: str
    label: str
    module_code: str
    unit: str
    kind: str
    direction: str
    frequency: str
    target: float | None
    alert: float | None
    quarter_value: float | None
    quarter_numerator: float | None
    quarter_denominator: float | None
    quarter_status: str
    previous_value: float | None
    previous_status: str
    ytd_value: float | None
    ytd_numerator: float | None
    ytd_denominator: float | None
    ytd_status: str
    slipped: bool
    slip_reason: str
    requirement: Requirement | None
    signals: tuple[MonthSignal, ...] = ()  # the quarter's special-cause months
    variation: str | None = None  # the latest month's (None: no chart: not monthly, no data, or frozen before)
    assurance: str | None = None  # None: no target, or no chart
    variation_text: str = ""  # the sentences of qep_core.spc_text
    assurance_text: str = ""
    comment: str = ""

    @property
    def change(self) -> float | None:
        if self.quarter_value is None or self.previous_value is None:
            return None
        return self.quarter_value - self.previous_value

    def text(self, value: float | None) -> str:
        return format_value(value, self.unit)

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "pas d'objectif"
        return f"{'≥' if self.direction == '>=' else '≤'} {format_value(self.target, self.unit)}"

    @property
    def need_text(self) -> str:
        """What the rest of the year needs, with its sign: « au moins 81,8 % sur les 3 mois restants »
        (« au plus 4,2 j » for a delay); « – » when nothing is left to achieve."""
        req = self.requirement
        if req is None or req.state != A_ATTEINDRE or req.required_value is None:
            return "–"
        months = remaining_text(req.remaining_months)
        bound = "au moins" if self.direction == ">=" else "au plus"
        return f"{bound} {format_value(req.required_value, self.unit)} sur {months}"


@dataclass(frozen=True)
class ActionItem:
    id: int | None
    indicator_code: str | None
    text: str
    owner: str = ""
    due_date: str | None = None  # ISO
    action_id: int | None = None


@dataclass(frozen=True)
class Review:
    prefecture_name: str
    year: int
    quarter: int
    computed_on: str  # ISO timestamp
    lines: tuple[ReviewLine, ...]
    actions: tuple[ActionItem, ...] = ()
    status: str = REVIEW_OPEN
    meeting_date: str | None = None
    frozen_at: str | None = None
    frozen_by: str = ""
    analysis: str = ""  # the COPIL's general analysis of the quarter
    attendees: str = ""  # who attended, as typed (one per line)

    @property
    def period(self) -> Period:
        return quarter_period(self.year, self.quarter)

    @property
    def frozen(self) -> bool:
        return self.status == REVIEW_FROZEN

    def line(self, code: str) -> ReviewLine | None:
        return next((x for x in self.lines if x.code == code), None)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Review:
        raw = json.loads(text)
        lines = []
        for x in raw["lines"]:
            req = x.pop("requirement")
            signals = tuple(MonthSignal(**{**s, "signals": tuple(s["signals"])}) for s in x.pop("signals", ()))
            signals += tuple(_old_break(b, x["direction"]) for b in x.pop("breaks", ()))
            lines.append(ReviewLine(**x, requirement=Requirement(**req) if req else None, signals=signals))
        actions = tuple(ActionItem(**a) for a in raw.pop("actions"))
        raw.pop("lines")
        return cls(**raw, lines=tuple(lines), actions=actions)


@dataclass(frozen=True)
class FigureChange:
    code: str
    label: str
    frozen_text: str
    live_text: str


@dataclass(frozen=True)
class ReviewView:
    """What the page shows: the review (the snapshot once frozen) and what moved since."""

    review: Review
    changes: tuple[FigureChange, ...] = field(default_factory=tuple)

    @property
    def changed_note(self) -> str | None:
        if not self.changes:
            return None
        names = ", ".join(c.label for c in self.changes[:5]) + (" …" if len(self.changes) > 5 else "")
        return (f"Les chiffres ont changé depuis la réunion du COPIL pour {count_text(len(self.changes), 'indicateur')} "
                f"({names}) : la revue figée garde les valeurs présentées en séance.")


# ------------------------------------------------------------------------------------------------
# Computations


def ytd_period(year: int, quarter: int) -> Period:
    """January to the end of the quarter."""
    return Period(dt.date(year, 1, 1), quarter_period(year, quarter).end, "range")


def ytd_label(year: int, quarter: int) -> str:
    end = quarter_period(year, quarter).end
    return f"cumul janv.–{MONTH_ABBR_FR[end.month - 1]} {year}"


def _slip(ind: IndicatorDef, q: IndicatorResult, previous_status: str) -> tuple[bool, str]:
    if ind.kind == IndicatorKind.COUNT or q.value is None:
        return False, ""
    if (q.status in RATED_STATUSES and previous_status in RATED_STATUSES
            and STATUS_RANK[q.status] < STATUS_RANK[previous_status]):
        return True, f"était « {previous_status} » un an plus tôt, « {q.status} » ce trimestre"
    change = q.change
    if change is None:
        return False, ""
    worse = Direction(ind.direction).worsening(change)
    tolerance = SLIP_POINTS if ind.unit == "%" else SLIP_RELATIVE * abs(q.previous_value or 0)
    if worse >= tolerance and worse > 0:
        amount = format_amount(abs(change), ind.unit)
        way = "baisse" if change < 0 else "hausse"
        return True, f"{way} de {amount} par rapport au même trimestre un an plus tôt"
    return False, ""


def remaining_text(months: int) -> str:
    """« le mois restant », « les 3 mois restants »."""
    return "le mois restant" if months == 1 else f"les {months} mois restants"


def requirement(ind: IndicatorDef, target: float | None, ytd_num: float | None, ytd_den: float | None,
                remaining_months: int, last_year_den: float | None) -> Requirement | None:
    """What the remaining months must achieve for the year to reach its target.

    With ``t`` the target as a fraction (the target divided by the indicator's scale: 100 for a
    rate, 1 000 for a per mille, 1 for a mean delay), ``N`` and ``D`` the year-to-date numerator
    and denominator (Σ delays and answers for a mean delay), and ``R`` the expected denominator of
    the remaining months — last year's denominator over the same months, or, without it, the
    year's own pace ``D / months elapsed × months remaining``:

        the year reaches its target when (N + x·R) / (D + R) meets t, i.e. x = (t·(D + R) − N) / R

    where ``x`` is the rate (or mean delay) the remaining months must hold. For a "≥" rate:
    x ≤ 0 means the target is secured whatever happens ("acquis"); x above 1 (100 %) means no
    result can reach it ("hors d'atteinte"). For a "≤" mean delay: x < 0 is out of reach, and a
    delay target is never secured in advance. Counts and yearly measures get no requirement.
    """
    if target is None or ind.kind == IndicatorKind.COUNT or ind.frequency == "yearly":
        return None
    if remaining_months <= 0:
        return Requirement(ANNEE_CLOSE, None, 0, None, "", "L'année est close : le résultat annuel est acquis.")
    if not ytd_den:
        return Requirement(NON_APPLICABLE, None, remaining_months, None, "", "Pas encore de donnée cette année.")
    months_done = 12 - remaining_months
    if last_year_den:
        volume, basis = float(last_year_den), "volumes des mêmes mois l'an dernier"
    else:
        volume, basis = ytd_den / months_done * remaining_months, "rythme de l'année en cours"
    t = target / ind.scale
    num = ytd_num or 0.0
    x = (t * (ytd_den + volume) - num) / volume
    unit = ind.unit
    months = remaining_text(remaining_months)
    if ind.direction == ">=":
        cap = 1.0
        if x <= 0:
            return Requirement(ACQUIS, 0.0, remaining_months, volume, basis,
                               f"Cible annuelle acquise : même sans résultat sur {months}, le cumul reste au-dessus.")
        if x > cap + 1e-9:
            return Requirement(HORS_ATTEINTE, x * ind.scale, remaining_months, volume, basis,
                               f"Cible annuelle hors d'atteinte : il faudrait {format_value(x * ind.scale, unit)} "
                               f"sur {months}, au-delà du maximum possible.")
        return Requirement(A_ATTEINDRE, x * ind.scale, remaining_months, volume, basis,
                           f"Pour atteindre la cible annuelle, il faut au moins {format_value(x * ind.scale, unit)} "
                           f"sur {months} ({basis}).")
    if x < 0:
        return Requirement(HORS_ATTEINTE, x * ind.scale, remaining_months, volume, basis,
                           f"Cible annuelle hors d'atteinte : le cumul est déjà trop haut pour revenir sous "
                           f"{format_value(target, unit)} sur {months}.")
    if ind.unit == "%" and x >= 1:
        return Requirement(ACQUIS, x * ind.scale, remaining_months, volume, basis,
                           "Cible annuelle acquise quel que soit le résultat des mois restants.")
    return Requirement(A_ATTEINDRE, x * ind.scale, remaining_months, volume, basis,
                       f"Pour tenir la cible annuelle, il faut au plus {format_value(x * ind.scale, unit)} "
                       f"sur {months} ({basis}).")


def _old_break(raw: dict, direction: str) -> MonthSignal:
    """A « break » of a review frozen before the control charts (month, value, median, score), as
    the signal the COPIL was shown: better or worse than the median, the indicator's way."""
    improved = Direction(direction).improved(raw["value"] - raw["median"])
    return MonthSignal(raw["month"], raw["value"], AMELIORATION if improved else PREOCCUPATION, (OLD_BREAK,))


def quarter_signals(chart: SpcChart, quarter_months: Iterable[dt.date]) -> tuple[MonthSignal, ...]:
    """The months of the quarter that *chart* flags (special causes), in month order."""
    months = set(quarter_months)
    return tuple(MonthSignal(p.month.isoformat(), float(p.value), p.variation, p.signals)
                 for p in chart.points if p.month in months and p.variation != COMMUNE)


def signal_text(s: MonthSignal, unit: str) -> str:
    """« juillet 2024 : 60,0 % — ⊖ préoccupation (point hors des limites) »."""
    month = dt.date.fromisoformat(s.month)
    return (f"{MONTH_NAMES_FR[month.month - 1]} {month.year} : {format_value(s.value, unit)} — "
            f"{variation_style(s.variation).text} ({', '.join(s.signals)})")


def signal_counts(lines: Iterable[ReviewLine]) -> dict[str, int]:
    """Special-cause months of the quarter, by variation: {amélioration: n, préoccupation: m}."""
    counts = {AMELIORATION: 0, PREOCCUPATION: 0}
    for line in lines:
        for s in line.signals:
            counts[s.variation] = counts.get(s.variation, 0) + 1
    return counts


def signals_summary(lines: Iterable[ReviewLine]) -> str:
    """« 2 mois en préoccupation, 1 mois en amélioration » (zero counts left out); « aucun signal »."""
    counts = signal_counts(lines)
    parts = [f"{variation_style(v).symbol} {count_text(n, 'mois')} en {v}"
             for v in (PREOCCUPATION, AMELIORATION) if (n := counts.get(v, 0))]
    return ", ".join(parts) or "aucun signal"


def _spc_fields(chart: SpcChart, quarter_months: list[dt.date]) -> dict:
    """A review line's control-chart fields: the quarter's signals, the latest variation, the assurance."""
    return {"signals": quarter_signals(chart, quarter_months), "variation": chart.points[-1].variation,
            "assurance": chart.assurance, "variation_text": variation_sentence(chart),
            "assurance_text": assurance_sentence(chart)}


def compute_review(session: Session, prefecture_id: int, year: int, quarter: int,
                   perimetre_ids: Iterable[int] | None = None) -> Review:
    """The live review of a quarter (with the comments and actions saved so far), over the
    *perimetre_ids* only when given (a contributor's review sums over its own périmètres)."""
    perims = None if perimetre_ids is None else list(perimetre_ids)
    pref = session.get(Prefecture, prefecture_id)
    if pref is None:
        raise ReviewError("préfecture inconnue")
    q_period = quarter_period(year, quarter)
    modules = labelled_modules(session, prefecture_id)
    indicators = [d for d in indicators_for(session, prefecture_id) if d.module_code in modules]
    quarter_results = {r.indicator.code: r for r in compute_indicators(session, prefecture_id, q_period,
                                                                       indicators=indicators, perimetre_ids=perims)}
    ytd = {r.indicator.code: r for r in compute_indicators(session, prefecture_id, ytd_period(year, quarter),
                                                           indicators=indicators, with_previous=False,
                                                           perimetre_ids=perims)}
    remaining = 12 - q_period.end.month
    last_year_rest: dict[int, float] = {}
    if remaining:
        rest = Period(add_months(q_period.end, 1 - 12), dt.date(year - 1, 12, 1), "range")
        sums = observation_sums(session, prefecture_id, rest, (), perims, [d.id for d in indicators])
        last_year_rest = {int(r.indicator_id): float(r.denominator) for r in sums.itertuples(index=False)
                          if r.denominator is not None and r.denominator == r.denominator}
    charts = charts_all(session, prefecture_id, indicators, q_period.end, perims)
    book = TargetBook(session, prefecture_id, indicators)
    lines = []
    for ind in indicators:
        q = quarter_results[ind.code]
        y = ytd[ind.code]
        rule = book.rule(ind.code, year)
        previous_status = status_of(q.previous_value, rule)
        slipped, reason = _slip(ind, q, previous_status)
        req = requirement(ind, rule.value, y.numerator, y.denominator, remaining, last_year_rest.get(ind.id))
        chart = charts.get(ind.code)
        lines.append(ReviewLine(
            code=ind.code, label=ind.label, module_code=ind.module_code, unit=ind.unit, kind=ind.kind,
            direction=ind.direction, frequency=ind.frequency, target=rule.value, alert=rule.alert,
            quarter_value=q.value, quarter_numerator=q.numerator, quarter_denominator=q.denominator,
            quarter_status=q.status, previous_value=q.previous_value, previous_status=previous_status,
            ytd_value=y.value, ytd_numerator=y.numerator, ytd_denominator=y.denominator, ytd_status=y.status,
            slipped=slipped, slip_reason=reason, requirement=req,
            **(_spc_fields(chart, q_period.months) if chart is not None else {}),
        ))
    order = {d.code: i for i, d in enumerate(indicators)}
    lines.sort(key=lambda x: (not x.slipped, STATUS_RANK.get(x.quarter_status, 9), order[x.code]))
    row = _row(session, prefecture_id, year, quarter)
    comments = _comments(session, row)
    lines = [dataclasses.replace(x, comment=comments.get(x.code, "")) for x in lines]
    return Review(pref.name, year, quarter, utcnow().isoformat(timespec="seconds"), tuple(lines),
                  _actions(session, row), row.status if row else REVIEW_OPEN,
                  analysis=row.analysis if row else "", attendees=row.attendees if row else "")


# ------------------------------------------------------------------------------------------------
# Storage


def _row(session: Session, prefecture_id: int, year: int, quarter: int) -> QuarterReview | None:
    return session.exec(select(QuarterReview).where(
        QuarterReview.prefecture_id == prefecture_id, QuarterReview.year == year, QuarterReview.quarter == quarter,
    )).first()


def _writable_row(session: Session, prefecture_id: int, year: int, quarter: int) -> QuarterReview:
    row = _row(session, prefecture_id, year, quarter)
    if row is None:
        row = QuarterReview(prefecture_id=prefecture_id, year=year, quarter=quarter)
        session.add(row)
        session.flush()
    if row.status == REVIEW_FROZEN:
        raise ReviewError(f"La revue du {quarter_period(year, quarter).label} est figée (COPIL du "
                          f"{_date_fr(row.meeting_date)}) : rouvrez-la pour la modifier.")
    return row


def _date_fr(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "date non précisée"


def _comments(session: Session, row: QuarterReview | None) -> dict[str, str]:
    if row is None:
        return {}
    return {c.indicator_code: c.text for c in session.exec(select(ReviewComment).where(ReviewComment.review_id == row.id))}


def saved_comments(session: Session, prefecture_id: int, year: int, quarter: int) -> dict[str, str]:
    """The COPIL's comments saved so far on a quarter, indicator code → text."""
    return _comments(session, _row(session, prefecture_id, year, quarter))


def _actions(session: Session, row: QuarterReview | None) -> tuple[ActionItem, ...]:
    if row is None:
        return ()
    rows = session.exec(select(ReviewAction).where(col(ReviewAction.review_id) == row.id).order_by(col(ReviewAction.id)))
    return tuple(ActionItem(a.id, a.indicator_code, a.text, a.owner, a.due_date.isoformat() if a.due_date else None,
                            a.action_id) for a in rows)


def save_comment(session: Session, prefecture_id: int, year: int, quarter: int, code: str, text: str,
                 user: str = "") -> None:
    """Save (or clear, with an empty text) the COPIL's comment on one indicator."""
    known = {d.code for d in indicators_for(session, prefecture_id)}
    if code not in known:
        raise ReviewError(f"indicateur inconnu : {code}")
    row = _writable_row(session, prefecture_id, year, quarter)
    existing = session.exec(select(ReviewComment).where(ReviewComment.review_id == row.id,
                                                        ReviewComment.indicator_code == code)).first()
    text = text.strip()
    if not text:
        if existing:
            session.delete(existing)
        return
    if existing is None:
        existing = ReviewComment(review_id=row.id or 0, indicator_code=code, text=text)
    existing.text, existing.updated_at, existing.updated_by = text, utcnow(), user
    session.add(existing)


def saved_analysis(session: Session, prefecture_id: int, year: int, quarter: int) -> str:
    """The COPIL's general analysis saved so far on a quarter ("" when none)."""
    row = _row(session, prefecture_id, year, quarter)
    return row.analysis if row is not None else ""


def save_analysis(session: Session, prefecture_id: int, year: int, quarter: int, analysis: str) -> None:
    """Save (an empty text clears) the COPIL's general analysis of the quarter."""
    row = _writable_row(session, prefecture_id, year, quarter)
    row.analysis = analysis.strip()
    session.add(row)


def attendee_lines(attendees: Iterable[str]) -> str:
    """Who attended, one per line, as typed (blank entries dropped; « ; » separates too)."""
    names = (part.strip() for entry in attendees for line in entry.splitlines() for part in line.split(";"))
    return "\n".join(name for name in names if name)


def add_action(session: Session, prefecture_id: int, year: int, quarter: int, text: str, *,
               indicator_code: str | None = None, owner: str = "", due_date: dt.date | None = None,
               action_id: int | None = None, decided_on: dt.date | None = None) -> ReviewAction:
    """Record an action the COPIL decided; unless *action_id* names an existing item of the action
    plan, the decision is added to the plan on *decided_on* (today by default)."""
    text = text.strip()
    if not text:
        raise ReviewError("Décrivez l'action décidée.")
    row = _writable_row(session, prefecture_id, year, quarter)
    if action_id is None:
        action_id = _plan_action_for(session, prefecture_id, year, quarter, text, indicator_code, owner, due_date,
                                     decided_on or dt.date.today())
    action = ReviewAction(review_id=row.id or 0, indicator_code=indicator_code or None, text=text,
                          owner=owner.strip(), due_date=due_date, action_id=action_id)
    session.add(action)
    session.flush()
    return action


def _plan_action_for(session: Session, prefecture_id: int, year: int, quarter: int, text: str,
                     indicator_code: str | None, owner: str, due_date: dt.date | None, decided_on: dt.date) -> int:
    """The decision goes into the action plan at once (source « COPIL »), under the indicator's
    module and engagement, so that its progress is followed with every other action."""

    ind = next((d for d in indicators_for(session, prefecture_id) if d.code == indicator_code), None)
    answers = f"Décision du COPIL, revue du {quarter_period(year, quarter).label}" + (f" : {ind.label}" if ind else "")
    try:
        created = create_action(session, prefecture_id, title=text[:TITLE_MAX], module_code=ind.module_code if ind else "PIL",
                                engagement_key=ind.engagement_key if ind else None, source="copil", owner=owner.strip(),
                                due_date=due_date, today=decided_on, answers=answers)
    except PilotageError as exc:
        raise ReviewError(" ; ".join(exc.errors)) from exc
    return created.id or 0


def delete_action(session: Session, prefecture_id: int, action_id: int) -> None:
    action = session.get(ReviewAction, action_id)
    if action is None:
        return
    row = session.get(QuarterReview, action.review_id)
    if row is None or row.prefecture_id != prefecture_id:
        raise ReviewError("action inconnue")
    _writable_row(session, prefecture_id, row.year, row.quarter)
    if action.action_id is not None:  # the plan's item this decision created goes with it

        planned = session.get(Action, action.action_id)
        if planned is not None and planned.prefecture_id == prefecture_id and planned.source == "copil":
            delete_actions(session, [planned])
    session.delete(action)


def freeze_review(session: Session, prefecture_id: int, year: int, quarter: int, meeting_date: dt.date,
                  user: str = "", attendees: Iterable[str] | None = None) -> Review:
    """The COPIL has met: store the figures, comments, analysis and actions as they were presented,
    with who attended (kept as they were when *attendees* is None)."""
    row = _writable_row(session, prefecture_id, year, quarter)
    if attendees is not None:
        row.attendees = attendee_lines(attendees)
        session.add(row)
        session.flush()
    now = utcnow()
    review = dataclasses.replace(compute_review(session, prefecture_id, year, quarter), status=REVIEW_FROZEN,
                                 meeting_date=meeting_date.isoformat(), frozen_at=now.isoformat(timespec="seconds"),
                                 frozen_by=user)
    row.status, row.meeting_date, row.frozen_at, row.frozen_by = REVIEW_FROZEN, meeting_date, now, user
    row.snapshot_json = review.to_json()
    session.add(row)
    return review


def reopen_review(session: Session, prefecture_id: int, year: int, quarter: int) -> None:
    """Undo a freeze made by mistake: the review becomes live again (comments and actions kept)."""
    row = _row(session, prefecture_id, year, quarter)
    if row is None or row.status != REVIEW_FROZEN:
        return
    row.status, row.snapshot_json, row.frozen_at = REVIEW_OPEN, None, None
    session.add(row)


def _rounded(value: float | None, unit: str) -> float | None:
    return None if value is None else round(value, DISPLAY_DECIMALS.get(unit, 1))


def open_review(session: Session, prefecture_id: int, year: int, quarter: int,
                perimetre_ids: Iterable[int] | None = None) -> ReviewView:
    """The review as the page shows it: the frozen snapshot (with what moved since), or the live one.

    Over some périmètres only (a contributor's), the figures are always the live ones of those
    périmètres (the snapshot holds the whole préfecture's); the minutes' status, meeting date,
    comments and actions still come from the snapshot."""
    row = _row(session, prefecture_id, year, quarter)
    frozen_review = row is not None and row.status == REVIEW_FROZEN and bool(row.snapshot_json)
    if perimetre_ids is not None:
        live = compute_review(session, prefecture_id, year, quarter, perimetre_ids)
        if not frozen_review:
            return ReviewView(live)
        minutes = Review.from_json(row.snapshot_json)  # type: ignore[union-attr, arg-type]
        comments = {x.code: x.comment for x in minutes.lines}
        return ReviewView(dataclasses.replace(
            live, lines=tuple(dataclasses.replace(x, comment=comments.get(x.code, "")) for x in live.lines),
            actions=minutes.actions, status=minutes.status, meeting_date=minutes.meeting_date,
            frozen_at=minutes.frozen_at, frozen_by=minutes.frozen_by, analysis=minutes.analysis,
            attendees=minutes.attendees))
    if not frozen_review:
        return ReviewView(compute_review(session, prefecture_id, year, quarter))
    frozen = Review.from_json(row.snapshot_json)  # type: ignore[union-attr, arg-type]
    live = compute_review(session, prefecture_id, year, quarter)
    changes = []
    for line in frozen.lines:
        now = live.line(line.code)
        if now is None:
            continue
        for before, after in ((line.quarter_value, now.quarter_value), (line.ytd_value, now.ytd_value)):
            if _rounded(before, line.unit) != _rounded(after, line.unit):
                changes.append(FigureChange(line.code, line.label, line.text(line.quarter_value),
                                            line.text(now.quarter_value)))
                break
    return ReviewView(frozen, tuple(changes))


def public_review(view: ReviewView) -> ReviewView:
    """What a public-only reader (the users' committee) may see of a review: the figures, without
    the COPIL's internal minutes (comments, decided actions and their owners, who froze it)."""
    r = view.review
    return dataclasses.replace(view, review=dataclasses.replace(
        r, lines=tuple(dataclasses.replace(x, comment="") for x in r.lines), actions=(), frozen_by="", analysis="",
        attendees=""))


def reviews_of_year(session: Session, prefecture_id: int, year: int) -> list[QuarterReview]:
    return list(session.exec(select(QuarterReview).where(QuarterReview.prefecture_id == prefecture_id,
                                                        col(QuarterReview.year) == year).order_by(col(QuarterReview.quarter))))


@dataclass(frozen=True)
class Minutes:
    """The procès-verbal of a frozen review: the review as frozen (figures, comments, analysis,
    attendees), its meeting record, and the actions it decided with where they stand today."""

    review: Review
    meeting: ReviewMeeting
    actions: tuple[DecidedAction, ...]


class _Records:
    """What turning reviews into documents' records needs once: labels and the plan today."""

    def __init__(self, session: Session, prefecture_id: int, as_of: dt.date | None):
        self.indicators = {d.code: d for d in indicators_for(session, prefecture_id)}
        self.order = {code: i for i, code in enumerate(self.indicators)}
        self.states = {s.action.id: s for s in plan_on(session, prefecture_id, as_of or dt.date.today()).states}

    def of(self, session: Session, row: QuarterReview) -> tuple[ReviewMeeting, list[DecidedAction], Review | None]:
        label = quarter_period(row.year, row.quarter).label
        frozen = row.status == REVIEW_FROZEN and bool(row.snapshot_json)
        minutes = Review.from_json(row.snapshot_json) if frozen else None  # type: ignore[arg-type]  # frozen implies a snapshot_json
        if minutes is not None:
            comments = {x.code: x.comment for x in minutes.lines if x.comment}
            actions, analysis = minutes.actions, minutes.analysis
        else:
            comments, actions, analysis = _comments(session, row), _actions(session, row), row.analysis
        notes = tuple(ReviewNote(code, self.indicators[code].label if code in self.indicators else code, text)
                      for code, text in sorted(comments.items(), key=lambda kv: self.order.get(kv[0], len(self.order))))
        meeting = ReviewMeeting(label, row.meeting_date, frozen, row.year, row.quarter, analysis, notes)
        decided = []
        for a in actions:
            state = self.states.get(a.action_id)
            ind = self.indicators.get(a.indicator_code or "")
            decided.append(DecidedAction(
                label, ind.label if ind else "toute la démarche", a.text, a.action_id, a.owner,
                dt.date.fromisoformat(a.due_date) if a.due_date else None,
                STATUSES.get(state.status, state.status) if state else "", state.late if state else False))
        return meeting, decided, minutes


def decided_actions_of_year(session: Session, prefecture_id: int, year: int, as_of: dt.date | None = None
                            ) -> tuple[tuple[ReviewMeeting, ...], tuple[DecidedAction, ...]]:
    """The COPIL meetings of the year with their analysis and comments, and the actions they
    decided (a frozen review as frozen), each with where the action plan says it stands on
    *as_of* (today by default): its status then, and whether it is late."""
    records = _Records(session, prefecture_id, as_of)
    meetings, decided = [], []
    for row in reviews_of_year(session, prefecture_id, year):
        meeting, actions, _ = records.of(session, row)
        meetings.append(meeting)
        decided.extend(actions)
    return tuple(meetings), tuple(decided)


def minutes_of(session: Session, prefecture_id: int, year: int, quarter: int, as_of: dt.date | None = None) -> Minutes:
    """The procès-verbal of a frozen review; an open one has none yet (:class:`ReviewError`)."""
    row = _row(session, prefecture_id, year, quarter)
    meeting, actions, minutes = (None, [], None) if row is None else _Records(session, prefecture_id, as_of).of(session, row)
    if meeting is None or minutes is None:
        raise ReviewError(f"La revue du {quarter_period(year, quarter).label} n'est pas figée : le procès-verbal "
                          "s'établit une fois la réunion tenue (« Figer la revue »).")
    return Minutes(minutes, meeting, tuple(actions))


# ------------------------------------------------------------------------------------------------
# Demo

DEMO_REVIEWS: dict[tuple[int, int], dict] = {  # fictional minutes of the demo préfecture's COPIL
    (2024, 2): {
        "meeting": dt.date(2024, 7, 11),
        "attendees": ["M. le secrétaire général, président", "Référente qualité", "Cheffe du standard",
                      "Chef du bureau des étrangers", "Responsable du courrier"],
        "analysis": "Trimestre contrasté : le courrier et les courriels tiennent leurs délais, le standard reste "
                    "sous la cible malgré le serveur vocal, et deux réclamations sont restées sans réponse. "
                    "Priorité du trimestre : l'accueil téléphonique du lundi matin.",
        "comments": {
            "TEL_ABOUTIS": "Progrès nets depuis le serveur vocal, mais les lundis matin restent saturés : "
                           "la cible de 90 % n'est pas tenue.",
            "RECLA_DELAI": "Deux demandes (avril, juin) sont restées sans réponse : relancer les services "
                           "destinataires chaque semaine.",
        },
        "actions": [
            ("TEL_ABOUTIS", "Renfort d'un agent au standard le lundi matin", "Cheffe du standard", dt.date(2024, 9, 30)),
            ("RECLA_DELAI", "Relance hebdomadaire des services sur les réclamations ouvertes", "Référente qualité",
             dt.date(2024, 7, 31)),
        ],
    },
    (2024, 3): {
        "meeting": None,
        "analysis": "En préparation : la baisse de juillet sur les réclamations sera présentée avec le bureau du "
                    "courrier.",
        "comments": {"RECLA_DELAI": "Juillet en net recul (75 % dans les délais) : à analyser avec le bureau "
                                    "du courrier avant la séance."},
        "actions": [("COURRIEL_5J", "Point mensuel avec le bureau des étrangers sur les délais de réponse",
                     "Bureau des étrangers", dt.date(2024, 12, 31))],
    },
}


def seed_demo_reviews(session: Session, prefecture_id: int) -> int:
    """The demo's reviews: the 2nd quarter of 2024 frozen after its COPIL, the 3rd in preparation.
    A review that already exists is left as it is (loading the demo twice changes nothing)."""
    added = 0
    for (year, quarter), spec in DEMO_REVIEWS.items():
        if _row(session, prefecture_id, year, quarter) is not None:
            continue
        for code, text in spec["comments"].items():
            save_comment(session, prefecture_id, year, quarter, code, text, "démo")
        for code, text, owner, due in spec["actions"]:
            add_action(session, prefecture_id, year, quarter, text, indicator_code=code, owner=owner, due_date=due,
                       decided_on=spec["meeting"] or quarter_period(year, quarter).end + dt.timedelta(days=40))
        save_analysis(session, prefecture_id, year, quarter, spec.get("analysis", ""))
        if spec["meeting"] is not None:
            session.flush()
            freeze_review(session, prefecture_id, year, quarter, spec["meeting"], "démo", spec.get("attendees"))
        added += 1
    return added


__all__ = [
    "ACQUIS",
    "ANNEE_CLOSE",
    "A_ATTEINDRE",
    "HORS_ATTEINTE",
    "NON_APPLICABLE",
    "OLD_BREAK",
    "PAS_DE_DONNEE",
    "SANS_OBJECTIF",
    "ActionItem",
    "FigureChange",
    "Minutes",
    "MonthSignal",
    "Requirement",
    "Review",
    "ReviewError",
    "ReviewLine",
    "ReviewView",
    "add_action",
    "attendee_lines",
    "compute_review",
    "decided_actions_of_year",
    "delete_action",
    "freeze_review",
    "minutes_of",
    "open_review",
    "public_review",
    "quarter_signals",
    "reopen_review",
    "requirement",
    "save_analysis",
    "save_comment",
    "saved_comments",
    "seed_demo_reviews",
    "signal_counts",
    "signal_text",
    "signals_summary",
    "ytd_label",
    "ytd_period",
]
