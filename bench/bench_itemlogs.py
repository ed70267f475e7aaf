"""Item-log benchmark: a 200 000-row e-mail register, bare read vs analyse vs full import (SQLite).

Run from the project root::

    PYTHONPATH=. .venv/bin/python bench/bench_itemlogs.py              # ~2 min on 2 cores
    PYTHONPATH=. .venv/bin/python bench/bench_itemlogs.py --rows 20000 --runs 1
    PYTHONPATH=. .venv/bin/python bench/bench_itemlogs.py --profile    # + cProfile when import > 3× read

Generated file (seeded, in a temp dir, never kept), written with openpyxl write-only: one sheet
"Courriels", a title row, then ``Date de réception | Date de réponse | Boîte | Expéditeur |
Objet`` and 200 000 e-mails received over 2022-2024 (real date cells with a time of day, in
reception order), 10 mailboxes, ~3 % unanswered (empty cell), the others answered 0 to 12
calendar days later (so no answer falls after ``as_of`` = 15/01/2025).

Timed:

* the bare read: fastexcel → Arrow (``read_excel(bytes).load_sheet(0).to_arrow()``, the
  reference of the ratio), fastexcel with the real header row (typed datetime columns), and
  python-calamine ``to_python`` (Python cells; the importer instead reads every cell as text through
  fastexcel, see ``SourceFile.text_cells``);
* ``analyze_file`` alone (read session, nothing written);
* ``import_file`` into a fresh SQLite database (schema, référentiel, préfecture 44), median of
  --runs, with rows/s, the ratio import / bare read (target ≤ 3×), the observations and log
  items stored;
* a re-import of the same bytes (recognised by its SHA-256: nothing written).

Peak memory: tracemalloc peak during one more import into a fresh database (timed apart: tracing
slows Python allocations down), and the process's maximum resident size (``resource.getrusage``)
before and after the imports.

With ``--profile`` and a ratio above 3×, one more import runs under cProfile: top 20 cumulative
entries from qep_core, then the top 15 by own time over everything (pandas, numpy, sqlite3…).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import fastexcel
import openpyxl
import python_calamine
from sqlalchemy import text
from sqlalchemy.engine import Engine
from timing import fmt_int, median_time

from qep_core.db import create_schema, get_engine, session_scope
from qep_core.drilldown import log_items
from qep_core.importing.service import analyze_file, import_file
from qep_core.models import Prefecture
from qep_core.periods import month_period
from qep_core.prefectures import create_prefecture
from qep_core.referentiel import seed_referentiel

SEED = 20240615
ROWS = 200_000
AS_OF = dt.date(2025, 1, 15)
FIRST_DAY = dt.datetime(2022, 1, 1)
DAYS = (dt.date(2024, 12, 31) - dt.date(2022, 1, 1)).days + 1
UNANSWERED = 0.03
MAX_ANSWER_DAYS = 12
TARGET_RATIO = 3.0
FILE_NAME = "registre-courriels-2022-2024.xlsx"
MAILBOXES = [f"pref-{name}@loire-atlantique.gouv.fr" for name in (
    "courrier", "etrangers", "cartes-grises", "permis", "naturalisation", "elections", "associations",
    "legalite", "communication", "cabinet")]
SUBJECTS = ["Demande de rendez-vous", "Titre de séjour : renouvellement", "Question sur mon dossier",
            "Réclamation", "Demande d'information", "Permis de conduire", "Carte grise perdue",
            "Relance", "Pièce justificative manquante", "Naturalisation : suite de ma demande",
            "Déclaration d'association", "Procuration", "Remerciements", "Attestation"]
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "yahoo.fr", "outlook.fr", "nantes.fr"]




def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --------------------------------------------------------------------------- file generation

def make_log(n_rows: int, seed: int) -> tuple[bytes, int]:
    """The register as .xlsx bytes, and how many e-mails are unanswered."""
    rng = random.Random(seed)
    received = sorted(FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(7 * 3600, 19 * 3600))
                      for _ in range(n_rows))
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Courriels")
    ws.append(["Registre des courriels reçus — Préfecture de la Loire-Atlantique — 2022-2024"])
    ws.append(["Date de réception", "Date de réponse", "Boîte", "Expéditeur", "Objet"])
    unanswered = 0
    for when in received:
        if rng.random() < UNANSWERED:
            answer = None
            unanswered += 1
        else:
            answer = when + dt.timedelta(days=rng.randint(0, MAX_ANSWER_DAYS), minutes=rng.randint(5, 600))
        sender = f"usager{rng.randrange(60_000):05d}@{rng.choice(DOMAINS)}"
        subject = f"{rng.choice(SUBJECTS)} (réf. {rng.randrange(10**6):06d})"
        ws.append([when, answer, rng.choice(MAILBOXES), sender, subject])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), unanswered


# --------------------------------------------------------------------------- databases

class Databases:
    """Fresh SQLite databases (schema, référentiel, préfecture 44) in a temp dir, as tests/conftest.py builds them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def fresh(self) -> tuple[Engine, int]:
        self.count += 1
        engine = get_engine(f"sqlite:///{self.root / f'itemlogs-{self.count}.db'}")
        create_schema(engine)
        with session_scope(engine, write=True) as session:
            seed_referentiel(session)
            pref = create_prefecture(session, "44", "Préfecture de la Loire-Atlantique", ("M2", "M4"))
            pref_id = pref.id or 0
        return engine, pref_id


def stored_counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        observations = conn.execute(text("SELECT COUNT(*) FROM observation")).scalar_one()
        items = conn.execute(text("SELECT COALESCE(SUM(items), 0) FROM log_item_archive")).scalar_one()
    return int(observations), int(items)


# --------------------------------------------------------------------------- measurements

def read_fastexcel_arrow(data: bytes) -> int:
    return fastexcel.read_excel(data).load_sheet(0).to_arrow().num_rows


def read_fastexcel_typed(data: bytes) -> int:
    return fastexcel.read_excel(data).load_sheet(0, header_row=1).to_arrow().num_rows


def read_calamine(data: bytes) -> int:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return len(book.get_sheet_by_name(book.sheet_names[0]).to_python(skip_empty_area=False))


def analyze_once(engine: Engine, pref_id: int, data: bytes):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return analyze_file(session, session.get(Prefecture, pref_id), FILE_NAME, data, as_of=AS_OF)


def do_import(engine: Engine, pref_id: int, data: bytes):  # type: ignore[no-untyped-def]
    return import_file(engine, pref_id, FILE_NAME, data, as_of=AS_OF)


def drill_down(engine: Engine, pref_id: int):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return log_items(session, pref_id, "COURRIEL_5J", month_period(2024, 6), only_late=True)


def profile_import(dbs: Databases, data: bytes, top: int = 20) -> None:
    engine, pref_id = dbs.fresh()
    out = Path(tempfile.gettempdir()) / "qep-itemlogs-import.prof"
    profiler = cProfile.Profile()
    profiler.enable()
    do_import(engine, pref_id, data)
    profiler.disable()
    engine.dispose()
    profiler.dump_stats(out)
    print(f"\n== cProfile of one import (saved to {out}) ==")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats("qep_core", top)
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS, help="e-mails in the register")
    parser.add_argument("--runs", type=int, default=3, help="runs per timed measure (median)")
    parser.add_argument("--profile", action="store_true",
                        help=f"profile one more import with cProfile when import / read > {TARGET_RATIO:g}×")
    args = parser.parse_args()
    n, runs = args.rows, args.runs
    started = time.perf_counter()

    t0 = time.perf_counter()
    data, unanswered = make_log(n, SEED)
    print(f"generated {fmt_int(n)} e-mails ({fmt_int(unanswered)} unanswered, {unanswered / n:.1%}), "
          f"{len(data) / 2**20:.1f} MB, in {time.perf_counter() - t0:.1f} s; as_of {AS_OF:%d/%m/%Y}, "
          f"median of {runs} runs")

    print("bare read")
    t_arrow, rows = median_time(lambda: read_fastexcel_arrow(data), runs)
    print(f"  fastexcel → Arrow (load_sheet(0))            {t_arrow:7.3f} s  {fmt_int(rows)} rows  (reference)")
    t_typed, _ = median_time(lambda: read_fastexcel_typed(data), runs)
    print(f"  fastexcel → Arrow, header_row=1 (typed dates) {t_typed:7.3f} s")
    t_cal, rows_cal = median_time(lambda: read_calamine(data), runs)
    print(f"  calamine to_python (Python cells)            {t_cal:7.3f} s  {fmt_int(rows_cal)} rows")

    with tempfile.TemporaryDirectory(prefix="qep-bench-itemlogs-") as tmp:
        dbs = Databases(Path(tmp))

        engine, pref_id = dbs.fresh()
        t_an, plan = median_time(lambda: analyze_once(engine, pref_id, data), runs)
        engine.dispose()
        if not plan.ok:
            raise SystemExit(f"analyse refused the register: {[str(e) for e in plan.errors[:5]]}")
        print("analyse")
        print(f"  analyze_file ({plan.layout})               {t_an:7.3f} s  {fmt_int(n / t_an)} rows/s, "
              f"{t_an / t_arrow:.1f}× bare read; {fmt_int(plan.rows)} observations, {fmt_int(len(plan.items))} items, "
              f"{len(plan.warnings)} warning(s)")

        rss_before = max_rss_mib()
        times = []
        for run in range(runs):
            engine, pref_id = dbs.fresh()
            t0 = time.perf_counter()
            outcome = do_import(engine, pref_id, data)
            times.append(time.perf_counter() - t0)
            if run < runs - 1:
                engine.dispose()
        t_imp = statistics.median(times)
        observations, items = stored_counts(engine)
        assert outcome.inserted == observations, (outcome.inserted, observations)
        ratio = t_imp / t_arrow
        print("import")
        print(f"  import_file, fresh SQLite                    {t_imp:7.3f} s  {fmt_int(n / t_imp)} rows/s  "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)} s)")
        print(f"  ratio import / bare read                     {ratio:7.1f}×  "
              f"(target ≤ {TARGET_RATIO:g}×: {'met' if ratio <= TARGET_RATIO else 'NOT met'}); "
              f"import / calamine read {t_imp / t_cal:.1f}×")
        print(f"  stored: {fmt_int(observations)} observations, {fmt_int(items)} log items "
              f"({items / n:.1f} per e-mail, in one Parquet archive; COURRIEL_DELAI_MOYEN reads COURRIEL_5J's)")

        t_again, again = median_time(lambda: do_import(engine, pref_id, data), runs)
        assert not again.changed and stored_counts(engine) == (observations, items)
        print(f"  re-import of the same bytes (SHA-256 known)  {t_again:7.3f} s  nothing written")
        t_drill, late = median_time(lambda: drill_down(engine, pref_id), runs)
        print(f"  drill-down: late e-mails of June 2024        {t_drill:7.3f} s  {fmt_int(len(late))} items "
              "(read back from the batch's Parquet archive)")
        engine.dispose()

        engine, pref_id = dbs.fresh()
        tracemalloc.start()
        t0 = time.perf_counter()
        do_import(engine, pref_id, data)
        t_traced = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        engine.dispose()
        print("memory")
        print(f"  tracemalloc peak during one import           {peak / 2**20:7.1f} MiB  "
              f"(file {len(data) / 2**20:.1f} MiB; traced import took {t_traced:.1f} s)")
        print(f"  process max RSS before / after the imports   {rss_before:7.1f} / {max_rss_mib():.1f} MiB")

        if args.profile and ratio > TARGET_RATIO:
            profile_import(dbs, data)
        elif ratio > TARGET_RATIO:
            print(f"(ratio above {TARGET_RATIO:g}×: run again with --profile for the hot spots)")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
