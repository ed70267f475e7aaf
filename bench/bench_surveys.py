"""Survey benchmark: a large online-form export, bare read vs analyse vs import vs counting (SQLite).

Run from the project root::

    PYTHONPATH=. .venv/bin/python bench/bench_surveys.py                 # ~30 s on 2 cores
    PYTHONPATH=. .venv/bin/python bench/bench_surveys.py --respondents 2000 --runs 1

Generated file (seeded, in a temp dir, never kept): a comma CSV, UTF-8, as online form tools write
it: ``Horodateur`` (one year of answers, « 2024/05/12 10:15:32 UTC+2 »), then 30 questions: 12
satisfaction scales (4 levels, with « Sans avis » and blanks), 4 yes / no, 6 single choices (one an
age band), 3 multiple choices (« , »-separated), 2 marks from 0 to 10, 1 number and 2 free-text
comments (one in ten with a phone number or an e-mail address). Default: 20 000 respondents.

Timed (median of --runs):

* ``read_survey`` alone (open, header, metadata, dates: the bare read);
* ``analyze_survey`` (read + every question's type + the catalogue feed, nothing written);
* ``import_survey`` into a fresh SQLite database (préfecture 44, PAN_SATISFACTION fed month by
  month);
* ``survey_results`` (every question counted, last year's survey matched and compared) — what the
  Enquêtes page computes once per survey and data version;
* ``comments_frame`` masked (every comment through ``mask_personal_data``), and one cross-tab.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
import tempfile
from pathlib import Path

from timing import fmt_int, median_time

from qep_core.db import create_schema, get_engine, session_scope
from qep_core.models import Prefecture
from qep_core.prefectures import create_prefecture
from qep_core.referentiel import seed_referentiel
from qep_core.surveys.comments import comments_frame
from qep_core.surveys.reading import read_survey
from qep_core.surveys.results import survey_results
from qep_core.surveys.service import analyze_survey, import_survey

SAT = ("Très satisfait", "Satisfait", "Peu satisfait", "Pas du tout satisfait", "Sans avis", "")
SAT_W = (0.35, 0.4, 0.12, 0.05, 0.05, 0.03)
OPTIONS = ("Carte grise", "Permis de conduire", "Passeport", "Titre de séjour", "Naturalisation")
AGES = ("Moins de 25 ans", "25 à 39 ans", "40 à 59 ans", "60 ans et plus")
COMMENTS = ("Attente trop longue", "Très bon accueil", "Rappelez-moi au 06 39 98 {:02d} {:02d}",
            "Écrivez-moi : usager{}@example.org", "Plus de créneaux le samedi", "Signalétique peu claire")


def export(respondents: int, year: int, seed: int) -> bytes:
    rng = random.Random(seed)
    header = ["Horodateur"]
    header += [f"Êtes-vous satisfait(e) du point {i + 1} ?" for i in range(11)]
    header += ["Globalement, êtes-vous satisfait(e) de l'accueil ?"]
    header += [f"Question oui / non {i + 1}" for i in range(4)]
    header += ["Votre âge"] + [f"Choix {i + 1}" for i in range(5)]
    header += [f"Démarches {i + 1}" for i in range(3)]
    header += ["Notez l'accueil de 0 à 10", "Notez le site de 0 à 10", "Nombre de visites", "Commentaire",
               "Suggestions"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    start = dt.datetime(year, 1, 2, 9)
    for i in range(respondents):
        when = start + dt.timedelta(minutes=int(i * 520_000 / respondents))
        row = [f"{when:%Y/%m/%d %H:%M:%S} UTC+1"]
        row += rng.choices(SAT, SAT_W, k=12)
        row += rng.choices(("Oui", "Non", ""), (0.8, 0.18, 0.02), k=4)
        row += [rng.choice(AGES)] + [rng.choice(("A", "B", "C", "D")) for _ in range(5)]
        row += [", ".join(rng.sample(OPTIONS, rng.randint(1, 3))) for _ in range(3)]
        row += [str(rng.randint(0, 10)), str(rng.randint(0, 10)), str(rng.randint(1, 6))]
        for _ in range(2):
            if rng.random() < 0.3:
                text = rng.choice(COMMENTS)
                row.append(text.format(rng.randint(10, 99), rng.randint(10, 99)) if "{" in text else text)
            else:
                row.append("")
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n = args.respondents
    this_year, last_year = export(n, 2024, 1), export(n // 2, 2023, 2)
    print(f"export: {fmt_int(n)} respondents × 30 questions, {len(this_year) / 2**20:.1f} MB (CSV)")
    seconds, _ = median_time(lambda: read_survey("pan-2024.csv", this_year), args.runs)
    print(f"read_survey            {seconds:7.2f} s  ({fmt_int(n / seconds)} respondents/s)")
    with tempfile.TemporaryDirectory() as tmp:
        def fresh(name: str):  # type: ignore[no-untyped-def]
            engine = get_engine(f"sqlite:///{Path(tmp) / name}")
            create_schema(engine)
            with session_scope(engine, write=True) as session:
                seed_referentiel(session)
                create_prefecture(session, "44", "Préfecture de mesure")
            return engine

        engine = fresh("analyse.db")
        with session_scope(engine) as session:
            pref = session.get(Prefecture, 1)
            seconds, plan = median_time(lambda: analyze_survey(session, pref, "pan-2024.csv", this_year,
                                                               channel="pan"), args.runs)
        print(f"analyze_survey         {seconds:7.2f} s  (types: {len({q.type_key for q in plan.questions})} "
              f"kinds; feed: {len(plan.feed.drafts) if plan.feed is not None else 0} monthly values)")
        counter = iter(range(100))

        def do_import():  # type: ignore[no-untyped-def]
            target = fresh(f"import-{next(counter)}.db")
            import_survey(target, 1, "pan-2023.csv", last_year, channel="pan")
            return target, import_survey(target, 1, "pan-2024.csv", this_year, channel="pan")

        seconds, (target, outcome) = median_time(do_import, args.runs)
        print(f"import (2023 + 2024)   {seconds:7.2f} s  ({fmt_int(1.5 * n / seconds)} respondents/s, "
              f"{outcome.batch.rows} values of PAN_SATISFACTION)")
        sid = outcome.survey.id
        with session_scope(target) as session:
            seconds, res = median_time(lambda: survey_results(session, 1, sid), args.runs)
            print(f"survey_results         {seconds:7.2f} s  ({sum(q.comparison is not None for q in res.questions)} "
                  "questions compared with 2023)")
            seconds, frame = median_time(lambda: comments_frame(session, 1, sid, masked=True), args.runs)
            print(f"comments (masked)      {seconds:7.2f} s  ({fmt_int(len(frame))} comments)")
        seconds, _ = median_time(lambda: res.cross_tab(11, 16), args.runs)
        print(f"cross-tab              {seconds:7.2f} s")
        target.dispose()
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
