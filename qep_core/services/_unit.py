"""The unit of work every operation runs in: who acts, the permission check, one transaction, the
history line written inside it.

A service function reads like this (the worked example of the README's developer map)::

    @operation("import", writes=True)
    def undo_import(actor: Actor, prefecture_id: int, batch_id: int) -> int:
        with unit(actor, "import", prefecture_id=prefecture_id, write=True) as work:
            batch = work.session.get(ImportBatch, batch_id)
            work.check_perimetres(batch_perimetres(work.session, batch_id))
            removed = undo_batch(work.session, prefecture_id, batch_id)
            work.record("undo", f"lot n° {batch_id}", count_text(removed, "valeur retirée", "valeurs retirées"))
            return removed

:func:`unit` refuses before the database is touched when the role may not do the action or the
préfecture is not the principal's; :meth:`Unit.check_perimetres` refuses when the data touched
lies outside a contributor's périmètres. The change and its history line commit together, or
neither does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from qep_core.access import Principal, check, check_perimetres
from qep_core.change_history import record_change
from qep_core.db import session_scope
from qep_core.importing.issues import ERROR, ImportRejected, Issue
from qep_core.rules.bounds import ValueOutOfBounds

#: The database an actor works on (an SQLAlchemy engine; pages hold it without knowing so).
Database = Engine


@dataclass(frozen=True)
class Actor:
    """Who acts, and on which database: the first argument of every service function."""

    principal: Principal
    database: Database

    def named(self, name: str) -> Actor:
        """On a single-user laptop, the same actor under the name its user typed for the history."""
        return replace(self, principal=self.principal.named(name))


@dataclass
class Unit:
    """One operation's transaction: its session, and what it records in the change history."""

    actor: Actor
    session: Session
    prefecture_id: int | None

    @property
    def principal(self) -> Principal:
        return self.actor.principal

    def check_perimetres(self, perimetre_ids: Iterable[int], names: Mapping[int, str] | None = None) -> None:
        check_perimetres(self.principal, perimetre_ids, dict(names) if names else None)

    def record(self, action: str, entity: str, summary: str = "", *, before: Mapping[str, Any] | None = None,
               after: Mapping[str, Any] | None = None, prefecture_id: int | None = None) -> None:
        """The operation's history line, in its own transaction."""
        record_change(self.session, user=self.principal.author, action=action, entity=entity, summary=summary,
                      prefecture_id=prefecture_id if prefecture_id is not None else self.prefecture_id,
                      before=before, after=after)


@contextmanager
def unit(actor: Actor, action: str, *, prefecture_id: int | None = None, write: bool = False,
         perimetre_ids: Iterable[int] = ()) -> Iterator[Unit]:
    """Check that the actor may do *action* here, then open the operation's one transaction."""
    check(actor.principal, action, prefecture_id=prefecture_id, perimetre_ids=perimetre_ids)
    try:
        with session_scope(actor.database, write=write) as session:
            yield Unit(actor, session, prefecture_id)
    except OperationalError as exc:  # the transaction was rolled back: nothing of it is stored
        raise StorageError(storage_message(exc)) from exc


@contextmanager
def refusing(error: Callable[[str], Exception]) -> Iterator[None]:
    """A value refused at the flush (:class:`ValueOutOfBounds`, raised at the commit too) becomes
    the operation's own French error, the one its page already shows (PilotageError,
    MysteryError, a refused file…); nothing was written."""
    try:
        yield
    except ValueOutOfBounds as exc:
        raise error(str(exc)) from exc


def file_refusal(file_name: str) -> Callable[[str], ImportRejected]:
    """:func:`refusing` for a file: the refusal is the file's, as its other errors."""
    return lambda message: ImportRejected(file_name, [Issue(ERROR, message)])


class StorageError(RuntimeError):
    """The database could not do its part (disk full, read-only, busy too long); the transaction
    was rolled back, what was stored before is intact. Its message is French, for users."""


def storage_message(exc: OperationalError) -> str:
    """What a storage fault means, in French: SQLite's and PostgreSQL's English messages, by cause."""
    text = str(exc.orig if exc.orig is not None else exc).lower()
    tail = " ; rien n'a été enregistré, les données déjà enregistrées sont intactes"
    if "locked" in text or "lock timeout" in text or "busy" in text:
        return ("la base de données est occupée par une autre écriture depuis trop longtemps : réessayez dans un "
                "instant" + tail)
    if "full" in text or "no space" in text or "could not extend" in text:
        return "le disque du serveur est plein : prévenez l'administrateur de l'application" + tail
    if "readonly" in text or "read-only" in text or "read only" in text:
        return ("la base de données est en lecture seule (droits du fichier ou du disque) : prévenez "
                "l'administrateur de l'application" + tail)
    return ("la base de données n'a pas pu terminer l'opération (base inaccessible ou abîmée) : prévenez "
            "l'administrateur de l'application" + tail)


F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Operation:
    """A user operation as the permission matrix sees it: its name, the action it needs, whether
    it writes (and so records a history line)."""

    name: str
    action: str
    writes: bool


#: Every service function, by name: the permission matrix test fails when one has no row.
OPERATIONS: dict[str, Operation] = {}


def operation(action: str, *, writes: bool) -> Callable[[F], F]:
    """Register a service function (unchanged) under the action it needs."""

    def register(fn: F) -> F:
        name = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"
        OPERATIONS[name] = Operation(name, action, writes)
        return fn

    return register
