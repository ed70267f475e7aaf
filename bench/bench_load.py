"""Load benchmark: N simulated users reading the dashboard while imports run.

Run from the project root (``make bench-load`` does both back-ends, PostgreSQL on a throw-away
cluster through tests/with_postgres.sh)::

    PYTHONPATH=. .venv/bin/python bench/bench_load.py --backend sqlite
    tests/with_postgres.sh env PYTHONPATH=. .venv/bin/python bench/bench_load.py --backend postgresql
    PYTHONPATH=. .venv/bin/python bench/bench_load.py --users 10 50 --seconds 30

What it does, per back-end:

* a database of its own (a SQLite file in a temp dir, or a ``qep_bench_load`` database on the
  PostgreSQL server of ``QEP_TEST_DATABASE_URL`` / ``--pg-url``) with the demo préfecture, loaded
  by the real importer;
* the real app (``python -m qep_ui.serve``, as ``make run``) on a free loopback port: one process,
  or ``--processes N`` on one database, each user staying on one process as behind nginx;
* N users, each a Streamlit session on the app's websocket (``/_stcore/stream``), speaking the
  browser's protocol (protobuf ``BackMsg.rerun_script``): each asks for a page, waits for the whole
  page (every element up to ``script_finished``), and asks again at once (no think time: the
  figures are the server's capacity). 70 % of the views are the dashboard, 30 % the indicator
  page (chart, cumulative figures, périmètres), with the year changing from view to view;
* meanwhile an "importer" imports a new monthly file every ``--import-every`` seconds through the
  real entry point (``import_file``, its own write transaction): each changes the data version, so
  the app's caches are invalidated and the next views recompute.

A page time is from the request to ``script_finished``, what a user waits for minus the browser's
drawing. Printed: views, throughput (views/s), median, 95th percentile and maximum page time,
errors, imports done and their median time. Traffic goes only to 127.0.0.1, bounded in count and
time; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

from qep_core.db import create_schema, get_engine, session_scope  # noqa: E402
from qep_core.demo import load_demo  # noqa: E402
from qep_core.importing import import_file  # noqa: E402
from qep_core.prefectures import list_prefectures  # noqa: E402

SEED = 20260101
DASHBOARD_SHARE = 0.7
YEARS = (2022, 2023, 2024)
INDICATORS = ("COURRIEL_5J", "TEL_ABOUTIS", "COURRIEL_DELAI_MOYEN")
START_TIMEOUT = 90.0
PAGE_TIMEOUT = 120.0


@dataclass
class Scenario:
    backend: str
    users: int
    seconds: float
    processes: int = 1
    times: list[float] = field(default_factory=list)
    errors: int = 0
    imports: list[float] = field(default_factory=list)
    import_errors: int = 0
    wall: float = 0.0

    def p(self, q: float) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# --- the app -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def app_server(database_url: str, log: Path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "QEP_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "qep_ui.serve", "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not healthy(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --- users ---------------------------------------------------------------------------------------

def rerun_message(rng: random.Random) -> tuple[bytes, str]:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    year = rng.choice(YEARS)
    if rng.random() < DASHBOARD_SHARE:
        msg.rerun_script.page_name = ""
        msg.rerun_script.query_string = f"pref=44&annee={year}&vue=annee"
        kind = "tableau de bord"
    else:
        msg.rerun_script.page_name = "indicateurs"
        msg.rerun_script.query_string = f"pref=44&annee={year}&vue=annee&ind={rng.choice(INDICATORS)}"
        kind = "indicateurs"
    return msg.SerializeToString(), kind


async def user(port: int, seed: int, stop_at: float, scenario: Scenario) -> None:
    """One browser session: a page, then the next one as soon as it is complete."""
    import websockets
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    rng = random.Random(seed)
    async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None, open_timeout=60, ping_interval=None) as ws:
        while time.monotonic() < stop_at:
            payload, _ = rerun_message(rng)
            started = time.perf_counter()
            found = True
            await ws.send(payload)
            try:
                while True:
                    raw = await asyncio.wait_for(ws.recv(), PAGE_TIMEOUT)
                    msg = ForwardMsg()
                    msg.ParseFromString(raw)
                    kind = msg.WhichOneof("type")
                    if kind == "page_not_found":
                        found = False
                    elif kind == "script_finished":
                        ok = found and msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
                        break
            except (TimeoutError, websockets.ConnectionClosed):
                scenario.errors += 1
                return
            if ok:
                scenario.times.append(time.perf_counter() - started)
            else:
                scenario.errors += 1


def monthly_file(step: int) -> tuple[str, bytes]:
    """A new long-format file for COURRIEL_5J, each step another month and other counts."""
    import io

    import openpyxl

    year, month = 2025 + step // 12, step % 12 + 1
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["indicateur", "période", "périmètre", "numérateur", "dénominateur"])
    for k, perimetre in enumerate(("", "Boîte préfecture", "Coord.", "Étrang.")):
        answers = 100 + 7 * step + k
        ws.append(["COURRIEL_5J", f"{year}-{month:02d}", perimetre, answers - 3 - step % 5, answers])
    buffer = io.BytesIO()
    wb.save(buffer)
    return f"suivi-{year}-{month:02d}.xlsx", buffer.getvalue()


def importer(database_url: str, every: float, stop_at: float, scenario: Scenario) -> None:
    engine = get_engine(database_url)
    with session_scope(engine) as session:
        pref_id = list_prefectures(session)[0].id or 0
    step = 0
    while time.monotonic() + every < stop_at:
        time.sleep(every)
        name, data = monthly_file(step + 1000 * scenario.users)
        started = time.perf_counter()
        try:
            import_file(engine, pref_id, name, data, user="bench")
            scenario.imports.append(time.perf_counter() - started)
        except Exception as exc:  # counted and shown: a lost import is what this bench looks for
            scenario.import_errors += 1
            print(f"    import refusé ou en échec : {exc}", file=sys.stderr)
        step += 1


async def run_users(ports: list[int], scenario: Scenario, ramp: float) -> None:
    """The users, spread over the app processes as nginx's ``ip_hash`` would (one process each)."""
    stop_at = time.monotonic() + scenario.seconds
    tasks = []
    for i in range(scenario.users):
        tasks.append(asyncio.create_task(user(ports[i % len(ports)], SEED + i, stop_at, scenario)))
        await asyncio.sleep(ramp / max(scenario.users, 1))
    await asyncio.gather(*tasks, return_exceptions=True)


def run_scenario(ports: list[int], database_url: str, scenario: Scenario, import_every: float) -> Scenario:
    warm = Scenario(scenario.backend, len(ports), 3)
    asyncio.run(run_users(ports, warm, 0))  # the first views fill each process's caches; not counted
    stop_at = time.monotonic() + scenario.seconds
    thread = threading.Thread(target=importer, args=(database_url, import_every, stop_at, scenario), daemon=True)
    started = time.perf_counter()
    thread.start()
    asyncio.run(run_users(ports, scenario, ramp=min(2.0, scenario.seconds / 5)))
    scenario.wall = time.perf_counter() - started
    thread.join(timeout=120)
    return scenario


# --- databases -----------------------------------------------------------------------------------

@contextlib.contextmanager
def database(backend: str, pg_url: str | None, root: Path):
    if backend == "sqlite":
        yield f"sqlite:///{root / 'load.db'}"
        return
    if not pg_url:
        raise SystemExit("PostgreSQL : donnez --pg-url ou QEP_TEST_DATABASE_URL (ou lancez via tests/with_postgres.sh)")
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS qep_bench_load WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE qep_bench_load"))
    try:
        yield make_url(pg_url).set(database="qep_bench_load").render_as_string(hide_password=False)
    finally:
        get_engine(make_url(pg_url).set(database="qep_bench_load").render_as_string(hide_password=False)).dispose()
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS qep_bench_load WITH (FORCE)"))
        admin.dispose()


def report(scenarios: list[Scenario]) -> None:
    print()
    print("| base | processus | utilisateurs | pages vues | débit (pages/s) | médiane | p95 | max | erreurs | imports (médiane) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for s in scenarios:
        imports = (f"{len(s.imports)} ({statistics.median(s.imports):.2f} s)" if s.imports else "0") + (
            f", {s.import_errors} en échec" if s.import_errors else "")
        print(f"| {s.backend} | {s.processes} | {s.users} | {len(s.times)} | {len(s.times) / s.wall:.1f} | "
              f"{statistics.median(s.times):.2f} s | {s.p(0.95):.2f} s | {max(s.times):.2f} s | {s.errors} | {imports} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--seconds", type=float, default=30.0, help="durée de chaque scénario")
    parser.add_argument("--import-every", type=float, default=3.0, help="un import toutes les N secondes")
    parser.add_argument("--processes", type=int, default=1, help="processus de l'application (répartis comme ip_hash)")
    parser.add_argument("--pg-url", default=os.environ.get("QEP_TEST_DATABASE_URL"))
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if args.backend == "both" and not args.pg_url:
        print("PostgreSQL sauté (ni --pg-url ni QEP_TEST_DATABASE_URL) : SQLite seulement", file=sys.stderr)
        backends = ["sqlite"]
    scenarios: list[Scenario] = []
    with tempfile.TemporaryDirectory(prefix="qep-bench-load-") as tmp:
        root = Path(tmp)
        for backend in backends:
            with database(backend, args.pg_url, root) as url:
                engine = get_engine(url)
                create_schema(engine)
                t0 = time.perf_counter()
                load_demo(engine)
                print(f"[{backend}] démonstration chargée en {time.perf_counter() - t0:.1f} s", flush=True)
                with contextlib.ExitStack() as servers:
                    ports = [servers.enter_context(app_server(url, root / f"server-{backend}-{i}.log"))
                             for i in range(args.processes)]
                    for users in args.users:
                        scenario = run_scenario(ports, url, Scenario(backend, users, args.seconds, args.processes),
                                                args.import_every)
                        scenarios.append(scenario)
                        print(f"[{backend}] {users} utilisateurs : {len(scenario.times)} pages, "
                              f"p95 {scenario.p(0.95):.2f} s, {scenario.errors} erreur(s), "
                              f"{len(scenario.imports)} import(s)", flush=True)
                engine.dispose()
    report(scenarios)
    return 0 if all(s.errors == 0 and s.import_errors == 0 for s in scenarios) else 1


if __name__ == "__main__":
    sys.exit(main())
