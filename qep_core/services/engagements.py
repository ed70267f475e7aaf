"""The pilotage's part of an engagement's dossier: the last audit's finding, the actions that
serve the engagement, the trainings that serve it — cut to who reads it.

Every role that may ``read`` opens the dossier. What the users' committee (``lecture-clu``, a
:attr:`~qep_core.access.Principal.public_only` principal) gets is public-safe by construction —
the fields are empty, not merely hidden:

* audit: the audit's kind and date, the engagement's conformity and how many PF, PS and PP were
  written — never the remarks' texts, the auditor's note or the auditor's name;
* actions: how many are done, open, late and abandoned — no titles (free text; an action made
  from an audit remark carries the remark's words), no owners, no comments, no references;
* trainings: the counts per role (they never name anyone), for every reader.

The indicators' figures of the dossier come from the indicators' own read model (they apply the
small-périmètre threshold there); the types and formatters the dossier's page needs to show them
are re-exported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from qep_core.charts import mini_chart
from qep_core.compute import IndicatorResult
from qep_core.models import Engagement
from qep_core.pilotage.actions import display_ref, plan_on
from qep_core.pilotage.audits import FindingView, action_label, audit_findings, audit_title, list_audits
from qep_core.pilotage.refs import engagement_number, referentiel_index
from qep_core.pilotage.trainings import AgentRecord, RoleCounts, agent_records, counts_per_role
from qep_core.pilotage.vocabulary import (
    ABANDONNE,
    ACTIONABLE_REMARKS,
    CLOSED_STATUSES,
    CONFORMITIES,
    CONFORMITY_TITLES,
    FAIT,
    REMARK_KINDS,
    REMARK_KINDS_COUNTED,
    ROLE_CHANNELS,
    SOURCES,
    STATUSES,
    TRAINING_ENGAGEMENTS,
)
from qep_core.report import format_target
from qep_core.rules.formatting import format_value
from qep_core.services._unit import Actor, operation, unit

__all__ = ["ACTIONABLE_REMARKS", "CONFORMITIES", "CONFORMITY_TITLES", "REMARK_KINDS", "REMARK_KINDS_COUNTED", "DossierAction",
           "DossierActions", "DossierAudit", "DossierRemark", "DossierTrainings", "Engagement", "EngagementDossier",
           "IndicatorResult", "engagement_dossiers", "engagement_number", "format_target", "format_value", "mini_chart", "roles_serving"]


@dataclass(frozen=True)
class DossierRemark:
    kind: str  # PF, PS, PP
    text: str
    actionable: bool  # PS and PP call for an action
    action: str | None  # « action PA-05 (fait) », None when no action answers it


@dataclass(frozen=True)
class DossierAudit:
    title: str  # « Audit de suivi du 12/03/2024 »
    conformity: str | None  # C, NA, NC_MAJ, NC_MIN; None: not assessed
    remark_counts: dict[str, int]  # PF, PS, PP
    auditor: str = ""  # empty for a public reader
    remarks: list[DossierRemark] = field(default_factory=list)  # empty for a public reader
    note: str = ""  # empty for a public reader


@dataclass(frozen=True)
class DossierAction:
    ref: str
    title: str
    source: str  # label
    owner: str
    due_date: dt.date | None
    status: str  # code
    status_label: str
    late: bool
    since: dt.date


@dataclass(frozen=True)
class DossierActions:
    done: int
    open: int
    late: int
    abandoned: int
    rows: list[DossierAction] = field(default_factory=list)  # empty for a public reader


@dataclass(frozen=True)
class DossierTrainings:
    roles: list[str] | None  # the roles serving the engagement; None: every role
    by_role: list[RoleCounts]
    total: RoleCounts


@dataclass(frozen=True)
class EngagementDossier:
    key: str
    number: str
    title: str
    module_code: str
    as_of: dt.date
    public_only: bool
    audit: DossierAudit | None = None
    actions: DossierActions | None = None  # None: no action serves it on that day
    trainings: DossierTrainings | None = None  # None: no training rule serves it, or nobody concerned


def roles_serving(engagement: Engagement) -> list[str] | None:
    """The roles whose training serves the engagement; None for all (engagement 4, pilotage 3)."""
    if engagement.key in TRAINING_ENGAGEMENTS:
        return None
    return [role for role, channels in ROLE_CHANNELS.items() if engagement.channel_code in channels
            and engagement.module_code in ("M1", "PIL")] or (["fraude"] if engagement.module_code == "M2" else [])


def _audit(title: str, auditor: str, view: FindingView, public: bool) -> DossierAudit:
    counts = {kind: len(view.of_kind(kind)) for kind in REMARK_KINDS}
    if public:
        return DossierAudit(title, view.finding.conformity, counts)
    remarks = [DossierRemark(r.remark.kind, r.remark.text, r.remark.kind in ACTIONABLE_REMARKS,
                             action_label(r.action) if r.action else None) for r in view.remarks]
    return DossierAudit(title, view.finding.conformity, counts, auditor, remarks, view.finding.note)


def _trainings(engagement: Engagement, records: list[AgentRecord], as_of: dt.date) -> DossierTrainings | None:
    roles = roles_serving(engagement)
    if roles == []:
        return None
    rows, total = counts_per_role([r for r in records if roles is None or r.agent.role in roles], as_of)
    return DossierTrainings(roles, rows, total) if total.concerned else None


@operation("read", writes=False)
def engagement_dossiers(actor: Actor, prefecture_id: int, as_of: dt.date,
                        keys: Collection[str] | None = None) -> dict[str, EngagementDossier]:
    """Each engagement's dossier (all of the préfecture's, or those of *keys*) on *as_of*: the last
    audit up to that day that assessed it, the actions that existed then with their status then,
    the training situation of the roles serving it. Cut for a public reader (see the module)."""
    public = actor.principal.public_only
    with unit(actor, "read", prefecture_id=prefecture_id) as work:
        session = work.session
        refs = referentiel_index(session, prefecture_id)
        wanted = [e for k, e in refs.engagements.items() if keys is None or k in keys]
        findings: dict[str, DossierAudit] = {}
        for audit in list_audits(session, prefecture_id):  # newest first
            if audit.audit_date > as_of or len(findings) == len(wanted):
                continue
            for view in audit_findings(session, audit.id or 0):
                if view.key not in findings:
                    findings[view.key] = _audit(audit_title(audit), audit.auditor, view, public)
        day = plan_on(session, prefecture_id, as_of)
        records = agent_records(session, prefecture_id)
    out: dict[str, EngagementDossier] = {}
    for engagement in wanted:
        mine = [s for s in day.states if s.action.engagement_key == engagement.key]
        actions = None
        if mine:
            rows = [] if public else [
                DossierAction(display_ref(s.action), s.action.title, SOURCES.get(s.action.source, ""), s.action.owner,
                              s.action.due_date, s.status, STATUSES[s.status], s.late, s.status_date)
                for s in sorted(mine, key=lambda s: (s.status in CLOSED_STATUSES, s.action.due_date or as_of))]
            actions = DossierActions(sum(s.status == FAIT for s in mine),
                                     sum(s.status not in CLOSED_STATUSES for s in mine), sum(s.late for s in mine),
                                     sum(s.status == ABANDONNE for s in mine), rows)
        out[engagement.key] = EngagementDossier(
            engagement.key, engagement_number(engagement), engagement.title, engagement.module_code, as_of, public,
            findings.get(engagement.key), actions, _trainings(engagement, records, as_of))
    return out
