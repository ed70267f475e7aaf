"""Backups and restores of the whole database (every préfecture): for the laptop's user and for an
administrator without a préfecture of its own; see :mod:`qep_core.backup` for the archive."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from sqlalchemy.engine import Connection
from sqlmodel import Session

from qep_core.access import AccessDenied, check
from qep_core.backup import BackupError, BackupSummary, backup, restore
from qep_core.change_history import record_change
from qep_core.services._unit import Actor, operation

__all__ = ["BackupError", "BackupSummary", "back_up", "restore_archive"]


def _instance_wide(actor: Actor) -> None:
    check(actor.principal, "edit_settings")
    if actor.principal.prefecture_ids is not None:
        raise AccessDenied("Accès refusé : une sauvegarde contient toutes les préfectures ; seul un compte sans "
                           "préfecture (ou le poste local) peut sauvegarder ou restaurer la base.")


@operation("edit_settings", writes=False)
def back_up(actor: Actor, path: Path) -> BackupSummary:
    """The archive of every table, written to *path*."""
    _instance_wide(actor)
    return backup(actor.database, Path(path))


@operation("edit_settings", writes=True)
def restore_archive(actor: Actor, source: Path | IO[bytes], *, force: bool = False) -> BackupSummary:
    """Load an archive (into an empty database, or over everything with *force*), all or nothing;
    the restore's history line is written in the same transaction, after the archive's own."""
    _instance_wide(actor)
    name = source.name if isinstance(source, Path) else "archive"

    def record(conn: Connection) -> None:
        with Session(bind=conn) as session:
            record_change(session, user=actor.principal.author, action="restore", entity=name,
                          summary="base restaurée depuis une sauvegarde" + (" (remplacement)" if force else ""))
            session.flush()

    return restore(actor.database, source, force=force, on_loaded=record)
