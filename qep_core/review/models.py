"""Tables of the quarterly COPIL review (registered in :mod:`qep_core.db`).

A review is open while the quality team prepares the meeting (comments, decided actions); once
the COPIL has met it is *frozen*: ``snapshot_json`` then holds the quarter's figures, comments and
actions exactly as they were discussed, and later imports (a corrected file, a late month) change
the live figures but never the minutes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qep_core.models import utcnow

REVIEW_OPEN = "ouverte"
REVIEW_FROZEN = "figée"


class QuarterReview(SQLModel, table=True):
    __tablename__ = "quarter_review"
    __table_args__ = (UniqueConstraint("prefecture_id", "year", "quarter", name="uq_quarter_review"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    year: int
    quarter: int
    status: str = Field(default=REVIEW_OPEN, max_length=12)
    meeting_date: dt.date | None = None
    frozen_at: dt.datetime | None = None
    frozen_by: str = Field(default="", max_length=120)
    snapshot_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    analysis: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # the COPIL's general analysis
    attendees: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # as typed, one per line
    created_at: dt.datetime = Field(default_factory=utcnow)


class ReviewComment(SQLModel, table=True):
    """The COPIL's analysis of one indicator for the quarter."""

    __tablename__ = "review_comment"
    __table_args__ = (UniqueConstraint("review_id", "indicator_code", name="uq_review_comment"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="quarter_review.id", index=True)
    indicator_code: str = Field(max_length=60)
    text: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=120)


class ReviewAction(SQLModel, table=True):
    """An action the COPIL decided. ``action_id`` will point at the action plan's item once linked."""

    __tablename__ = "review_action"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="quarter_review.id", index=True)
    indicator_code: str | None = Field(default=None, max_length=60)
    text: str = Field(sa_column=Column(Text, nullable=False))
    owner: str = Field(default="", max_length=200)
    due_date: dt.date | None = None
    action_id: int | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
