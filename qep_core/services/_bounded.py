"""The one path every import of the services takes: read the file in the bounded child, then
write in a short transaction.

Why: a file can be built to exhaust memory or time in the readers (native code), and an analysis
run in the write transaction holds the write lock for as long as it reads (SQLite: every other
writer of every user waits or fails). So the services never read an upload themselves:

1. :func:`analysed` — the importer's analysis of the file in a child process within the import
   budget (:mod:`qep_core.importing.sandbox`), outside any transaction; a file over the budget
   (or too big) becomes the importer's own refused plan, in French;
2. :func:`settled` — in the caller's write transaction, the plan brought up to date with the
   database as it is now (the importer's ``settle``: the ledger, the rows it matched, the
   duplicates it would make), then refused whole (:class:`ImportRejected`) if no longer
   acceptable. The caller then saves it, with its history line, as before.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from qep_core.importing import importers
from qep_core.importing.issues import ImportRejected
from qep_core.importing.safety import check_upload_size
from qep_core.importing.sandbox import analyse_bounded
from qep_core.models import Prefecture
from qep_core.services._unit import Actor

__all__ = ["accepted", "analysed", "settled"]


def analysed(actor: Actor, prefecture_id: int, file_kind: str, file_name: str, data: bytes, **options: Any) -> Any:
    """The plan of a file of *file_kind*, computed in the bounded child on the actor's database
    (nothing written, no transaction held here); a refused plan of that kind when the file is too
    big or exceeds the import budget. *options* are the importer's own and must be picklable."""
    try:
        check_upload_size(file_name, len(data))
        return analyse_bounded(actor.database, prefecture_id, file_kind, file_name, data, **options)
    except ImportRejected as exc:
        return importers.refused(file_kind, exc.file_name, list(exc.errors))


def accepted(plan: Any) -> Any:
    """The plan itself when it has no error; :class:`ImportRejected` (its errors) otherwise."""
    if not plan.ok:
        raise ImportRejected(plan.file_name, plan.errors)
    return plan


def settled(session: Session, prefecture_id: int, file_kind: str, plan: Any) -> Any:
    """An accepted plan brought up to date in the write transaction of *session*, and accepted
    again (:class:`ImportRejected` when what changed meanwhile refuses it)."""
    prefecture = session.get(Prefecture, prefecture_id)
    if prefecture is None:
        raise ValueError(f"préfecture inconnue : {prefecture_id}")
    return accepted(importers.settle(session, prefecture, file_kind, accepted(plan)))
