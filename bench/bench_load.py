"""Load benchmark: N simulated users reading the dashboard while imports run.

Run from the project root (``make bench-load`` does both back-ends, PostgreSQL on a throw-away
cluster through tests/with_postgres.sh)::

    PYTHONPATH=. .venv/bin/python bench/bench_load.py --backend sqlite
    tests/with_postgres.sh env PYTHONPATH=. .venv/bin/python bench/bench_load.py --backend postgresql
    PYTHONPATH=. .venv/bin/python bench/bench_load.py --users 10 50 --seconds 30
    tests/with_postgres.sh env PYTHONPATH=. .venv/bin/python bench/bench_load.py --backend postgresql \
        --processes 2 --via-nginx --think 5 0 --users 50 --seconds 60

What it does, per back-end:

* a database of its own (a SQLite file in a temp dir, or a ``qep_bench_load`` database on the
  PostgreSQL server of ``QEP_TEST_DATABASE_URL`` / ``--pg-url``) with the demo préfecture, loaded
  by the real importer;
* the real app (``python -m qep_ui.serve``, as ``make run``) on a free loopback port: one process,
  or ``--processes N`` on one database. Without ``--via-nginx`` the script itself spreads the users
  over the processes (user i on process i mod N); with ``--via-nginx`` the shipped nginx site
  (deploy/nginx/qep.conf, rendered by tests/nginx_conf.py as tests/browser/test_nginx.py runs it)
  is started unprivileged in a temp prefix in front of them, and nginx alone decides: each user
  first asks for ``/`` as a browser does, keeps the ``qep_route`` cookie of that answer, and opens
  its websocket through nginx with it (sticky by nginx's ``hash $qep_route consistent``);
* N users, each a Streamlit session on the app's websocket (``/_stcore/stream``), speaking the
  browser's protocol (protobuf ``BackMsg.rerun_script``): each asks for a page, waits for the whole
  page (every element up to ``script_finished``), then reads it for ``--think`` seconds (± 50 %,
  drawn per view; the first wait is drawn in [0, think] so users do not click in step) before the
  next one. ``--think 0`` (default) asks again at once: the figures are then the server's capacity,
  not a realistic pace. 70 % of the views are the dashboard, 30 % the indicator page (chart,
  cumulative figures, périmètres), with the year changing from view to view;
* meanwhile an "importer" imports a new monthly file every ``--import-every`` seconds through the
  real entry point (``import_file``, its own write transaction and history line): each changes the
  préfecture's data version (``services.system.history_version``) that the app's cache keys hold,
  so the next views of every process miss their cache once and recompute (nothing is cleared).

A page time is from the request to ``script_finished``, what a user waits for minus the browser's
drawing. Printed: views, throughput (views/s), median, 95th percentile and maximum page time,
errors, imports done and their median time, the per-process split of the views (from nginx's
access log with ``--via-nginx``: which upstream served each user's websocket) and the load average
of the machine (1 min, at the end of the scenario: the bench shares its cores). Traffic goes only to
127.0.0.1, bounded in count and time; the servers and nginx are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.cookies
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
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
THINK_JITTER = 0.5  # a think time of T waits between T/2 and 3T/2, T on average


@dataclass
class Scenario:
    backend: str
    users: int
    seconds: float
    processes: int = 1
    think: float = 0.0
    via_nginx: bool = False
    times: list[float] = field(default_factory=list)
    #: page times per page ("tableau de bord", "indicateurs"): which one costs
    by_page: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    imports: list[float] = field(default_factory=list)
    import_errors: int = 0
    wall: float = 0.0
    load: float = 0.0
    #: views per user route: the user's qep_route cookie through nginx, else the process it was given
    views: Counter[str] = field(default_factory=Counter)
    #: views per app process ("127.0.0.1:port"), once the routes are resolved
    split: Counter[str] = field(default_factory=Counter)

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


def routing_cookie(port: int) -> str:
    """The ``qep_route`` cookie nginx gives a browser on its first answer (``GET /``), as a browser
    gets it: the user then carries it, and nginx alone picks the process from it."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as response:
        response.read()
        headers = response.headers.get_all("Set-Cookie") or []
    for header in headers:
        cookie: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        cookie.load(header)
        if "qep_route" in cookie:
            return cookie["qep_route"].value
    raise RuntimeError(f"nginx n'a pas donné de cookie qep_route : {headers}")


async def user(port: int, seed: int, stop_at: float, scenario: Scenario) -> None:
    """One browser session: a page, then the next one after the think time (at once if 0)."""
    import websockets
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    rng = random.Random(seed)
    headers = {}
    route = f"127.0.0.1:{port}"
    if scenario.via_nginx:
        try:
            route = await asyncio.to_thread(routing_cookie, port)
        except OSError:
            scenario.errors += 1
            return
        headers["Cookie"] = f"qep_route={route}"
    if scenario.think:
        await asyncio.sleep(rng.uniform(0, scenario.think))
    async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                  additional_headers=headers, max_size=None, open_timeout=60,
                                  ping_interval=None) as ws:
        while time.monotonic() < stop_at:
            payload, page = rerun_message(rng)
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
                scenario.by_page.setdefault(page, []).append(scenario.times[-1])
                scenario.views[route] += 1
            else:
                scenario.errors += 1
            if scenario.think:
                pause = scenario.think * rng.uniform(1 - THINK_JITTER, 1 + THINK_JITTER)
                await asyncio.sleep(min(pause, max(0.0, stop_at - time.monotonic())))


def monthly_file(step: int) -> tuple[str, bytes]:
    """A long-format file for COURRIEL_5J, each step another month of 2025-2026 (the accepted
    periods end with next year: QEP_PERIOD_YEARS_AHEAD) and other counts, so every import changes
    the figures."""
    import io

    import openpyxl

    year, month = 2025 + (step // 12) % 2, step % 12 + 1
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
    """The users, spread over *ports* one each in turn (through nginx: its one port, and nginx
    spreads them by their routing cookie)."""
    stop_at = time.monotonic() + scenario.seconds
    tasks = []
    for i in range(scenario.users):
        tasks.append(asyncio.create_task(user(ports[i % len(ports)], SEED + i, stop_at, scenario)))
        await asyncio.sleep(ramp / max(scenario.users, 1))
    await asyncio.gather(*tasks, return_exceptions=True)


def run_scenario(ports: list[int], database_url: str, scenario: Scenario, import_every: float,
                 nginx: Nginx | None = None) -> Scenario:
    """Warm-up (not counted: each process's caches filled, straight to each process), then the
    users for ``scenario.seconds`` while the importer imports; the views' split per process."""
    warm = Scenario(scenario.backend, len(ports), 3)
    asyncio.run(run_users(ports, warm, 0))
    stop_at = time.monotonic() + scenario.seconds
    thread = threading.Thread(target=importer, args=(database_url, import_every, stop_at, scenario), daemon=True)
    started = time.perf_counter()
    thread.start()
    targets = [nginx.port] if nginx else ports
    ramp = min(2.0, scenario.seconds / 5) if not scenario.think else 0.0  # think time: the first wait spreads them
    asyncio.run(run_users(targets, scenario, ramp=ramp))
    scenario.wall = time.perf_counter() - started
    scenario.load = os.getloadavg()[0]
    thread.join(timeout=120)
    upstream = nginx.upstreams() if nginx else {}
    for route, count in scenario.views.items():
        scenario.split[upstream.get(route, route)] += count
    return scenario


# --- nginx ---------------------------------------------------------------------------------------

class Nginx:
    """The shipped nginx site (tests/nginx_conf.py renders it: only ports and paths change) run
    unprivileged from *prefix* on a free loopback port, in front of *app_ports*."""

    def __init__(self, prefix: Path, app_ports: list[int]) -> None:
        from tests.nginx_conf import render_nginx

        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise SystemExit("--via-nginx : nginx n'est pas installé (paquet Debian nginx)")
        self.prefix = prefix
        self.port = free_port()
        config = render_nginx(prefix, listen_port=self.port, app_ports=app_ports)
        with open(prefix / "nginx.out", "wb") as out:
            self.proc = subprocess.Popen([binary, "-p", str(prefix), "-c", str(config)], stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 20
        while not healthy(f"http://127.0.0.1:{self.port}"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx n'a pas démarré :\n{(prefix / 'error.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)

    def upstreams(self) -> dict[str, str]:
        """Which app process nginx sent each routing cookie's websocket to, from its access log
        (tests/nginx_conf.py's format: ``$upstream_addr "$cookie_qep_route" $status "$request"``;
        a websocket's line is written when it closes)."""
        time.sleep(0.5)
        line = re.compile(r'^(\S+) "([^"]*)" \d+ "GET /_stcore/stream')
        found = {}
        for match in map(line.match, (self.prefix / "access.log").read_text(errors="replace").splitlines()):
            if match and match.group(2):
                found[match.group(2)] = match.group(1)
        return found

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


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
    print("| base | accès | processus | utilisateurs | réflexion | pages vues | débit (pages/s) | médiane | p95 | max "
          "| erreurs | imports (médiane) | pages par processus | charge (1 min) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
    for s in scenarios:
        imports = (f"{len(s.imports)} ({statistics.median(s.imports):.2f} s)" if s.imports else "0") + (
            f", {s.import_errors} en échec" if s.import_errors else "")
        split = " / ".join(str(s.split[addr]) for addr in sorted(s.split)) or "-"
        times = s.times or [float("nan")]
        print(f"| {s.backend} | {'nginx' if s.via_nginx else 'direct'} | {s.processes} | {s.users} | {s.think:g} s | "
              f"{len(s.times)} | {len(s.times) / s.wall:.1f} | {statistics.median(times):.2f} s | {s.p(0.95):.2f} s | "
              f"{max(times):.2f} s | {s.errors} | {imports} | {split} | {s.load:.1f} |")
    print()
    print("| base | processus | utilisateurs | réflexion | page | vues | médiane | p95 |")
    print("|---|---:|---:|---:|---|---:|---:|---:|")
    for s in scenarios:
        for page, times in sorted(s.by_page.items()):
            ordered = sorted(times)
            print(f"| {s.backend} | {s.processes} | {s.users} | {s.think:g} s | {page} | {len(times)} | "
                  f"{statistics.median(times):.2f} s | {ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]:.2f} s |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--seconds", type=float, default=30.0, help="durée de chaque scénario")
    parser.add_argument("--import-every", type=float, default=3.0, help="un import toutes les N secondes")
    parser.add_argument("--processes", type=int, default=1, help="processus de l'application")
    parser.add_argument("--think", type=float, nargs="+", default=[0.0],
                        help="temps de lecture entre deux pages, en secondes (± 50 %%) ; 0 : la capacité du serveur")
    parser.add_argument("--via-nginx", action="store_true",
                        help="les utilisateurs passent par le site nginx livré (deploy/nginx), cookie qep_route compris")
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
                    nginx = None
                    if args.via_nginx:
                        (root / f"nginx-{backend}").mkdir()
                        nginx = Nginx(root / f"nginx-{backend}", ports)
                        servers.callback(nginx.stop)
                    print(f"[{backend}] processus sur les ports {', '.join(map(str, ports))}"
                          + (f", nginx sur {nginx.port}" if nginx else ""), flush=True)
                    for users in args.users:
                        for think in args.think:
                            scenario = run_scenario(ports, url, Scenario(backend, users, args.seconds, args.processes,
                                                                         think, args.via_nginx),
                                                    args.import_every, nginx)
                            scenarios.append(scenario)
                            print(f"[{backend}] {users} utilisateurs, réflexion {think:g} s : {len(scenario.times)} "
                                  f"pages, p95 {scenario.p(0.95):.2f} s, {scenario.errors} erreur(s), "
                                  f"{len(scenario.imports)} import(s), charge {scenario.load:.1f}", flush=True)
                engine.dispose()
    report(scenarios)
    return 0 if all(s.errors == 0 and s.import_errors == 0 for s in scenarios) else 1


if __name__ == "__main__":
    sys.exit(main())
