"""Audits: one finding per engagement (conformity, PF / PS / PP remarks, the auditor's note), and
the actions that answer them.

An audit is entered in the app (a grid with one row per engagement of its modules, whose
« Commentaires » cell is written as in the report: ``PF : … PP : … Note : …``) or imported from
the report's table (« Engagements de service » | « Commentaires » | « Conformité »), where:

* an engagement row reads « Module 1 17. Nous vous répondons… »; under a « Pilotage de la
  politique qualité » or « Démarche de labellisation » heading, « 3. Formation du personnel »;
* heading rows (« MODULE 4 - RELATIONS AVEC… », « ACCUEIL PHYSIQUE », « AUDIT A DISTANCE :
  Internet ») and the header repeated on each page are recognised and skipped;
* an engagement assessed twice (on site, then remotely) gives one finding: the remarks of both,
  and the more serious conformity (NC majeure > NC mineure > C > NA), with a warning if they differ;
* the audit's type, date and auditor come from the caller, or from « Type d'audit : Suivi »,
  « Date de l'audit : 05/07/2022 », « Auditeur : … » rows above the table.

Every PS, PP and non-conformity can become an action in one call (:func:`action_from_remark`,
:func:`action_from_finding`); the action keeps a link to what it answers and a sentence saying it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from qep_core.db import session_scope
from qep_core.frenchforms import count_text, normalize, plural
from qep_core.importing.issues import ImportRejected, Issue, IssueLog
from qep_core.importing.matching import match_header_fields
from qep_core.importing.protocol import settle_ledger, settled_summary
from qep_core.importing.workbook import HEAD_ROWS, SourceFile, open_source
from qep_core.models import Engagement, ImportBatch, Prefecture
from qep_core.pilotage.actions import create_action, display_ref, list_actions
from qep_core.pilotage.errors import PilotageError
from qep_core.pilotage.models import Action, Audit, AuditFinding, AuditRemark
from qep_core.pilotage.refs import ReferentielIndex, engagement_number, referentiel_index
from qep_core.pilotage.remarks import Remark, format_comments, parse_comments
from qep_core.pilotage.tables import (
    DateFormatError,
    Table,
    already_imported,
    cell_text,
    find_table,
    parse_date,
    record_import,
)
from qep_core.pilotage.vocabulary import (
    ACTIONABLE_REMARKS,
    AUDIT_ACTION_SOURCE,
    AUDIT_KINDS,
    CONFORMITIES,
    CONFORMITY_SEVERITY,
    NON_CONFORMITIES,
    REMARK_KINDS,
    STATUSES,
    choices,
    lookup,
)
from qep_core.prefectures import PrefectureError

KIND_AUDIT = "audit"
KIND_PHRASES = {"initial": "initial", "suivi": "de suivi", "renouvellement": "de renouvellement", "interne": "interne",
                "externe": "externe"}
AUDIT_FIELDS = {
    "engagement": ("engagements de service", "engagement de service", "engagements", "engagement",
                   "exigences", "exigence"),
    "comments": ("commentaires", "commentaire", "appreciation de l auditeur", "constats", "constat", "remarques",
                 "observations"),
    "conformity": ("conformite", "cotation", "evaluation", "resultat", "conforme"),
}
META_FIELDS = {
    "kind": ("type d audit", "type de l audit", "type", "audit"),
    "date": ("date de l audit", "dates de l audit", "date s de l audit", "date", "dates de debut d audit",
             "date de debut d audit", "date de debut de l audit"),
    "auditor": ("auditeur", "auditeurs", "auditeur s", "responsable d audit", "votre responsable d audit",
                "nom auditeur"),
    "organisation": ("organisme", "organisme certificateur", "cabinet"),
    "modules": ("modules", "modules audites", "modules couverts"),
}


# ------------------------------------------------------------------ reading the app's data


@dataclass
class RemarkView:
    remark: AuditRemark
    action: Action | None = None


@dataclass
class FindingView:
    finding: AuditFinding
    engagement: Engagement | None
    remarks: list[RemarkView] = field(default_factory=list)
    nc_action: Action | None = None  # the action answering a non-conformity

    @property
    def key(self) -> str:
        return self.finding.engagement_key

    def of_kind(self, kind: str) -> list[RemarkView]:
        return [r for r in self.remarks if r.remark.kind == kind]

    @property
    def is_non_conformity(self) -> bool:
        return self.finding.conformity in NON_CONFORMITIES


def list_audits(session: Session, prefecture_id: int) -> list[Audit]:
    """Newest first."""
    return list(session.exec(select(Audit).where(Audit.prefecture_id == prefecture_id)
                             .order_by(col(Audit.audit_date).desc(), col(Audit.id).desc())))


def audit_title(audit: Audit) -> str:
    """« Audit de suivi du 05/07/2022 »."""
    return f"Audit {KIND_PHRASES.get(audit.kind, audit.kind)} du {audit.audit_date:%d/%m/%Y}"


def audit_modules(audit: Audit) -> list[str]:
    return [m for m in audit.modules.split(",") if m]


def audit_findings(session: Session, audit_id: int) -> list[FindingView]:
    """The audit's findings in référentiel order, with their remarks and the actions answering them."""
    audit = session.get(Audit, audit_id)
    if audit is None:
        return []
    refs = referentiel_index(session, audit.prefecture_id)
    findings = list(session.exec(select(AuditFinding).where(AuditFinding.audit_id == audit_id)))
    ids = [f.id for f in findings]
    remarks = list(session.exec(select(AuditRemark).where(col(AuditRemark.finding_id).in_(ids))
                                .order_by(col(AuditRemark.finding_id), col(AuditRemark.position), col(AuditRemark.id)))) if ids else []
    actions = [a for a in list_actions(session, audit.prefecture_id) if a.remark_id or a.finding_id]
    by_remark: dict[int | None, Action] = {a.remark_id: a for a in actions if a.remark_id}
    by_finding: dict[int | None, Action] = {a.finding_id: a for a in actions if a.finding_id and not a.remark_id}
    views = {f.id: FindingView(f, refs.engagements.get(f.engagement_key), nc_action=by_finding.get(f.id))
             for f in findings}
    for r in remarks:
        views[r.finding_id].remarks.append(RemarkView(r, by_remark.get(r.id)))
    return sorted(views.values(), key=lambda v: engagement_order(refs, v.key))


def engagement_order(refs: ReferentielIndex, key: str) -> tuple[int, int]:
    """Modules in référentiel order (1…8, pilotage, labellisation), then engagements in theirs."""
    modules, keys = list(refs.modules), list(refs.engagements)
    eng = refs.engagements.get(key)
    module = modules.index(eng.module_code) if eng and eng.module_code in modules else len(modules)
    return module, keys.index(key) if key in keys else len(keys)


def conformity_counts(findings: Iterable[FindingView | AuditFinding]) -> dict[str, int]:
    """Findings per conformity (C, NA, NC majeure, NC mineure), plus « non évalué »."""
    counts = {code: 0 for code in CONFORMITIES}
    counts["none"] = 0
    for f in findings:
        row = f.finding if isinstance(f, FindingView) else f
        counts[row.conformity or "none"] += 1
    return counts


def remark_counts(findings: Iterable[FindingView]) -> dict[str, int]:
    counts = {kind: 0 for kind in REMARK_KINDS}
    for f in findings:
        for r in f.remarks:
            counts[r.remark.kind] += 1
    return counts


def last_finding(session: Session, prefecture_id: int, engagement_key: str,
                 as_of: dt.date | None = None) -> tuple[Audit, FindingView] | None:
    """The most recent audit (up to *as_of*) that assessed the engagement, and its finding."""
    for audit in list_audits(session, prefecture_id):
        if as_of is not None and audit.audit_date > as_of:
            continue
        row = session.exec(select(AuditFinding).where(AuditFinding.audit_id == audit.id,
                                                      AuditFinding.engagement_key == engagement_key)).first()
        if row is not None:
            view = next(v for v in audit_findings(session, audit.id or 0) if v.finding.id == row.id)
            return audit, view
    return None


# ------------------------------------------------------------------ writing in the app


def create_audit(session: Session, prefecture_id: int, *, kind: str, audit_date: dt.date, auditor: str = "",
                 organisation: str = "", modules: Iterable[str] = (), today: dt.date | None = None) -> Audit:
    """A new audit (findings come next); checked, French reasons in :class:`PilotageError`."""
    refs = referentiel_index(session, prefecture_id)
    modules = [m for m in dict.fromkeys(modules)]
    errors = []
    if kind not in AUDIT_KINDS:
        errors.append(f"type d'audit inconnu « {kind} » (attendu : {choices('audit_kind')})")
    if today is not None and audit_date > today:
        errors.append(f"la date de l'audit ({audit_date:%d/%m/%Y}) est dans le futur")
    for text_, what in ((auditor, "nom de l'auditeur"), (organisation, "nom de l'organisme")):
        if len(" ".join(text_.split())) > 200:
            errors.append(f"{what} trop long (200 caractères au plus)")
    unknown = [m for m in modules if m not in refs.modules]
    if unknown:
        errors.append(f"{plural(len(unknown), 'module inconnu', 'modules inconnus')} : {', '.join(unknown)}")
    if not modules:
        errors.append("choisissez au moins un module audité")
    existing = _same_audit(session, prefecture_id, kind, audit_date)
    if existing is not None:
        errors.append(f"{audit_title(existing)} existe déjà (n° {existing.id})")
    if errors:
        raise PilotageError(errors)
    audit = Audit(prefecture_id=prefecture_id, kind=kind, audit_date=audit_date, auditor=" ".join(auditor.split()),
                  organisation=" ".join(organisation.split()), modules=",".join(_module_order(modules, refs)))
    session.add(audit)
    session.flush()
    return audit


def _module_order(modules: Iterable[str], refs: ReferentielIndex) -> list[str]:
    order = list(refs.modules)
    return sorted(set(modules), key=lambda m: order.index(m) if m in order else len(order))


def _same_audit(session: Session, prefecture_id: int, kind: str, day: dt.date) -> Audit | None:
    return session.exec(select(Audit).where(Audit.prefecture_id == prefecture_id, Audit.kind == kind,
                                            Audit.audit_date == day)).first()


def findings_table(session: Session, audit: Audit) -> list[dict[str, Any]]:
    """Rows of the app's grid: every engagement of the audit's modules, with what was found."""
    refs = referentiel_index(session, audit.prefecture_id)
    found = {v.key: v for v in audit_findings(session, audit.id or 0)}
    keys = [e.key for m in audit_modules(audit) for e in refs.engagements_of_module(m)]
    keys += [k for k in found if k not in keys]
    rows = []
    for key in keys:
        view = found.get(key)
        rows.append({
            "engagement": key, "label": refs.engagement_label(key),
            "conformity": view.finding.conformity if view else None,
            "comments": format_comments([Remark(r.remark.kind, r.remark.text) for r in view.remarks],
                                        view.finding.note) if view else "",
        })
    return rows


def save_findings(session: Session, audit: Audit, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Apply the grid: conformity and comments per engagement. A remark kept word for word keeps
    its identity (and the action answering it); a remark removed from the comments loses its link
    but its action stays, with the sentence saying what it answered. A row left without
    conformity nor comments removes the finding."""
    refs = referentiel_index(session, audit.prefecture_id)
    errors, drafts = [], []
    for raw in rows:
        key = str(raw.get("engagement") or "")
        if key not in refs.engagements:
            errors.append(f"engagement inconnu « {key} »")
            continue
        text = raw.get("conformity")
        conformity = None if text in (None, "") or (isinstance(text, float)) else str(text)
        if conformity is not None and conformity not in CONFORMITIES:
            code = lookup("conformity", conformity)
            if code is None:
                errors.append(f"{refs.engagement_label(key)[:50]} : conformité inconnue « {conformity} » "
                              f"(attendu : {choices('conformity')})")
                continue
            conformity = code
        comments = raw.get("comments")
        parsed = parse_comments("" if comments is None or isinstance(comments, float) else comments)
        drafts.append(FindingDraft(key, conformity, list(parsed.remarks), parsed.note, 0))
    if errors:
        raise PilotageError(errors)
    return _write_findings(session, audit, drafts, replace_all=True)


@dataclass
class FindingDraft:
    engagement_key: str
    conformity: str | None
    remarks: list[Remark]
    note: str
    row: int

    @property
    def empty(self) -> bool:
        return self.conformity is None and not self.remarks and not self.note


def _write_findings(session: Session, audit: Audit, drafts: list[FindingDraft], replace_all: bool) -> list[str]:
    existing = {f.engagement_key: f for f in session.exec(select(AuditFinding).where(AuditFinding.audit_id == audit.id))}
    changed = added = removed = 0
    for draft in drafts:
        finding = existing.get(draft.engagement_key)
        if draft.empty:
            if finding is not None:
                _delete_finding(session, finding)
                removed += 1
            continue
        if finding is None:
            finding = AuditFinding(audit_id=audit.id or 0, engagement_key=draft.engagement_key)
            added += 1
        elif (finding.conformity, finding.note) != (draft.conformity, draft.note):
            changed += 1
        finding.conformity, finding.note = draft.conformity, draft.note
        session.add(finding)
        session.flush()
        if _sync_remarks(session, finding, draft.remarks) and finding.engagement_key in existing:
            changed += 1
    session.flush()
    done = []
    if added:
        done.append(count_text(added, "constat ajouté", "constats ajoutés"))
    if changed:
        done.append(count_text(changed, "constat modifié", "constats modifiés"))
    if removed:
        done.append(count_text(removed, "constat retiré", "constats retirés"))
    return done


def _sync_remarks(session: Session, finding: AuditFinding, remarks: list[Remark]) -> bool:
    """Keep remarks unchanged word for word (their actions keep their link); returns True if any changed."""
    current = list(session.exec(select(AuditRemark).where(AuditRemark.finding_id == finding.id)
                                .order_by(col(AuditRemark.position), col(AuditRemark.id))))
    pool = {(r.kind, normalize(r.text)): r for r in current}
    kept: set[int] = set()
    changed = False
    for position, remark in enumerate(remarks):
        row = pool.pop((remark.kind, normalize(remark.text)), None)
        if row is None:
            row = AuditRemark(finding_id=finding.id or 0, kind=remark.kind, text=remark.text, position=position)
            changed = True
        row.position = position
        session.add(row)
        session.flush()
        kept.add(row.id or 0)
    for row in current:
        if row.id not in kept:
            _unlink_actions(session, remark_id=row.id)
            session.delete(row)
            changed = True
    session.flush()
    return changed


def _unlink_actions(session: Session, remark_id: int | None = None, finding_id: int | None = None) -> None:
    stmt = select(Action)
    stmt = stmt.where(Action.remark_id == remark_id) if remark_id is not None else stmt.where(
        Action.finding_id == finding_id)
    for action in session.exec(stmt):
        if remark_id is not None:
            action.remark_id = None
        else:
            action.finding_id = None
            action.remark_id = None
        session.add(action)
    session.flush()


def _delete_finding(session: Session, finding: AuditFinding) -> None:
    for remark in session.exec(select(AuditRemark).where(AuditRemark.finding_id == finding.id)):
        _unlink_actions(session, remark_id=remark.id)
        session.delete(remark)
    _unlink_actions(session, finding_id=finding.id)
    session.flush()
    session.delete(finding)
    session.flush()


def delete_audit(session: Session, prefecture_id: int, audit_id: int) -> str:
    """Remove an audit with its findings; the actions that answered it stay (with their origin in words)."""
    audit = session.get(Audit, audit_id)
    if audit is None or audit.prefecture_id != prefecture_id:
        raise PilotageError(f"audit n° {audit_id} introuvable")
    for finding in session.exec(select(AuditFinding).where(AuditFinding.audit_id == audit_id)).all():
        _delete_finding(session, finding)
    title = audit_title(audit)
    session.delete(audit)
    session.flush()
    return title


# ------------------------------------------------------------------ remarks and NC → actions


def _origin_text(audit: Audit, finding: AuditFinding, refs: ReferentielIndex, what: str) -> str:
    eng = refs.engagements.get(finding.engagement_key)
    number = engagement_number(eng) if eng else finding.engagement_key
    return f"{audit_title(audit)} — engagement {number} — {what}"


def action_from_remark(session: Session, prefecture_id: int, remark_id: int, today: dt.date, user: str = "",
                       due_date: dt.date | None = None) -> Action:
    """The action answering a PS or PP (an existing one is returned as it is: one click, one action)."""
    remark = session.get(AuditRemark, remark_id)
    finding = session.get(AuditFinding, remark.finding_id) if remark else None
    audit = session.get(Audit, finding.audit_id) if finding else None
    if remark is None or finding is None or audit is None or audit.prefecture_id != prefecture_id:
        raise PilotageError(f"remarque n° {remark_id} introuvable")
    if remark.kind not in ACTIONABLE_REMARKS:
        raise PilotageError("un point fort n'appelle pas d'action")
    existing = session.exec(select(Action).where(Action.remark_id == remark_id)).first()
    if existing is not None:
        return existing
    refs = referentiel_index(session, prefecture_id)
    return create_action(
        session, prefecture_id, title=remark.text, module_code=refs.engagements[finding.engagement_key].module_code,
        engagement_key=finding.engagement_key, source=AUDIT_ACTION_SOURCE[audit.kind], today=today, due_date=due_date,
        remark_id=remark.id, finding_id=finding.id, user=user,
        answers=_origin_text(audit, finding, refs, f"{remark.kind} : {remark.text[:120]}"),
    )


def action_from_finding(session: Session, prefecture_id: int, finding_id: int, today: dt.date, user: str = "",
                        due_date: dt.date | None = None) -> Action:
    """The corrective action a non-conformity calls for."""
    finding = session.get(AuditFinding, finding_id)
    audit = session.get(Audit, finding.audit_id) if finding else None
    if finding is None or audit is None or audit.prefecture_id != prefecture_id:
        raise PilotageError(f"constat n° {finding_id} introuvable")
    if finding.conformity not in NON_CONFORMITIES:
        raise PilotageError("seule une non-conformité appelle une action corrective")
    existing = session.exec(select(Action).where(col(Action.finding_id) == finding_id, col(Action.remark_id).is_(None))).first()
    if existing is not None:
        return existing
    refs = referentiel_index(session, prefecture_id)
    label = CONFORMITIES[finding.conformity or ""]
    eng = refs.engagements[finding.engagement_key]
    title = f"Lever la {label.lower().replace('nc', 'non-conformité')} de l'engagement {engagement_number(eng)}"
    if finding.note:
        title += f" : {finding.note[:300]}"
    return create_action(
        session, prefecture_id, title=title, module_code=eng.module_code, engagement_key=finding.engagement_key,
        source=AUDIT_ACTION_SOURCE[audit.kind], today=today, due_date=due_date, finding_id=finding.id, user=user,
        answers=_origin_text(audit, finding, refs, label),
    )


def actions_for_all(session: Session, prefecture_id: int, audit_id: int, today: dt.date, user: str = "") -> int:
    """One action for every PS, PP and non-conformity of the audit that has none yet; how many were made."""
    made = 0
    for view in audit_findings(session, audit_id):
        for r in view.remarks:
            if r.remark.kind in ACTIONABLE_REMARKS and r.action is None:
                action_from_remark(session, prefecture_id, r.remark.id or 0, today, user)
                made += 1
        if view.is_non_conformity and view.nc_action is None:
            action_from_finding(session, prefecture_id, view.finding.id or 0, today, user)
            made += 1
    return made


def link_actions_to_remarks(session: Session, prefecture_id: int) -> int:
    """Link each action to the PS or PP it copies word for word (same engagement, same text), when
    neither is linked yet: a plan typed from the report, imported before or after the audit, then
    shows which remarks are answered. Returns how many links were made."""
    actions = [a for a in list_actions(session, prefecture_id) if a.remark_id is None and a.engagement_key]
    if not actions:
        return 0
    linked: set[int | None] = {a.remark_id for a in list_actions(session, prefecture_id) if a.remark_id}
    made = 0
    for audit in list_audits(session, prefecture_id):
        refs = None
        for view in audit_findings(session, audit.id or 0):
            for r in view.remarks:
                if r.remark.kind not in ACTIONABLE_REMARKS or r.remark.id in linked:
                    continue
                text = normalize(r.remark.text)
                match = next((a for a in actions if a.engagement_key == view.key and normalize(a.title) == text), None)
                if match is None:
                    continue
                refs = refs or referentiel_index(session, prefecture_id)
                match.remark_id, match.finding_id = r.remark.id, view.finding.id
                match.answers = match.answers or _origin_text(audit, view.finding, refs,
                                                              f"{r.remark.kind} : {r.remark.text[:120]}")
                session.add(match)
                actions.remove(match)
                linked.add(r.remark.id)
                made += 1
    session.flush()
    return made


def action_label(action: Action) -> str:
    return f"action {display_ref(action)} ({STATUSES.get(action.status, action.status).lower()})"


# ------------------------------------------------------------------ importing a report's table


@dataclass
class AuditMeta:
    kind: str | None = None
    audit_date: dt.date | None = None
    auditor: str = ""
    organisation: str = ""
    modules: list[str] = field(default_factory=list)


@dataclass
class AuditFilePlan:
    file_name: str
    sha256: str
    meta: AuditMeta
    findings: list[FindingDraft]
    errors: list[Issue]
    warnings: list[Issue]
    already_imported: ImportBatch | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def replacements(self) -> list[object]:
        """An audit is added, never replaced (the same audit twice is refused)."""
        return []

    def summary(self) -> str:
        if (settled := settled_summary(self)) is not None:
            return settled
        counts = {k: sum(1 for f in self.findings for r in f.remarks if r.kind == k) for k in REMARK_KINDS}
        nc = sum(1 for f in self.findings if f.conformity in NON_CONFORMITIES)
        kind = KIND_PHRASES.get(self.meta.kind or "", "?")
        day = f"{self.meta.audit_date:%d/%m/%Y}" if self.meta.audit_date else "?"
        text = (f"{self.file_name} : audit {kind} du {day}, {count_text(len(self.findings), 'constat')}, "
                f"{count_text(nc, 'non-conformité')}, "
                f"{counts['PF']} PF, {counts['PS']} PS, {counts['PP']} PP")
        return text + (f" ; {count_text(len(self.warnings), 'avertissement')}" if self.warnings else "")


def _read_meta(source: SourceFile, sheet: str, upto: int, refs: ReferentielIndex, log: IssueLog) -> AuditMeta:
    meta = AuditMeta()
    for index, row in enumerate(source.rows(sheet, min(upto, HEAD_ROWS))):
        cells = [c for c in row if cell_text(c)]
        if len(cells) < 2:
            continue
        found = match_header_fields(cells[:1], META_FIELDS, frozenset({"type", "audit", "date"}), text_only=True)
        if not found:
            continue
        name, value = next(iter(found)), cells[1]
        if name == "kind":
            meta.kind = lookup("audit_kind", value)
            if meta.kind is None:
                log.error(f"type d'audit inconnu « {cell_text(value)} » (attendu : {choices('audit_kind')})", sheet,
                          index + 1)
        elif name == "date":
            try:
                meta.audit_date = parse_date(value)
            except DateFormatError as exc:
                log.error(str(exc), sheet, index + 1)
        elif name == "auditor":
            meta.auditor = cell_text(value)
        elif name == "organisation":
            meta.organisation = cell_text(value)
        else:
            meta.modules = [m for part in cell_text(value).replace(";", ",").split(",")
                            if (m := refs.module_of(part.strip()))]
    return meta


def _section_module(label: str, refs: ReferentielIndex) -> str | None:
    """A heading row's module: « MODULE 4 - RELATIONS… », « PILOTAGE DE LA POLITIQUE QUALITE »."""
    norm = normalize(label)
    if norm.startswith(("module", "mod ")):
        import re

        if re.match(r"^(?:module|mod)\s*(?:n\s*)?\d\s+\d{1,3}\b", norm):
            return None  # « Module 1 17. … » is an engagement
        return refs.module_of(label)
    if norm.startswith("pilotage"):
        return "PIL"
    if "labellisation" in norm.split()[:3]:
        return "LAB"
    return None


def _read_findings(table: Table, refs: ReferentielIndex, log: IssueLog) -> list[FindingDraft]:
    drafts: dict[str, FindingDraft] = {}
    module: str | None = None
    header = [normalize(c) for c in table.rows[table.header_row]]
    for number, cells in table.body():
        label = cell_text(table.get(cells, "engagement"))
        comments = table.get(cells, "comments")
        conformity_text = cell_text(table.get(cells, "conformity"))
        if not label or [normalize(c) for c in cells] == header:
            continue  # the header repeated on a new page, or the « Appréciation de l'auditeur » band
        section = _section_module(label, refs)
        if section is not None and not conformity_text:
            module = section
            continue
        key = refs.engagement_of(label, module if module in ("PIL", "LAB") else None)
        if key is None:
            if conformity_text or cell_text(comments):
                log.error(f"« {label[:70]} » : engagement non reconnu (attendu « Module 1 17. … », ou « 3. Formation "
                          "du personnel » sous le titre « Pilotage de la politique qualité »)", table.sheet, number,
                          table.column("engagement"))
            continue  # a heading: « ACCUEIL PHYSIQUE », « AUDIT A DISTANCE : Internet »
        conformity = None
        if conformity_text:
            conformity = lookup("conformity", conformity_text)
            if conformity is None:
                log.error(f"conformité inconnue « {conformity_text} » (attendu : {choices('conformity')})", table.sheet,
                          number, table.column("conformity"))
                continue
        parsed = parse_comments(comments)
        draft = FindingDraft(key, conformity, list(parsed.remarks), parsed.note, number)
        if key in drafts:
            _merge(drafts[key], draft, refs, table, log)
        else:
            drafts[key] = draft
    for draft in drafts.values():
        if draft.conformity is None:
            log.warn(f"engagement {refs.engagement_label(draft.engagement_key)[:50]} : conformité non renseignée "
                     "(constat enregistré « non évalué »)", table.sheet, draft.row, table.column("conformity"))
    return list(drafts.values())


def _merge(first: FindingDraft, second: FindingDraft, refs: ReferentielIndex, table: Table, log: IssueLog) -> None:
    """One engagement assessed twice in the report (on site, then remotely): one finding."""
    a, b = first.conformity, second.conformity
    if a and b and a != b:
        kept = a if CONFORMITY_SEVERITY[a] >= CONFORMITY_SEVERITY[b] else b
        log.warn(f"engagement {refs.engagement_label(first.engagement_key)[:50]} évalué deux fois (lignes {first.row} "
                 f"et {second.row}) : {CONFORMITIES[a]} puis {CONFORMITIES[b]} ; « {CONFORMITIES[kept]} » est retenu",
                 table.sheet, second.row, table.column("conformity"))
        first.conformity = kept
    else:
        first.conformity = a or b
    seen = {(r.kind, normalize(r.text)) for r in first.remarks}
    first.remarks.extend(r for r in second.remarks if (r.kind, normalize(r.text)) not in seen)
    if second.note and second.note not in first.note:
        first.note = f"{first.note} {second.note}".strip()


def analyze_audit_file(session: Session, prefecture_id: int, file_name: str, data: bytes, *, kind: str | None = None,
                       audit_date: dt.date | None = None, auditor: str | None = None,
                       organisation: str | None = None, modules: Iterable[str] | None = None,
                       today: dt.date | None = None) -> AuditFilePlan:
    """Read a report's table; what the caller gives wins over the rows above the table."""
    try:
        source = open_source(file_name, data)
    except ImportRejected as exc:
        return AuditFilePlan(exc.file_name, "", AuditMeta(), [], exc.errors, [])
    refs = referentiel_index(session, prefecture_id)
    log = IssueLog()
    meta = AuditMeta()
    findings: list[FindingDraft] = []
    try:
        for sheet in source.sheet_names:
            table = find_table(source, sheet, AUDIT_FIELDS, ("engagement", "conformity"),
                               frozenset({"engagement", "engagements", "constat", "resultat", "conforme"}))
            if table is None:
                continue
            if findings:
                log.error("un seul audit par fichier : un tableau d'engagements figure déjà sur une autre feuille",
                          sheet)
                break
            meta = _read_meta(source, sheet, table.header_row, refs, log)
            findings = _read_findings(table, refs, log)
    except ImportRejected as exc:
        return AuditFilePlan(exc.file_name, source.sha256, AuditMeta(), [], exc.errors, [])
    meta.kind = kind or meta.kind
    meta.audit_date = audit_date or meta.audit_date
    meta.auditor = auditor if auditor is not None else meta.auditor
    meta.organisation = organisation if organisation is not None else meta.organisation
    if modules:
        meta.modules = list(modules)
    if not findings and log.ok:
        log.error("aucun tableau d'audit reconnu : il faut une ligne d'en-tête « Engagements de service » / "
                  "« Commentaires » / « Conformité » et une ligne par engagement")
    if meta.kind is None:
        log.error(f"type d'audit inconnu : précisez-le ({choices('audit_kind')}) ou ajoutez une ligne « Type d'audit » "
                  "au-dessus du tableau")
    elif meta.kind not in AUDIT_KINDS:
        log.error(f"type d'audit inconnu « {meta.kind} » (attendu : {choices('audit_kind')})")
    for text_, what in ((meta.auditor, "nom de l'auditeur"), (meta.organisation, "nom de l'organisme")):
        if len(text_ or "") > 200:
            log.error(f"{what} trop long ({len(text_)} caractères, 200 au plus)")
    if meta.audit_date is None:
        log.error("date de l'audit inconnue : précisez-la ou ajoutez une ligne « Date de l'audit » au-dessus du tableau")
    elif today is not None and meta.audit_date > today:
        log.error(f"la date de l'audit ({meta.audit_date:%d/%m/%Y}) est dans le futur")
    found_modules = _module_order((refs.engagements[f.engagement_key].module_code for f in findings), refs)
    meta.modules = _module_order([*meta.modules, *found_modules], refs)
    outside = [m for m in found_modules if m not in refs.labelled]
    if outside:
        log.warn("constats sur des modules non labellisés pour cette préfecture : "
                 + ", ".join(refs.module_short(m) for m in outside) + " (voir Paramètres)")
    plan = AuditFilePlan(source.name, source.sha256, meta, findings, log.all_errors(), log.warnings)
    if plan.ok:
        settle_audit_plan(session, prefecture_id, plan)
    return plan


def settle_audit_plan(session: Session, prefecture_id: int, plan: AuditFilePlan) -> AuditFilePlan:
    """What the database says of an accepted plan: the same file already imported, the same audit
    already there. Run at the end of the analysis, and again in the write transaction for a plan
    analysed outside it (:mod:`qep_core.importing.sandbox`): either may have changed meanwhile."""
    meta = plan.meta
    if settle_ledger(plan, already_imported(session, prefecture_id, KIND_AUDIT, plan.sha256)) and meta.kind \
            and meta.audit_date:
        same = _same_audit(session, prefecture_id, meta.kind, meta.audit_date)
        if same is not None:
            plan.errors.append(Issue("erreur", f"{audit_title(same)} existe déjà (n° {same.id}) : supprimez-le "
                                               "d'abord dans la page Audits pour le remplacer"))
    return plan


def import_audit_file(engine: Engine, prefecture_id: int, file_name: str, data: bytes, *, user: str = "",
                      dry_run: bool = False, today: dt.date | None = None, **meta: Any) -> tuple[AuditFilePlan,
                                                                                                 Audit | None]:
    """Analyse and, unless *dry_run*, save the audit in one transaction. Raises ImportRejected."""
    with session_scope(engine, write=not dry_run) as session:
        if session.get(Prefecture, prefecture_id) is None:
            raise PrefectureError(f"préfecture inconnue : {prefecture_id}")
        plan = analyze_audit_file(session, prefecture_id, file_name, data, today=today or dt.date.today(), **meta)
        if not plan.ok:
            raise ImportRejected(plan.file_name, plan.errors)
        if dry_run or plan.already_imported is not None:
            return plan, None
        return plan, save_audit_plan(session, prefecture_id, plan, user)


def save_audit_plan(session: Session, prefecture_id: int, plan: AuditFilePlan, user: str = "") -> Audit:
    stub = SourceFile(plan.file_name, b"", plan.sha256, "")
    record = record_import(session, prefecture_id, KIND_AUDIT, stub, user, plan.summary(), plan.warnings,
                           rows=len(plan.findings))
    audit = Audit(prefecture_id=prefecture_id, kind=plan.meta.kind or "", audit_date=plan.meta.audit_date or dt.date.today(),
                  auditor=plan.meta.auditor, organisation=plan.meta.organisation, modules=",".join(plan.meta.modules),
                  import_id=record.id)
    session.add(audit)
    session.flush()
    _write_findings(session, audit, plan.findings, replace_all=False)
    link_actions_to_remarks(session, prefecture_id)
    return audit


# ------------------------------------------------------------------ export


def export_audit_rows(session: Session, audit: Audit) -> list[list[str]]:
    """The audit as the report's table (header first): re-importable."""
    refs = referentiel_index(session, audit.prefecture_id)
    rows: list[list[str]] = [["Type d'audit", AUDIT_KINDS[audit.kind]], ["Date de l'audit", f"{audit.audit_date:%d/%m/%Y}"],
                             ["Auditeur", audit.auditor], [], ["Engagements de service", "Commentaires", "Conformité"]]
    module = None
    for view in audit_findings(session, audit.id or 0):
        eng = view.engagement
        if eng is None:
            continue
        if eng.module_code != module:
            module = eng.module_code
            rows.append([refs.module_title(module).upper(), "", ""])
        label = (f"Module {module[1:]} {eng.number}. {eng.title}" if eng.number is not None
                 else f"{eng.key.removeprefix(module)}. {eng.title}")
        rows.append([label, format_comments([Remark(r.remark.kind, r.remark.text) for r in view.remarks],
                                            view.finding.note),
                     CONFORMITIES.get(view.finding.conformity or "", "")])
    return rows
