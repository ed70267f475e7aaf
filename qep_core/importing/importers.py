"""Every kind of file behind the one import protocol (:mod:`qep_core.importing.protocol`).

``IMPORTERS[file_kind]`` gives the same three steps for each kind of file, with the same shapes:

* ``analyse(session, prefecture, file_name, data, **options)`` → a plan (writes nothing); the
  options are the importer's own (``log_kind=``, ``channel=``, ``as_of=``, ``today=``…);
* ``save(session, prefecture, plan, user)`` → the file's line in the ledger, or None when it was
  already imported;
* ``undo(session, prefecture_id, batch_id, user)`` → values restored (files of indicator values;
  None for pilotage files);
* ``settle(session, prefecture, plan)`` → a plan analysed in the bounded child
  (:mod:`qep_core.importing.sandbox`) brought up to date in the write transaction;
* ``refused(file_name, errors)`` → the plan of a file refused whole (over the import budget).

The importers' own functions (``analyze_file``/``save_plan``, ``analyze_survey``/``save_survey``…)
stay as they are; this module only adapts them, so it imports them all and none imports it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlmodel import Session

from qep_core.importing.issues import Issue
from qep_core.importing.ledger import FILE_KINDS
from qep_core.importing.long_layout import DRAFT_COLUMNS
from qep_core.importing.protocol import Importer, ImportPlanShape
from qep_core.importing.service import ImportPlan, UndoError, analyze_file, save_plan, settle_plan, undo_batch
from qep_core.models import ImportBatch, Prefecture
from qep_core.pilotage.action_files import (
    ActionsFilePlan,
    analyze_actions_file,
    save_actions_file,
    settle_actions_file,
)
from qep_core.pilotage.audits import AuditFilePlan, AuditMeta, analyze_audit_file, save_audit_plan, settle_audit_plan
from qep_core.pilotage.trainings import (
    TrainingsFilePlan,
    analyze_trainings_file,
    save_trainings_plan,
    settle_trainings_plan,
)
from qep_core.surveys.mystery import MysteryPlan, analyze_mystery, save_mystery, settle_mystery
from qep_core.surveys.service import SurveyPlan, analyze_survey, save_survey, settle_survey


def _undo_values(session: Session, prefecture_id: int, batch_id: int, user: str) -> int:
    return undo_batch(session, prefecture_id, batch_id, user=user)


# --- tracking sheets and item logs ---

def _analyse_sheet(session: Session, prefecture: Prefecture, file_name: str, data: bytes,
                   **options: Any) -> ImportPlan:
    return analyze_file(session, prefecture, file_name, data, **options)


def _save_sheet(session: Session, prefecture: Prefecture, plan: ImportPlan, user: str) -> ImportBatch | None:
    return save_plan(session, prefecture, plan, user).batch


def _refused_sheet(file_name: str, errors: list[Issue]) -> ImportPlan:
    return ImportPlan(file_name, "", "inconnu", pd.DataFrame(columns=DRAFT_COLUMNS), errors, [])


# --- surveys and mystery checks ---

def _analyse_survey(session: Session, prefecture: Prefecture, file_name: str, data: bytes,
                    **options: Any) -> SurveyPlan:
    return analyze_survey(session, prefecture, file_name, data, **options)


def _save_survey(session: Session, prefecture: Prefecture, plan: SurveyPlan, user: str) -> ImportBatch | None:
    return save_survey(session, prefecture, plan, user).batch


def _refused_survey(file_name: str, errors: list[Issue]) -> SurveyPlan:
    return SurveyPlan(file_name, "", None, errors)


def _analyse_mystery(session: Session, prefecture: Prefecture, file_name: str, data: bytes,
                     **options: Any) -> MysteryPlan:
    return analyze_mystery(session, prefecture, file_name, data, **options)


def _save_mystery(session: Session, prefecture: Prefecture, plan: MysteryPlan, user: str) -> ImportBatch | None:
    return save_mystery(session, prefecture, plan, user)


def _refused_mystery(file_name: str, errors: list[Issue]) -> MysteryPlan:
    return MysteryPlan(file_name, "", errors=errors)


# --- pilotage files ---

def _analyse_actions(session: Session, prefecture: Prefecture, file_name: str, data: bytes,
                     **options: Any) -> ActionsFilePlan:
    return analyze_actions_file(session, prefecture.id or 0, file_name, data, **options)


def _save_actions(session: Session, prefecture: Prefecture, plan: ActionsFilePlan, user: str) -> ImportBatch | None:
    return save_actions_file(session, prefecture.id or 0, plan, user)


def _settle_actions(session: Session, prefecture: Prefecture, plan: ActionsFilePlan) -> ActionsFilePlan:
    return settle_actions_file(session, prefecture.id or 0, plan)


def _refused_actions(file_name: str, errors: list[Issue]) -> ActionsFilePlan:
    return ActionsFilePlan(file_name, "", "inconnu", errors, [])


def _analyse_audit(session: Session, prefecture: Prefecture, file_name: str, data: bytes,
                   **options: Any) -> AuditFilePlan:
    return analyze_audit_file(session, prefecture.id or 0, file_name, data, **options)


def _save_audit(session: Session, prefecture: Prefecture, plan: AuditFilePlan, user: str) -> ImportBatch | None:
    if plan.already_imported is not None:
        return None
    audit = save_audit_plan(session, prefecture.id or 0, plan, user)
    return session.get(ImportBatch, audit.import_id) if audit.import_id is not None else None


def _settle_audit(session: Session, prefecture: Prefecture, plan: AuditFilePlan) -> AuditFilePlan:
    return settle_audit_plan(session, prefecture.id or 0, plan)


def _refused_audit(file_name: str, errors: list[Issue]) -> AuditFilePlan:
    return AuditFilePlan(file_name, "", AuditMeta(), [], errors, [])


def _analyse_trainings(session: Session, prefecture: Prefecture, file_name: str, data: bytes,
                       **options: Any) -> TrainingsFilePlan:
    return analyze_trainings_file(session, prefecture.id or 0, file_name, data, **options)


def _save_trainings(session: Session, prefecture: Prefecture, plan: TrainingsFilePlan,
                    user: str) -> ImportBatch | None:
    if plan.already_imported is not None:
        return None
    return save_trainings_plan(session, prefecture.id or 0, plan, user)


def _settle_trainings(session: Session, prefecture: Prefecture, plan: TrainingsFilePlan) -> TrainingsFilePlan:
    return settle_trainings_plan(session, prefecture.id or 0, plan)


def _refused_trainings(file_name: str, errors: list[Issue]) -> TrainingsFilePlan:
    return TrainingsFilePlan(file_name, "", errors=errors)


def _importer(file_kind: str, analyse: Any, save: Any, settle: Any, refused: Any, undo: Any = None) -> Importer:
    return Importer(file_kind, FILE_KINDS[file_kind], analyse, save, settle, refused, undo)


#: Kind of file → its steps. A completion table (``bilan``) is read by the action-plan importer.
IMPORTERS: dict[str, Importer] = {
    "suivi": _importer("suivi", _analyse_sheet, _save_sheet, settle_plan, _refused_sheet, _undo_values),
    "journal": _importer("journal", _analyse_sheet, _save_sheet, settle_plan, _refused_sheet, _undo_values),
    "enquete": _importer("enquete", _analyse_survey, _save_survey, settle_survey, _refused_survey, _undo_values),
    "mystere": _importer("mystere", _analyse_mystery, _save_mystery, settle_mystery, _refused_mystery, _undo_values),
    "plan": _importer("plan", _analyse_actions, _save_actions, _settle_actions, _refused_actions),
    "audit": _importer("audit", _analyse_audit, _save_audit, _settle_audit, _refused_audit),
    "formations": _importer("formations", _analyse_trainings, _save_trainings, _settle_trainings, _refused_trainings),
}
_IMPORTER_OF = {"saisie": "suivi", "bilan": "plan"}


def importer(file_kind: str) -> Importer:
    """The steps for a kind of file (``saisie`` → ``suivi``, ``bilan`` → ``plan``)."""
    key = _IMPORTER_OF.get(file_kind, file_kind)
    if key not in IMPORTERS:
        raise ValueError(f"type de fichier inconnu : « {file_kind} » (attendu : {', '.join(IMPORTERS)})")
    return IMPORTERS[key]


def analyse(session: Session, prefecture: Prefecture, file_kind: str, file_name: str, data: bytes,
            **options: Any) -> ImportPlanShape:
    """Read and check a file of the given kind. Writes nothing."""
    return importer(file_kind).analyse(session, prefecture, file_name, data, **options)


def settle(session: Session, prefecture: Prefecture, file_kind: str, plan: Any) -> Any:
    """A plan analysed outside this transaction (in the bounded child), brought up to date with the
    database as it is now. Reads nothing of the file again."""
    return importer(file_kind).settle(session, prefecture, plan)


def refused(file_kind: str, file_name: str, errors: list[Issue]) -> Any:
    """The plan of a file of this kind refused whole, with *errors* (French)."""
    return importer(file_kind).refused(file_name, errors)


def save(session: Session, prefecture: Prefecture, file_kind: str, plan: ImportPlanShape,
         user: str = "") -> ImportBatch | None:
    """Write an accepted plan in the caller's transaction: its ledger line, or None if already imported."""
    return importer(file_kind).save(session, prefecture, plan, user)


def undo(session: Session, prefecture_id: int, batch_id: int, user: str = "") -> int:
    """Undo a batch of the ledger, whatever its kind of file. Raises UndoError (French)."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.prefecture_id != prefecture_id:
        raise UndoError(f"lot d'import n° {batch_id} introuvable")
    steps = importer(batch.file_kind)
    if steps.undo is None:
        raise UndoError(f"le lot n° {batch_id} ({FILE_KINDS.get(batch.file_kind, batch.file_kind)}) ne s'annule pas "
                        "ici : corrigez ce qu'il a apporté dans sa page")
    return steps.undo(session, prefecture_id, batch_id, user)


__all__ = ["IMPORTERS", "analyse", "importer", "refused", "save", "settle", "undo"]
