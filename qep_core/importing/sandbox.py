"""Analysing an upload in a child process, within a memory and a time budget.

Why: the checks of :mod:`qep_core.importing.safety` and the CSV bounds of
:mod:`qep_core.importing.workbook` refuse every hostile file we know of, but the readers are native
code and a file can still be built to exhaust memory in a way no check foresaw (a Rust allocation
failure aborts the whole process: the app, for every user). So the analysis of an upload never
runs in the server's process nor inside a write transaction: a child does it, with its address
space limited by ``RLIMIT_AS`` (:data:`QEP_IMPORT_MEMORY_MB`) and killed past
``QEP_IMPORT_SECONDS``; either way the file is refused in French, nothing is written, the server
carries on and no lock was ever held. The write transaction then only brings the plan up to date
with the database and writes (the importer's ``settle`` step, e.g.
:func:`qep_core.importing.service.settle_plan`). Every kind of file goes this way, through
:mod:`qep_core.services._bounded`: tracking sheets and item logs, surveys, mystery checks, action
plans, audit reports and training registers.

How: a ``forkserver`` started once per process, with pandas, the readers and every importer
already imported (about 1.5 s, once), forks one child per analysis (about 20 ms): a small file
does not pay the imports again. The child opens its own read-only session on the same database
and runs the importer's ``analyse`` (:mod:`qep_core.importing.importers`), then sends the plan
back with its peak memory. The main module of the server (Streamlit's, the CLI's) is not
imported again in the child: only what the analysis needs is there.
"""

from __future__ import annotations

import errno
import io
import multiprocessing
import os
import resource
import threading
import time
from dataclasses import dataclass
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import configure_mappers

from qep_core.config import int_setting
from qep_core.db import get_engine, session_scope
from qep_core.importing import importers
from qep_core.importing.issues import ERROR, ImportRejected, Issue
from qep_core.models import Prefecture

__all__ = ["Bounded", "Budget", "analyse_bounded", "budget", "run_bounded"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class Budget:
    """What one analysis may use: its whole address space (bytes) and its wall-clock time (seconds)."""

    memory_bytes: int
    seconds: float


def budget() -> Budget:
    """The budget of the settings ``QEP_IMPORT_MEMORY_MB`` and ``QEP_IMPORT_SECONDS``."""
    return Budget(max(int_setting("QEP_IMPORT_MEMORY_MB"), 1) * MIB, float(max(int_setting("QEP_IMPORT_SECONDS"), 1)))


@dataclass(frozen=True)
class Bounded:
    """The result of a bounded call, with what the child used: its peak resident memory and time."""

    value: Any
    peak_bytes: int
    seconds: float


class _Popen(popen_forkserver.Popen):
    """The forkserver launch, without asking the child to import the parent's main module again.

    multiprocessing re-imports ``__main__`` in every child (``python -m qep_ui.serve`` would import
    Streamlit each time, about a second, and the core never imports Streamlit). The analysis is a
    function of :mod:`qep_core`, so the child needs only ``sys.path`` and the working directory.
    Same steps as :meth:`multiprocessing.popen_forkserver.Popen._launch` (Python 3.11) otherwise.
    """

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_name", None)
        prep_data.pop("init_main_from_path", None)
        buf = io.BytesIO()
        popen_forkserver.set_spawning_popen(self)  # type: ignore[attr-defined]
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            popen_forkserver.set_spawning_popen(None)  # type: ignore[attr-defined]
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))  # type: ignore[attr-defined]
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> _Popen:
        return _Popen(process_obj)


_CONTEXT = multiprocessing.get_context("forkserver")
_LAZY_MODULES = ("holidays.countries",)
_PRELOAD_LOCK = threading.Lock()
_preloaded = False


def _ensure_preload() -> None:
    global _preloaded
    with _PRELOAD_LOCK:
        if not _preloaded:
            # this module imports every importer; the working-day calendars import the holidays'
            # countries lazily (0.18 s a child otherwise)
            _CONTEXT.set_forkserver_preload([__name__, *_LAZY_MODULES])
            _preloaded = True


def warm() -> None:
    """What every child would otherwise redo: the ORM's mapper configuration (done once, in the
    forkserver, when it imports this module; harmless elsewhere)."""
    configure_mappers()


warm()


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _out_of_memory(exc: BaseException) -> bool:
    """Whether *exc* is the address-space limit showing: a MemoryError, an ``ENOMEM``, or a library
    that could not be mapped (``ImportError: … failed to map segment``, a driver loaded lazily)."""
    return (isinstance(exc, MemoryError) or getattr(exc, "errno", None) == errno.ENOMEM
            or "failed to map segment" in str(exc) or "Cannot allocate memory" in str(exc))


def _child(conn: Connection, memory_bytes: int, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Runs in the child: limit the address space, call, send back ``(kind, payload, peak)``."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    outcome: tuple[str, Any]
    try:
        outcome = ("ok", fn(*args, **kwargs))
    except ImportRejected as exc:
        outcome = ("rejected", (exc.file_name, exc.errors))
    except BaseException as exc:
        outcome = ("memory", None) if _out_of_memory(exc) else ("failed", f"{type(exc).__name__}: {exc}"[:500])
    try:
        conn.send((*outcome, _peak_bytes()))
    except MemoryError:  # the result itself did not fit in what was left
        conn.send(("memory", None, _peak_bytes()))
    conn.close()


def _mb(size: int) -> str:
    return f"{size // MIB} Mo"


def run_bounded(file_name: str, fn: Any, *args: Any, **kwargs: Any) -> Bounded:
    """``fn(*args, **kwargs)`` in a child within :func:`budget`; its value, or :class:`ImportRejected`
    (French) when the child refused the file, ran out of memory, died or ran out of time (it is
    then killed). *fn* and its arguments must be picklable (a module-level function)."""
    _ensure_preload()
    limits = budget()
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    process = _Process(target=_child, args=(sender, limits.memory_bytes, fn, args, kwargs), daemon=True)
    started = time.monotonic()
    process.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds):
            raise _refusal(file_name, f"l'analyse du fichier a dépassé {limits.seconds:.0f} s et a été arrêtée : "
                                      "ce n'est pas un tableau ordinaire (découpez-le, ou enregistrez-le à nouveau "
                                      "depuis Excel ou LibreOffice) ; rien n'a été enregistré")
        try:
            kind, payload, peak = receiver.recv()
        except EOFError:  # the child died: its allocation failed (RLIMIT_AS) or a reader aborted
            process.join(5)
            raise _refusal(file_name, "l'analyse du fichier s'est arrêtée brutalement (mémoire permise de "
                                      f"{_mb(limits.memory_bytes)} dépassée, ou lecteur de classeurs en échec, code "
                                      f"{process.exitcode}) : ce fichier ne peut pas être lu sans risque ; rien n'a "
                                      "été enregistré") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if kind == "ok":
        return Bounded(payload, peak, time.monotonic() - started)
    if kind == "rejected":
        raise ImportRejected(*payload)
    if kind == "memory":
        raise _refusal(file_name, f"l'analyse du fichier a dépassé la mémoire permise ({_mb(limits.memory_bytes)}) : "
                                  "ce fichier ne peut pas être lu sans risque ; rien n'a été enregistré")
    raise _refusal(file_name, "le fichier n'a pas pu être lu (le lecteur de classeurs a échoué : fichier abîmé ou "
                              f"piégé) ; rien n'a été enregistré [{payload}]")


def _refusal(file_name: str, message: str) -> ImportRejected:
    return ImportRejected(file_name, [Issue(ERROR, message)])


def _analyse(url: str, prefecture_id: int, file_kind: str, file_name: str, data: bytes,
             options: dict[str, Any]) -> Any:
    """Runs in the child: the importer's analysis on a read-only session of the same database."""
    engine = get_engine(url)
    try:
        with session_scope(engine) as session:
            prefecture = session.get(Prefecture, prefecture_id)
            if prefecture is None:
                raise ValueError(f"préfecture inconnue : {prefecture_id}")
            plan = importers.analyse(session, prefecture, file_kind, file_name, data, **options)
            if hasattr(plan, "prepared"):
                plan.prepared = None  # frames of this session's transaction: rebuilt by the writer
            return plan
    finally:
        engine.dispose()


def analyse_bounded(database: Engine, prefecture_id: int, file_kind: str, file_name: str, data: bytes,
                    **options: Any) -> Any:
    """The plan of ``importers.analyse(…)`` computed in a bounded child (see the module's doc);
    raises :class:`ImportRejected` (French) when the file exceeds the budget."""
    url = database.url.render_as_string(hide_password=False)
    return run_bounded(file_name, _analyse, url, prefecture_id, file_kind, file_name, data, options).value
