"""A stored survey counted question by question, against last year's survey of the same channel.

Plain dataclasses (no database objects) so the pages can cache them and the exports can use them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from qep_core.surveys.channels import channel_label
from qep_core.surveys.models import Survey, SurveyQuestion
from qep_core.surveys.questions import detect_type, type_label
from qep_core.surveys.reading import SurveyTable
from qep_core.surveys.service import (
    _rateable,
    answers_by_question,
    current_feed,
    get_survey,
    match_question,
    previous_survey,
    questions_of,
    responses_of,
)
from qep_core.surveys.stats import CrossTab, QuestionStats, RateComparison, compare_rates, cross_tab, question_stats


@dataclass(frozen=True)
class SurveyInfo:
    id: int
    channel: str
    title: str
    year: int
    period_start: dt.date
    period_end: dt.date
    period_source: str
    respondents: int
    file_name: str
    batch_id: int

    @property
    def channel_label(self) -> str:
        return channel_label(self.channel)

    @property
    def label(self) -> str:
        return f"{self.year} — {self.channel_label} — {self.title}"


@dataclass(frozen=True)
class QuestionInfo:
    id: int
    position: int
    column: str
    text: str
    type_key: str
    detected_type: str
    separator: str | None
    profile: bool

    @property
    def type_label(self) -> str:
        return type_label(self.type_key)

    @property
    def corrected(self) -> bool:
        return self.type_key != self.detected_type

    @property
    def rateable(self) -> bool:
        return _rateable(self.type_key)


@dataclass
class QuestionResult:
    info: QuestionInfo
    stats: QuestionStats
    previous: QuestionStats | None = None  # the same question in last year's survey
    previous_text: str | None = None
    comparison: RateComparison | None = None
    is_overall: bool = False


@dataclass
class SurveyResults:
    survey: SurveyInfo
    previous: SurveyInfo | None
    questions: list[QuestionResult]
    answers: list[list[str]]  # per question position, one entry per respondent (raw: may hold personal data)
    indicator_code: str | None = None
    overall_position: int | None = None
    collection: list[str | None] = field(default_factory=list)

    @property
    def overall(self) -> QuestionResult | None:
        return next((q for q in self.questions if q.is_overall), None)

    def question(self, position: int) -> QuestionResult:
        return self.questions[position]

    def cross_tab(self, position: int, by_position: int) -> CrossTab:
        """Question *position* broken down by the answers to question *by_position*."""
        q, by = self.questions[position].info, self.questions[by_position].info
        return cross_tab(q.text, q.type_key, self.answers[position], by.text, by.type_key, self.answers[by_position],
                         q.separator)


def survey_info(survey: Survey) -> SurveyInfo:
    return SurveyInfo(survey.id or 0, survey.channel, survey.title, survey.year, survey.period_start,
                      survey.period_end, survey.period_source, survey.respondents, survey.file_name, survey.batch_id)


def question_info(q: SurveyQuestion) -> QuestionInfo:
    return QuestionInfo(q.id or 0, q.position, q.column, q.text, q.type_key, q.detected_type, q.separator, q.profile)


def _counted(questions: Sequence[QuestionInfo], answers: list[list[str]]) -> list[QuestionStats]:
    return [question_stats(q.position, q.column, q.text, q.type_key, answers[q.position], q.separator)
            for q in questions]


def survey_results(session: Session, prefecture_id: int, survey_id: int) -> SurveyResults:
    """Every question counted; scale and yes/no questions compared with last year's same question."""
    survey = get_survey(session, prefecture_id, survey_id)
    questions = [question_info(q) for q in questions_of(session, survey.id or 0)]
    responses = responses_of(session, survey.id or 0)
    answers = answers_by_question(responses, len(questions))
    stats = _counted(questions, answers)
    feed = current_feed(session, survey.id or 0)
    overall_id = feed.question_id if feed is not None else None
    results = [QuestionResult(q, s, is_overall=q.id == overall_id) for q, s in zip(questions, stats, strict=True)]
    before = previous_survey(session, survey)
    if before is not None:
        old_questions = [question_info(q) for q in questions_of(session, before.id or 0)]
        old_answers = answers_by_question(responses_of(session, before.id or 0), len(old_questions))
        old_feed = current_feed(session, before.id or 0)
        rateable = [(q.position, q.text) for q in old_questions if q.rateable]
        for result in results:
            if not result.info.rateable or result.stats.scale is None:
                continue
            position = match_question(result.info.text, rateable)
            if position is None and result.is_overall and old_feed is not None and old_feed.question_id:
                position = next((q.position for q in old_questions if q.id == old_feed.question_id), None)
            if position is None:
                continue
            old = old_questions[position]
            old_stats = question_stats(old.position, old.column, old.text, old.type_key, old_answers[position],
                                       old.separator)
            if old_stats.scale is None:
                continue
            result.previous = old_stats
            result.previous_text = old.text
            result.comparison = compare_rates(result.stats.scale.satisfied, result.stats.scale.expressed,
                                              old_stats.scale.satisfied, old_stats.scale.expressed)
    overall = next((r for r in results if r.is_overall), None)
    return SurveyResults(survey_info(survey), survey_info(before) if before else None, results, answers,
                         feed.indicator_code if feed is not None else None,
                         overall.info.position if overall else None, [r.collection_channel for r in responses])


def table_results(table: SurveyTable, type_keys: Sequence[str] | None = None,
                  separators: Sequence[str | None] | None = None) -> list[QuestionStats]:
    """A file read but not stored (CLI ``survey FILE``): every question counted with its detected type."""

    out = []
    for i, q in enumerate(table.questions):
        detection = detect_type(q.text, q.answers)
        key = type_keys[i] if type_keys is not None else detection.type_key
        sep = separators[i] if separators is not None else detection.separator
        out.append(question_stats(q.position, q.column, q.text, key, q.answers, sep))
    return out
