"""Nothing lost: imports at the same time (threads and processes) and a process killed mid-import.

Run on SQLite and on PostgreSQL (the PostgreSQL run of ``make test``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from qep_core.db import session_scope
from qep_core.importing import ImportOutcome, import_file, undo_batch
from qep_core.models import Prefecture
from tests.conftest import make_workbook

ROOT = Path(__file__).resolve().parent.parent
LONG_HEADER: list[object] = ["indicateur", "période", "périmètre", "numérateur", "dénominateur"]
Snapshot = Callable[[Engine], dict[str, list[tuple]]]


def long_file(user: int, months: range, perimetres: tuple[str, ...] = ("", "Boîte courrier")) -> bytes:
    """COURRIEL_5J for *months* of 2023, counts that tell which user's file they came from."""
    rows = [["Courriels 2023"], LONG_HEADER]
    for month in months:
        for k, perimetre in enumerate(perimetres):
            answers = 100 + 10 * user + month + k
            rows.append(["COURRIEL_5J", f"2023-{month:02d}", perimetre, answers - user - 1, answers])
    return make_workbook({"Courriels": rows})


def stored(engine: Engine) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(month, périmètre) → (numerator, denominator, batch id) of every stored COURRIEL_5J value."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT o.period_start, p.name, o.numerator, o.denominator, o.batch_id FROM observation o "
            "JOIN perimetre p ON p.id = o.perimetre_id JOIN indicator i ON i.id = o.indicator_id "
            "WHERE i.code = 'COURRIEL_5J'")).all()
    return {(str(r[0])[:7], r[1]): (float(r[2]), float(r[3]), int(r[4])) for r in rows}


def expected_after(files: dict[int, tuple[int, range]], order: list[int]) -> dict[tuple[str, str], tuple[float, float]]:
    """What importing the files one after the other, in *order* (user numbers), leaves stored."""
    state: dict[tuple[str, str], tuple[float, float]] = {}
    for user in order:
        _, months = files[user]
        for month in months:
            for k, name in enumerate(("Préfecture (ensemble)", "Boîte courrier")):
                answers = 100 + 10 * user + month + k
                state[(f"2023-{month:02d}", name)] = (float(answers - user - 1), float(answers))
    return state


def run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Start every job at the same instant in its own thread; their results (or exceptions)."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except BaseException as exc:  # reported by the test, not lost in the thread
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


def test_four_users_importing_at_once_lose_nothing(engine: Engine, prefecture: Prefecture) -> None:
    """Four overlapping files (same months, a périmètre none of them has created yet) imported at the
    same instant: every import succeeds, and the result is the one of importing them one by one in the
    order they were saved (batch ids), with every replaced value in the history, so that undoing the
    four batches in reverse order leaves nothing."""
    files = {user: (user, range(1 + user, 7 + user)) for user in range(4)}  # jan–jun, feb–jul, mar–aug, apr–sep
    data = {user: long_file(user, months) for user, (_, months) in files.items()}
    jobs = [lambda u=u: import_file(engine, prefecture.id or 0, f"courriels-agent{u}.xlsx", data[u], user=f"agent{u}")
            for u in files]
    results = run_together(jobs)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    outcomes: list[ImportOutcome] = results  # type: ignore[assignment]
    batch_of = {int(o.batch.id): user for user, o in enumerate(outcomes) if o.batch is not None}
    assert len(batch_of) == 4
    commit_order = [batch_of[b] for b in sorted(batch_of)]
    got = stored(engine)
    want = expected_after(files, commit_order)
    assert {k: v[:2] for k, v in got.items()} == want
    assert len(got) == 2 * 9  # january → september, the préfecture and the one new périmètre
    with engine.connect() as conn:
        perimetres = conn.execute(text("SELECT name FROM perimetre WHERE prefecture_id = :p ORDER BY name"),
                                  {"p": prefecture.id}).scalars().all()
    assert perimetres == ["Boîte courrier", "Préfecture (ensemble)"]
    for batch_id in sorted(batch_of, reverse=True):
        with session_scope(engine, write=True) as session:
            undo_batch(session, prefecture.id or 0, batch_id)
    assert stored(engine) == {}


def test_the_same_file_sent_twice_at_once_is_imported_once(engine: Engine, prefecture: Prefecture) -> None:
    data = long_file(7, range(1, 4))
    results = run_together([lambda: import_file(engine, prefecture.id or 0, "doublon.xlsx", data, user="a"),
                            lambda: import_file(engine, prefecture.id or 0, "doublon.xlsx", data, user="b")])
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(r.batch is not None for r in results) == [False, True]  # type: ignore[union-attr]
    second = next(r for r in results if r.batch is None)  # type: ignore[union-attr]
    assert second.plan.already_imported is not None  # type: ignore[union-attr]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM import_batch")).scalar_one() == 1
        assert conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one() == 6


def cli(url: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "QEP_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "qep_core", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_three_command_line_imports_at_once_lose_nothing(engine: Engine, prefecture: Prefecture,
                                                         tmp_path: Path) -> None:
    """Three processes, as three people running the command line at the same time."""
    files = {user: (user, range(1 + 2 * user, 5 + 2 * user)) for user in range(3)}  # jan–apr, mar–jun, may–aug
    paths = []
    for user, (_, months) in files.items():
        paths.append(tmp_path / f"agent{user}.xlsx")
        paths[-1].write_bytes(long_file(user, months))
    url = engine.url.render_as_string(hide_password=False)
    procs = [cli(url, "import", str(p), "--user", f"agent{u}") for u, p in enumerate(paths)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    with engine.connect() as conn:
        batches = conn.execute(text("SELECT id, imported_by FROM import_batch ORDER BY id")).all()
    order = [int(name.removeprefix("agent")) for _, name in batches]
    assert sorted(order) == [0, 1, 2]
    assert {k: v[:2] for k, v in stored(engine).items()} == expected_after(files, order)


KILLER = """
import os, sys, time
from qep_core.importing import service

real = service._save_items if {point!r} == "items" else service._insert_rows

def pause_then_continue(*args, **kwargs):
    result = real(*args, **kwargs)
    if {point!r} == "items" or args[1] == "observation":
        open({flag!r}, "w").close()  # the rows are written, the transaction is still open
        time.sleep(600)
    return result

setattr(service, "_save_items" if {point!r} == "items" else "_insert_rows", pause_then_continue)
from qep_core.cli import main
sys.exit(main(["import", {path!r}, "--user", "killed"]))
"""


def itemlog_file() -> bytes:
    rows = [["Date de réception", "Date de réponse", "Boîte"]]
    rows += [[f"{d:02d}/03/2023", f"{d + 1:02d}/03/2023", "Boîte courrier"] for d in range(1, 21)]
    return make_workbook({"Courriels reçus": rows})


@pytest.mark.parametrize("point", ["observations", "items"])
def test_a_process_killed_in_the_middle_of_an_import_leaves_the_database_as_before(
        engine: Engine, prefecture: Prefecture, snapshot: Snapshot, tmp_path: Path, point: str) -> None:
    """The import process is killed (SIGKILL: no cleanup at all) once its rows are written but before
    the commit: the database is exactly as before, and the same file then imports normally."""
    first = import_file(engine, prefecture.id or 0, "janvier.xlsx", long_file(1, range(1, 3)), user="agent")
    assert first.batch is not None
    before = snapshot(engine)
    data = itemlog_file() if point == "items" else long_file(2, range(1, 6))  # replaces jan–feb, adds mar–may
    path = tmp_path / "killed.xlsx"
    path.write_bytes(data)
    flag = tmp_path / "rows-written"
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "QEP_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILLER.format(point=point, flag=str(flag), path=str(path))],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the import never reached its pause"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(engine) == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM log_item_archive")).scalar_one() == 0
    again = import_file(engine, prefecture.id or 0, "killed.xlsx", data, user="agent")
    assert again.batch is not None and again.inserted > 0
