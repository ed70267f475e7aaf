"""Importing tracking sheets and item logs: analyse an upload, save it, undo a batch, the import
history and the values imports replaced, the template — each one operation, checked and cut to
the principal.

A contributor is limited to its périmètres: a file that touches any other périmètre (another
service, a périmètre still to create, or the préfecture as a whole when the file has no
périmètre column) is shown as refused when analysed and refused whole when saved; it may undo a
batch only when every value of it lies in its périmètres, and the history shows it only the
batches and the replaced values of its périmètres.

The importer itself (:mod:`qep_core.importing.service`) is unchanged: it reads, checks and writes
in the transaction these functions open, and writes the import's (or the undo's) change-history
line in it, under the principal's name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import pandas as pd
from sqlalchemy import or_
from sqlmodel import Session, select

from qep_core.access import AccessDenied, Principal, check, check_perimetres
from qep_core.collection.deposits import DepositError, deposit_cells, new_deposit, validation_on
from qep_core.compute import value_from_counts
from qep_core.importing import importers
from qep_core.importing.issues import ERROR, ImportRejected, Issue, display_name
from qep_core.importing.safety import MAX_UPLOAD_MB, check_upload_size
from qep_core.importing.service import (
    ImportOutcome,
    ImportPlan,
    UndoError,
    batch_warnings,
    list_batches,
    replaced_history,
    save_plan,
    settle_plan,
    undo_batch,
)
from qep_core.importing.workbook import FORMATS_TEXT, UPLOAD_TYPES
from qep_core.models import (
    ImportBatch,
    Observation,
    ObservationHistory,
    Perimetre,
    Prefecture,
    local_time,
    paris_today,
)
from qep_core.prefectures import WHOLE_PREFECTURE, perimetre_key
from qep_core.referentiel import ROLE_LABELS, IndicatorDef, engagements_for, indicators_for
from qep_core.rules import channel_mapping, format_value
from qep_core.services._bounded import analysed
from qep_core.services._unit import Actor, StorageError, Unit, operation, unit
from qep_core.services.alerts import tell_subscribers
from qep_core.signals.alerts import changed_months, raise_alerts
from qep_core.template import build_template

__all__ = [
    "ERROR",
    "FORMATS_TEXT",
    "MAX_UPLOAD_MB",
    "ROLE_LABELS",
    "UPLOAD_TYPES",
    "WHOLE_PREFECTURE",
    "AccessDenied",
    "BatchSummary",
    "ImportBatch",
    "ImportOutcome",
    "ImportPlan",
    "ImportRejected",
    "IndicatorDef",
    "Issue",
    "StorageError",
    "TemplateFile",
    "UndoError",
    "analyse_upload",
    "batch_replaced_values",
    "check_upload_size",
    "display_name",
    "format_value",
    "import_history",
    "local_time",
    "perimetre_key",
    "save_upload",
    "template_channels",
    "template_workbook",
    "undo_import",
    "value_from_counts",
]

#: Kinds of file whose values are not observations (surveys): a contributor undoes them only if its own.
NOT_OBSERVATIONS = frozenset({"enquete", "mystere"})


@dataclass(frozen=True)
class BatchSummary:
    """One line of the import history, as the page shows it."""

    id: int
    imported_at: dt.datetime
    file_name: str
    kind: str
    imported_by: str
    rows: int
    replaced: int
    status: str
    warnings: list[Issue] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateFile:
    name: str
    data: bytes
    indicators: int


# --- scope: which périmètres a file or a batch touches ---------------------------------------------

def _prefecture(session: Session, prefecture_id: int) -> Prefecture:
    prefecture = session.get(Prefecture, prefecture_id)
    if prefecture is None:
        raise ValueError(f"préfecture inconnue : {prefecture_id}")
    return prefecture


def _perimetres(session: Session, prefecture_id: int) -> list[Perimetre]:
    return list(session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id)))


def touched_perimetres(session: Session, prefecture_id: int, names: Iterable[object]) -> dict[int, str]:
    """The périmètres that values named so would be stored under: id → name. An empty name is the
    préfecture as a whole; a name matching no périmètre (one still to create) gets a negative id,
    so that no contributor's périmètres contain it."""
    perimetres = _perimetres(session, prefecture_id)
    by_key = {perimetre_key(p.name): p for p in perimetres}
    whole = next((p for p in perimetres if p.kind == "prefecture"), None)
    out: dict[int, str] = {}
    new: dict[str, int] = {}
    for name in dict.fromkeys(names):
        text = name.strip() if isinstance(name, str) else ""
        found = whole if not text else by_key.get(perimetre_key(text))
        if found is not None and found.id is not None:
            out[found.id] = found.name
            continue
        shown = text or WHOLE_PREFECTURE
        key = perimetre_key(shown)
        if key not in new:
            new[key] = -(len(new) + 1)
            out[new[key]] = shown
    return out


def plan_perimetres(session: Session, prefecture_id: int, plan: ImportPlan) -> dict[int, str]:
    """Every périmètre the plan's values (and its log's items) would be stored under."""
    names: list[object] = list(plan.drafts["perimetre"]) if "perimetre" in plan.drafts else []
    if len(plan.items) and "perimetre" in plan.items:
        names += list(plan.items["perimetre"])
    return touched_perimetres(session, prefecture_id, names)


def batch_perimetres(session: Session, batch_ids: Iterable[int]) -> dict[int, set[int]]:
    """The périmètres of each batch's values: those it stored (still there or since replaced) and
    those it replaced."""
    ids = sorted(set(batch_ids))
    out: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return out
    stored = session.exec(select(Observation.batch_id, Observation.perimetre_id)
                          .where(Observation.batch_id.in_(ids)).distinct())  # type: ignore[union-attr]
    for batch_id, perimetre_id in stored:
        out[int(batch_id or 0)].add(int(perimetre_id))
    history = session.exec(select(ObservationHistory.batch_id, ObservationHistory.replaced_by_batch_id,
                                  ObservationHistory.perimetre_id)
                           .where(or_(ObservationHistory.batch_id.in_(ids),  # type: ignore[union-attr]
                                      ObservationHistory.replaced_by_batch_id.in_(ids)))  # type: ignore[attr-defined]
                           .distinct())
    for old, new, perimetre_id in history:
        for batch_id in (old, new):
            if batch_id is not None and int(batch_id) in out:
                out[int(batch_id)].add(int(perimetre_id))
    return out


def _allowed_names(session: Session, prefecture_id: int, principal: Principal) -> set[str] | None:
    """Names of the principal's périmètres in this préfecture (None: all of them)."""
    if principal.perimetre_ids is None:
        return None
    return {p.name for p in _perimetres(session, prefecture_id) if principal.sees_perimetre(p.id or 0)}


def _cut(session: Session, prefecture_id: int, principal: Principal, plan: ImportPlan) -> ImportPlan:
    """The plan as this principal may read it: the stored values it would replace, only in its
    périmètres (the file's own values are the uploader's)."""
    allowed = _allowed_names(session, prefecture_id, principal)
    if allowed is not None and len(plan.replacements):
        plan.replacements = plan.replacements[plan.replacements["perimetre"].isin(allowed)].reset_index(drop=True)
    return plan


def _rejected_plan(exc: ImportRejected) -> ImportPlan:
    plan: ImportPlan = importers.refused("suivi", exc.file_name, list(exc.errors))
    return plan


# --- operations ----------------------------------------------------------------------------------

def bounded_plan(actor: Actor, prefecture_id: int, file_name: str, content: bytes, *, log_kind: str | None = None,
                 as_of: dt.date | None = None, replacements: bool = True) -> ImportPlan:
    """The file's plan, read in a child process within the import budget and outside any write
    transaction (:mod:`qep_core.importing.sandbox`); a refused plan when the file exceeds it."""
    plan: ImportPlan = analysed(actor, prefecture_id, "suivi", file_name, content, log_kind=log_kind, as_of=as_of,
                                plan_replacements=replacements)
    return plan


@operation("import", writes=False)
def analyse_upload(actor: Actor, prefecture_id: int, file_name: str, content: bytes, *, log_kind: str | None = None,
                   as_of: dt.date | None = None) -> ImportPlan:
    """What the file would change, nothing written: its values, errors, warnings, the stored values
    it would replace (those of the principal's périmètres) and its summary. A file touching a
    périmètre outside a contributor's is shown refused, with the périmètres named. The file is
    read in a bounded child process (see :func:`bounded_plan`)."""
    check(actor.principal, "import", prefecture_id=prefecture_id)  # before any reading
    plan = bounded_plan(actor, prefecture_id, file_name, content, log_kind=log_kind, as_of=as_of)
    try:
        with unit(actor, "import", prefecture_id=prefecture_id) as work:
            if plan.already_imported is None and plan.sha256:
                touched = plan_perimetres(work.session, prefecture_id, plan)
                try:
                    check_perimetres(work.principal, touched, touched)
                except AccessDenied as exc:
                    plan.errors.insert(0, Issue(ERROR, str(exc)))
            return _cut(work.session, prefecture_id, work.principal, plan)
    except StorageError as exc:
        return _rejected_plan(ImportRejected(file_name, [Issue(ERROR, str(exc))]))


@operation("import", writes=True)
def save_upload(actor: Actor, prefecture_id: int, file_name: str, content: bytes, *, log_kind: str | None = None,
                kind: str | None = None, dry_run: bool = False, as_of: dt.date | None = None) -> ImportOutcome:
    """Read the file in a bounded child process, outside any transaction, then bring its plan up
    to date with the database as it is now and save it in one short transaction, with its history
    line under the principal's name. Raises :class:`ImportRejected` (errors — a storage fault
    too —, nothing written) or :class:`AccessDenied` (a périmètre outside the principal's, nothing
    written). *dry_run* checks everything and writes nothing."""
    return _save(actor, "import", prefecture_id, file_name, content, log_kind=log_kind, kind=kind, dry_run=dry_run,
                 as_of=as_of)


def _save(actor: Actor, action: str, prefecture_id: int, file_name: str, content: bytes, *,
          log_kind: str | None = None, kind: str | None = None, dry_run: bool = False,
          as_of: dt.date | None = None, names: Mapping[int, str] | None = None, author: str | None = None,
          then: Callable[[Unit, ImportOutcome], None] | None = None) -> ImportOutcome:
    """The save of :func:`save_upload` (and of a typed entry, action ``enter``, and of a validated
    deposit, under its depositor's name *author*, *then* marking it in the same transaction).

    Where the préfecture asks for validation and the principal may not validate, the file checked
    whole becomes a deposit « à valider » instead (:mod:`qep_core.collection.deposits`): nothing of
    it counts until the référente validates it."""
    check(actor.principal, action, prefecture_id=prefecture_id)  # before any reading
    check_upload_size(file_name, len(content))
    analysed = bounded_plan(actor, prefecture_id, file_name, content, log_kind=log_kind, as_of=as_of,
                            replacements=False)
    if not analysed.ok:  # refused on its content: no transaction at all
        raise ImportRejected(analysed.file_name, analysed.errors)
    try:
        with unit(actor, action, prefecture_id=prefecture_id, write=not dry_run) as work:
            prefecture = _prefecture(work.session, prefecture_id)
            plan = settle_plan(work.session, prefecture, analysed)
            if plan.already_imported is None:  # refused whole, before anything else, when outside its périmètres
                touched = plan_perimetres(work.session, prefecture_id, plan)
                work.check_perimetres(touched, touched)
            if not plan.ok:
                raise ImportRejected(plan.file_name, plan.errors)
            if dry_run or plan.already_imported is not None:
                return ImportOutcome(_cut(work.session, prefecture_id, work.principal, plan), None)
            if prefecture.deposits_need_validation and not work.principal.can("validate_imports"):
                return _deposit(work, prefecture_id, plan, content, log_kind=log_kind, kind=kind, as_of=as_of)
            outcome = save_plan(work.session, prefecture, plan, author or work.principal.author, reuse_analysis=True,
                                kind=kind)
            _cut(work.session, prefecture_id, work.principal, outcome.plan)
            if outcome.batch is not None:  # the crossings of the months it changed, stored with its values
                raise_alerts(work.session, prefecture_id, changed_months(work.session, outcome.batch.id or 0),
                             outcome.batch.id)
            if then is not None:
                then(work, outcome)
    except StorageError as exc:
        raise ImportRejected(display_name(file_name), [Issue(ERROR, str(exc))]) from exc
    if outcome.batch is None:
        return outcome
    return replace(outcome, alerts=tell_subscribers(actor, action, prefecture_id, outcome.batch.id or 0))


def _deposit(work: Unit, prefecture_id: int, plan: ImportPlan, content: bytes, *, log_kind: str | None,
             kind: str | None, as_of: dt.date | None) -> ImportOutcome:
    """Keep the file checked whole as a deposit waiting for validation, with its history line; the
    deposit's own refusals (the same file waiting, too many waiting) are the file's."""
    perimetres = _perimetres(work.session, prefecture_id)
    by_key = {perimetre_key(p.name): p.id or 0 for p in perimetres}
    whole = next((p.id or 0 for p in perimetres if p.kind == "prefecture"), 0)
    drafts = plan.drafts
    names = drafts["perimetre"] if "perimetre" in drafts else [""] * len(drafts)
    spans = [(whole if not (text := name.strip() if isinstance(name, str) else "") else by_key.get(perimetre_key(text), 0),
              start, end) for name, start, end in zip(names, drafts["start"], drafts["end"], strict=True)] if len(drafts) else []
    try:
        deposit = new_deposit(work.session, prefecture_id, file_name=plan.file_name, sha256=plan.sha256,
                              content=content, log_kind=log_kind, kind=kind, as_of=as_of or paris_today(),
                              author=work.principal.author, cells=deposit_cells(spans), rows=plan.rows,
                              summary=plan.summary())
    except DepositError as exc:
        raise ImportRejected(plan.file_name, [Issue(ERROR, str(exc))]) from exc
    work.record("deposit", plan.file_name, f"dépôt n° {deposit.id} à valider — {plan.summary()}")
    return ImportOutcome(_cut(work.session, prefecture_id, work.principal, plan), None, deposit_id=deposit.id)


@operation("import", writes=True)
def undo_import(actor: Actor, prefecture_id: int, batch_id: int) -> int:
    """Remove a batch's values and put back those it replaced; the number put back. A contributor
    undoes only a batch whose every value lies in its périmètres. :class:`UndoError` (French)
    when the batch cannot be undone."""
    with unit(actor, "import", prefecture_id=prefecture_id, write=True) as work:
        batch = work.session.get(ImportBatch, batch_id)
        if batch is None or batch.prefecture_id != prefecture_id:
            raise UndoError(f"lot d'import n° {batch_id} introuvable")
        if validation_on(work.session, prefecture_id) and not work.principal.can("validate_imports"):
            raise AccessDenied("Accès refusé : la préfecture valide les dépôts des services ; demandez au référent "
                               f"qualité d'annuler le lot n° {batch_id}.")
        if work.principal.perimetre_ids is not None:
            ids = batch_perimetres(work.session, [batch_id])[batch_id]
            names = {p.id or 0: p.name for p in _perimetres(work.session, prefecture_id)}
            work.check_perimetres(ids, names)
            if (batch.file_kind in NOT_OBSERVATIONS or not ids) and batch.imported_by != work.principal.author:
                raise AccessDenied("Accès refusé : ce lot ne porte sur aucun de vos périmètres ; seuls vos périmètres "
                                   "peuvent être importés, saisis ou annulés.")
        return undo_batch(work.session, prefecture_id, batch_id, user=work.principal.author)


@operation("import", writes=False)
def import_history(actor: Actor, prefecture_id: int) -> list[BatchSummary]:
    """The préfecture's import batches, newest first; a contributor's, only those touching its
    périmètres (and those it imported itself)."""
    with unit(actor, "import", prefecture_id=prefecture_id) as work:
        batches = list_batches(work.session, prefecture_id)  # files of indicator values (the ledger's other
        # lines, pilotage files, are corrected in their own pages)
        principal = work.principal
        if principal.perimetre_ids is not None:
            touched = batch_perimetres(work.session, [b.id or 0 for b in batches])
            batches = [b for b in batches if b.imported_by == principal.author
                       or any(principal.sees_perimetre(p) for p in touched[b.id or 0])]
        return [BatchSummary(b.id or 0, b.imported_at, b.file_name, b.kind, b.imported_by, b.rows, b.replaced,
                             b.status, batch_warnings(b)) for b in batches]


@operation("import", writes=False)
def batch_replaced_values(actor: Actor, prefecture_id: int, batch_id: int | None = None) -> pd.DataFrame:
    """Values that imports (*batch_id*, or any) replaced, newest first, dates in Paris time; a
    contributor's, only those of its périmètres."""
    with unit(actor, "import", prefecture_id=prefecture_id) as work:
        frame = replaced_history(work.session, prefecture_id, batch_id)
        allowed = _allowed_names(work.session, prefecture_id, work.principal)
    if allowed is not None and len(frame):
        frame = frame[frame["périmètre"].isin(allowed)].reset_index(drop=True)
    if "le" in frame.columns:
        frame["le"] = [local_time(pd.Timestamp(v).to_pydatetime()).strftime("%d/%m/%Y %H:%M")
                       if v is not None and not pd.isna(v) else "" for v in frame["le"]]
    return frame


def template_channels(indicators: Iterable[IndicatorDef], engagements: Iterable[object]) -> dict[str, str]:
    """Indicator code → channel (sheet) of the template (the rule of :mod:`qep_core.rules.channels`)."""
    return channel_mapping(indicators, engagements)


@operation("import", writes=False)
def template_workbook(actor: Actor, prefecture_id: int | None, year: int) -> TemplateFile:
    """The monthly tracking-sheet template of *year* for the préfecture (or the référentiel's
    default indicators when there is none yet): one sheet per channel, re-importable as is."""
    with unit(actor, "import", prefecture_id=prefecture_id) as work:
        pid = prefecture_id if prefecture_id is not None else -1
        prefecture = work.session.get(Prefecture, pid) if prefecture_id is not None else None
        indicators = indicators_for(work.session, pid)
        engagements = engagements_for(work.session, pid)
    code = prefecture.code if prefecture is not None else ""
    data = build_template(list(indicators), year, template_channels(indicators, engagements),
                          prefecture.name if prefecture is not None else "")
    name = f"modele-suivi-{code}-{year}.xlsx" if code else f"modele-suivi-{year}.xlsx"
    return TemplateFile(name, data, len(indicators))
