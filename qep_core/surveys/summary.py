"""Survey and mystery-check results of a préfecture's year as plain data, for exports and slides.

Only counts, rates and intervals: no comment, no answer of a respondent, no choice label typed by
a respondent leaves through here, so nothing personal can reach the users' committee (CLU) this way.

    from qep_core.surveys.summary import survey_summaries
    with session_scope(engine) as session:
        for s in survey_summaries(session, prefecture_id, 2024):
            print(s.channel_label, s.respondents, [(q.question, q.satisfaction_rate) for q in s.scales])
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from qep_core.surveys.channels import MYSTERY_CHANNELS, channel_label
from qep_core.surveys.mystery import channel_results, checks_frame, criterion_results
from qep_core.surveys.questions import type_label
from qep_core.surveys.results import survey_results
from qep_core.surveys.service import active_surveys


@dataclass(frozen=True)
class ScaleSummary:
    """One scale (or yes/no) question of a survey: its rate and last year's."""

    position: int  # 1-based, as in the file
    question: str
    type: str  # type key, e.g. "scale:satisfaction4"
    type_label: str
    satisfaction_rate: float | None  # %, satisfied / expressed
    satisfied: int
    expressed: int
    excluded: int  # blanks, « sans avis », « ne sait pas », « non concerné »
    ci_low: float | None  # %, Wilson 95 %
    ci_high: float | None
    previous_rate: float | None  # %, same question in last year's survey of the channel
    previous_expressed: int | None
    change: float | None  # points
    change_low: float | None  # points, Newcombe 95 %
    change_high: float | None
    change_significant: bool | None
    is_overall: bool  # the question that feeds the catalogue


@dataclass(frozen=True)
class SurveySummary:
    survey_id: int
    channel: str
    channel_label: str
    title: str
    year: int
    period_start: dt.date
    period_end: dt.date
    respondents: int
    indicator_code: str | None  # the catalogue indicator its overall question feeds
    previous_year: int | None
    previous_respondents: int | None
    scales: tuple[ScaleSummary, ...]

    @property
    def overall(self) -> ScaleSummary | None:
        return next((q for q in self.scales if q.is_overall), None)


@dataclass(frozen=True)
class MysterySummary:
    channel: str
    channel_label: str
    year: int
    checks: int
    rate: float | None  # % of criteria met among criteria scored
    ci_low: float | None
    ci_high: float | None
    fully_met: int  # checks with every applicable criterion met
    criteria: tuple[tuple[str, float | None, int], ...]  # (criterion, rate %, checks scored)


def survey_summaries(session: Session, prefecture_id: int, year: int) -> list[SurveySummary]:
    """Every survey of *year* that counts (imported, not replaced), with its scale questions."""
    out = []
    for survey in active_surveys(session, prefecture_id, year):
        results = survey_results(session, prefecture_id, survey.id or 0)
        scales = []
        for q in results.questions:
            stats = q.stats.scale
            if stats is None:
                continue
            ci = stats.ci_pct
            previous = q.previous.scale if q.previous is not None else None
            comparison = q.comparison
            scales.append(ScaleSummary(
                q.info.position + 1, q.info.text, q.info.type_key, type_label(q.info.type_key), stats.rate_pct,
                stats.satisfied, stats.expressed, stats.excluded, ci[0] if ci else None, ci[1] if ci else None,
                previous.rate_pct if previous else None, previous.expressed if previous else None,
                comparison.difference if comparison else None, comparison.low if comparison else None,
                comparison.high if comparison else None, comparison.significant if comparison else None,
                q.is_overall))
        before = results.previous
        out.append(SurveySummary(
            survey.id or 0, survey.channel, channel_label(survey.channel), survey.title, survey.year,
            survey.period_start, survey.period_end, survey.respondents, results.indicator_code,
            before.year if before else None, before.respondents if before else None, tuple(scales)))
    return out


def mystery_summaries(session: Session, prefecture_id: int, year: int) -> list[MysterySummary]:
    """Mystery checks of *year* per channel: criteria met, checks without any failing."""
    frame = checks_frame(session, prefecture_id, year)
    by_criterion = criterion_results(frame)
    out = []
    for result in channel_results(frame, "year"):
        ci = result.ci
        out.append(MysterySummary(
            result.channel, MYSTERY_CHANNELS.get(result.channel, result.channel), int(result.period), result.checks,
            result.rate, ci[0] if ci else None, ci[1] if ci else None, result.fully_met,
            tuple((c.criterion, c.rate, c.scored) for c in by_criterion if c.channel == result.channel)))
    return out
