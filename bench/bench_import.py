"""Import benchmark: bare spreadsheet reading vs analyse vs full import (SQLite).

Run from the project root::

    PYTHONPATH=. .venv/bin/python bench/bench_import.py            # everything (~2-3 min on 2 cores)
    PYTHONPATH=. .venv/bin/python bench/bench_import.py --only wide
    PYTHONPATH=. .venv/bin/python bench/bench_import.py --profile import  # cProfile, long file
    PYTHONPATH=. .venv/bin/python bench/bench_import.py --profile corrected --only wide

Two generated files (seeded, in a temp dir, never kept):

* **long**: one sheet, a few title rows, then ``Indicateur | Période | Périmètre | Numérateur |
  Dénominateur | Valeur | Effectif`` and 100 000 rows: the 16 monthly indicators of the
  référentiel (rates, mean delays with valeur + effectif, one count) × 72 months (2019-2024) ×
  87 périmètres, each indicator × month × périmètre once.
* **wide**: the monthly tracking sheet, one sheet per périmètre (20), each with a title
  "… 2023", a "Périmètre : …" row, month columns and a Total column, rows labelled like the
  template ("CODE · numérateur · …"), for 50 monthly indicators (the référentiel's 16 + 34 of the
  préfecture's own, added with ``add_indicator``): 12 000 values.

For each file: the bare read (fastexcel → Arrow, fastexcel as text → pandas as the importer does,
python-calamine ``to_python``), ``analyze_file`` (read-only), ``import_file`` into a fresh SQLite
database, a re-import of the same bytes (idempotent), the same values in a re-saved file (new
SHA-256: every value "already up to date"), and a corrected file changing every value
(replacement path: history + delete + insert).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import openpyxl
import python_calamine
from sqlmodel import select
from timing import fmt_int, median_time

from qep_core.db import create_schema, get_engine, session_scope
from qep_core.frenchforms import MONTH_NAMES_FR
from qep_core.importing.service import analyze_file, import_file
from qep_core.models import Prefecture
from qep_core.prefectures import create_prefecture
from qep_core.referentiel import Referentiel, add_indicator, indicators_for, seed_referentiel
from qep_core.signals.alerts import changed_months, raise_alerts
from qep_core.template import row_label

SEED = 20240601
LONG_ROWS = 100_000
LONG_YEARS = range(2019, 2025)  # 72 months
WIDE_YEAR = 2023
WIDE_PERIMETRES = 20
WIDE_INDICATORS = 50
TOWNS = ["Saint-Nazaire", "Châteaubriant", "Ancenis", "Nantes", "Rezé", "Guérande", "Clisson", "Pornic",
         "Blain", "Savenay", "Machecoul", "Vertou"]
SERVICES = ["Accueil général", "Bureau des étrangers", "Bureau de la circulation", "Élections",
            "Contrôle de légalité", "Associations", "Naturalisations", "Sécurité routière", "Courrier",
            "Cabinet", "Communication", "Affaires juridiques", "Environnement", "Polices administratives"]




def perimetre_names(n: int, rng: random.Random) -> list[str]:
    names: list[str] = []
    for town in TOWNS:
        names.append(f"Sous-préfecture de {town}")
    for service in SERVICES:
        names.append(service)
        names.append(f"{service} – antenne")
    i = 1
    while len(names) < n:
        names.append(f"Boîte fonctionnelle pref-bal{i:03d}@loire-atlantique.gouv.fr")
        i += 1
    rng.shuffle(names)
    return names[:n]


# --------------------------------------------------------------------------- file generation

@dataclass
class Files:
    original: bytes
    resaved: bytes  # same values, different bytes (new SHA-256)
    corrected: bytes  # every value changed
    observations: int


def resave(data: bytes) -> bytes:
    """The same workbook with another 'modified' date: same cells, new SHA-256."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = payload.replace(b"</cp:coreProperties>", b"<!-- resaved --></cp:coreProperties>")
            dst.writestr(info, payload)
    return out.getvalue()


def monthly_specs() -> list[dict]:
    return [s for s in Referentiel.load().raw["indicators"] if s["frequency"] == "monthly"]


def long_rows(specs: list[dict], n_rows: int, seed: int, bump: int) -> list[list[object]]:
    """indicator × month × périmètre, unique, first *n_rows*; *bump* shifts every value."""
    rng = random.Random(seed)
    months = [f"{y}-{m:02d}" for y in LONG_YEARS for m in range(1, 13)]
    n_perim = -(-n_rows // (len(specs) * len(months)))
    perims = perimetre_names(n_perim, random.Random(seed + 1))
    rows: list[list[object]] = []
    for month in months:
        for perim in perims:
            for spec in specs:
                kind = spec["kind"]
                if kind == "mean_delay":
                    rows.append([spec["code"], month, perim, None, None, round(rng.uniform(1, 15), 1),
                                 rng.randint(1, 300) + bump])
                elif kind == "count":
                    rows.append([spec["code"], month, perim, None, None, rng.randint(0, 900) + bump, None])
                else:
                    den = rng.randint(5, 800)
                    num = den - min(den, int(rng.expovariate(1 / (0.08 * den + 1))))
                    rows.append([spec["code"], month, perim, num, den + bump, None, None])
                if len(rows) >= n_rows:
                    return rows
    return rows


def write_long(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Extraction")
    ws.append(["Qual-e-Pref — extraction nationale des indicateurs mensuels 2019-2024"])
    ws.append(["Source : remontées des services, extraction du 06/01/2025"])
    ws.append([])
    ws.append(["Indicateur", "Période", "Périmètre", "Numérateur", "Dénominateur", "Valeur", "Effectif"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def make_long() -> Files:
    specs = monthly_specs()
    original = write_long(long_rows(specs, LONG_ROWS, SEED, 0))
    corrected = write_long(long_rows(specs, LONG_ROWS, SEED, 1))
    return Files(original, resave(original), corrected, LONG_ROWS)


def own_indicator_specs(n: int) -> list[dict]:
    return [
        {
            "code": f"LOC_{i:02d}", "label": f"Taux local n° {i} de demandes traitées dans les délais",
            "kind": "rate", "module": "M1", "frequency": "monthly", "direction": ">=", "target": 85, "alert": 75,
            "numerator": {"label": f"Demandes locales n° {i} traitées dans les délais", "aliases": []},
            "denominator": {"label": f"Demandes locales n° {i} reçues", "aliases": []},
        }
        for i in range(1, n + 1)
    ]


def write_wide(indicators: list, perims: list[str], seed: int, bump: int) -> bytes:
    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    months = [m.capitalize() for m in MONTH_NAMES_FR]
    for k, perim in enumerate(perims):
        ws = wb.create_sheet(f"P{k + 1:02d} {perim}"[:31])
        ws.append([f"Qual-e-Pref — tableau de suivi {WIDE_YEAR} — {perim}"])
        ws.append([f"Périmètre : {perim}"])
        ws.append([])
        ws.append(["Indicateur · compte", *months, "Total"])
        for ind in indicators:
            values: dict[str, list[float]] = {role: [] for role in ind.roles_for_template}
            for _ in range(12):
                if ind.kind == "mean_delay":
                    cnt = rng.randint(1, 300) + bump
                    cell = {"value": round(rng.uniform(1, 15), 1), "count": cnt}
                elif ind.kind == "count":
                    cell = {"value": rng.randint(0, 900) + bump}
                else:
                    den = rng.randint(5, 800) + bump
                    num = den - min(den, int(rng.expovariate(1 / (0.08 * den + 1))))
                    cell = {"numerator": num, "denominator": den, "complement": den - num}
                for role in values:
                    values[role].append(cell[role])
            for role, vals in values.items():
                additive = not (ind.kind == "mean_delay" and role == "value")
                ws.append([row_label(ind, role), *vals, sum(vals) if additive else None])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def wide_indicators(engine) -> list:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        pref = session.exec(select(Prefecture)).first()
        return [d for d in indicators_for(session, pref.id) if d.frequency == "monthly"][:WIDE_INDICATORS]


def make_wide(indicators: list) -> Files:
    perims = perimetre_names(WIDE_PERIMETRES, random.Random(SEED + 7))
    original = write_wide(indicators, perims, SEED, 0)
    corrected = write_wide(indicators, perims, SEED, 1)
    return Files(original, resave(original), corrected, len(indicators) * 12 * len(perims))


# --------------------------------------------------------------------------- databases

class Databases:
    """Fresh SQLite databases (schema, référentiel, one préfecture) in a temp dir."""

    def __init__(self, root: Path, label: str, own_indicators: int):
        self.root = root
        self.label = label
        self.own = own_indicators
        self.count = 0

    def fresh(self):  # type: ignore[no-untyped-def]
        self.count += 1
        engine = get_engine(f"sqlite:///{self.root / f'{self.label}-{self.count}.db'}")
        create_schema(engine)
        with session_scope(engine, write=True) as session:
            seed_referentiel(session)
            pref = create_prefecture(session, "44", "Préfecture de la Loire-Atlantique", ("M2", "M4"))
            for spec in own_indicator_specs(self.own):
                add_indicator(session, pref, spec)
            pref_id = pref.id
        return engine, pref_id


# --------------------------------------------------------------------------- measurements

def read_fastexcel_arrow(data: bytes) -> int:
    reader = fastexcel.read_excel(data)
    rows = 0
    for i in range(len(reader.sheet_names)):
        rows += reader.load_sheet(i, header_row=None, dtypes="string").to_arrow().num_rows
    return rows


def read_fastexcel_pandas(data: bytes) -> int:
    reader = fastexcel.read_excel(data)
    return sum(len(reader.load_sheet(i, header_row=None, dtypes="string").to_pandas())
               for i in range(len(reader.sheet_names)))


def read_calamine(data: bytes) -> int:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return sum(len(book.get_sheet_by_name(n).to_python()) for n in book.sheet_names)


def analyze_once(engine, pref_id: int, name: str, data: bytes):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return analyze_file(session, session.get(Prefecture, pref_id), name, data)


def bench_file(label: str, name: str, files: Files, dbs: Databases, big: bool) -> dict[str, float]:
    n = files.observations
    small_runs = 3
    big_runs = 1 if big else 3  # analyse and calamine read of the big file
    import_runs = 3
    size = len(files.original) / 2**20
    print(f"\n== {label}: {fmt_int(n)} values, {size:.1f} MB ==")

    t_arrow, rows = median_time(lambda: read_fastexcel_arrow(files.original), small_runs)
    t_pandas, _ = median_time(lambda: read_fastexcel_pandas(files.original), small_runs)
    t_cal, _ = median_time(lambda: read_calamine(files.original), big_runs if big else small_runs)
    print(f"{label}: read(fastexcel→arrow) {t_arrow:.3f} s, read(fastexcel text→pandas) {t_pandas:.3f} s, "
          f"read(calamine to_python) {t_cal:.3f} s  [{fmt_int(rows)} sheet rows]")

    engine, pref_id = dbs.fresh()
    t_an, plan = median_time(lambda: analyze_once(engine, pref_id, name, files.original), big_runs)
    if not plan.ok:
        raise SystemExit(f"{label}: analyse refused the file: {plan.errors[:3]}")
    if plan.rows != n:
        print(f"  ! analyse found {plan.rows} values, expected {n}; warnings: {[str(w) for w in plan.warnings[:3]]}")
    print(f"{label}: analyze {t_an:.3f} s → {fmt_int(n / t_an)} rows/s, ratio {t_an / t_arrow:.1f}× bare read")
    engine.dispose()

    times = []
    for run in range(import_runs):
        engine, pref_id = dbs.fresh()
        t0 = time.perf_counter()
        outcome = import_file(engine, pref_id, name, files.original)
        times.append(time.perf_counter() - t0)
        assert outcome.inserted == n, (outcome.inserted, n)
        if run < import_runs - 1:
            engine.dispose()
    t_imp = statistics.median(times)
    print(f"{label} {fmt_int(n)} rows: read(fastexcel) {t_arrow:.2f} s, import {t_imp:.2f} s → "
          f"{fmt_int(n / t_imp)} rows/s, ratio {t_imp / t_arrow:.1f}×  (runs: {', '.join(f'{t:.2f}' for t in times)} s)")

    batch_id = outcome.batch.id if outcome.batch is not None else 0
    t0 = time.perf_counter()
    with session_scope(engine, write=True) as session:  # what the import service adds in its transaction
        raised = raise_alerts(session, pref_id, changed_months(session, batch_id), batch_id)
    t_alerts = time.perf_counter() - t0
    print(f"{label}: alerts of that import (months it changed, thresholds, targets, control charts) "
          f"{t_alerts:.2f} s → {fmt_int(len(raised))} alerts")

    t_again, outcome = median_time(lambda: import_file(engine, pref_id, name, files.original), small_runs)
    assert not outcome.changed
    print(f"{label}: re-import same file (already imported) {t_again:.3f} s")

    t0 = time.perf_counter()
    outcome = import_file(engine, pref_id, "resaved-" + name, files.resaved)
    t_same = time.perf_counter() - t0
    assert outcome.replaced == 0 and outcome.plan.unchanged == n, (outcome.replaced, outcome.plan.unchanged)
    print(f"{label}: same values, re-saved file (new SHA-256, {fmt_int(outcome.plan.unchanged)} up to date) "
          f"{t_same:.2f} s → {fmt_int(n / t_same)} rows/s")

    t0 = time.perf_counter()
    outcome = import_file(engine, pref_id, "corrected-" + name, files.corrected)
    t_corr = time.perf_counter() - t0
    assert outcome.replaced == n, (outcome.replaced, n)
    print(f"{label}: corrected file replacing all {fmt_int(outcome.replaced)} values {t_corr:.2f} s → "
          f"{fmt_int(n / t_corr)} rows/s, ratio {t_corr / t_arrow:.1f}×")
    engine.dispose()
    return {"read_arrow": t_arrow, "read_pandas": t_pandas, "read_calamine": t_cal, "analyze": t_an,
            "import": t_imp, "alerts": t_alerts, "reimport": t_again, "resaved": t_same, "corrected": t_corr}


def profile_import(label: str, step: str, name: str, files: Files, dbs: Databases, top: int = 25) -> None:
    """cProfile of one import_file call: the first import, or a re-saved / corrected file after it."""
    engine, pref_id = dbs.fresh()
    data = files.original
    if step != "import":
        import_file(engine, pref_id, name, files.original)
        data = files.resaved if step == "resaved" else files.corrected
        name = f"{step}-{name}"
    out = Path(tempfile.gettempdir()) / f"qep-import-{label}-{step}.prof"
    profiler = cProfile.Profile()
    profiler.enable()
    import_file(engine, pref_id, name, data)
    profiler.disable()
    engine.dispose()
    profiler.dump_stats(out)
    print(f"\n== cProfile of one {label} {step} (saved to {out}) ==")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("long", "wide"), help="one file only")
    parser.add_argument("--profile", choices=("import", "resaved", "corrected"),
                        help="instead of timing, profile one import (first import, re-saved file or corrected file) "
                             "of the --only file (default long)")
    args = parser.parse_args()
    wanted = [args.only or "long"] if args.profile else ([args.only] if args.only else ["long", "wide"])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qep-bench-") as tmp:
        root = Path(tmp)
        results = {}
        for which in wanted:
            t0 = time.perf_counter()
            if which == "long":
                dbs = Databases(root, which, 0)
                files = make_long()
                name = "extraction-2019-2024.xlsx"
            else:
                dbs = Databases(root, which, WIDE_INDICATORS - len(monthly_specs()))
                engine, _ = dbs.fresh()
                indicators = wide_indicators(engine)
                engine.dispose()
                files = make_wide(indicators)
                name = f"suivi-{WIDE_YEAR}.xlsx"
            print(f"(generated {which} files in {time.perf_counter() - t0:.1f} s)")
            if args.profile:
                profile_import(which, args.profile, name, files, dbs)
            else:
                results[which] = bench_file(which, name, files, dbs, big=which == "long")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
