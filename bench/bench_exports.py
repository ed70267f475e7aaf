"""Export benchmark: each export of one préfecture, on the demo and in a national-scale database.

Run from the project root::

    PYTHONPATH=. .venv/bin/python bench/bench_exports.py                 # demo + national (~2-3 min)
    PYTHONPATH=. .venv/bin/python bench/bench_exports.py --scale small   # 10 préfectures, quick

* **demo**: the demo préfecture (4 years, 20 indicators, item logs, two COPIL reviews), loaded
  through the real importer;
* **national**: 100 préfectures × 10 years × 20 indicators × 6 périmètres (~1.44 M observations,
  built as in ``bench_queries.py``): an export reads one préfecture, so this shows what the other
  99 cost it (nothing, if the indexes hold).

Timed (median of several builds, each in its own session as the page does): the quarterly
review (``compute_review``), the COPIL deck (quarter), the CLU deck (year), the bilan as HTML
and as PDF, the A4 poster, the workbook and the Services Publics+ CSV.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench_queries import build
from timing import median_time

from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.exports.service import ExportRequest, build_export
from qep_core.review.workflow import compute_review
from qep_core.sp_plus import Structure, code_lines, save_structure, set_codes

REQUESTS = [
    ("COPIL deck (quarter, PPTX)", ExportRequest("copil", 0, 2)),
    ("CLU deck (year, PPTX)", ExportRequest("clu", 0)),
    ("bilan (HTML)", ExportRequest("bilan", 0, format="html")),
    ("bilan (PDF)", ExportRequest("bilan", 0)),
    ("poster (A4 PDF)", ExportRequest("affiche", 0, 2)),
    ("workbook (XLSX)", ExportRequest("xlsx", 0)),
    ("Services Publics+ (CSV)", ExportRequest("sp-plus", 0)),
]


def run(label: str, engine, prefecture_id: int, year: int, runs: int) -> None:  # type: ignore[no-untyped-def]
    def review():  # type: ignore[no-untyped-def]
        with session_scope(engine) as session:
            return compute_review(session, prefecture_id, year, 2)

    with session_scope(engine, write=True) as session:  # the Services Publics+ file needs these (bench values)
        save_structure(session, prefecture_id, Structure("BENCH", "Préfecture", "44000", "Nantes"), "bench")
        set_codes(session, prefecture_id, {x.indicator_code: f"IND-{n}"
                                           for n, x in enumerate(code_lines(session, prefecture_id), start=1)}, "bench")
    seconds, result = median_time(review, runs)
    print(f"{label}: {'quarterly review (compute_review)':<34} {seconds * 1000:8.0f} ms  ({len(result.lines)} indicators)")
    for name, req in REQUESTS:
        request = ExportRequest(req.kind, year, req.quarter, req.min_volume, req.page, req.format)
        seconds, result = median_time(lambda r=request: build_export(engine, prefecture_id, r), runs)
        print(f"{label}: {name:<34} {seconds * 1000:8.0f} ms  ({len(result.data) / 1024:.0f} KB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("national", "small"), default="national")
    parser.add_argument("--runs", type=int, default=3, help="builds per export (median reported)")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qep-bench-x-") as tmp:
        root = Path(tmp)
        engine = get_engine(f"sqlite:///{root / 'demo.db'}")
        create_schema(engine)
        t0 = time.perf_counter()
        load_demo(engine)
        print(f"demo loaded in {time.perf_counter() - t0:.1f} s")
        run("demo", engine, 1, 2024, args.runs)
        print(f"\n== {args.scale} ==")
        engine, prefs, year = build(root, args.scale)
        run(args.scale, engine, prefs[len(prefs) // 2], year, args.runs)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
