"""The one import ledger (table ``import_batch``): a line per imported file, whatever it held.

Every importer writes its line here and asks here whether a file was already imported:

* ``kind`` keeps the file's format as the importer read it (``long``, ``wide``, ``journal:courriels``,
  ``saisie``, ``enquete``, ``mystere``, ``actions``, ``bilan``, ``audit``, ``formations``);
* ``file_kind`` says which kind of file it was (:data:`FILE_KINDS`), the key the same-file test
  and the lists use.

Files of indicator values (tracking sheets, item logs, values typed in the app, surveys, mystery
checks) share one SHA-256 test and can be undone on the Import page (their ``status`` becomes
``undone``); pilotage files (action plans, completion tables, audit reports, training
registers) are tested per kind of file and are corrected in their own pages, not undone.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

from sqlmodel import Session, col, select

from qep_core.importing.issues import Issue, display_name
from qep_core.models import ImportBatch

#: Kind of file → its name in French (import history, messages).
FILE_KINDS: dict[str, str] = {
    "suivi": "tableau de suivi",
    "journal": "journal",
    "saisie": "saisie dans l'application",
    "enquete": "enquête",
    "mystere": "contrôles mystère",
    "plan": "plan d'actions",
    "bilan": "tableau de réalisation du plan d'actions",
    "audit": "rapport d'audit",
    "formations": "registre des formations",
}
#: Files of indicator values: one SHA-256 test for all of them, undone on the Import page.
INDICATOR_FILE_KINDS: frozenset[str] = frozenset({"suivi", "journal", "saisie", "enquete", "mystere"})
#: Pilotage files: tested per kind of file, never undone (corrected in their pages).
PILOTAGE_FILE_KINDS: frozenset[str] = frozenset({"plan", "bilan", "audit", "formations"})

# formats whose kind of file is not the format itself
_FILE_KIND_OF_FORMAT = {"long": "suivi", "wide": "suivi", "actions": "plan"}


def file_kind_of(kind: str) -> str:
    """The kind of file of a batch from its format: ``wide`` → ``suivi``, ``journal:courriels`` →
    ``journal``, ``actions`` → ``plan``; the kinds of :data:`FILE_KINDS` stand for themselves."""
    if kind.startswith("journal"):
        return "journal"
    if kind in FILE_KINDS:
        return kind
    return _FILE_KIND_OF_FORMAT.get(kind, "suivi")


def find_imported(session: Session, prefecture_id: int, sha256: str,
                  file_kinds: Collection[str] = INDICATOR_FILE_KINDS) -> ImportBatch | None:
    """The batch (not undone) that already brought this file for the préfecture, among *file_kinds*."""
    if not sha256:
        return None
    return session.exec(select(ImportBatch).where(
        ImportBatch.prefecture_id == prefecture_id, ImportBatch.sha256 == sha256,
        col(ImportBatch.file_kind).in_(sorted(file_kinds)),
        ImportBatch.status == "imported",
    ).order_by(col(ImportBatch.id))).first()


def new_batch(prefecture_id: int, file_name: str, sha256: str, kind: str, user: str = "", *, rows: int = 0,
              replaced: int = 0, summary: str = "", warnings: Sequence[Issue] = ()) -> ImportBatch:
    """A ledger line (not yet added to the session)."""
    return ImportBatch(prefecture_id=prefecture_id, file_name=display_name(file_name), sha256=sha256, kind=kind,
                       file_kind=file_kind_of(kind), imported_by=user, rows=rows, replaced=replaced, summary=summary,
                       warnings_json=json.dumps([w.as_dict() for w in warnings], ensure_ascii=False))


def list_ledger(session: Session, prefecture_id: int,
                file_kinds: Collection[str] | None = None) -> list[ImportBatch]:
    """The préfecture's imports, newest first (every kind of file unless *file_kinds*)."""
    stmt = select(ImportBatch).where(ImportBatch.prefecture_id == prefecture_id)
    if file_kinds is not None:
        stmt = stmt.where(col(ImportBatch.file_kind).in_(sorted(file_kinds)))
    return list(session.exec(stmt.order_by(col(ImportBatch.imported_at).desc(), col(ImportBatch.id).desc())))


__all__ = ["FILE_KINDS", "INDICATOR_FILE_KINDS", "PILOTAGE_FILE_KINDS", "file_kind_of", "find_imported",
           "list_ledger", "new_batch"]
