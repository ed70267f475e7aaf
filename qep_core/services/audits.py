"""Audits: the list, an audit's findings engagement by engagement (conformity, PF / PS / PP
remarks, the actions answering them), entering an audit and its findings, deleting it, turning
a remark or a non-conformity into an action of the plan, importing a report's table.

Reads need ``read_detail`` (audit remarks are internal: the CLU's public view of an engagement is
:func:`qep_core.services.engagements.engagement_dossiers`), writes ``edit_pilotage``; an audit,
finding or remark of another préfecture is « introuvable ».
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from qep_core.access import check
from qep_core.frenchforms import count_text
from qep_core.importing.issues import ImportRejected
from qep_core.pilotage import audits as core
from qep_core.pilotage.actions import display_ref
from qep_core.pilotage.audits import (
    AuditFilePlan,
    FindingView,
    action_label,
    audit_findings,
    audit_modules,
    audit_title,
    conformity_counts,
    remark_counts,
    save_audit_plan,
)
from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.models import Action, Audit
from qep_core.pilotage.refs import ReferentielIndex, referentiel_index
from qep_core.pilotage.vocabulary import ACTIONABLE_REMARKS, AUDIT_KINDS, CONFORMITIES, CONFORMITY_TITLES, REMARK_KINDS
from qep_core.services._bounded import accepted, analysed, settled
from qep_core.services._pilotage import EDIT, READ, editing
from qep_core.services._unit import Actor, file_refusal, operation, unit

__all__ = ["ACTIONABLE_REMARKS", "AUDIT_KINDS", "CONFORMITIES", "CONFORMITY_TITLES", "REMARK_KINDS", "Action", "AuditDetail",
           "AuditFilePlan", "AuditInfo", "FindingView", "ImportRejected", "PilotageError", "ReferentielIndex",
           "action_for_finding", "action_for_remark", "action_label", "actions_for_all", "analyse_audit_file",
           "audit_detail", "conformity_counts", "create_audit", "delete_audit", "findings_grid", "import_audit_file",
           "list_audits", "remark_counts", "save_findings"]


@dataclass(frozen=True)
class AuditInfo:
    """An audit as lists show it, with its findings and remarks counted."""

    id: int
    title: str  # « Audit de suivi du 05/07/2022 »
    kind: str
    kind_label: str
    audit_date: dt.date
    auditor: str
    organisation: str
    modules: list[str]
    findings: int
    conformity: dict[str, int]  # C, NA, NC_MAJ, NC_MIN, none
    remarks: dict[str, int]  # PF, PS, PP
    actions: int  # PS, PP and NC answered by an action


@dataclass(frozen=True)
class AuditDetail:
    audit: AuditInfo
    findings: list[FindingView]
    refs: ReferentielIndex


def _info(audit: Audit, findings: list[FindingView]) -> AuditInfo:
    answered = sum(1 for f in findings for r in f.remarks if r.action) + sum(1 for f in findings if f.nc_action)
    return AuditInfo(audit.id or 0, audit_title(audit), audit.kind, AUDIT_KINDS.get(audit.kind, audit.kind),
                     audit.audit_date, audit.auditor, audit.organisation, audit_modules(audit), len(findings),
                     conformity_counts(findings), remark_counts(findings), answered)


def _audit(session: Session, prefecture_id: int, audit_id: int) -> Audit:
    audit = session.get(Audit, audit_id)
    if audit is None or audit.prefecture_id != prefecture_id:
        raise PilotageError(f"audit n° {audit_id} introuvable")
    return audit


@operation(READ, writes=False)
def list_audits(actor: Actor, prefecture_id: int) -> list[AuditInfo]:
    """The préfecture's audits, newest first."""
    with unit(actor, READ, prefecture_id=prefecture_id) as work:
        return [_info(a, audit_findings(work.session, a.id or 0))
                for a in core.list_audits(work.session, prefecture_id)]


@operation(READ, writes=False)
def audit_detail(actor: Actor, prefecture_id: int, audit_id: int) -> AuditDetail:
    """One audit's findings in référentiel order, with their remarks and the actions answering them."""
    with unit(actor, READ, prefecture_id=prefecture_id) as work:
        audit = _audit(work.session, prefecture_id, audit_id)
        findings = audit_findings(work.session, audit_id)
        return AuditDetail(_info(audit, findings), findings, referentiel_index(work.session, prefecture_id))


@operation(READ, writes=False)
def findings_grid(actor: Actor, prefecture_id: int, audit_id: int) -> list[dict[str, Any]]:
    """The entry grid: every engagement of the audit's modules (engagement, label, conformity, comments)."""
    with unit(actor, READ, prefecture_id=prefecture_id) as work:
        return core.findings_table(work.session, _audit(work.session, prefecture_id, audit_id))


@operation(EDIT, writes=True)
def create_audit(actor: Actor, prefecture_id: int, *, kind: str, audit_date: dt.date, auditor: str = "",
                 organisation: str = "", modules: Iterable[str] = (), today: dt.date | None = None) -> AuditInfo:
    """A new audit (its findings come next); checked, French reasons in :class:`PilotageError`."""
    with editing(actor, prefecture_id, "audit", "audit créé") as edit:
        audit = core.create_audit(edit.session, prefecture_id, kind=kind, audit_date=audit_date, auditor=auditor,
                                  organisation=organisation, modules=modules, today=today or dt.date.today())
        edit.summary = f"{audit_title(audit)} créé"
        return _info(audit, [])


@operation(EDIT, writes=True)
def save_findings(actor: Actor, prefecture_id: int, audit_id: int, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Apply the findings grid (conformity and « PF : … PS : … PP : … Note : … » per engagement)."""
    with editing(actor, prefecture_id, "audit", "constats d'audit enregistrés") as edit:
        audit = _audit(edit.session, prefecture_id, audit_id)
        done = core.save_findings(edit.session, audit, list(rows))
        edit.skip = not done
        edit.summary = f"constats de l'{audit_title(audit).lower()} enregistrés : " + ", ".join(done)
        return done


@operation(EDIT, writes=True)
def delete_audit(actor: Actor, prefecture_id: int, audit_id: int) -> str:
    """Remove an audit and its findings (the actions answering them stay in the plan); its title."""
    with editing(actor, prefecture_id, "audit", "audit supprimé") as edit:
        title = core.delete_audit(edit.session, prefecture_id, audit_id)
        edit.summary = f"{title} supprimé"
        return title


@operation(EDIT, writes=True)
def action_for_remark(actor: Actor, prefecture_id: int, remark_id: int, due_date: dt.date | None = None) -> str:
    """The action answering a PS or PP (one click, one action: an existing one is kept); its reference."""
    with editing(actor, prefecture_id, "action", "action créée depuis une remarque d'audit") as edit:
        action = core.action_from_remark(edit.session, prefecture_id, remark_id, dt.date.today(), edit.author,
                                         due_date=due_date)
        edit.summary = f"action {display_ref(action)} créée depuis une remarque d'audit"
        return display_ref(action)


@operation(EDIT, writes=True)
def action_for_finding(actor: Actor, prefecture_id: int, finding_id: int, due_date: dt.date | None = None) -> str:
    """The corrective action a non-conformity calls for; its reference."""
    with editing(actor, prefecture_id, "action", "action corrective créée depuis une non-conformité") as edit:
        action = core.action_from_finding(edit.session, prefecture_id, finding_id, dt.date.today(), edit.author,
                                          due_date=due_date)
        edit.summary = f"action {display_ref(action)} créée depuis une non-conformité d'audit"
        return display_ref(action)


@operation(EDIT, writes=True)
def actions_for_all(actor: Actor, prefecture_id: int, audit_id: int) -> int:
    """One action for every PS, PP and non-conformity of the audit that has none yet; how many."""
    with editing(actor, prefecture_id, "action", "actions créées pour les remarques d'un audit") as edit:
        audit = _audit(edit.session, prefecture_id, audit_id)
        made = core.actions_for_all(edit.session, prefecture_id, audit_id, dt.date.today(), edit.author)
        edit.skip = not made
        edit.summary = f"{count_text(made, 'action créée', 'actions créées')} pour les PS, PP et NC de l'{audit_title(audit).lower()}"
        return made


@operation(EDIT, writes=False)
def analyse_audit_file(actor: Actor, prefecture_id: int, file_name: str, data: bytes, *, today: dt.date | None = None,
                       **meta: Any) -> AuditFilePlan:
    """What a report's table would record (kind, date, auditor given here win over the file's);
    nothing written. The file is read in the bounded child (:mod:`qep_core.services._bounded`)."""
    check(actor.principal, EDIT, prefecture_id=prefecture_id)
    if meta.get("modules") is not None:
        meta["modules"] = list(meta["modules"])  # to cross to the child
    plan: AuditFilePlan = analysed(actor, prefecture_id, "audit", file_name, data, today=today or dt.date.today(),
                                   **meta)
    return plan


@operation(EDIT, writes=True)
def import_audit_file(actor: Actor, prefecture_id: int, file_name: str, data: bytes, *, dry_run: bool = False,
                      today: dt.date | None = None, **meta: Any) -> tuple[AuditFilePlan, int | None]:
    """Read the report in the bounded child, outside any transaction, then, unless *dry_run* or
    already imported, check again that the audit is not there yet and save it with its history
    line in one short transaction; the plan and the new audit's number. Raises
    :class:`ImportRejected` (nothing written)."""
    plan = accepted(analyse_audit_file(actor, prefecture_id, file_name, data, today=today, **meta))
    if dry_run:
        return plan, None
    with editing(actor, prefecture_id, "audit", f"audit importé d'un rapport ({file_name})",
                 file_refusal(file_name)) as edit:
        plan = settled(edit.session, prefecture_id, "audit", plan)
        edit.summary = plan.summary()
        if plan.already_imported is not None:
            edit.skip = True
            return plan, None
        return plan, save_audit_plan(edit.session, prefecture_id, plan, edit.author).id
