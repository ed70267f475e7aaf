"""Browser benchmark: how long each page takes to be ready in Chromium, on the demo.

Run from the project root (Debian's Chromium and the playwright package, as the browser tests)::

    PYTHONPATH=. .venv/bin/python bench/bench_browser.py              # every page, 5 visits each (~2 min)
    PYTHONPATH=. .venv/bin/python bench/bench_browser.py --runs 9 --pages indicateurs engagements
    PYTHONPATH=. .venv/bin/python bench/bench_browser.py --url http://127.0.0.1:8599   # an app already running

What it measures, as a user feels it:

* **first page after a start**: a fresh app process (``python -m qep_ui.serve``, as ``make run``) on a
  fresh copy of the demo; the browser opens the dashboard; time from ``goto`` to ready;
* **each page, warm**: the page reached by its link in the sidebar (a click: Streamlit reruns the
  script over its websocket, as a user moving around does), ``--runs`` times round the pages, the
  first visit apart (the page's caches are cold) and the median of the others.

"Ready" is the moment the app's websocket brings ``script_finished`` for that run (every element of
the page has been sent), then two animation frames so that the browser has drawn them: what a user
waits for before reading and clicking. Targets (issue 17): median under 1 s warm, first page under 3 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_load import app_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: url path → title, in the sidebar's order (app.py); "" is the dashboard.
PAGES = {"": "Tableau de bord", "indicateurs": "Indicateurs", "engagements": "Engagements",
         "comparaison": "Comparaison des préfectures", "revue": "Revue trimestrielle", "exports": "Exports",
         "enquetes": "Enquêtes", "signaux": "Signaux", "plan-actions": "Plan d'actions", "audits": "Audits",
         "formations": "Formations", "import": "Import", "saisie": "Saisie", "collecte": "Collecte",
         "parametres": "Paramètres", "historique": "Historique"}
TIMEOUT_S = 120.0


class RunWatch:
    """The app's websocket frames, decoded: counts the ``script_finished`` messages seen so far."""

    def __init__(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._msg = ForwardMsg
        self.finished = 0
        self.finished_at = 0.0  # when the last script_finished arrived (perf_counter)
        self.failed = 0
        self._lock = threading.Condition()

    def attach(self, ws) -> None:  # type: ignore[no-untyped-def]
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framereceived", self._frame)

    def _frame(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        msg = self._msg()
        msg.ParseFromString(payload)
        if msg.WhichOneof("type") == "script_finished":
            with self._lock:
                self.finished += 1
                self.finished_at = time.perf_counter()
                if msg.script_finished != self._msg.FINISHED_SUCCESSFULLY:
                    self.failed += 1


def wait_finished(page, watch: RunWatch, before: int) -> None:  # type: ignore[no-untyped-def]
    """Until a run finished after *before* was counted, then two frames drawn."""
    deadline = time.monotonic() + TIMEOUT_S
    while watch.finished <= before:
        if time.monotonic() > deadline:
            raise TimeoutError("la page n'a pas fini de s'exécuter")
        page.wait_for_timeout(5)  # lets Playwright deliver the websocket events
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def timed_goto(page, watch: RunWatch, url: str) -> float:  # type: ignore[no-untyped-def]
    before = watch.finished
    started = time.perf_counter()
    page.goto(url)
    wait_finished(page, watch, before)
    return time.perf_counter() - started


def timed_click(page, watch: RunWatch, path: str) -> float:  # type: ignore[no-untyped-def]
    link = page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').first
    before = watch.finished
    started = time.perf_counter()
    link.click()
    wait_finished(page, watch, before)
    return time.perf_counter() - started


@contextlib.contextmanager
def demo_app(url: str | None) -> Iterator[str]:
    """The app to measure: *url*, or a fresh process on a fresh demo database."""
    if url:
        yield url.rstrip("/")
        return
    with tempfile.TemporaryDirectory(prefix="qep-bench-browser-") as tmp:
        database = f"sqlite:///{Path(tmp) / 'demo.db'}"
        env = {**os.environ, "QEP_DATABASE_URL": database, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "qep_core", "init", "--demo"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=300)
        with app_server(database, Path(tmp) / "app.log") as port:
            yield f"http://127.0.0.1:{port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="visits of each page (the first one apart)")
    parser.add_argument("--pages", nargs="*", default=None, help="url paths (défaut : toutes ; « home » = tableau de bord)")
    parser.add_argument("--url", help="an app already running (the first-page figure then is not after a start)")
    args = parser.parse_args()
    pages = [("" if p == "home" else p) for p in args.pages] if args.pages else list(PAGES)
    from playwright.sync_api import sync_playwright

    with demo_app(args.url) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="fr-FR")
        page = context.new_page()
        watch = RunWatch()
        page.on("websocket", watch.attach)
        first = timed_goto(page, watch, base + "/")
        print(f"premier tableau de bord après démarrage : {first:.2f} s" + (" (application déjà lancée)" if args.url else ""))
        visits: dict[str, list[float]] = {path: [] for path in pages}
        for _ in range(max(args.runs, 2)):
            for path in pages:
                visits[path].append(timed_click(page, watch, path))
        browser.close()
    print(f"\n{'page':<30} {'1re visite':>11} {'médiane (chaude)':>17} {'max':>7}")
    warm_all = []
    for path in pages:
        times = visits[path]
        warm = times[1:]
        warm_all += warm
        print(f"{PAGES.get(path, path):<30} {times[0]:>10.2f}s {statistics.median(warm):>16.2f}s {max(warm):>6.2f}s")
    print(f"\nmédiane de toutes les pages, chaudes : {statistics.median(warm_all):.2f} s "
          f"(cible < 1 s) ; échecs de script : {watch.failed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
