"""Query benchmark: the dashboard's computations at national and at one-préfecture scale (SQLite).

Run from the project root::

    PYTHONPATH=. .venv/bin/python bench/bench_queries.py                # national + realistic (~1-2 min)
    PYTHONPATH=. .venv/bin/python bench/bench_queries.py --scale small  # 10 préfectures, quick

* **national**: 100 préfectures × 10 years (2015-2024) × 12 months × 20 indicators (the whole
  référentiel, every one stored monthly) × 6 périmètres ≈ 1.44 M observations, inserted with
  batched SQLAlchemy Core inserts straight into ``observation`` (no import machinery), then
  ``qep_core.db.analyze``.
* **realistic**: one préfecture × 4 years (2021-2024), same indicators and périmètres (5 760
  observations), like the demo database.

Timed (median of several calls, each in its own read session as a page run would be):
compute_indicators for a year (all indicators, without and with the previous year), for a quarter
with the previous year, monthly_values (one indicator, 12 months), breakdown_by_perimetre, and one
indicator across all préfectures (a loop of compute_indicators, and one GROUP BY query), and the
control charts of every monthly indicator over 24 months (what the dashboard's tiles and the
quarterly review read, :func:`qep_core.spc_series.summaries_all`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, text
from sqlmodel import select
from timing import fmt_int

from qep_core.compute import breakdown_by_perimetre, compute_indicators, monthly_values
from qep_core.db import analyze, create_schema, get_engine, session_scope
from qep_core.models import Indicator, Observation, Perimetre
from qep_core.periods import quarter_period, year_period
from qep_core.prefectures import create_prefecture
from qep_core.referentiel import indicators_for, seed_referentiel
from qep_core.spc_series import summaries_all

SEED = 20240601
PERIMETRES_PER_PREFECTURE = 6  # the whole préfecture + 5 services
EXTRA_PERIMETRES = ["Bureau des étrangers", "Accueil général", "Sous-préfecture de l'arrondissement",
                    "Boîte fonctionnelle pref-contact", "Contrôle de légalité"]
SCALES = {
    "national": {"prefectures": 100, "years": range(2015, 2025)},
    "small": {"prefectures": 10, "years": range(2015, 2025)},
    "realistic": {"prefectures": 1, "years": range(2021, 2025)},
}
BATCH = 20_000


def departement_codes(n: int) -> list[str]:
    codes = [f"{i:02d}" for i in range(1, 20)] + ["2A", "2B"] + [f"{i:02d}" for i in range(21, 96)]
    codes += [str(c) for c in range(971, 977) if c != 975]
    return codes[:n]



def build(root: Path, scale: str) -> tuple:  # type: ignore[type-arg]
    spec = SCALES[scale]
    engine = get_engine(f"sqlite:///{root / f'{scale}.db'}")
    create_schema(engine)
    with session_scope(engine, write=True) as session:
        seed_referentiel(session)
        prefs = []
        for code in departement_codes(spec["prefectures"]):
            pref = create_prefecture(session, code, f"Préfecture ({code})", ("M2", "M4"))
            for name in EXTRA_PERIMETRES[: PERIMETRES_PER_PREFECTURE - 1]:
                session.add(Perimetre(prefecture_id=pref.id, name=name, kind="service"))
            prefs.append(pref.id)
        session.flush()
        perims = {pid: [p.id for p in session.exec(select(Perimetre).where(Perimetre.prefecture_id == pid))]
                  for pid in prefs}
        indicators = [(i.id, i.kind) for i in session.exec(select(Indicator).order_by(Indicator.id))]
    months = [dt.date(y, m, 1) for y in spec["years"] for m in range(1, 13)]
    rng = np.random.default_rng(SEED)
    table = Observation.__table__
    t0 = time.perf_counter()
    total = 0
    batch: list[dict] = []
    with engine.begin() as conn:
        for pid in prefs:
            for perim in perims[pid]:
                for ind_id, kind in indicators:
                    n = len(months)
                    den = rng.integers(5, 800, n).astype(float)
                    if kind == "count":
                        num, den_col = den, [None] * n
                    elif kind == "mean_delay":
                        num, den_col = np.round(den * rng.uniform(1, 15, n)), den.tolist()
                    else:
                        num, den_col = np.floor(den * rng.uniform(0.6, 1.0, n)), den.tolist()
                    num_col = num.tolist()
                    batch.extend(
                        {"prefecture_id": pid, "indicator_id": ind_id, "perimetre_id": perim, "period_start": m,
                         "period_end": m, "numerator": num_col[k], "denominator": den_col[k], "batch_id": None}
                        for k, m in enumerate(months)
                    )
                    if len(batch) >= BATCH:
                        conn.execute(insert(table), batch)
                        total += len(batch)
                        batch = []
        if batch:
            conn.execute(insert(table), batch)
            total += len(batch)
    t_insert = time.perf_counter() - t0
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    size = (root / f"{scale}.db").stat().st_size / 2**20
    print(f"{scale}: {fmt_int(total)} observations inserted in {t_insert:.1f} s "
          f"({fmt_int(total / t_insert)} rows/s), database {size:.0f} MB")
    return engine, prefs, max(spec["years"])


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, object]:
    """(median ms, first-call ms, last result)."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), times[0], result


def show(scale: str, label: str, median: float, first: float, extra: str = "") -> None:
    print(f"{scale}: {label:<58} {median:8.1f} ms  (first call {first:.1f} ms){extra}")


def across_prefectures_sql(engine, ind_id: int, year: int):  # type: ignore[no-untyped-def]
    period = year_period(year)
    stmt = (
        select(Observation.prefecture_id, func.sum(Observation.numerator), func.sum(Observation.denominator))
        .where(Observation.indicator_id == ind_id)
        .where(Observation.period_start >= period.start)
        .where(Observation.period_end <= period.end)
        .group_by(Observation.prefecture_id)
    )
    with session_scope(engine) as session:
        return session.exec(stmt).all()


def query_plan(engine, ind_id: int, year: int) -> str:  # type: ignore[no-untyped-def]
    sql = ("EXPLAIN QUERY PLAN SELECT prefecture_id, sum(numerator), sum(denominator) FROM observation "
           "WHERE indicator_id = :i AND period_start >= :s AND period_end <= :e GROUP BY prefecture_id")
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"i": ind_id, "s": dt.date(year, 1, 1), "e": dt.date(year, 12, 1)}).all()
    return " / ".join(str(r[-1]) for r in rows)


def run_queries(scale: str, engine, prefs: list[int], year: int, runs: int) -> None:  # type: ignore[no-untyped-def]
    pid = prefs[len(prefs) // 2]
    with session_scope(engine) as session:
        inds = indicators_for(session, pid)
    ind = next(d for d in inds if d.code == "COURRIEL_5J")
    year_p, quarter_p = year_period(year), quarter_period(year, 2)

    def in_session(fn):  # type: ignore[no-untyped-def]
        def call():  # type: ignore[no-untyped-def]
            with session_scope(engine) as session:
                return fn(session)
        return call

    m, f, res = timed(in_session(lambda s: compute_indicators(s, pid, year_p, with_previous=False)), runs)
    show(scale, f"compute_indicators, one préfecture-year ({len(res)} indicators)", m, f)
    m, f, res = timed(in_session(lambda s: compute_indicators(s, pid, year_p)), runs)
    show(scale, "compute_indicators, one préfecture-year + previous year", m, f)
    m, f, res = timed(in_session(lambda s: compute_indicators(s, pid, quarter_p)), runs)
    show(scale, "compute_indicators, one quarter + previous year", m, f)
    m, f, res = timed(in_session(lambda s: monthly_values(s, pid, ind, year_p)), runs)
    show(scale, f"monthly_values {ind.code}, 12 months ({len(res)} rows)", m, f)
    m, f, res = timed(in_session(lambda s: breakdown_by_perimetre(s, pid, ind, year_p)), runs)
    show(scale, f"breakdown_by_perimetre {ind.code}, one year ({len(res)} périmètres)", m, f)
    m, f, res = timed(in_session(lambda s: summaries_all(s, pid, inds, dt.date(year, 12, 1))), runs)
    show(scale, f"control charts of the tiles, 24 months ({len(res)} indicators)", m, f)

    def loop(session):  # type: ignore[no-untyped-def]
        return [compute_indicators(session, p, year_p, codes=[ind.code], with_previous=False)[0] for p in prefs]

    m, f, res = timed(in_session(loop), max(3, runs // 5))
    show(scale, f"{ind.code} across {len(prefs)} préfectures, loop of compute_indicators", m, f)
    m, f, res = timed(lambda: across_prefectures_sql(engine, ind.id, year), runs)
    show(scale, f"{ind.code} across {len(prefs)} préfectures, one GROUP BY query", m, f,
         f"  [{query_plan(engine, ind.id, year)}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("national", "small"), default="national",
                        help="national: 100 préfectures (default); small: 10 préfectures, quick")
    parser.add_argument("--runs", type=int, default=15, help="calls per query (median reported)")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qep-bench-q-") as tmp:
        root = Path(tmp)
        for scale in (args.scale, "realistic"):
            print(f"\n== {scale} ==")
            engine, prefs, year = build(root, scale)
            with session_scope(engine) as session:
                ind_id = session.exec(select(Indicator.id).where(Indicator.code == "COURRIEL_5J")).one()
            m, f, _ = timed(lambda e=engine, i=ind_id, y=year: across_prefectures_sql(e, i, y), 3)
            show(scale, "before ANALYZE: one indicator across préfectures (SQL)", m, f,
                 f"  [{query_plan(engine, ind_id, year)}]")
            t0 = time.perf_counter()
            analyze(engine)
            print(f"{scale}: ANALYZE {time.perf_counter() - t0:.2f} s")
            run_queries(scale, engine, prefs, year, args.runs)
            engine.dispose()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
