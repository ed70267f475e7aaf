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

Every operation called from outside another one writes one line to the ``qep.operations`` logger
(:func:`operation`): which operation, who (the login, never a name or an address), the
préfecture, how long, and whether it was done, refused or failed. The lines are written only
where a handler listens (``services.system.start_operation_log``, which the app processes call);
elsewhere — tests, the command line — the logger stays silent.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from qep_core.access import AccessDenied, Principal, check, check_perimetres
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
    _note_prefecture(prefecture_id)
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
    """Register a service function under the action it needs; each call from outside another
    operation writes its line to the operation log (module docstring)."""

    def register(fn: F) -> F:
        name = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"
        OPERATIONS[name] = Operation(name, action, writes)

        @functools.wraps(fn)
        def logged(*args: Any, **kwargs: Any) -> Any:
            if _CURRENT.get() is not None or not OPERATION_LOG.isEnabledFor(logging.INFO):
                return fn(*args, **kwargs)
            call = _Call(name, action, writes, args[0] if args else kwargs.get("actor"))
            token = _CURRENT.set(call)
            try:
                result = fn(*args, **kwargs)
            except AccessDenied:
                call.finish("refused")
                raise
            except BaseException as exc:
                call.finish("error", type(exc).__name__)
                raise
            finally:
                _CURRENT.reset(token)
            call.finish("ok")
            return result

        return cast(F, logged)

    return register


# --------------------------------------------------------------------------------- operation log

#: One line per operation (see the module docstring); ``services.system.start_operation_log`` gives it a handler.
OPERATION_LOG = logging.getLogger("qep.operations")


@dataclass
class _Call:
    """The operation being logged: what the line will say once it ends."""

    name: str
    action: str
    writes: bool
    actor: object
    prefecture_id: int | None = None
    started: float = field(default_factory=time.perf_counter)

    def finish(self, outcome: str, error: str | None = None) -> None:
        principal = getattr(self.actor, "principal", None)
        fields: dict[str, Any] = {
            "operation": self.name, "action": self.action, "writes": self.writes,
            "login": getattr(principal, "login", None), "role": getattr(principal, "role", None),
            "prefecture_id": self.prefecture_id, "ms": round((time.perf_counter() - self.started) * 1000, 1),
            "outcome": outcome,
        }
        if error is not None:
            fields["error"] = error  # the exception's class only: its message may quote a file's content
        OPERATION_LOG.info("%s %s", self.name, outcome, extra={"operation_fields": fields})


_CURRENT: ContextVar[_Call | None] = ContextVar("qep_operation", default=None)


def _note_prefecture(prefecture_id: int | None) -> None:
    """The préfecture of the logged operation: the first one a unit of it names."""
    call = _CURRENT.get()
    if call is not None and call.prefecture_id is None and prefecture_id is not None:
        call.prefecture_id = prefecture_id


class JsonLines(logging.Formatter):
    """A log record as one JSON object on one line: time (UTC, ISO 8601), level, logger, then the
    operation's fields — what log collectors (journald, Loki, ELK) index without a parser."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name,
        }
        line.update(getattr(record, "operation_fields", None) or {"message": record.getMessage()})
        return json.dumps(line, ensure_ascii=False, default=str)


class TextLines(logging.Formatter):
    """The same fields as ``key=value`` words, for a person reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "operation_fields", None) or {"message": record.getMessage()}
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created))
        return stamp + " " + " ".join(f"{key}={value}" for key, value in fields.items())
