"""Page benchmark: how long a full rerun of the dashboard and of the indicator page takes (server side).

Run from the project root::

    PYTHONPATH=. .venv/bin/python bench/bench_pages.py            # demo + large préfecture (~10 s)
    PYTHONPATH=. .venv/bin/python bench/bench_pages.py --runs 9   # more reruns per median

Each page is run with Streamlit's ``AppTest`` from ``app.py`` (the indicator page through
``at.switch_page``), as the tests do: the first run (cold ``st.cache_data``), then the median of
``--runs`` reruns once cached — what a user waits for after each click, minus the browser's drawing
and the network. Target: under 0.5 s per cached rerun.

Two databases (SQLite, in a temp dir):

* **demo**: the demo préfecture loaded by ``qep_core.demo.load_demo`` (4 years, the real importer).
* **large**: one préfecture with 5 years (2020-2024) × 20 périmètres of data for every monthly
  indicator of the référentiel, inserted with batched SQLAlchemy Core inserts straight into
  ``observation`` (as bench/bench_queries.py does), then ``ANALYZE``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import insert
from sqlmodel import select

from qep_core.db import analyze, create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.models import Observation, Perimetre
from qep_core.prefectures import create_prefecture
from qep_core.referentiel import indicators_for, seed_referentiel

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
PAGES_DIR = "pages" if (ROOT / "pages").is_dir() else "app_pages"
INDICATOR_PAGE = f"{PAGES_DIR}/indicateurs.py"
INDICATOR = "COURRIEL_5J"  # a rate with périmètres: the page draws both charts
SEED = 20250101
LARGE_YEARS = range(2020, 2025)
LARGE_PERIMETRES = 20  # the whole préfecture + 19 services, mailboxes, sous-préfectures
BATCH = 20_000
TARGET_S = 0.5


def navigation_only() -> None:
    """Run pages through app.py's ``st.navigation`` only, as ``qep_ui.serve`` serves them.

    AppTest re-arms Streamlit's legacy ``pages/`` mode on every run (see tests/conftest.py); without
    this, the reruns after ``switch_page`` would run the page file alone, without app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]


def build_demo(root: Path) -> str:
    url = f"sqlite:///{root / 'demo.db'}"
    engine = get_engine(url)
    create_schema(engine)
    t0 = time.perf_counter()
    load_demo(engine)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM observation").scalar_one()
    print(f"demo: load_demo {time.perf_counter() - t0:.1f} s, {rows} observations")
    engine.dispose()
    return url


def build_large(root: Path) -> str:
    url = f"sqlite:///{root / 'large.db'}"
    engine = get_engine(url)
    create_schema(engine)
    with session_scope(engine, write=True) as session:
        seed_referentiel(session)
        pref = create_prefecture(session, "35", "Préfecture de banc d'essai", ("M2", "M4"))
        for i in range(1, LARGE_PERIMETRES):
            session.add(Perimetre(prefecture_id=pref.id, name=f"Service {i:02d}", kind="service"))
        session.flush()
        pid = pref.id
        perims = [p.id for p in session.exec(select(Perimetre).where(Perimetre.prefecture_id == pid))]
        monthly = [(d.id, d.kind) for d in indicators_for(session, pid or 0) if d.frequency == "monthly"]
    months = [dt.date(y, m, 1) for y in LARGE_YEARS for m in range(1, 13)]
    rng = np.random.default_rng(SEED)
    table = Observation.__table__
    t0 = time.perf_counter()
    total, batch = 0, []
    with engine.begin() as conn:
        for perim in perims:
            for ind_id, kind in monthly:
                n = len(months)
                den = rng.integers(5, 400, n).astype(float)
                if kind == "count":
                    num, den_col = den, [None] * n
                elif kind == "mean_delay":  # total working days over the answers counted
                    num, den_col = np.round(den * rng.uniform(1, 8, n)), den.tolist()
                else:
                    num, den_col = np.floor(den * rng.uniform(0.7, 1.0, n)), den.tolist()
                num_col = num.tolist()
                batch.extend(
                    {"prefecture_id": pid, "indicator_id": ind_id, "perimetre_id": perim, "period_start": m,
                     "period_end": m, "numerator": num_col[k], "denominator": den_col[k], "batch_id": None}
                    for k, m in enumerate(months)
                )
                if len(batch) >= BATCH:
                    conn.execute(insert(table), batch)
                    total, batch = total + len(batch), []
        if batch:
            conn.execute(insert(table), batch)
            total += len(batch)
    analyze(engine)
    print(f"large: {total} observations ({len(monthly)} monthly indicators × {len(perims)} périmètres × "
          f"{len(months)} months) inserted in {time.perf_counter() - t0:.1f} s")
    engine.dispose()
    return url


def timed_runs(first: Callable[[], object], again: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    """(first run in s, reruns in s)."""
    t0 = time.perf_counter()
    first()
    first_s = time.perf_counter() - t0
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        again()
        times.append(time.perf_counter() - t0)
    return first_s, times


def check(at, what: str) -> None:  # type: ignore[no-untyped-def]
    if at.exception:
        raise SystemExit(f"{what}: the page raised: {at.exception[0].value}")


def bench_pages(name: str, url: str, runs: int) -> list[tuple[str, float, list[float]]]:
    from streamlit.testing.v1 import AppTest

    os.environ["QEP_DATABASE_URL"] = url  # every cached read has the URL among its keys: a cold cache
    rows = []

    at = AppTest.from_file(str(APP), default_timeout=120)

    def dashboard():  # type: ignore[no-untyped-def]
        at.run()
        check(at, "dashboard")

    first, times = timed_runs(dashboard, dashboard, runs)
    tiles = len(at.metric)
    rows.append((f"{name}: dashboard ({tiles} tiles, {at.subheader[0].value.split(' — ')[-1]})", first, times))

    at.query_params["ind"] = INDICATOR

    def open_indicator():  # type: ignore[no-untyped-def]
        at.switch_page(INDICATOR_PAGE).run()
        check(at, "indicator page")

    def indicator():  # type: ignore[no-untyped-def]
        at.run()
        check(at, "indicator page")

    first, times = timed_runs(open_indicator, indicator, runs)
    charts = len(at.get("plotly_chart"))
    assert at.title[0].value.startswith("Taux de réponse aux courriels"), at.title[0].value
    rows.append((f"{name}: indicator page {INDICATOR} ({charts} charts)", first, times))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="cached reruns per page (median reported)")
    args = parser.parse_args()
    navigation_only()
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="qep-bench-pages-") as tmp:
        root = Path(tmp)
        for name, build in (("demo", build_demo), ("large", build_large)):
            results += bench_pages(name, build(root), args.runs)
    print(f"\n{'page':<56} {'first run':>10} {'rerun, median of ' + str(args.runs):>20} {'min-max':>14}")
    for label, first, times in results:
        median = statistics.median(times)
        flag = "" if median < TARGET_S else f"  over the {TARGET_S} s target"
        spread = f"{min(times) * 1000:.0f}-{max(times) * 1000:.0f} ms"
        print(f"{label:<56} {first * 1000:7.0f} ms {median * 1000:17.0f} ms {spread:>14}{flag}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
