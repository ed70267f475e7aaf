"""Tables of the surveys module: satisfaction surveys, their answers and comment themes, the
question that feeds the catalogue, and mystery checks.

Design choices that matter for correctness:

* A survey belongs to the :class:`~qep_core.models.ImportBatch` of its file. Whether it is shown is
  *derived*, never stored: a survey counts while its batch is imported and it has not been
  replaced by a later batch that is itself still imported. Undoing a batch from any page (the
  Import page's history included) therefore brings the right survey back without extra code.
* Which question feeds the catalogue is a :class:`SurveyFeed` row tied to the batch that wrote
  the observations; the current choice is the latest feed whose batch is imported. Undoing a
  "new overall question" batch puts back both the old observations and the old choice.
* Answers are kept per respondent (one JSON list aligned with the questions), so cross-tabs can
  be computed at any time. Columns that name a person (e-mail, name, IP address) are never
  stored at all.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qep_core.models import utcnow


class Survey(SQLModel, table=True):
    __tablename__ = "survey"
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True)
    channel: str = Field(max_length=30)  # see qep_core.surveys.channels.SURVEY_CHANNELS
    title: str
    year: int
    period_start: dt.date
    period_end: dt.date
    period_source: str = Field(default="dates", max_length=10)  # dates | user
    respondents: int = 0
    file_name: str
    sha256: str = Field(max_length=64)
    sheet: str = Field(default="", max_length=120)
    header_row: int = 1  # 1-based, as Excel numbers rows
    metadata_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    replaced_by_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class SurveyQuestion(SQLModel, table=True):
    __tablename__ = "survey_question"
    __table_args__ = (UniqueConstraint("survey_id", "position", name="uq_survey_question"),)
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    position: int  # 0-based, order of the questions in the file
    column: str = Field(max_length=8)  # Excel letter of the column
    text: str = Field(sa_column=Column(Text, nullable=False))
    detected_type: str = Field(max_length=40)  # type key, e.g. "scale:satisfaction4", "multiple", "text"
    type_key: str = Field(max_length=40)  # the type in force (the user's correction, or the detected one)
    separator: str | None = Field(default=None, max_length=3)  # multiple choice: ";", "|" or ","
    profile: bool = False  # a profile question (age band, reason for visit) suggested for cross-tabs


class SurveyResponse(SQLModel, table=True):
    __tablename__ = "survey_response"
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    row: int  # 1-based row of the file
    # local time as the tool wrote it (no zone): the day is what counts
    submitted_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=False), nullable=True))
    respondent_ref: str | None = Field(default=None, max_length=120)
    collection_channel: str | None = Field(default=None, max_length=120)  # "tablette", "site internet"…
    answers_json: str = Field(sa_column=Column(Text, nullable=False))  # list of texts, "" for no answer


class SurveyCommentTag(SQLModel, table=True):
    """A theme given to one comment (one free-text answer of one respondent)."""

    __tablename__ = "survey_comment_tag"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id", "theme", name="uq_survey_comment_tag"),
        Index("ix_survey_comment_tag_survey", "survey_id", "theme"),
    )
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id")
    response_id: int = Field(foreign_key="survey_response.id")
    question_id: int = Field(foreign_key="survey_question.id")
    theme: str = Field(max_length=80)


class SurveyFeed(SQLModel, table=True):
    """The overall satisfaction question of a survey and the indicator it feeds, as written by a batch."""

    __tablename__ = "survey_feed"
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True)
    question_id: int | None = Field(default=None, foreign_key="survey_question.id")
    indicator_code: str | None = Field(default=None, max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow)


class SurveyChannelSetting(SQLModel, table=True):
    """What the user chose for a channel, remembered for next year's survey of that channel."""

    __tablename__ = "survey_channel_setting"
    __table_args__ = (UniqueConstraint("prefecture_id", "channel", name="uq_survey_channel_setting"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id")
    channel: str = Field(max_length=30)
    question_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    indicator_code: str | None = Field(default=None, max_length=60)


class MysteryCriterion(SQLModel, table=True):
    __tablename__ = "mystery_criterion"
    __table_args__ = (UniqueConstraint("prefecture_id", "channel", "label", name="uq_mystery_criterion"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    channel: str = Field(max_length=20)  # appel | courriel | visite
    label: str = Field(max_length=300)
    position: int = 0


class MysteryCheck(SQLModel, table=True):
    """One mystery call, e-mail or visit, scored criterion by criterion."""

    __tablename__ = "mystery_check"
    __table_args__ = (Index("ix_mystery_check_lookup", "prefecture_id", "channel", "checked_on"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id")
    channel: str = Field(max_length=20)
    checked_on: dt.date
    target: str = Field(default="", max_length=200)  # service, number called, mailbox
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True)  # None: typed in the app
    sheet: str = Field(default="", max_length=120)
    row: int = 0
    entered_by: str = Field(default="", max_length=120)
    created_at: dt.datetime = Field(default_factory=utcnow)


class MysteryScore(SQLModel, table=True):
    __tablename__ = "mystery_score"
    __table_args__ = (UniqueConstraint("check_id", "criterion_id", name="uq_mystery_score"),)
    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="mystery_check.id", index=True)
    criterion_id: int = Field(foreign_key="mystery_criterion.id")
    result: str = Field(max_length=8)  # met | not_met | na
