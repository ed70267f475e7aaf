"""Plain-data figures of the pilotage for the other modules (exports: COPIL slides, bilan annuel,
CLU). No streamlit, no pandas in the results: frozen dataclasses of counts, dates and labels.

* :func:`action_plan_summary` — completion per module, per source and overall on a date, late
  actions; from the detailed plan when it has actions by then, else from the last per-module
  table imported up to that date (a past bilan), which is said in ``basis``.
* :func:`last_audit_per_module` — for each module, the last audit up to a date that assessed it,
  with its findings counted by conformity and its remarks by kind.
* :func:`training_summary` — the training rule's counts per role on a date.

Rates are in percent (``69.9`` for 65 / 93) and ``None`` when there is nothing to count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from qep_core.pilotage.action_files import plan_snapshots, snapshot_completion
from qep_core.pilotage.actions import Completion, plan_on, total_of
from qep_core.pilotage.audits import audit_findings, audit_title, list_audits
from qep_core.pilotage.refs import referentiel_index
from qep_core.pilotage.trainings import RoleCounts, agent_records, counts_per_role
from qep_core.pilotage.vocabulary import AUDIT_KINDS, NA, NC_MAJEURE, NC_MINEURE, C

__all__ = ["ActionPlanSummary", "AuditModuleSummary", "Completion", "LateAction", "RoleCounts", "TrainingSummary",
           "action_plan_summary", "last_audit_per_module", "late_actions_count", "training_summary"]


@dataclass(frozen=True)
class LateAction:
    ref: str
    title: str
    module_code: str
    engagement_key: str | None
    owner: str
    due_date: dt.date
    status: str


@dataclass(frozen=True)
class ActionPlanSummary:
    as_of: dt.date
    basis: str  # "plan d'actions" or « tableau de réalisation importé (31/12/2022) »
    by_module: tuple[Completion, ...]
    by_source: tuple[Completion, ...]  # empty when the basis is an imported table
    overall: Completion
    late: tuple[LateAction, ...]

    @property
    def late_count(self) -> int:
        return len(self.late)

    @property
    def rate(self) -> float | None:
        return self.overall.rate


def action_plan_summary(session: Session, prefecture_id: int, as_of: dt.date) -> ActionPlanSummary:
    day = plan_on(session, prefecture_id, as_of)
    if day.states:
        late = tuple(sorted((LateAction(s.action.ref or f"A{s.action.id}", s.action.title, s.action.module_code,
                                        s.action.engagement_key, s.action.owner, s.action.due_date, s.status)
                             for s in day.late if s.action.due_date is not None), key=lambda a: a.due_date))
        return ActionPlanSummary(as_of, "plan d'actions", tuple(day.completion_by_module()),
                                 tuple(day.completion_by_source()), day.completion(), late)
    snapshots = {d: rows for d, rows in plan_snapshots(session, prefecture_id).items() if d <= as_of}
    if snapshots:
        when = max(snapshots)
        modules = snapshot_completion(snapshots[when], day.refs)
        total = total_of(modules)
        return ActionPlanSummary(as_of, f"tableau de réalisation importé ({when:%d/%m/%Y})", tuple(modules), (),
                                 total, ())
    return ActionPlanSummary(as_of, "aucune action", (), (), Completion("total", "Total"), ())


def late_actions_count(session: Session, prefecture_id: int, as_of: dt.date) -> int:
    return len(plan_on(session, prefecture_id, as_of).late)


@dataclass(frozen=True)
class AuditModuleSummary:
    module_code: str
    module_label: str  # « Module 1 », « Pilotage »
    audit_id: int
    audit_title: str  # « Audit de suivi du 05/07/2022 »
    audit_kind: str
    audit_kind_label: str
    audit_date: dt.date
    auditor: str
    engagements: int  # findings of this module in that audit
    conforme: int
    non_applicable: int
    nc_majeure: int
    nc_mineure: int
    not_assessed: int
    points_forts: int
    points_sensibles: int
    pistes_de_progres: int


def last_audit_per_module(session: Session, prefecture_id: int, as_of: dt.date | None = None
                          ) -> list[AuditModuleSummary]:
    """For each module assessed by some audit up to *as_of*, the most recent such audit."""
    refs = referentiel_index(session, prefecture_id)
    out: dict[str, AuditModuleSummary] = {}
    for audit in list_audits(session, prefecture_id):  # newest first
        if as_of is not None and audit.audit_date > as_of:
            continue
        by_module: dict[str, list] = {}
        for view in audit_findings(session, audit.id or 0):
            module = view.engagement.module_code if view.engagement else None
            if module and module not in out:
                by_module.setdefault(module, []).append(view)
        for module, views in by_module.items():
            conf = [v.finding.conformity for v in views]
            kinds = [r.remark.kind for v in views for r in v.remarks]
            out[module] = AuditModuleSummary(
                module, refs.module_short(module), audit.id or 0, audit_title(audit), audit.kind,
                AUDIT_KINDS.get(audit.kind, audit.kind), audit.audit_date, audit.auditor, len(views),
                conf.count(C), conf.count(NA), conf.count(NC_MAJEURE), conf.count(NC_MINEURE), conf.count(None),
                kinds.count("PF"), kinds.count("PS"), kinds.count("PP"))
    order = list(refs.modules)
    return sorted(out.values(), key=lambda s: order.index(s.module_code) if s.module_code in order else len(order))


@dataclass(frozen=True)
class TrainingSummary:
    as_of: dt.date
    by_role: tuple[RoleCounts, ...]
    total: RoleCounts


def training_summary(session: Session, prefecture_id: int, as_of: dt.date) -> TrainingSummary:
    rows, total = counts_per_role(agent_records(session, prefecture_id), as_of)
    return TrainingSummary(as_of, tuple(rows), total)
