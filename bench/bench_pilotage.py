"""Pilotage benchmark: a large action plan and a large training register.

Run from the project root::

    PYTHONPATH=. .venv/bin/python bench/bench_pilotage.py                 # 2 000 actions, 2 000 agents, ~1 min
    PYTHONPATH=. .venv/bin/python bench/bench_pilotage.py --actions 500 --agents 500 --runs 3

Data (seeded ``random.Random(7)``), in a temporary SQLite database deleted at the end:

* an action plan of N actions over modules 1, 2, 4, pilotage and labellisation, all sources, each
  with 1 to 3 dated status changes between 2019 and 2024, written as the export writes it (plan +
  « Historique des statuts ») and imported through :func:`import_actions_file`;
* a training register of M agents (all roles), 0 to 3 trainings each and some tutoring.

Timed, median of --runs: the import of the plan (all-or-nothing, one transaction) and of the
same file again (recognised by its SHA-256); the plan as of a date (:func:`plan_on`, per module,
per source, late actions); the completion curve month by month over six years
(:func:`completion_over_time`: months × actions); the export; the training import; the compliance
counts per role on a date. The pages call these functions on every run (they are not cached), so
they should stay well under a second for a préfecture's few hundred actions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import sys
import tempfile
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import fmt_int, median_time

from qep_core.db import create_schema, get_engine, session_scope
from qep_core.pilotage.action_files import PLAN_HEADERS, export_actions_xlsx, import_actions_file
from qep_core.pilotage.actions import completion_over_time, plan_on
from qep_core.pilotage.trainings import agent_records, counts_per_role, import_trainings_file
from qep_core.pilotage.vocabulary import ROLES, SOURCES, STATUSES
from qep_core.prefectures import create_prefecture
from qep_core.referentiel import seed_referentiel

ENGAGEMENTS = [str(n) for n in range(1, 21)] + ["34", "35", "36", "37"] + [f"Pilotage {n}" for n in range(1, 6)]
AS_OF = dt.date(2024, 12, 31)


def plan_bytes(n: int, rng: random.Random) -> bytes:
    wb = Workbook()
    plan = wb.active
    plan.title = "Plan d'actions"
    plan.append(PLAN_HEADERS)
    history = wb.create_sheet("Historique des statuts")
    history.append(["Réf.", "Statut", "Date"])
    for i in range(n):
        created = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 1800))
        steps = [("a_faire", created)]
        day = created
        for status in rng.choice([[], ["en_cours"], ["en_cours", "fait"], ["abandonne"], ["fait"]]):
            day = day + dt.timedelta(days=rng.randint(5, 200))
            if day <= AS_OF:
                steps.append((status, day))
        ref = f"B-{i + 1}"
        status, when = steps[-1]
        plan.append([ref, f"Action n° {i + 1} du plan d'amélioration", None, rng.choice(ENGAGEMENTS),
                     SOURCES[rng.choice(list(SOURCES))], "Service", created + dt.timedelta(days=rng.randint(30, 400)),
                     STATUSES[status], when, created])
        for s, d in steps:
            history.append([ref, STATUSES[s], d])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def trainings_bytes(n: int, rng: random.Random) -> bytes:
    wb = Workbook()
    agents = wb.active
    agents.title = "Agents"
    agents.append(["Nom", "Service", "Rôle", "Prise de poste"])
    trainings = wb.create_sheet("Formations")
    trainings.append(["Agent", "Date", "Intitulé"])
    tutorings = wb.create_sheet("Tutorats")
    tutorings.append(["Agent", "Tuteur", "Début"])
    for i in range(n):
        name, start = f"Agent {i + 1:05d}", dt.date(2010, 1, 1) + dt.timedelta(days=rng.randint(0, 5200))
        agents.append([name, "Service", ROLES[rng.choice(list(ROLES))], start])
        day = start
        for _ in range(rng.randint(0, 3)):
            day = day + dt.timedelta(days=rng.randint(60, 1800))
            if day <= AS_OF:
                trainings.append([name, day, "Accueil du public"])
        if rng.random() < 0.1:
            tutorings.append([name, "Tuteur", start])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)
    plan, register = plan_bytes(args.actions, rng), trainings_bytes(args.agents, rng)
    with tempfile.TemporaryDirectory() as tmp:
        engine = get_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        create_schema(engine)
        with session_scope(engine, write=True) as session:
            seed_referentiel(session)
            pid = create_prefecture(session, "44", "Bench", ("M2", "M4")).id or 0
        rows = []
        took, _ = median_time(lambda: import_actions_file(engine, pid, "plan.xlsx", plan, today=AS_OF), 1)
        rows.append((f"import du plan ({fmt_int(args.actions)} actions + historique)", took))
        took, _ = median_time(lambda: import_actions_file(engine, pid, "plan.xlsx", plan, today=AS_OF), args.runs)
        rows.append(("le même fichier une seconde fois", took))
        with session_scope(engine) as session:
            took, day = median_time(lambda: plan_on(session, pid, AS_OF), args.runs)
            rows.append(("plan au 31/12/2024 (statuts datés)", took))
            took, _ = median_time(lambda: (day.completion_by_module(), day.completion_by_source(), day.late), args.runs)
            rows.append(("taux par module, par source, retards", took))
            took, curve = median_time(lambda: completion_over_time(session, pid, AS_OF), args.runs)
            rows.append((f"courbe mois par mois ({len(curve)} mois)", took))
            took, _ = median_time(lambda: export_actions_xlsx(session, pid, AS_OF), args.runs)
            rows.append(("export Excel du plan", took))
        took, _ = median_time(lambda: import_trainings_file(engine, pid, "formations.xlsx", register, today=AS_OF), 1)
        rows.append((f"import des formations ({fmt_int(args.agents)} agents)", took))
        with session_scope(engine) as session:
            took, records = median_time(lambda: agent_records(session, pid), args.runs)
            rows.append(("lecture des agents, formations, tutorats", took))
            took, (_, total) = median_time(lambda: counts_per_role(records, AS_OF), args.runs)
            rows.append((f"situation par rôle au 31/12/2024 ({fmt_int(total.concerned)} concernés)", took))
        engine.dispose()
    width = max(len(r[0]) for r in rows)
    for label, seconds in rows:
        print(f"{label:<{width}}  {seconds * 1000:>9.1f} ms")


if __name__ == "__main__":
    main()
