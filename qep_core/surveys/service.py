"""Surveys in the database: all-or-nothing import, the catalogue feed, corrections, comment themes.

It follows the tracking-sheet import (:mod:`qep_core.importing.service`) and reuses its machinery:

* **Analyse, then save in one transaction.** :func:`analyze_survey` writes nothing; any error
  rejects the whole file (:class:`~qep_core.importing.issues.ImportRejected`, French messages).
* **Idempotent.** A file whose SHA-256 is already in an imported batch changes nothing.
* **One batch per file** (``ImportBatch.kind = "enquete"``): the Import page lists it and can undo it.
* **Catalogue feed.** The survey's overall satisfaction question, counted as the satisfaction rate
  (satisfied / expressed), becomes observations of PAN_SATISFACTION, ACCUEIL_SATISFACTION or a
  préfecture's own survey-rate indicator, written by the importer's own ``save_plan``: a value
  already there for those months goes to the history, and undoing the batch brings it back. For
  a monthly indicator and dated answers, each month gets its own value; otherwise one value spans
  the months of the survey.
* **Replacement.** A survey of the same channel whose period overlaps an imported one replaces it;
  the old survey and its values come back if the new batch is undone.
* Choosing another overall question (or indicator), or correcting the type of that question, is
  a new batch too, so it shows in the history and can be undone like an import.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
from sqlalchemy import delete, insert, or_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from qep_core.db import session_scope
from qep_core.frenchforms import count_text, month_label_fr, normalize, plural
from qep_core.importing.issues import WARNING, ImportRejected, Issue, IssueLog
from qep_core.importing.ledger import find_imported
from qep_core.importing.long_layout import DRAFT_COLUMNS
from qep_core.importing.protocol import settle_ledger, settled_summary
from qep_core.importing.service import (
    ImportPlan,
    _month_keys,
    _plan_replacements,
    save_plan,
    undo_batch,
)
from qep_core.models import ImportBatch, Observation, ObservationHistory, Prefecture
from qep_core.periods import add_months, month_start
from qep_core.referentiel import IndicatorDef, indicators_for
from qep_core.rules.bounds import month_fault
from qep_core.surveys.channels import DEFAULT_INDICATOR, SURVEY_CHANNELS, channel_label, guess_channel
from qep_core.surveys.models import (
    MysteryCheck,
    MysteryScore,
    Survey,
    SurveyChannelSetting,
    SurveyCommentTag,
    SurveyFeed,
    SurveyQuestion,
    SurveyResponse,
)
from qep_core.surveys.questions import (
    Detection,
    detect_type,
    is_overall_question,
    scale_of,
    separator_for,
    type_label,
    type_problem,
)
from qep_core.surveys.reading import SurveyTable, read_survey
from qep_core.surveys.stats import YES_NO_SCALE, ScaleStats, scale_stats

BATCH_KIND = "enquete"
Auto = Literal["auto"]
SIMILAR = 0.8  # wording similarity above which two questions are taken for the same one


class SurveyError(ValueError):
    """A change the user asked for that cannot be made (French message); nothing was written."""


@dataclass
class QuestionPlan:
    position: int
    column: str
    text: str
    detection: Detection

    @property
    def type_key(self) -> str:
        return self.detection.type_key


@dataclass(frozen=True)
class SurveyChoices:
    """What the user chose for a survey file (see :func:`analyze_survey`), kept with its plan so
    that the plan can be checked again in the write transaction."""

    channel: str | None = None
    year: int | None = None
    period: tuple[dt.date, dt.date] | None = None
    overall: int | Auto | None = "auto"
    indicator: str | Auto | None = "auto"


@dataclass
class SurveyPlan:
    """What a survey file would add, computed before anything is written."""

    file_name: str
    sha256: str
    table: SurveyTable | None
    errors: list[Issue]
    warnings: list[Issue] = field(default_factory=list)
    channel: str | None = None
    channel_guess: str | None = None
    year: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    period_source: str = "dates"
    questions: list[QuestionPlan] = field(default_factory=list)
    already_imported: ImportBatch | None = None
    replaces: list[Survey] = field(default_factory=list)
    overall_position: int | None = None
    indicator_code: str | None = None
    overall_stats: ScaleStats | None = None
    feed: ImportPlan | None = None
    choices: SurveyChoices = field(default_factory=SurveyChoices)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def replacements(self) -> list[Survey]:
        """The surveys this file replaces (protocol name of :attr:`replaces`)."""
        return self.replaces

    @property
    def respondents(self) -> int:
        return self.table.respondents if self.table else 0

    def period_text(self) -> str:
        return period_text(self.period_start, self.period_end)

    def summary(self) -> str:
        if (settled := settled_summary(self)) is not None:
            return settled
        parts = [f"{self.file_name} : enquête « {channel_label(self.channel or '')} » {self.year}, "
                 f"{count_text(self.respondents, 'répondant')}, {count_text(len(self.questions), 'question')}, {self.period_text()}"]
        if self.indicator_code and self.feed is not None:
            parts.append(f"alimente {self.indicator_code} ({count_text(len(self.feed.drafts), 'valeur')})")
        if self.replaces:
            parts.append("remplace " + ", ".join(f"« {s.title} » ({s.year})" for s in self.replaces))
        if self.warnings:
            parts.append(count_text(len(self.warnings), "avertissement"))
        return " ; ".join(parts)


@dataclass
class SurveyOutcome:
    plan: SurveyPlan
    survey: Survey | None
    batch: ImportBatch | None

    @property
    def changed(self) -> bool:
        return self.batch is not None


def period_text(start: dt.date | None, end: dt.date | None) -> str:
    if start is None or end is None:
        return "période inconnue"
    if start == end:
        return f"le {start:%d/%m/%Y}"
    return f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"


# --- which surveys count -------------------------------------------------------------------------------

def active_surveys(session: Session, prefecture_id: int, year: int | None = None,
                   channel: str | None = None) -> list[Survey]:
    """Surveys whose batch is imported and that no imported batch has replaced, newest first."""
    file_batch = aliased(ImportBatch)
    replacing = aliased(ImportBatch)
    stmt = (select(Survey)
            .join(file_batch, col(Survey.batch_id) == file_batch.id)
            .outerjoin(replacing, col(Survey.replaced_by_batch_id) == replacing.id)
            .where(Survey.prefecture_id == prefecture_id, file_batch.status == "imported",
                   or_(col(Survey.replaced_by_batch_id).is_(None), col(replacing.status) != "imported")))
    if year is not None:
        stmt = stmt.where(Survey.year == year)
    if channel is not None:
        stmt = stmt.where(Survey.channel == channel)
    rows = list(session.exec(stmt))
    order = list(SURVEY_CHANNELS)
    return sorted(rows, key=lambda s: (-s.year, order.index(s.channel) if s.channel in order else 99, -(s.id or 0)))


def get_survey(session: Session, prefecture_id: int, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None or survey.prefecture_id != prefecture_id:
        raise SurveyError(f"enquête n° {survey_id} introuvable")
    return survey


def previous_survey(session: Session, survey: Survey) -> Survey | None:
    """Last year's survey of the same channel (the largest, when there were several)."""
    candidates = active_surveys(session, survey.prefecture_id, survey.year - 1, survey.channel)
    return max(candidates, key=lambda s: (s.respondents, s.id or 0), default=None)


def questions_of(session: Session, survey_id: int) -> list[SurveyQuestion]:
    return list(session.exec(select(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id)
                             .order_by(col(SurveyQuestion.position))))


def responses_of(session: Session, survey_id: int) -> list[SurveyResponse]:
    return list(session.exec(select(SurveyResponse).where(SurveyResponse.survey_id == survey_id)
                             .order_by(col(SurveyResponse.row))))


def answers_by_question(responses: Sequence[SurveyResponse], count: int) -> list[list[str]]:
    """Column-wise answers: one list per question position, one entry per respondent."""
    columns: list[list[str]] = [[] for _ in range(count)]
    for response in responses:
        values = json.loads(response.answers_json)
        for i in range(count):
            columns[i].append(values[i] if i < len(values) else "")
    return columns


def current_feed(session: Session, survey_id: int) -> SurveyFeed | None:
    """The overall question and indicator in force: the latest feed whose batch is imported."""
    return session.exec(select(SurveyFeed).join(ImportBatch, col(SurveyFeed.batch_id) == ImportBatch.id)
                        .where(SurveyFeed.survey_id == survey_id, ImportBatch.status == "imported")
                        .order_by(col(SurveyFeed.id).desc())).first()


def survey_version(session: Session, prefecture_id: int) -> str:
    """Changes whenever anything shown about the préfecture's surveys changes (cache key)."""
    from sqlalchemy import func

    parts: list[object] = []
    for model, column in ((Survey, Survey.prefecture_id),):
        parts.append(session.exec(select(func.count(), func.max(model.id)).where(column == prefecture_id)).first())
    parts.append(session.exec(select(func.count(), func.max(ImportBatch.id), func.sum(func.length(ImportBatch.status)))
                              .where(ImportBatch.prefecture_id == prefecture_id)).first())
    ids = select(Survey.id).where(Survey.prefecture_id == prefecture_id)
    parts.append(session.exec(select(func.count(), func.max(SurveyCommentTag.id), func.sum(func.length(
        SurveyCommentTag.theme))).where(col(SurveyCommentTag.survey_id).in_(ids))).first())
    parts.append(session.exec(select(func.count(), func.sum(func.length(SurveyQuestion.type_key)),
                                     func.sum(func.length(SurveyQuestion.column) * SurveyQuestion.position))
                              .where(col(SurveyQuestion.survey_id).in_(ids))).first())
    parts.append(session.exec(select(func.count(), func.max(SurveyFeed.id)).where(col(SurveyFeed.survey_id).in_(ids))).first())

    parts.append(session.exec(select(func.count(), func.max(MysteryCheck.id))
                              .where(MysteryCheck.prefecture_id == prefecture_id)).first())
    checks = select(MysteryCheck.id).where(MysteryCheck.prefecture_id == prefecture_id)
    parts.append(session.exec(select(func.count(), func.sum(func.length(MysteryScore.result)))
                              .where(col(MysteryScore.check_id).in_(checks))).first())
    return "|".join(str(p) for p in parts)


# --- analysis -----------------------------------------------------------------------------------------

def _indicator_choices(session: Session, prefecture_id: int) -> dict[str, IndicatorDef]:
    return {d.code: d for d in indicators_for(session, prefecture_id) if d.kind == "survey_rate"}


def survey_rate_indicators(session: Session, prefecture_id: int) -> list[IndicatorDef]:
    """Indicators a survey can feed: the catalogue's survey rates and the préfecture's own."""
    return list(_indicator_choices(session, prefecture_id).values())


def _setting(session: Session, prefecture_id: int, channel: str) -> SurveyChannelSetting | None:
    return session.exec(select(SurveyChannelSetting).where(SurveyChannelSetting.prefecture_id == prefecture_id,
                                                           SurveyChannelSetting.channel == channel)).first()


def match_question(text: str, candidates: Sequence[tuple[int, str]]) -> int | None:
    """The candidate (position, wording) worded like *text*: same words, or nearly (≥ 80 % alike)."""
    wanted = normalize(text)
    best, best_ratio = None, SIMILAR
    for position, wording in candidates:
        form = normalize(wording)
        if form == wanted:
            return position
        ratio = difflib.SequenceMatcher(None, wanted, form).ratio()
        if ratio >= best_ratio:
            best, best_ratio = position, ratio
    return best


def _rateable(type_key: str) -> bool:
    return type_key.startswith("scale:") or type_key == "yes_no"


def _scale(type_key: str):
    return scale_of(type_key) or (YES_NO_SCALE if type_key == "yes_no" else None)


def feed_drafts(indicator: IndicatorDef, type_key: str, answers: Sequence[str],
                submitted: Sequence[dt.datetime | None], start: dt.date, end: dt.date, sheet: str, row: int,
                column: str) -> pd.DataFrame:
    """The observations an overall question gives an indicator: satisfied / expressed.

    A monthly indicator with every answer dated gets one value per month (answers counted in the
    month of their date); otherwise one value covers the survey's months.
    """
    scale = _scale(type_key)
    if scale is None:
        return pd.DataFrame(columns=DRAFT_COLUMNS)
    records = []
    if indicator.frequency == "monthly" and answers and all(d is not None for d in submitted):
        months: dict[dt.date, list[str]] = {}
        for answer, day in zip(answers, submitted, strict=True):
            months.setdefault(month_start(day.date()), []).append(answer)  # type: ignore[union-attr]  # every submitted date is set (the if above)
        for month in sorted(months):
            stats = scale_stats(scale, months[month])
            if stats.expressed:
                records.append((indicator.code, None, month, month, float(stats.satisfied), float(stats.expressed),
                                sheet, row, column))
    else:
        stats = scale_stats(scale, answers)
        if stats.expressed:
            records.append((indicator.code, None, month_start(start), month_start(end), float(stats.satisfied),
                            float(stats.expressed), sheet, row, column))
    return pd.DataFrame.from_records(records, columns=DRAFT_COLUMNS)


def _active_overlapping(session: Session, prefecture_id: int, channel: str, start: dt.date, end: dt.date) -> list[Survey]:
    return [s for s in active_surveys(session, prefecture_id, channel=channel)
            if s.period_start <= end and start <= s.period_end]


def _resolve_period(plan: SurveyPlan, table: SurveyTable, year: int | None, period: tuple[dt.date, dt.date] | None,
                    log: IssueLog) -> None:
    span = table.date_span
    if period is not None:
        start, end = period
        if end < start:
            log.error(f"période impossible : le {end:%d/%m/%Y} est avant le {start:%d/%m/%Y}")
            return
        plan.period_start, plan.period_end, plan.period_source = start, end, "user"
        plan.year = year or end.year
    elif year is not None:
        if not 1990 <= year <= 2100:
            log.error(f"année impossible : {year}")
            return
        plan.year = year
        if span is not None:
            plan.period_start, plan.period_end, plan.period_source = span[0], span[1], "dates"
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        else:
            plan.period_start, plan.period_end, plan.period_source = dt.date(year, 1, 1), dt.date(year, 12, 31), "user"
            start, end = plan.period_start, plan.period_end
    elif span is not None:
        plan.period_start, plan.period_end, plan.period_source = span[0], span[1], "dates"
        plan.year = span[1].year
        return
    else:
        log.error("période de l'enquête inconnue : le fichier n'a pas de colonne de date (Horodateur, Date de "
                  "soumission…) ; indiquez l'année de l'enquête ou ses dates")
        return
    outside = [r for r, d in zip(table.rows, table.submitted, strict=True)
               if d is not None and not start <= d.date() <= end]
    if outside:
        first = outside[0]
        when = next(d for r, d in zip(table.rows, table.submitted, strict=True) if r == first)
        log.error(f"{count_text(len(outside), 'réponse datée', 'réponses datées')} hors de la période indiquée ({period_text(start, end)}), "
                  f"p. ex. ligne {first} : {when:%d/%m/%Y} ; vérifiez l'année ou les dates de l'enquête",
                  table.sheet, first)


def _check_window(plan: SurveyPlan, log: IssueLog) -> None:
    """The survey's period within the period window (rules.bounds): a year 1900 or 9999 read from
    the answers' dates or typed is refused here, in the analysis, rather than at the save."""
    for day in dict.fromkeys(d for d in (plan.period_start, plan.period_end) if d is not None):
        if (fault := month_fault(day.replace(day=1))) is not None:
            log.error(f"période de l'enquête : {fault}")


def analyze_survey(session: Session, prefecture: Prefecture, file_name: str, data: bytes, *,
                   channel: str | None = None, year: int | None = None,
                   period: tuple[dt.date, dt.date] | None = None, overall: int | Auto | None = "auto",
                   indicator: str | Auto | None = "auto", sheet: str | None = None) -> SurveyPlan:
    """Read and check a survey file against the préfecture's data. Writes nothing.

    *channel*: see :data:`SURVEY_CHANNELS` (guessed from the title or the file name when absent);
    *year* or *period* (first and last day): when absent, read from the answers' dates.
    *overall*: the position of the overall satisfaction question, ``None`` for none, ``"auto"`` for
    the one remembered for this channel (or worded « Globalement… »). *indicator*: the survey-rate
    indicator it feeds, ``None`` for none, ``"auto"`` for the remembered or the channel's default.
    """
    try:
        table = read_survey(file_name, data, sheet)
    except ImportRejected as exc:
        return SurveyPlan(exc.file_name, "", None, exc.errors)
    return _check_survey(session, prefecture, table, SurveyChoices(channel, year, period, overall, indicator))


def settle_survey(session: Session, prefecture: Prefecture, plan: SurveyPlan) -> SurveyPlan:
    """A plan analysed outside the write transaction, checked again in it from the table already
    read (the file is not read again): the same file imported or undone meanwhile, the surveys it
    replaces, the overall question remembered for the channel, the indicator and the values it
    would replace may all have changed."""
    if plan.table is None or not settle_ledger(plan, find_imported(session, prefecture.id or 0, plan.sha256)):
        return plan
    return _check_survey(session, prefecture, plan.table, plan.choices, plan.questions)


def _check_survey(session: Session, prefecture: Prefecture, table: SurveyTable, choices: SurveyChoices,
                  questions: list[QuestionPlan] | None = None) -> SurveyPlan:
    """The plan of a survey table read from its file, against the préfecture's data (*questions*:
    their types already detected, when settling a plan: not redone in the write transaction)."""
    channel, year, period, overall, indicator = (choices.channel, choices.year, choices.period, choices.overall,
                                                 choices.indicator)
    plan = SurveyPlan(table.file_name, table.sha256, table, [], list(table.warnings), choices=choices)
    already = find_imported(session, prefecture.id or 0, table.sha256)
    if already is not None:
        plan.already_imported = already
        return plan
    log = IssueLog()
    plan.channel_guess = guess_channel(table.title, table.file_name, table.sheet)
    if channel is not None and channel not in SURVEY_CHANNELS:
        log.error(f"canal inconnu : « {channel} » (attendu : {', '.join(SURVEY_CHANNELS)})")
    plan.channel = channel if channel in SURVEY_CHANNELS else None
    if channel is None:
        plan.channel = plan.channel_guess
        if plan.channel is None:
            log.error("canal de l'enquête à préciser (accueil physique, téléphone, courriers-courriels, site internet, "
                      "point d'accueil numérique, collectivités ou autre) : ni le titre ni le nom du fichier ne le disent")
    _resolve_period(plan, table, year, period, log)
    _check_window(plan, log)
    plan.questions = questions if questions is not None else [
        QuestionPlan(q.position, q.column, q.text, detect_type(q.text, q.answers)) for q in table.questions]
    pid = prefecture.id or 0
    if plan.channel is not None:
        _choose_feed(session, pid, plan, overall, indicator, log)
    plan.errors = log.all_errors()
    plan.warnings.extend(log.warnings)
    if plan.ok and plan.channel is not None and plan.period_start is not None and plan.period_end is not None:
        plan.replaces = _active_overlapping(session, pid, plan.channel, plan.period_start, plan.period_end)
        plan.feed = _feed_plan(session, prefecture, plan)
    return plan


def _choose_feed(session: Session, prefecture_id: int, plan: SurveyPlan, overall: int | Auto | None,
                 indicator: str | Auto | None, log: IssueLog) -> None:
    rateable = [(q.position, q.text) for q in plan.questions if _rateable(q.type_key)]
    setting = _setting(session, prefecture_id, plan.channel or "")
    if overall == "auto":
        position = None
        if setting is not None and setting.question_text:
            position = match_question(setting.question_text, rateable)
        if position is None:
            position = next((p for p, text in rateable if is_overall_question(text)), None)
        plan.overall_position = position
    elif overall is None:
        plan.overall_position = None
    else:
        question = next((q for q in plan.questions if q.position == overall), None)
        if question is None:
            log.error(f"question n° {overall + 1} introuvable (le fichier en a {len(plan.questions)})")
            return
        if not _rateable(question.type_key):
            log.error(f"la question « {question.text} » ({type_label(question.type_key)}) ne donne pas de taux de "
                      "satisfaction : choisissez une question à échelle ou oui / non")
            return
        plan.overall_position = overall
    choices = _indicator_choices(session, prefecture_id)
    if indicator == "auto":
        code = setting.indicator_code if setting is not None and setting.indicator_code else DEFAULT_INDICATOR.get(
            plan.channel or "")
        plan.indicator_code = code if code in choices and plan.overall_position is not None else None
    elif indicator is None:
        plan.indicator_code = None
    else:
        code = indicator.strip().upper()
        if code not in choices:
            known = ", ".join(choices) or "aucun"
            log.error(f"l'indicateur {code} n'est pas un taux de satisfaction d'enquête de la préfecture "
                      f"(indicateurs possibles : {known})")
            return
        if plan.overall_position is None:
            log.error(f"pour alimenter {code}, choisissez la question de satisfaction générale de l'enquête")
            return
        plan.indicator_code = code
    if plan.overall_position is not None and plan.table is not None:
        question = plan.questions[plan.overall_position]
        answers = plan.table.questions[plan.overall_position].answers
        plan.overall_stats = scale_stats(_scale(question.type_key), answers)


def _feed_plan(session: Session, prefecture: Prefecture, plan: SurveyPlan) -> ImportPlan | None:
    """The catalogue values of the overall question, checked against what is stored (replacements)."""
    if plan.indicator_code is None or plan.overall_position is None or plan.table is None:
        return None
    ind = _indicator_choices(session, prefecture.id or 0)[plan.indicator_code]
    q = plan.table.questions[plan.overall_position]
    drafts = feed_drafts(ind, plan.questions[plan.overall_position].type_key, q.answers, plan.table.submitted,
                         plan.period_start, plan.period_end, plan.table.sheet, plan.table.header_row,  # type: ignore[arg-type]  # a plan with a table has its period dates
                         q.column)
    feed = ImportPlan(plan.file_name, plan.sha256, BATCH_KIND, drafts, [], [])
    if len(drafts):
        _plan_replacements(session, prefecture, feed)
    feed.prepared = None
    if plan.table.dated and not plan.table.all_dated and ind.frequency == "monthly":
        plan.warnings.append(Issue(WARNING, f"{plan.indicator_code} : des réponses sans date, donc une seule valeur "
                                            "pour toute la période de l'enquête (pas de valeur par mois)"))
    return feed


# --- saving -------------------------------------------------------------------------------------------

def _owned_observations(session: Session, survey_ids: Sequence[int]) -> list[Observation]:
    """Observations currently written by the feeds of these surveys."""
    if not survey_ids:
        return []
    batches = select(SurveyFeed.batch_id).where(col(SurveyFeed.survey_id).in_(list(survey_ids)))
    return list(session.exec(select(Observation).where(col(Observation.batch_id).in_(batches))))


def _retire(session: Session, prefecture_id: int, observations: Sequence[Observation], drafts: pd.DataFrame,
            batch: ImportBatch, indicator_ids: dict[str, int]) -> int:
    """Move to the history the survey values the new batch does not replace itself (another
    indicator, other months), so that the catalogue never keeps a replaced survey's figure;
    undoing *batch* puts them back. Returns how many were retired."""
    if not observations:
        return 0
    covered: set[tuple[int, dt.date]] = set()
    if len(drafts):
        keys = _month_keys(drafts.assign(indicator=drafts["indicator"].map(indicator_ids)), drafts["perimetre"])
        covered = {(int(i), m) for i, m in zip(keys["indicator"], keys["month"], strict=True)}
    conn = session.connection()
    retired = 0
    now = dt.datetime.now(dt.UTC)
    for obs in observations:
        months = []
        month = obs.period_start
        while month <= obs.period_end:
            months.append(month)
            month = add_months(month, 1)
        if any((obs.indicator_id, m) in covered for m in months):
            continue  # save_plan already moved it to the history
        if session.get(Observation, obs.id) is None:
            continue
        session.add(ObservationHistory(
            prefecture_id=prefecture_id, indicator_id=obs.indicator_id, perimetre_id=obs.perimetre_id,
            period_start=obs.period_start, period_end=obs.period_end, numerator=obs.numerator,
            denominator=obs.denominator, batch_id=obs.batch_id, replaced_by_batch_id=batch.id or 0, replaced_at=now,
            changed=True))
        conn.execute(delete(Observation).where(col(Observation.id) == obs.id))
        retired += 1
    session.flush()
    return retired


def _write_feed(session: Session, prefecture: Prefecture, feed: ImportPlan | None, file_name: str, sha256: str,
                user: str, warnings: Sequence[Issue], owned_by: Sequence[int]) -> ImportBatch:
    """One batch: the feed's values through the importer's save_plan, then the retirement of
    what the surveys *owned_by* fed and the new values do not cover."""
    drafts = feed.drafts if feed is not None else pd.DataFrame(columns=DRAFT_COLUMNS)
    owned = _owned_observations(session, owned_by)
    plan = ImportPlan(file_name, sha256, BATCH_KIND, drafts, [], list(warnings))
    outcome = save_plan(session, prefecture, plan, user, kind=BATCH_KIND)
    batch = outcome.batch
    assert batch is not None
    ids = {d.code: d.id for d in indicators_for(session, prefecture.id or 0)}
    retired = _retire(session, prefecture.id or 0, owned, drafts, batch, ids)
    if retired:
        batch.replaced += retired
        session.add(batch)
        session.flush()
    return batch


def save_survey(session: Session, prefecture: Prefecture, plan: SurveyPlan, user: str = "") -> SurveyOutcome:
    """Write an accepted plan inside the caller's transaction (see :func:`import_survey`)."""
    if not plan.ok:
        raise ImportRejected(plan.file_name, plan.errors)
    if plan.already_imported is not None:
        return SurveyOutcome(plan, None, None)
    table = plan.table
    assert table is not None and plan.channel and plan.year and plan.period_start and plan.period_end
    replaced = plan.replaces
    batch = _write_feed(session, prefecture, plan.feed, plan.file_name, plan.sha256, user, plan.warnings,
                        [s.id or 0 for s in replaced])
    for old in replaced:
        old.replaced_by_batch_id = batch.id
        session.add(old)
    metadata = {c.header: c.role for c in table.columns if c.role != "question"}
    survey = Survey(prefecture_id=prefecture.id or 0, batch_id=batch.id or 0, channel=plan.channel,
                    title=table.title[:300], year=plan.year, period_start=plan.period_start,
                    period_end=plan.period_end, period_source=plan.period_source, respondents=table.respondents,
                    file_name=plan.file_name, sha256=plan.sha256, sheet=table.sheet, header_row=table.header_row,
                    metadata_json=json.dumps(metadata, ensure_ascii=False))
    session.add(survey)
    session.flush()
    question_ids: dict[int, int] = {}
    for q in plan.questions:
        row = SurveyQuestion(survey_id=survey.id or 0, position=q.position, column=q.column, text=q.text,
                             detected_type=q.type_key, type_key=q.type_key, separator=q.detection.separator,
                             profile=q.detection.profile)
        session.add(row)
        session.flush()
        question_ids[q.position] = row.id or 0
    columns = [q.answers for q in table.questions]
    rows = [{"survey_id": survey.id or 0, "row": row_number, "submitted_at": table.submitted[i],
             "respondent_ref": str(table.respondent_refs[i])[:120] if table.respondent_refs[i] else None,
             "collection_channel": str(table.collection[i])[:120] if table.collection[i] else None,
             "answers_json": json.dumps([col[i] for col in columns], ensure_ascii=False)}
            for i, row_number in enumerate(table.rows)]
    conn = session.connection()
    for start in range(0, len(rows), 1000):  # Core executemany: the ORM's per-row work would dominate big surveys
        conn.execute(insert(SurveyResponse), rows[start:start + 1000])
    if plan.overall_position is not None:
        session.add(SurveyFeed(survey_id=survey.id or 0, batch_id=batch.id or 0,
                               question_id=question_ids[plan.overall_position], indicator_code=plan.indicator_code))
        _remember(session, prefecture.id or 0, plan.channel, plan.questions[plan.overall_position].text,
                  plan.indicator_code)
    batch.rows = len(plan.feed.drafts) if plan.feed is not None else 0
    batch.summary = plan.summary()
    session.add(batch)
    session.flush()
    return SurveyOutcome(plan, survey, batch)


def _remember(session: Session, prefecture_id: int, channel: str, question_text: str | None,
              indicator_code: str | None) -> None:
    setting = _setting(session, prefecture_id, channel) or SurveyChannelSetting(prefecture_id=prefecture_id,
                                                                                channel=channel)
    setting.question_text = question_text
    setting.indicator_code = indicator_code
    session.add(setting)
    session.flush()


def import_survey(engine: Engine, prefecture_id: int, file_name: str, data: bytes, *, channel: str | None = None,
                  year: int | None = None, period: tuple[dt.date, dt.date] | None = None,
                  overall: int | Auto | None = "auto", indicator: str | Auto | None = "auto",
                  sheet: str | None = None, user: str = "", dry_run: bool = False) -> SurveyOutcome:
    """Analyse and, unless *dry_run*, save a survey file in one transaction. Raises ImportRejected."""
    with session_scope(engine, write=not dry_run) as session:
        prefecture = session.get(Prefecture, prefecture_id)
        if prefecture is None:
            raise ValueError(f"préfecture inconnue : {prefecture_id}")
        plan = analyze_survey(session, prefecture, file_name, data, channel=channel, year=year, period=period,
                              overall=overall, indicator=indicator, sheet=sheet)
        if not plan.ok:
            raise ImportRejected(plan.file_name, plan.errors)
        if dry_run or plan.already_imported is not None:
            return SurveyOutcome(plan, None, None)
        return save_survey(session, prefecture, plan, user)


# --- changes after the import -------------------------------------------------------------------------

@dataclass
class FeedChange:
    """What choosing an overall question (or correcting its type) wrote."""

    batch: ImportBatch | None
    values: int = 0
    replaced: int = 0
    message: str = ""


def _refeed(session: Session, prefecture: Prefecture, survey: Survey, question: SurveyQuestion | None,
            indicator_code: str | None, user: str, reason: str) -> FeedChange:
    """A new batch holding the survey's catalogue values for *question* → *indicator_code*."""
    feed_plan: ImportPlan | None = None
    if question is not None and indicator_code is not None:
        ind = _indicator_choices(session, prefecture.id or 0)[indicator_code]
        responses = responses_of(session, survey.id or 0)
        answers = answers_by_question(responses, question.position + 1)[question.position]
        drafts = feed_drafts(ind, question.type_key, answers, [r.submitted_at for r in responses],
                             survey.period_start, survey.period_end, survey.sheet, survey.header_row, question.column)
        feed_plan = ImportPlan(survey.file_name, survey.sha256, BATCH_KIND, drafts, [], [])
    stamp = dt.datetime.now(dt.UTC).isoformat()
    digest = hashlib.sha256(f"{survey.sha256}|{reason}|{stamp}".encode()).hexdigest()
    batch = _write_feed(session, prefecture, feed_plan, f"{survey.file_name} — {reason}", digest, user, [],
                        [survey.id or 0])
    batch.rows = len(feed_plan.drafts) if feed_plan is not None else 0
    session.add(batch)
    session.add(SurveyFeed(survey_id=survey.id or 0, batch_id=batch.id or 0,
                           question_id=question.id if question is not None else None, indicator_code=indicator_code))
    if question is not None:
        _remember(session, prefecture.id or 0, survey.channel, question.text, indicator_code)
    session.flush()
    return FeedChange(batch, batch.rows, batch.replaced)


def set_overall_question(session: Session, prefecture_id: int, survey_id: int, question_id: int | None,
                         indicator_code: str | None, user: str = "") -> FeedChange:
    """Choose the overall satisfaction question and the indicator it feeds (remembered for the
    channel's next survey). Writes a batch, which the history can undo; nothing when unchanged."""
    survey = get_survey(session, prefecture_id, survey_id)
    prefecture = session.get(Prefecture, prefecture_id)
    assert prefecture is not None
    question = None
    if question_id is not None:
        question = session.get(SurveyQuestion, question_id)
        if question is None or question.survey_id != survey.id:
            raise SurveyError("question introuvable dans cette enquête")
        if not _rateable(question.type_key):
            raise SurveyError(f"« {question.text} » ({type_label(question.type_key)}) ne donne pas de taux de "
                              "satisfaction : choisissez une question à échelle ou oui / non")
    if indicator_code is not None:
        indicator_code = indicator_code.strip().upper()
        if indicator_code not in _indicator_choices(session, prefecture_id):
            raise SurveyError(f"l'indicateur {indicator_code} n'est pas un taux de satisfaction d'enquête")
        if question is None:
            raise SurveyError(f"pour alimenter {indicator_code}, choisissez la question de satisfaction générale")
    feed = current_feed(session, survey.id or 0)
    if feed is not None and feed.question_id == question_id and feed.indicator_code == indicator_code:
        return FeedChange(None, message="rien n'a changé")
    if feed is None and question_id is None and indicator_code is None:
        return FeedChange(None, message="rien n'a changé")
    what = "question générale : " + (f"colonne {question.column}" if question is not None else "aucune")
    change = _refeed(session, prefecture, survey, question, indicator_code, user, what)
    change.message = _feed_message(change, indicator_code)
    return change


def _feed_message(change: FeedChange, indicator_code: str | None) -> str:
    if change.batch is None:
        return "rien n'a changé"
    if indicator_code is None:
        return (f"lot n° {change.batch.id} : plus aucun indicateur alimenté par cette enquête "
                f"({count_text(change.replaced, 'valeur retirée', 'valeurs retirées')}, "
                f"{plural(change.replaced, 'rétablie', 'rétablies')} si le lot est annulé)")
    return (f"lot n° {change.batch.id} : {count_text(change.values, 'valeur')} de {indicator_code} "
            f"{plural(change.values, 'enregistrée', 'enregistrées')}, {count_text(change.replaced, 'remplacée')}")


def set_question_type(session: Session, prefecture_id: int, survey_id: int, question_id: int, type_key: str,
                      user: str = "") -> FeedChange | None:
    """Correct a question's type (checked against its answers). When the question feeds the
    catalogue, its values are written again (a batch); when it can no longer give a rate, the
    survey stops feeding. Returns the feed change, if any."""
    survey = get_survey(session, prefecture_id, survey_id)
    question = session.get(SurveyQuestion, question_id)
    if question is None or question.survey_id != survey.id:
        raise SurveyError("question introuvable dans cette enquête")
    if question.type_key == type_key:
        return None
    responses = responses_of(session, survey.id or 0)
    answers = answers_by_question(responses, question.position + 1)[question.position]
    problem = type_problem(type_key, answers, question.text)
    if problem is not None:
        raise SurveyError(f"« {question.text} » ne peut pas être « {type_label(type_key)} » : {problem}")
    question.type_key = type_key
    question.separator = separator_for(type_key, answers) if type_key == "multiple" else question.separator
    session.add(question)
    session.flush()
    feed = current_feed(session, survey.id or 0)
    if feed is None or feed.question_id != question.id:
        return None
    prefecture = session.get(Prefecture, prefecture_id)
    assert prefecture is not None
    if _rateable(type_key):
        change = _refeed(session, prefecture, survey, question, feed.indicator_code, user,
                         f"type corrigé (colonne {question.column})")
        change.message = _feed_message(change, feed.indicator_code)
    else:
        change = _refeed(session, prefecture, survey, None, None, user, f"type corrigé (colonne {question.column})")
        change.message = _feed_message(change, None)
    return change


def undo_survey(session: Session, prefecture_id: int, survey_id: int, user: str = "") -> int:
    """Undo a survey's batches (newest first, its file last) and delete its answers and themes.

    Raises :class:`UndoError` when a later batch replaced its values. Returns values restored.
    """
    survey = get_survey(session, prefecture_id, survey_id)
    feeds = list(session.exec(select(SurveyFeed).where(SurveyFeed.survey_id == survey.id)
                              .order_by(col(SurveyFeed.id).desc())))
    batch_ids = [f.batch_id for f in feeds if f.batch_id != survey.batch_id] + [survey.batch_id]
    restored = 0
    for batch_id in dict.fromkeys(batch_ids):
        batch = session.get(ImportBatch, batch_id)
        if batch is not None and batch.status == "imported":
            restored += undo_batch(session, prefecture_id, batch_id, user=user)
    survey_key = survey.id or 0
    for model in (SurveyCommentTag, SurveyFeed, SurveyResponse):
        session.exec(delete(model).where(col(model.survey_id) == survey_key))
    session.exec(delete(SurveyQuestion).where(col(SurveyQuestion.survey_id) == survey_key))
    session.delete(survey)
    session.flush()
    return restored


def feed_description(session: Session, survey: Survey) -> str:
    """« alimente ACCUEIL_SATISFACTION (colonne H) » or « n'alimente aucun indicateur »."""
    feed = current_feed(session, survey.id or 0)
    if feed is None or feed.indicator_code is None:
        return "n'alimente aucun indicateur"
    question = session.get(SurveyQuestion, feed.question_id) if feed.question_id else None
    where = f" (colonne {question.column})" if question is not None else ""
    return f"alimente {feed.indicator_code}{where}"


def months_text(start: dt.date, end: dt.date) -> str:
    a, b = month_start(start), month_start(end)
    return month_label_fr(a) if a == b else f"{month_label_fr(a)} – {month_label_fr(b)}"

