"""Several app processes behind nginx on PostgreSQL, as deploy/ ships them (README, « Déploiement »).

nginx runs unprivileged from a temp prefix with deploy/nginx/qep.conf rendered by tests/nginx_conf.py
(only its ports and include path change), in front of two app processes (``python -m
qep_ui.serve``, accounts mode) on one PostgreSQL database: the suite's when it runs on PostgreSQL
(``QEP_TEST_DATABASE_URL``), else a throw-away cluster made here as tests/with_postgres.sh makes
one. Skipped, with the reason, without nginx or PostgreSQL — unless ``QEP_REQUIRE_PG=1`` (CI).

The journey: a COPIL member pinned to process B reads January's figure; the référent(e) qualité,
pinned to process A, imports a tracking sheet for January; B, without reloading, shows the new
figure at its next run (the data version in its cache keys is read from the database). The
operation logs prove who ran where.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, _free_port, _stop, new_tab, serve
from tests.browser.test_journeys import (
    MAIN,
    UPLOADER,
    indicator_label,
    save_button,
    tile_value,
    tracking_sheet,
    upload,
    wait_for_app,
)
from tests.nginx_conf import render_nginx

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: the playwright package is not installed")
expect = sync_api.expect

CODE = "COURRIEL_5J"
PASSWORD = "Nginx-et-deux-processus-2024"
ADMIN, READER = "rq44", "sg44"
NGINX_START_SECONDS = 20.0


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("QEP_REQUIRE_PG", "0") == "1":
        pytest.fail(f"{reason} (QEP_REQUIRE_PG=1: required here)")
    pytest.skip(reason)


def _nginx() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _pg_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name, reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A PostgreSQL cluster in a temp dir on loopback, trust auth, fsync off (tests/with_postgres.sh);
    as root it runs as ``postgres`` (pg_ctl refuses root). Its server URL; removed on exit."""
    bindir = _pg_bindir()
    if bindir is None:
        _skip_or_fail("no PostgreSQL here (Debian package postgresql, or QEP_TEST_DATABASE_URL)")
    assert bindir is not None
    root = Path(tempfile.mkdtemp(prefix="qep-pg-nginx."))
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(root, "postgres")

    def run(*command: str) -> None:
        line = " ".join(f"'{part}'" for part in command)
        argv = ["su", "postgres", "-s", "/bin/sh", "-c", f"cd /tmp && {line}"] if as_root else ["sh", "-c", line]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}\n{done.stderr}"

    port = _free_port()
    options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off")
    try:
        run(str(bindir / "initdb"), "-D", str(root / "data"), "-U", "qep", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8")
        run(str(bindir / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "server.log"), "-w", "-t", "60",
            "-o", options, "start")
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "qep", "qep_nginx")
        yield f"postgresql+psycopg://qep@127.0.0.1:{port}/qep_nginx"
    finally:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            run(str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def postgres_database(tmp_path: Path) -> Iterator[str]:
    from tests.databases import database, on_postgresql

    if on_postgresql():
        with database(tmp_path, "nginx") as url:
            yield url
    else:
        with throwaway_cluster() as url:
            yield url


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QEP_DATABASE_URL": url, "QEP_AUTH": "accounts", "QEP_PASSWORD": PASSWORD}
    done = subprocess.run([sys.executable, "-m", "qep_core", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"qep_core {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def january(url: str) -> str:
    """January 2024's figure of CODE as the dashboard writes it, read by the command line."""
    report = json.loads(cli(url, "--as", ADMIN, "report", "--month", "2024-01", "--indicator", CODE,
                            "--format", "json").stdout)
    return f"{report['indicators'][0]['value']:.1f} %".replace(".", ",")


@contextlib.contextmanager
def nginx_in_front(prefix: Path, app_urls: list[str]) -> Iterator[str]:
    nginx = _nginx()
    if nginx is None:
        _skip_or_fail("nginx is not installed (Debian package nginx; .ci/run installs it)")
    assert nginx is not None
    port = _free_port()
    main = render_nginx(prefix, listen_port=port, app_ports=[int(u.rsplit(":", 1)[1]) for u in app_urls])
    with open(prefix / "nginx.out", "wb") as out:
        proc = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(main)], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + NGINX_START_SECONDS
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nginx did not start:\n{(prefix / 'error.log').read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


def served_by(base: str, prefix: Path, route: str | None) -> tuple[str, dict[str, str]]:
    """Which app process nginx sends a browser with routing cookie *route* to (from the access
    log), and the answer's headers."""
    request = urllib.request.Request(f"{base}/", headers={"Cookie": f"qep_route={route}"} if route else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        headers = {k.lower(): v for k, v in response.headers.items()}
    time.sleep(0.05)  # the log line is written once the answer is sent
    last = (prefix / "access.log").read_text().splitlines()[-1]
    return last.split(" ", 1)[0], headers


def sign_in(tab, login: str) -> None:  # type: ignore[no-untyped-def]
    form = tab.locator(MAIN)
    expect(form.get_by_label("Identifiant")).to_be_visible()
    form.get_by_label("Identifiant").fill(login)
    form.get_by_label("Mot de passe").fill(PASSWORD)
    form.get_by_role("button", name="Se connecter").click()


def test_two_processes_behind_nginx_share_the_data(browser, tmp_path: Path, request: pytest.FixtureRequest,  # type: ignore[no-untyped-def]
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if _nginx() is None:
        _skip_or_fail("nginx is not installed (Debian package nginx; .ci/run installs it)")
    monkeypatch.setenv("QEP_AUTH", "accounts")
    monkeypatch.setenv("QEP_LOG_FORMAT", "json")
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_database(tmp_path))
        cli(url, "init", "--demo")
        cli(url, "user", "add", ADMIN, "--role", "admin", "--prefecture", "44")
        cli(url, "--as", ADMIN, "user", "add", READER, "--role", "copil", "--prefecture", "44")
        before = january(url)
        app_a = stack.enter_context(serve(url, tmp_path))
        app_b = stack.enter_context(serve(url, tmp_path))
        nginx_dir = tmp_path / "nginx"
        nginx_dir.mkdir()
        base = stack.enter_context(nginx_in_front(nginx_dir, [app_a, app_b]))
        a_addr, b_addr = (u.removeprefix("http://") for u in (app_a, app_b))

        # The routing cookie: given once, then the same process for every request that carries it.
        _, first = served_by(base, nginx_dir, None)
        assert first["set-cookie"].startswith("qep_route=") and "HttpOnly" in first["set-cookie"]
        assert first["x-content-type-options"] == "nosniff" and "frame-ancestors 'self'" in first[
            "content-security-policy"] and first["referrer-policy"] == "same-origin"
        routes: dict[str, str] = {}
        for i in range(64):
            addr, headers = served_by(base, nginx_dir, f"route-{i}")
            assert "set-cookie" not in headers
            routes.setdefault(addr, f"route-{i}")
            if len(routes) == 2:
                break
        assert set(routes) == {a_addr, b_addr}, routes
        assert served_by(base, nginx_dir, routes[b_addr])[0] == b_addr  # sticky
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as health:  # what monitoring polls
            assert health.read().strip() == b"ok"

        with new_tab(browser, base, request) as reader, new_tab(browser, base, request) as admin:
            reader.context.add_cookies([{"name": "qep_route", "value": routes[b_addr], "url": base}])
            admin.context.add_cookies([{"name": "qep_route", "value": routes[a_addr], "url": base}])
            label = indicator_label(CODE)

            reader.goto("/?annee=2024&vue=mois&mois=1")
            sign_in(reader, READER)
            expect(reader.get_by_role("heading", name="Tableau de bord Qual-e-Pref")).to_be_visible()
            expect(tile_value(reader, label)).to_have_text(before)  # cached by process B

            admin.goto("/")
            sign_in(admin, ADMIN)
            expect(admin.get_by_role("heading", name="Tableau de bord Qual-e-Pref")).to_be_visible()
            wait_for_app(admin)
            admin.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=re.compile("^Import")).click()
            expect(admin.locator(MAIN).locator(UPLOADER).first).to_be_visible()
            wait_for_app(admin)
            upload(admin, "courriels-2024.xlsx", tracking_sheet(
                [["Nombre de réponses", 400, 400], ["Nombre de réponses dans les délais", 123, 123]],
                title="Courriels 2024"))
            expect(save_button(admin)).to_be_enabled()
            wait_for_app(admin)
            save_button(admin).click()
            expect(admin.locator('[data-testid="stAlertContentSuccess"], [data-testid="stToast"]').first).to_be_visible()
            after = january(url)
            assert after != before

            # Process B learns of A's import from the database at its next run: no reload, no restart.
            nav = reader.locator('[data-testid="stSidebarNav"]')
            nav.get_by_role("link", name=re.compile("Indicateurs")).click()
            expect(reader.locator(MAIN).locator("h1").first).to_be_visible()
            wait_for_app(reader)
            nav.get_by_role("link", name=re.compile("Tableau de bord")).click()
            expect(reader.get_by_role("heading", name="Tableau de bord Qual-e-Pref")).to_be_visible()
            expect(tile_value(reader, label)).to_have_text(after)

    logs = {addr: _operations(tmp_path, addr) for addr in (a_addr, b_addr)}
    assert any(o["operation"] == "imports.save_upload" and o["login"] == ADMIN and o["outcome"] == "ok"
               for o in logs[a_addr])
    assert {o["login"] for o in logs[a_addr]} == {ADMIN} and {o["login"] for o in logs[b_addr]} == {READER}


def _operations(log_dir: Path, addr: str) -> list[dict]:
    """The operation log lines of the app process on *addr* (its stderr, in conftest's log file)."""
    text = (log_dir / f"streamlit-{addr.rsplit(':', 1)[1]}.log").read_text(errors="replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"qep.operations"' in line]
