"""Browser fixtures: the real app, started as ``make run`` starts it (``python -m qep_ui.serve``) on a
fresh demo database, driven by Playwright in Debian's Chromium (headless). Never a browser download:
``playwright install`` is not used; the playwright wheel brings its driver, /usr/bin/chromium the browser.

Everything here is skipped, with the reason, when /usr/bin/chromium or the playwright package is
missing (``.ci/run`` installs the first, ``requirements-dev.txt`` the second).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# As on this machine's probe: no sandbox as root, and no background traffic to a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_TIMEOUT = 60.0
UI_TIMEOUT_MS = 30_000


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests: {CHROMIUM} is missing (Debian package chromium; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests: the playwright package is not installed (pip install -r requirements-dev.txt)"
    return None


SKIP_REASON = _skip_reason()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip every test of this folder, with the reason, when the browser can't run."""
    if SKIP_REASON is None:
        return
    marker = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(marker)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    """Keep each phase's report on the item so that the page fixture can screenshot failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    """End the server's whole process group (it was started in its own session)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database (SQLite, or PostgreSQL in the PostgreSQL run) with the demo préfecture,
    loaded by the CLI as a user would."""
    if SKIP_REASON:
        pytest.skip(SKIP_REASON)
    from tests.databases import database

    with database(tmp_path_factory.mktemp("browser-db"), "browser") as url:
        env = {**os.environ, "QEP_DATABASE_URL": url}
        done = subprocess.run([sys.executable, "-m", "qep_core", "init", "--demo"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"init --demo failed:\n{done.stdout}\n{done.stderr}"
        yield url


def launcher() -> list[str]:
    """How ``make run`` starts the app: ``python -m qep_ui.serve`` (``streamlit run app.py`` without the
    legacy ``pages/`` mode), or plain ``streamlit run app.py`` where that launcher doesn't exist."""
    if (ROOT / "qep_ui" / "serve.py").exists():
        return [sys.executable, "-m", "qep_ui.serve"]
    return [sys.executable, "-m", "streamlit", "run", "app.py"]


@contextlib.contextmanager
def serve(database_url: str, log_dir: Path) -> Iterator[str]:
    """The app on a free loopback port against *database_url*; its base URL.

    The server runs in its own process group, ended (SIGTERM, then SIGKILL) on exit.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = log_dir / f"streamlit-{port}.log"
    env = {**os.environ, "QEP_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    cmd = [*launcher(), "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"streamlit did not become healthy on {url} (exit code {proc.poll()}):\n{tail}")
            time.sleep(0.2)
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def server_url(demo_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server shared by the journeys (started once; no page opened yet)."""
    with serve(demo_database, tmp_path_factory.mktemp("browser-server")) as url:
        yield url


@pytest.fixture
def fresh_server_url(demo_database: str, tmp_path: Path) -> Iterator[str]:
    """A server of its own, that no browser has talked to yet (for what happens after a restart)."""
    with serve(demo_database, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def app_url(server_url: str, browser) -> str:  # type: ignore[no-untyped-def]
    """The shared server, once its entry page has run in one session.

    Until some session has run app.py (and so ``st.navigation``), Streamlit may serve a deep link
    such as /import from the legacy ``pages/`` directory, without the entry script (qep_ui.serve
    switches that mode off). Opening the entry page first keeps the journeys independent of that
    and of their order; test_deep_link_after_restart checks the first visit on its own server.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    try:
        tab = context.new_page()
        tab.goto(server_url)
        tab.wait_for_selector('[data-testid="stSidebarNav"]', timeout=UI_TIMEOUT_MS)
    finally:
        context.close()
    return server_url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, launched by Playwright (no downloaded browser)."""
    if SKIP_REASON:
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, app_url: str, request: pytest.FixtureRequest) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh tab on the shared server; see :func:`new_tab`."""
    with new_tab(browser, app_url, request) as tab:
        yield tab


@contextlib.contextmanager
def new_tab(browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A tab with its own cookies and Streamlit session, 1280×900, French locale and Paris time;
    relative URLs go to *base_url*; a screenshot in test-artifacts/ if the test fails."""
    from playwright.sync_api import expect

    expect.set_options(timeout=UI_TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR",
                                  timezone_id="Europe/Paris", base_url=base_url)
    context.set_default_timeout(UI_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            with contextlib.suppress(Exception):
                tab.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"), full_page=True)
        context.close()
