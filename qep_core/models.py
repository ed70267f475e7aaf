"""Database tables (SQLModel).

Design choices that matter for correctness:

* An observation holds *counts*, never a percentage: numerator and denominator for rates and
  per-mille figures, Σ delays and number of answers for mean delays, the count itself for
  counts. Aggregating over months or périmètres is then always Σ numerators / Σ denominators.
* An observation covers a span of whole months (``period_start`` … ``period_end``): a month for
  monthly sheets, three months for a quarterly indicator, twelve for a yearly table. Spans of one
  indicator × périmètre never overlap: an import that brings an overlapping span replaces the
  old one and keeps it in :class:`ObservationHistory`.
* Every préfecture has a périmètre of kind ``prefecture`` for figures not broken down by service
  (so the unique key never contains NULL, which SQL treats as distinct).
* The référentiel defaults are rows with ``prefecture_id`` NULL; a préfecture's own indicators,
  renamed engagements and yearly targets are separate rows: defaults are never edited in place.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


PARIS = ZoneInfo("Europe/Paris")


def paris_today() -> dt.date:
    """Today on the préfecture's clocks (a server in UTC is still on yesterday until 1 or 2 a.m.)."""
    return dt.datetime.now(PARIS).date()


def local_time(moment: dt.datetime) -> dt.datetime:
    """A stored UTC time as the préfecture's clocks show it (SQLite returns it without zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(PARIS)


class Module(SQLModel, table=True):
    __tablename__ = "module"
    code: str = Field(primary_key=True, max_length=8)
    number: int
    kind: str = Field(max_length=20)  # module | pilotage | labellisation
    title: str
    mandatory: bool = False


class Channel(SQLModel, table=True):
    __tablename__ = "channel"
    code: str = Field(primary_key=True, max_length=30)
    title: str
    position: int = 0


class Engagement(SQLModel, table=True):
    __tablename__ = "engagement"
    __table_args__ = (UniqueConstraint("prefecture_id", "key", name="uq_engagement_key"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int | None = Field(default=None, foreign_key="prefecture.id", index=True)
    key: str = Field(max_length=20)  # E17, PIL3 ...: stable across renamings
    number: int | None = None
    module_code: str = Field(foreign_key="module.code", max_length=8)
    channel_code: str | None = Field(default=None, foreign_key="channel.code", max_length=30)
    title: str


class Indicator(SQLModel, table=True):
    __tablename__ = "indicator"
    __table_args__ = (UniqueConstraint("prefecture_id", "code", name="uq_indicator_code"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int | None = Field(default=None, foreign_key="prefecture.id", index=True)
    code: str = Field(max_length=60)
    label: str
    engagement_key: str | None = Field(default=None, max_length=20)
    module_code: str = Field(foreign_key="module.code", max_length=8)
    family: str | None = Field(default=None, max_length=40)
    kind: str = Field(max_length=20)  # rate | mean_delay | count | per_mille | survey_rate
    unit: str = Field(max_length=10)  # % | j | ‰ | "" (count)
    direction: str = Field(max_length=2)  # >= | <=
    default_target: float | None = None
    alert_threshold: float | None = None
    frequency: str = Field(max_length=12)  # monthly | quarterly | yearly
    counts_json: str = Field(sa_column=Column(Text, nullable=False))  # roles, labels, aliases
    position: int = 0
    active: bool = True


class Prefecture(SQLModel, table=True):
    __tablename__ = "prefecture"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=3, unique=True)  # département code: 44, 2A, 971 ...
    name: str
    whit_monday_worked: bool = True  # "journée de solidarité" worked on Whit Monday
    # A contributor's file is then a deposit « à valider » (qep_core.collection.deposits) that counts
    # nowhere until the référente validates it.
    deposits_need_validation: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    created_at: dt.datetime = Field(default_factory=utcnow)


class PrefectureModule(SQLModel, table=True):
    __tablename__ = "prefecture_module"
    prefecture_id: int = Field(foreign_key="prefecture.id", primary_key=True)
    module_code: str = Field(foreign_key="module.code", primary_key=True, max_length=8)


class Perimetre(SQLModel, table=True):
    __tablename__ = "perimetre"
    __table_args__ = (UniqueConstraint("prefecture_id", "name", name="uq_perimetre_name"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    name: str = Field(max_length=200)
    kind: str = Field(default="service", max_length=20)  # prefecture | service | mailbox | sous-prefecture
    address: str | None = None  # e.g. the functional mailbox address
    # The name public documents show (« Permis de conduire » for « PC »); None: not set, see
    # qep_core.rules.public_names for what is shown then.
    public_name: str | None = Field(default=None, max_length=200)


class Target(SQLModel, table=True):
    """A préfecture's target for an indicator from a given year on (until a later row)."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("prefecture_id", "indicator_code", "year", name="uq_target"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    indicator_code: str = Field(max_length=60)
    year: int
    target: float | None = None  # None with has_target False: "Pas d'objectif"
    has_target: bool = True
    alert_threshold: float | None = None


class ImportBatch(SQLModel, table=True):
    """The one import ledger: a line per imported file, whatever it held (see
    :mod:`qep_core.importing.ledger`). The same file twice (same SHA-256, same kind of file)
    changes nothing."""

    __tablename__ = "import_batch"
    __table_args__ = (Index("ix_import_batch_file", "prefecture_id", "file_kind", "sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    file_name: str
    sha256: str = Field(max_length=64, index=True)
    # the file's format: long | wide | journal:<log> | saisie | enquete | mystere | actions | bilan | audit | formations
    kind: str = Field(max_length=30)
    # the kind of file: suivi | journal | saisie | enquete | mystere | plan | bilan | audit | formations
    file_kind: str = Field(default="suivi", max_length=20)
    imported_by: str = Field(default="", max_length=120)
    imported_at: dt.datetime = Field(default_factory=utcnow)
    rows: int = 0
    replaced: int = 0
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    warnings_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    status: str = Field(default="imported", max_length=20)  # imported | undone


class Observation(SQLModel, table=True):
    __tablename__ = "observation"
    __table_args__ = (
        UniqueConstraint("indicator_id", "perimetre_id", "period_start", name="uq_observation"),
        Index("ix_observation_pref_period", "prefecture_id", "period_start", "indicator_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id")
    indicator_id: int = Field(foreign_key="indicator.id")
    perimetre_id: int = Field(foreign_key="perimetre.id")
    period_start: dt.date
    period_end: dt.date  # first day of the last month covered
    numerator: float
    denominator: float | None = None
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True)


class ObservationHistory(SQLModel, table=True):
    """A value that a later import replaced (kept so the replacement can be shown and undone)."""

    __tablename__ = "observation_history"
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    indicator_id: int = Field(foreign_key="indicator.id")
    perimetre_id: int = Field(foreign_key="perimetre.id")
    period_start: dt.date
    period_end: dt.date
    numerator: float
    denominator: float | None = None
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    replaced_by_batch_id: int = Field(foreign_key="import_batch.id", index=True)
    replaced_at: dt.datetime = Field(default_factory=utcnow)
    changed: bool = True  # False: the later file brought the same value again (kept so undo stays exact)


class LogItemArchive(SQLModel, table=True):
    """The items of one log (e-mails, letters, complaints…) behind the monthly figures of a batch.

    Kept so that a late month can be opened item by item. The items are stored as one compressed
    Parquet table per batch and log kind (see :mod:`qep_core.importing.log_archive`), not one row each: a
    200 000-e-mail register took longer to write row by row than to read, check and compute
    altogether, and items are only ever read a batch at a time for a drill-down. Their
    ``details`` (sender, subject, comments) may be personal data: never shown by default, nor
    exported to the users' committee.
    """

    __tablename__ = "log_item_archive"
    __table_args__ = (UniqueConstraint("batch_id", "kind", name="uq_log_item_archive"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    batch_id: int = Field(foreign_key="import_batch.id")
    kind: str = Field(max_length=30)
    items: int = 0
    first_received: dt.date | None = None
    last_received: dt.date | None = None
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
