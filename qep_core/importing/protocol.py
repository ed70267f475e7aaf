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

:mod:`qep_core.importing.importers` holds the :class:`Importer` of each kind of file. A file
imported twice says the same sentence whatever its kind (:func:`already_imported_text`), in
Paris time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sqlmodel import Session

from qep_core.importing.issues import Issue, display_name
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
    return f"{display_name(file_name)} : refusé, {len(errors)} erreur(s) ; rien n'a été enregistré"


def settled_summary(plan: ImportPlanShape) -> str | None:
    """The summary of a plan that will write nothing (already imported, or refused); None otherwise."""
    if plan.already_imported is not None:
        return already_imported_text(plan.file_name, plan.already_imported)
    if not plan.ok:
        return rejected_text(plan.file_name, plan.errors)
    return None


#: analyse(session, prefecture, file_name, data, **options) → plan (writes nothing)
Analyse = Callable[..., ImportPlanShape]
#: save(session, prefecture, plan, user) → the ledger line, or None when already imported
Save = Callable[[Session, Prefecture, Any, str], ImportBatch | None]
#: undo(session, prefecture_id, batch_id, user) → values restored
Undo = Callable[[Session, int, int, str], int]


@dataclass(frozen=True)
class Importer:
    """The steps of one kind of file (see :data:`qep_core.importing.importers.IMPORTERS`)."""

    file_kind: str
    label: str
    analyse: Analyse
    save: Save
    undo: Undo | None = None  # None: not undone (a pilotage file is corrected in its page)


__all__ = [
    "Analyse",
    "ImportPlanShape",
    "Importer",
    "Save",
    "Undo",
    "already_imported_text",
    "display_name",
    "rejected_text",
    "settled_summary",
]
