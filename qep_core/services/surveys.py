"""Satisfaction surveys: what the "Enquêtes" page reads and every change it makes.

Read models are cut to the principal: a survey belongs to its préfecture; free-text answers never
travel with the results (the comments are their own read model, refused to the users' committee
and masked for anyone without ``read_personal``); answers and collection modes that do travel
(for cross-tabs) are masked for anyone without ``read_personal``.

Writes need ``import``, as on the page since the surveys existed (the référent(e) qualité): a
survey is préfecture-wide data (its overall question feeds the préfecture's indicator, not a
service's), so a contributor, whose imports are limited to its own périmètres, is refused like any
import outside them. Each write records its change-history line in its own transaction; an import
(or a new choice of the overall question, which is a batch) records the import's line through the
importer's ledger.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from qep_core.compute import IndicatorResult
from qep_core.frenchforms import count_text
from qep_core.importing import ImportRejected, UndoError
from qep_core.models import Engagement, Prefecture
from qep_core.prefectures import whole_prefecture
from qep_core.privacy import mask_personal_data
from qep_core.referentiel import IndicatorDef
from qep_core.services._bounded import accepted, analysed, settled
from qep_core.services._unit import Actor, Unit, file_refusal, operation, refusing, unit
from qep_core.surveys import comments as comments_core
from qep_core.surveys import service as core
from qep_core.surveys import tables
from qep_core.surveys.channels import (
    LISTENING_ENGAGEMENTS,
    MYSTERY_REFERENTIEL_CHANNEL,
    REFERENTIEL_CHANNEL,
    SURVEY_CHANNELS,
    channel_label,
)
from qep_core.surveys.charts import choice_chart, number_chart, pct, rate_text, scale_chart, wrap
from qep_core.surveys.comments import export_frame, search_comments, theme_counts
from qep_core.surveys.models import SurveyQuestion
from qep_core.surveys.questions import CATEGORICAL_TYPES, TYPE_LABELS, type_label
from qep_core.surveys.reading import ROLE_LABELS
from qep_core.surveys.results import SurveyInfo, SurveyResults, survey_info
from qep_core.surveys.results import survey_results as _survey_results
from qep_core.surveys.service import FeedChange, SurveyError, SurveyOutcome, SurveyPlan, period_text
from qep_core.surveys.stats import YES_NO_SCALE, CrossTab, QuestionStats, RateComparison, ScaleStats
from qep_core.surveys.summary import MysterySummary, SurveySummary, mystery_summaries, survey_summaries
from qep_core.surveys.tables import cross_tab_table, distribution_table, synthesis_table

__all__ = [
    "CATEGORICAL_TYPES", "LISTENING_ENGAGEMENTS", "MYSTERY_REFERENTIEL_CHANNEL", "REFERENTIEL_CHANNEL", "ROLE_LABELS",
    "SURVEY_CHANNELS", "TYPE_LABELS", "YES_NO_SCALE", "CrossTab", "Engagement", "FeedChange", "ImportRejected",
    "IndicatorDef", "IndicatorResult", "MysterySummary", "QuestionStats", "RateComparison", "ScaleStats", "SurveyError", "SurveyInfo",
    "SurveyOutcome", "SurveyPlan", "SurveyResults", "SurveySummary", "UndoError", "analyse_import", "can_edit",
    "channel_label", "choice_chart", "comment_themes", "comments", "cross_tab_table", "distribution_table",
    "export_frame", "import_survey", "list_surveys", "mask_personal_data", "number_chart", "pct", "period_text",
    "rate_indicators", "rate_text", "results", "results_workbook", "save_comment_themes", "scale_chart",
    "search_comments", "set_overall_question", "set_question_type", "suggest_comment_themes", "summaries",
    "synthesis_table", "theme_counts", "type_label", "undo_survey", "version", "wrap",
]

#: What changing a survey needs (the page's editor tabs).
EDIT = "import"


def can_edit(actor: Actor) -> bool:
    """Whether the principal may change surveys: the ``import`` right over the whole préfecture
    (not a contributor, limited to its périmètres). For the page to offer the controls; every
    write checks again."""
    return actor.principal.can(EDIT) and actor.principal.perimetre_ids is None


def prefecture_wide(work: Unit, prefecture_id: int) -> Prefecture:
    """The préfecture, once the principal is known to cover all of it (surveys and mystery
    checks are préfecture-wide data: a contributor's périmètres do not cover them)."""
    whole = whole_prefecture(work.session, prefecture_id)
    work.check_perimetres([whole.id or 0], {whole.id or 0: whole.name})
    prefecture = work.session.get(Prefecture, prefecture_id)
    if prefecture is None:
        raise SurveyError(f"préfecture inconnue : {prefecture_id}")
    return prefecture


# --- read models ---------------------------------------------------------------------------------

@operation("read", writes=False)
def version(actor: Actor, prefecture_id: int) -> str:
    """Changes whenever anything shown about the préfecture's surveys or mystery checks changes
    (the pages' cache key)."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        return core.survey_version(work.session, prefecture_id)


@operation("read", writes=False)
def list_surveys(actor: Actor, prefecture_id: int) -> list[SurveyInfo]:
    """The préfecture's surveys that count (imported, not replaced), newest year first."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        return [survey_info(s) for s in core.active_surveys(work.session, prefecture_id)]


def _masked_lists(values: list[list[str]]) -> list[list[str]]:
    cache: dict[str, str] = {}
    return [[cache.setdefault(v, mask_personal_data(v)) if v else v for v in column] for column in values]


@operation("read", writes=False)
def results(actor: Actor, prefecture_id: int, survey_id: int) -> SurveyResults:
    """Every question counted against last year's survey of the channel (rates, counts, Wilson
    intervals), with the answers the cross-tabs need. No free-text answer is included (see
    :func:`comments`); the other answers are masked unless the principal may read personal data,
    and the collection modes are left out for a public-only principal."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        res = _survey_results(work.session, prefecture_id, survey_id)
    answers = [[""] * len(column) if q.info.type_key == "text" else column
               for q, column in zip(res.questions, res.answers, strict=True)]
    collection: list[str | None] = list(res.collection)
    if not actor.principal.can("read_personal"):
        answers = _masked_lists(answers)
        collection = [mask_personal_data(c) if c else c for c in collection]
    if actor.principal.public_only:
        collection = [None] * len(collection)
    return dataclasses.replace(res, answers=answers, collection=collection)


@operation("read", writes=False)
def results_workbook(actor: Actor, prefecture_id: int, survey_id: int) -> bytes:
    """The results download (.xlsx): a synthesis sheet and one sheet per question, as shown on the
    page to every reader; no comment, no personal data."""
    return tables.results_workbook(results(actor, prefecture_id, survey_id))


@operation("read_detail", writes=False)
def comments(actor: Actor, prefecture_id: int, survey_id: int) -> pd.DataFrame:
    """The survey's free-text answers with their themes: as written for a principal who may read
    personal data, masked for everyone else; refused to a public-only principal (no free text)."""
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        return comments_core.comments_frame(work.session, prefecture_id, survey_id,
                                            masked=not actor.principal.can("read_personal"))


@operation("read_detail", writes=False)
def comment_themes(actor: Actor, prefecture_id: int) -> list[str]:
    """The themes offered for tagging: the default ones and every theme the préfecture used."""
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        return comments_core.themes_in_use(work.session, prefecture_id)


@operation("read", writes=False)
def summaries(actor: Actor, prefecture_id: int, year: int) -> tuple[list[SurveySummary], list[MysterySummary]]:
    """The year's survey and mystery-check results as counts and rates only (public-safe)."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        return survey_summaries(work.session, prefecture_id, year), mystery_summaries(work.session, prefecture_id, year)


@operation("read", writes=False)
def rate_indicators(actor: Actor, prefecture_id: int) -> list[IndicatorDef]:
    """The indicators a survey can feed: the catalogue's survey rates and the préfecture's own."""
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        return core.survey_rate_indicators(work.session, prefecture_id)


# --- importing -----------------------------------------------------------------------------------

def whole_prefecture_first(actor: Actor, action: str, prefecture_id: int) -> None:
    """Refuse a principal that does not cover the whole préfecture before its file is read (a
    short read transaction; the write transaction checks again)."""
    with unit(actor, action, prefecture_id=prefecture_id) as work:
        prefecture_wide(work, prefecture_id)


@operation(EDIT, writes=False)
def analyse_import(actor: Actor, prefecture_id: int, file_name: str, data: bytes, *, channel: str | None = None,
                   year: int | None = None, period: tuple[dt.date, dt.date] | None = None,
                   overall: int | core.Auto | None = "auto", indicator: str | core.Auto | None = "auto",
                   sheet: str | None = None) -> SurveyPlan:
    """What a survey export would add (questions, period, feed, replacements). Writes nothing; the
    file is read in the bounded child (:mod:`qep_core.services._bounded`)."""
    whole_prefecture_first(actor, EDIT, prefecture_id)
    plan: SurveyPlan = analysed(actor, prefecture_id, "enquete", file_name, data, channel=channel, year=year,
                                period=period, overall=overall, indicator=indicator, sheet=sheet)
    return plan


@operation(EDIT, writes=True)
def import_survey(actor: Actor, prefecture_id: int, file_name: str, data: bytes, *, channel: str | None = None,
                  year: int | None = None, period: tuple[dt.date, dt.date] | None = None,
                  overall: int | core.Auto | None = "auto", indicator: str | core.Auto | None = "auto",
                  sheet: str | None = None, dry_run: bool = False) -> SurveyOutcome:
    """Read the export in the bounded child, outside any transaction, then, unless *dry_run*, check
    it again against the database and save it in one short transaction with its import line in
    the history. Raises :class:`ImportRejected` (nothing written) when the file is refused; a file
    already imported changes nothing."""
    plan = accepted(analyse_import(actor, prefecture_id, file_name, data, channel=channel, year=year, period=period,
                                   overall=overall, indicator=indicator, sheet=sheet))
    if dry_run:
        return SurveyOutcome(plan, None, None)
    with refusing(file_refusal(file_name)), unit(actor, EDIT, prefecture_id=prefecture_id, write=True) as work:
        prefecture = prefecture_wide(work, prefecture_id)
        plan = settled(work.session, prefecture_id, "enquete", plan)
        if plan.already_imported is not None:
            return SurveyOutcome(plan, None, None)
        return core.save_survey(work.session, prefecture, plan, actor.principal.author)


@operation(EDIT, writes=True)
def undo_survey(actor: Actor, prefecture_id: int, survey_id: int) -> int:
    """Withdraw a survey: its batches undone (the values they replaced come back), its answers and
    themes deleted. Returns how many earlier values were restored. Raises :class:`UndoError` when a
    later import replaced its values."""
    with unit(actor, EDIT, prefecture_id=prefecture_id, write=True) as work:
        prefecture_wide(work, prefecture_id)
        survey = core.get_survey(work.session, prefecture_id, survey_id)
        before = {"enquête": survey_id, "répondants": survey.respondents, "fichier": survey.file_name}
        entity = f"enquête n° {survey_id} — {survey.file_name}"
        summary = f"enquête « {survey.title} » ({survey.year}) retirée, réponses supprimées"
        restored = core.undo_survey(work.session, prefecture_id, survey_id, actor.principal.author)
        work.record("survey", entity, summary, before=before)
        return restored


# --- corrections ---------------------------------------------------------------------------------

@operation(EDIT, writes=True)
def set_question_type(actor: Actor, prefecture_id: int, survey_id: int, question_id: int,
                      type_key: str) -> FeedChange | None:
    """Correct a question's type (checked against its answers; :class:`SurveyError` otherwise).
    When the question feeds an indicator its values are written again (a batch). Returns that
    feed change, if any."""
    with unit(actor, EDIT, prefecture_id=prefecture_id, write=True) as work:
        prefecture_wide(work, prefecture_id)
        core.get_survey(work.session, prefecture_id, survey_id)
        question = work.session.get(SurveyQuestion, question_id)
        before = question.type_key if question is not None else None
        change = core.set_question_type(work.session, prefecture_id, survey_id, question_id, type_key,
                                        actor.principal.author)
        if question is not None and before != type_key:
            work.record("survey", f"enquête n° {survey_id} — colonne {question.column}",
                        f"type de « {question.text} » : {type_label(before or '')} → {type_label(type_key)}",
                        before={"type": before}, after={"type": type_key})
        return change


@operation(EDIT, writes=True)
def set_overall_question(actor: Actor, prefecture_id: int, survey_id: int, question_id: int | None,
                         indicator_code: str | None) -> FeedChange:
    """Choose the overall satisfaction question and the indicator it feeds (remembered for the
    channel's next survey): a batch, with its line in the history, that the Import page can undo;
    nothing when unchanged."""
    with unit(actor, EDIT, prefecture_id=prefecture_id, write=True) as work:
        prefecture_wide(work, prefecture_id)
        return core.set_overall_question(work.session, prefecture_id, survey_id, question_id, indicator_code,
                                         actor.principal.author)


@operation(EDIT, writes=True)
def save_comment_themes(actor: Actor, prefecture_id: int, survey_id: int,
                        changes: list[tuple[int, int, list[str]]]) -> int:
    """Replace the themes of several comments (response, question, themes); returns how many."""
    with unit(actor, EDIT, prefecture_id=prefecture_id, write=True) as work:
        prefecture_wide(work, prefecture_id)
        kept = comments_core.save_themes(work.session, prefecture_id, survey_id, changes)
        if kept:
            work.record("survey", f"enquête n° {survey_id} — thèmes", f"thèmes de {count_text(len(kept), 'commentaire')}",
                        after={"commentaires": [{"réponse": r, "question": q, "thèmes": t} for r, q, t in kept]})
        return len(kept)


@operation(EDIT, writes=True)
def suggest_comment_themes(actor: Actor, prefecture_id: int, survey_id: int) -> int:
    """Give every comment without a theme the themes its words suggest; returns how many."""
    with unit(actor, EDIT, prefecture_id=prefecture_id, write=True) as work:
        prefecture_wide(work, prefecture_id)
        tagged = comments_core.suggest_for_untagged(work.session, prefecture_id, survey_id)
        if tagged:
            work.record("survey", f"enquête n° {survey_id} — thèmes",
                        f"thèmes proposés pour {count_text(tagged, 'commentaire')} d'après leurs mots")
        return tagged
