"""The table of the monthly collection: what each périmètre supplies.

Kept apart from the rules (like :mod:`qep_core.signals.models`) so that registering the schema
(:mod:`qep_core.tables`) imports nothing but the models.

:class:`CollectionSource` — one row per périmètre that sends figures: the indicator codes it
supplies (comma-separated, in the order given), its contacts (JSON list of ``{"name", "email"}``:
the addresses a reminder goes to, :func:`qep_core.mail.send_once` with kind ``relance`` and key
``"<perimetre_id>:<YYYY-MM-DD>"``), and the day of the following month its figures are due.
A périmètre has at most one row (the unique constraint), so « who supplies what » has one answer.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qep_core.models import utcnow

DEFAULT_DUE_DAY = 10  # figures of a month are due on the 10th of the next, as most préfectures ask


class CollectionSource(SQLModel, table=True):
    __tablename__ = "collection_source"
    __table_args__ = (UniqueConstraint("prefecture_id", "perimetre_id", name="uq_collection_source"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    perimetre_id: int = Field(foreign_key="perimetre.id")
    indicator_codes: str = Field(sa_column=Column(Text, nullable=False))  # "COURRIEL_5J,COURRIEL_DELAI_MOYEN"
    contacts_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    due_day: int = DEFAULT_DUE_DAY  # 1–28: the day of the following month
    updated_by: str = Field(default="", max_length=120)
    updated_at: dt.datetime = Field(default_factory=utcnow)


#: A deposit's life: waiting for the référente, then validated (its batch holds the values),
#: sent back with a comment, or withdrawn by its author. Only ``pending`` keeps the file's bytes.
DEPOSIT_STATUSES = ("pending", "validated", "returned", "withdrawn")


class Deposit(SQLModel, table=True):
    """A contributor's file waiting for validation when its préfecture asks for it
    (``Prefecture.deposits_need_validation``). Nothing of it is an observation until it is
    validated: the file's bytes wait here and are imported then, in the référente's transaction,
    so that no figure, alert or export can see them before. ``perimetres_json``, ``months_json`` and
    ``cells_json`` (the périmètre ids, ``YYYY-MM`` months and their pairs its values cover, read when
    it was deposited) let the collection board and the contributor's page say what is waiting without
    reading the file; listings never load ``content``."""

    __tablename__ = "deposit"
    __table_args__ = (Index("ix_deposit_prefecture_status", "prefecture_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id")
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    log_kind: str | None = Field(default=None, max_length=40)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    perimetres_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    months_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # [[périmètre id, "YYYY-MM"], …]: the pairs its values cover (a file with A in January and B in
    # February covers neither A in February nor B in January)
    cells_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    kind: str | None = Field(default=None, max_length=30)  # the batch's kind once validated (« saisie »…)
    as_of: dt.date | None = None  # the day it was deposited: an item log is read as of then, not of its validation
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    rows: int = 0
    status: str = Field(default="pending", max_length=20)
    deposited_by: str = Field(default="", max_length=120)
    deposited_at: dt.datetime = Field(default_factory=utcnow)
    reviewed_by: str = Field(default="", max_length=120)
    reviewed_at: dt.datetime | None = None
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
