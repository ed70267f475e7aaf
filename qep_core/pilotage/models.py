"""Tables of the pilotage (registered by one import line in :mod:`qep_core.db`).

* An action keeps its current status on its row (fast filters) and every change of status in
  :class:`ActionStatusChange`, dated: the completion rate *as of* any past date, and its curve
  over time, are computed from that history, never from the current state.
* An audit has one :class:`AuditFinding` per engagement, each with its remarks (PF, PS, PP) as
  separate rows, so an action can answer one remark; the action also keeps a sentence saying what
  it answers, so deleting an audit never leaves an action without its origin.
* Agents, their trainings and tutoring agreements are kept as dated facts: compliance is computed
  for a chosen date (:func:`qep_core.pilotage.trainings.training_compliance`), never stored.
* Each imported file has its line in the one import ledger (:class:`~qep_core.models.ImportBatch`,
  see :mod:`qep_core.importing.ledger`), by SHA-256: the same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qep_core.models import ImportBatch, utcnow

#: The pilotage files' ledger is the one import ledger (``import_batch``, file kinds ``plan``,
#: ``bilan``, ``audit``, ``formations``); the old name stays for older callers.
PilotageImport = ImportBatch


class Action(SQLModel, table=True):
    __tablename__ = "pilotage_action"
    __table_args__ = (Index("ix_pilotage_action_pref", "prefecture_id", "module_code"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id")
    ref: str | None = Field(default=None, max_length=40)  # the préfecture's own reference (« A-12 »)
    title: str = Field(sa_column=Column(Text, nullable=False))
    module_code: str = Field(foreign_key="module.code", max_length=8)
    engagement_key: str | None = Field(default=None, max_length=20)
    source: str = Field(max_length=30)
    owner: str = Field(default="", max_length=200)
    due_date: dt.date | None = None
    status: str = Field(max_length=12)
    status_date: dt.date  # date of the current status (the last change)
    created_on: dt.date
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    remark_id: int | None = Field(default=None, foreign_key="pilotage_audit_remark.id", index=True)
    finding_id: int | None = Field(default=None, foreign_key="pilotage_audit_finding.id", index=True)
    answers: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # what it answers, in words
    import_id: int | None = Field(default=None, foreign_key="import_batch.id")
    updated_at: dt.datetime = Field(default_factory=utcnow)


class ActionStatusChange(SQLModel, table=True):
    __tablename__ = "pilotage_action_status"
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="pilotage_action.id", index=True)
    status: str = Field(max_length=12)
    changed_on: dt.date
    recorded_at: dt.datetime = Field(default_factory=utcnow)
    recorded_by: str = Field(default="", max_length=120)


class ActionPlanSnapshot(SQLModel, table=True):
    """A per-module completion table imported as such (a past bilan: Fait / En cours / Non fait)."""

    __tablename__ = "pilotage_plan_snapshot"
    __table_args__ = (UniqueConstraint("prefecture_id", "as_of", "module_code", name="uq_plan_snapshot"),)
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    as_of: dt.date
    module_code: str = Field(foreign_key="module.code", max_length=8)
    fait: int = 0
    en_cours: int = 0
    a_faire: int = 0
    abandonne: int = 0
    import_id: int | None = Field(default=None, foreign_key="import_batch.id")


class Audit(SQLModel, table=True):
    __tablename__ = "pilotage_audit"
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    kind: str = Field(max_length=20)  # initial | suivi | renouvellement | interne | externe
    audit_date: dt.date
    auditor: str = Field(default="", max_length=200)
    organisation: str = Field(default="", max_length=200)
    modules: str = Field(default="", max_length=200)  # module codes, comma-separated: "M1,M4,PIL,LAB"
    import_id: int | None = Field(default=None, foreign_key="import_batch.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class AuditFinding(SQLModel, table=True):
    __tablename__ = "pilotage_audit_finding"
    __table_args__ = (UniqueConstraint("audit_id", "engagement_key", name="uq_audit_finding"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="pilotage_audit.id", index=True)
    engagement_key: str = Field(max_length=20)
    conformity: str | None = Field(default=None, max_length=8)  # None: not assessed
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class AuditRemark(SQLModel, table=True):
    __tablename__ = "pilotage_audit_remark"
    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="pilotage_audit_finding.id", index=True)
    kind: str = Field(max_length=2)  # PF | PS | PP
    text: str = Field(sa_column=Column(Text, nullable=False))
    position: int = 0


class Agent(SQLModel, table=True):
    __tablename__ = "pilotage_agent"
    id: int | None = Field(default=None, primary_key=True)
    prefecture_id: int = Field(foreign_key="prefecture.id", index=True)
    name: str = Field(max_length=200)  # name or pseudonym
    service: str = Field(default="", max_length=200)
    role: str = Field(max_length=30)
    post_start: dt.date
    post_end: dt.date | None = None  # left the post: no longer concerned after that day


class Training(SQLModel, table=True):
    __tablename__ = "pilotage_training"
    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="pilotage_agent.id", index=True)
    training_date: dt.date
    title: str = Field(max_length=300)


class Tutoring(SQLModel, table=True):
    """A tutoring agreement (convention de tutorat) for an agent waiting for a training."""

    __tablename__ = "pilotage_tutoring"
    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="pilotage_agent.id", index=True)
    tutor: str = Field(default="", max_length=200)
    start: dt.date
    end: dt.date | None = None
