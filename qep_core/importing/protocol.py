"""One import protocol for every kind of file.

Every importer (tracking sheets and item logs, surveys, mystery checks, action plans, audit
reports, training registers) goes through the same steps, named the same way:

1. **analyse** the file (nothing is written) → a **plan** that satisfies :class:`ImportPlanShape`:
   the file's name and SHA-256, ``ok``, ``errors`` and ``warnings`` (French, with sheet, row and
   column), ``replacements`` (what the file would replace), ``summary()`` (one French sentence) and
   ``already_imported`` (the ledger line of the same file imported before, or None);
2. **save** an accepted plan in the caller's transaction → its line in the one ledger
   (:class:`~qep_core.models.ImportBatch`, see :mod:`qep_core.importing.ledger`), or None when the
   file was already imported (nothing changes);
3. **undo** a batch (files of indicator values only; pilotage files are corrected in their pages).

The services analyse in a bounded child process, outside any transaction
(:mod:`qep_core.importing.sandbox`), so a plan is a picklable value and two more steps go with it:
**settle** brings a plan analysed there up to date with the database inside the short write
transaction (the same file imported or undone meanwhile, the rows it matched, the duplicates it
would make: only what may have changed, never the file's reading), and **refused** builds the
importer's own plan for a file refused whole (over the budget, too big) so pages show it as any
other refusal.

:mod:`qep_core.importing.importers` holds the :class:`Importer` of each kind of file. A file
imported twice says the same sentence whatever its kind (:func:`already_imported_text`), in
Paris time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sqlmodel import Session

from qep_core.frenchforms import count_text
from qep_core.importing.issues import ERROR, Issue, display_name
from qep_core.models import ImportBatch, Prefecture, local_time


@runtime_checkable
class ImportPlanShape(Protocol):
    """What every importer's plan says, whatever the file held."""

    file_name: str
    sha256: str
    errors: list[Issue]
    warnings: list[Issue]
    already_imported: ImportBatch | None

    @property
    def ok(self) -> bool: ...

    @property
    def replacements(self) -> Sized: ...  # what saving would replace (values, surveys, actions…)

    def summary(self) -> str: ...


def already_imported_text(file_name: str, batch: ImportBatch) -> str:
    """« fichier.xlsx : déjà importé le 03/02/2025 à 14:05 (lot n° 12) ; rien n'a changé » (Paris time)."""
    when = local_time(batch.imported_at)
    return f"{display_name(file_name)} : déjà importé le {when:%d/%m/%Y à %H:%M} (lot n° {batch.id}) ; rien n'a changé"


def rejected_text(file_name: str, errors: Sequence[Issue]) -> str:
    return f"{display_name(file_name)} : refusé, {count_text(len(errors), 'erreur')} ; rien n'a été enregistré"


def settled_summary(plan: ImportPlanShape) -> str | None:
    """The summary of a plan that will write nothing (already imported, or refused); None otherwise."""
    if plan.already_imported is not None:
        return already_imported_text(plan.file_name, plan.already_imported)
    if not plan.ok:
        return rejected_text(plan.file_name, plan.errors)
    return None


#: Said when a file imported at analysis time was undone before it could be saved.
UNDONE_MEANWHILE = "le même fichier a été annulé pendant l'analyse : déposez-le à nouveau"


def settle_ledger(plan: ImportPlanShape, found: ImportBatch | None) -> bool:
    """The plan's ``already_imported`` brought up to date with the ledger line *found* now (in the
    write transaction): a file imported meanwhile becomes « déjà importé » (nothing to write), one
    undone meanwhile is refused (its content was never checked against the database). True when
    the plan is still to be saved and its other checks should run again."""
    before, plan.already_imported = plan.already_imported, found
    if found is None and before is not None:
        plan.errors.append(Issue(ERROR, UNDONE_MEANWHILE))
    return found is None and plan.ok


#: analyse(session, prefecture, file_name, data, **options) → plan (writes nothing)
Analyse = Callable[..., ImportPlanShape]
#: save(session, prefecture, plan, user) → the ledger line, or None when already imported
Save = Callable[[Session, Prefecture, Any, str], ImportBatch | None]
#: undo(session, prefecture_id, batch_id, user) → values restored
Undo = Callable[[Session, int, int, str], int]
#: settle(session, prefecture, plan) → the plan brought up to date with the database (in the write transaction)
Settle = Callable[[Session, Prefecture, Any], Any]
#: refused(file_name, errors) → the importer's plan of a file refused whole
Refused = Callable[[str, list[Issue]], Any]


@dataclass(frozen=True)
class Importer:
    """The steps of one kind of file (see :data:`qep_core.importing.importers.IMPORTERS`)."""

    file_kind: str
    label: str
    analyse: Analyse
    save: Save
    settle: Settle
    refused: Refused
    undo: Undo | None = None  # None: not undone (a pilotage file is corrected in its page)


__all__ = [
    "UNDONE_MEANWHILE",
    "Analyse",
    "ImportPlanShape",
    "Importer",
    "Refused",
    "Save",
    "Settle",
    "Undo",
    "already_imported_text",
    "display_name",
    "rejected_text",
    "settle_ledger",
    "settled_summary",
]
