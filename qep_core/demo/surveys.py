"""The demo préfecture's surveys and mystery checks (2023 and 2024), generated, then loaded
through the real importers (``python -m qep_core init --demo``).

Built on the Loire-Atlantique bilan 2022 and the Isère bilan qualité 2022:

* **accueil physique**: a tablet survey in the hall (plus the website), about 320 users a year and
  fifteen questions (profile, getting there, finding one's way, layout, cleanliness, opening hours,
  waiting time, listening, language, courtesy, overall satisfaction, suggestions). Its overall
  question gives exactly the ACCUEIL_SATISFACTION counts of the demo's tracking files (298 / 320
  in 2023, 287 / 305 in 2024); satisfaction with the waiting time rises from about 74 % to 83 %, a
  change larger than the noise, while the overall rate's change is not;
* **point d'accueil numérique**: the online form users fill in after their appointment, month by
  month; its overall question gives the template's monthly PAN_SATISFACTION counts exactly (the
  import replaces them by the same values); ages (54 % over 60), reasons (multiple choice),
  procedures, success of the procedure (86 %), a 0-10 mark for the digital mediator;
* **accueil téléphonique**: an online survey with 44-ish respondents, as in Loire-Atlantique (52 in
  2023, 61 in 2024), exported as Excel's French CSV (``;``, Windows-1252); it feeds no catalogue
  indicator;
* **mystery calls and e-mails**: sixteen calls a year by a neighbouring préfecture (as Isère's,
  made by Savoie) and ten e-mails, scored on a grid.

Comments hold the fictional names, phone numbers (the 06 39 98 range, reserved for fiction),
addresses and file numbers users really write: the page and every export must mask them.

Everything comes from one ``random.Random(2023)`` consumed in a fixed order, workbooks are written
with fixed timestamps: regenerating gives the same bytes, so loading twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core.db import DATA_DIR, session_scope
from qep_core.demo.indicators import DEMO_CODE, DEMO_NAME, DEMO_USER, apportion, generate, reproducible_xlsx
from qep_core.frenchforms import count_text, plural
from qep_core.importing import ImportRejected
from qep_core.models import Prefecture
from qep_core.surveys.comments import suggest_for_untagged
from qep_core.surveys.mystery import import_mystery
from qep_core.surveys.service import import_survey
from qep_core.workdays import working_calendar

SURVEY_DIR = DATA_DIR / "demo" / "enquetes"
SEED = 2023
YEARS = (2023, 2024)

# file → (channel, year); mystery files are imported as mystery checks
SURVEY_FILES = {
    "2023-accueil-physique.xlsx": ("accueil", 2023),
    "2023-accueil-telephonique.csv": ("telephone", 2023),
    "2023-point-accueil-numerique.csv": ("pan", 2023),
    "2024-accueil-physique.xlsx": ("accueil", 2024),
    "2024-accueil-telephonique.csv": ("telephone", 2024),
    "2024-point-accueil-numerique.csv": ("pan", 2024),
}
MYSTERY_FILES = ("2023-controles-mysteres.xlsx", "2024-controles-mysteres.xlsx")

SAT4 = ("Très satisfait", "Satisfait", "Peu satisfait", "Pas du tout satisfait")

# Accueil physique: overall question (very satisfied, satisfied, little, not at all, « Sans avis », blank)
ACCUEIL_OVERALL = {2023: (171, 127, 16, 6, 4, 7), 2024: (178, 109, 13, 5, 3, 6)}  # 298/320 and 287/305
ACCUEIL_DATES = {2023: (dt.date(2023, 5, 9), dt.date(2023, 6, 23)), 2024: (dt.date(2024, 3, 5), dt.date(2024, 4, 12))}
# satisfaction questions: (very satisfied, satisfied, little, not at all, sans avis) shares per year
ACCUEIL_SCALES = {
    "Êtes-vous satisfait(e) de l'aménagement général de l'accueil ?":
        {2023: (0.34, 0.48, 0.06, 0.03, 0.09), 2024: (0.38, 0.47, 0.05, 0.02, 0.08)},
    "Êtes-vous satisfait(e) de la propreté des locaux ?":
        {2023: (0.40, 0.43, 0.04, 0.02, 0.11), 2024: (0.41, 0.44, 0.04, 0.02, 0.09)},
    "Êtes-vous satisfait(e) du temps d'attente ?":
        {2023: (0.28, 0.45, 0.17, 0.08, 0.02), 2024: (0.37, 0.45, 0.11, 0.05, 0.02)},
    "Êtes-vous satisfait(e) de la qualité de l'écoute de l'agent ?":
        {2023: (0.55, 0.37, 0.04, 0.02, 0.02), 2024: (0.57, 0.36, 0.04, 0.01, 0.02)},
    "Êtes-vous satisfait(e) de la clarté du langage et des termes employés ?":
        {2023: (0.50, 0.41, 0.05, 0.02, 0.02), 2024: (0.52, 0.40, 0.04, 0.02, 0.02)},
    "Êtes-vous satisfait(e) de la courtoisie et de la politesse de l'agent ?":
        {2023: (0.62, 0.32, 0.03, 0.01, 0.02), 2024: (0.63, 0.32, 0.02, 0.01, 0.02)},
}
ACCUEIL_SUGGESTIONS = (
    "Plus d'agents à l'accueil aux heures de pointe", "Il manque des sièges dans la salle d'attente",
    "Afficher le temps d'attente sur un écran", "Ouvrir plus tard le soir, après 16h",
    "Le fléchage vers le bureau du séjour n'est pas clair", "Accueil très agréable, merci",
    "Une boucle auditive au guichet du séjour serait utile", "Prévoir un guichet réservé aux personnes à mobilité réduite",
    "Les toilettes étaient fermées", "Trop d'attente dehors sous la pluie", "Rien à signaler, personnel efficace",
    "Difficile d'obtenir un rendez-vous en ligne",
)
ACCUEIL_PERSONAL = (  # what users really write (fictional: names, the 06 39 98 fiction range, example.org)
    "Merci à Mme Lefèvre du bureau du séjour pour sa patience",
    "Personne ne répond au téléphone, rappelez-moi au 06 39 98 41 27",
    "Mon dossier n° 2023-44-00871 est bloqué depuis trois mois, écrivez-moi : usager.exemple@example.org",
    "Monsieur Garnier à l'accueil a été parfait",
    "J'habite 14 rue des Acacias 44300 Nantes et je suis venu trois fois pour rien",
)

PAN_AGES = (("Moins de 30 ans", 0.13), ("30 à 59 ans", 0.33), ("60 ans et plus", 0.54))
PAN_REASONS = (("Je n'ai pas d'ordinateur", 0.45), ("Je n'ai pas d'accès à internet", 0.25),
               ("Je ne sais pas faire la démarche seul(e)", 0.55), ("J'ai eu un problème sur le site de l'ANTS", 0.2))
PAN_PROCEDURES = (("Carte grise", 0.45), ("Permis de conduire", 0.35), ("Carte d'identité ou passeport", 0.2),
                  ("Titre de séjour", 0.12))
PAN_SUCCESS = {2023: 0.86, 2024: 0.88}
PAN_COMMENTS = ("Très bonne aide du médiateur", "Merci pour votre patience", "Il faudrait plus de créneaux",
                "Démarche enfin terminée, merci", "Le médiateur explique très bien",
                "Merci à M. Robin pour son aide, je rappellerai au 06 39 98 22 05 si besoin")

TEL_SIZES = {2023: (52, 50, 21), 2024: (61, 59, 36)}  # respondents, expressed, satisfied on the overall question
TEL_OBJECTS = (("Titre de séjour", 0.64), ("Permis de conduire", 0.12), ("Carte grise", 0.1), ("Naturalisation", 0.08),
               ("Autre", 0.06))
TEL_SLOTS = (("8h-14h", 0.69), ("14h-17h", 0.31))
TEL_MOTIVES = ("Absence de réponse à ma question", "Temps d'attente trop long", "Interlocuteur peu aimable",
               "Mauvaise orientation")
TEL_COMMENTS = ("Impossible de joindre le service des étrangers", "Réponse claire, merci",
                "Attente de 20 minutes avant d'avoir quelqu'un", "Le serveur vocal est pratique",
                "Mon numéro étranger 4401234567 n'est pas reconnu, rappelez-moi", "Il faudrait un rappel automatique")

CALL_CRITERIA = ("Décroché en moins de 5 sonneries", "Annonce de la préfecture et formule de politesse",
                 "Écoute et courtoisie", "Réponse exacte et complète", "Orientation vers le bon service si besoin",
                 "Attente inférieure à 1 minute", "Formule de fin d'appel")
CALL_RATES = {2023: (0.62, 0.88, 0.88, 0.69, 0.67, 0.5, 0.81), 2024: (0.81, 0.94, 0.94, 0.81, 0.89, 0.69, 0.88)}
CALL_SERVICES = ("Standard", "Bureau du séjour", "Bureau des naturalisations", "Unité des droits à conduire",
                 "Bureau des élections")
MAIL_CRITERIA = ("Accusé de réception automatique", "Réponse dans les 5 jours ouvrés", "Formule de politesse",
                 "Réponse claire et complète", "Signature et coordonnées du service")
MAIL_RATES = {2023: (0.8, 0.7, 1.0, 0.8, 0.7), 2024: (1.0, 0.9, 1.0, 0.9, 0.8)}
MAIL_BOXES = ("Boîte préfecture", "Étrang.", "PC", "Élect.")  # the demo's mailbox périmètres


class SurveyDemoError(RuntimeError):
    """A demo survey was refused: the generator and the importer disagree (a bug)."""


def _exact(rng: random.Random, n: int, spec: Sequence[tuple[str, float]]) -> list[str]:
    """*n* answers in the exact proportions of *spec* (largest remainder), shuffled."""
    counts = apportion(n, [w for _, w in spec])
    out = [label for (label, _), k in zip(spec, counts, strict=True) for _ in range(k)]
    rng.shuffle(out)
    return out


def _working_days(start: dt.date, end: dt.date) -> list[dt.date]:
    calendar = working_calendar(DEMO_CODE)
    days, day = [], start
    while day <= end:
        if calendar.is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _moments(rng: random.Random, n: int, start: dt.date, end: dt.date, first_hour: int = 9,
             last_hour: int = 16) -> list[dt.datetime]:
    days = _working_days(start, end)
    out = [dt.datetime.combine(rng.choice(days), dt.time(rng.randint(first_hour, last_hour - 1), rng.randint(0, 59),
                                                          rng.randint(0, 59))) for _ in range(n)]
    return sorted(out)


def _scale_answers(rng: random.Random, n: int, shares: Sequence[float], blank: float = 0.02) -> list[str]:
    spec = [*zip([*SAT4, "Sans avis"], shares, strict=True), ("", blank)]
    return _exact(rng, n, spec)


def accueil_workbook(rng: random.Random, year: int) -> bytes:
    """The hall tablet's export: a title line, the export date, then one row per respondent."""
    very, sat, little, none_, no_opinion, blank = ACCUEIL_OVERALL[year]
    n = very + sat + little + none_ + no_opinion + blank
    start, end = ACCUEIL_DATES[year]
    moments = _moments(rng, n, start, end)
    overall = [*[SAT4[0]] * very, *[SAT4[1]] * sat, *[SAT4[2]] * little, *[SAT4[3]] * none_,
               *["Sans avis"] * no_opinion, *[""] * blank]
    rng.shuffle(overall)
    columns: dict[str, Sequence[object]] = {
        "Vous êtes :": _exact(rng, n, (("Particulier", 0.96), ("Professionnel", 0.03), ("Association", 0.01))),
        "Votre âge": _exact(rng, n, (("Moins de 25 ans", 0.14), ("25 à 39 ans", 0.38), ("40 à 59 ans", 0.32),
                                     ("60 ans et plus", 0.16))),
        "Objet de votre venue": _exact(rng, n, (("Titre de séjour", 0.68), ("Naturalisation", 0.15),
                                                ("Permis de conduire", 0.07), ("Carte grise", 0.04), ("Autre", 0.06))),
        "Comment êtes-vous venu(e) ?": _exact(rng, n, (("Transports en commun", 0.46), ("Voiture", 0.3),
                                                       ("À pied", 0.15), ("Vélo", 0.09))),
        "Vous êtes-vous repéré(e) facilement dans les locaux ?": _exact(rng, n, (("Oui", 0.96), ("Non", 0.04))),
    }
    titles = list(ACCUEIL_SCALES)
    columns[titles[0]] = _scale_answers(rng, n, ACCUEIL_SCALES[titles[0]][year])
    columns[titles[1]] = _scale_answers(rng, n, ACCUEIL_SCALES[titles[1]][year])
    columns["Les horaires d'ouverture sont-ils adaptés à vos besoins ?"] = _exact(
        rng, n, (("Oui", 0.87), ("Non", 0.11), ("", 0.02)))
    columns["Combien de temps avez-vous attendu ?"] = _exact(
        rng, n, (("Moins de 5 minutes", 0.44 if year == 2023 else 0.5), ("De 5 à 15 minutes", 0.31),
                 ("De 15 à 30 minutes", 0.17), ("Plus de 30 minutes", 0.08 if year == 2023 else 0.02)))
    for title in titles[2:]:
        columns[title] = _scale_answers(rng, n, ACCUEIL_SCALES[title][year])
    columns["Globalement, êtes-vous satisfait(e) de l'accueil à la préfecture ?"] = overall
    suggestions: list[object] = [""] * n
    chosen = rng.sample(range(n), 46)
    for i, k in enumerate(chosen):
        suggestions[k] = ACCUEIL_PERSONAL[i] if i < len(ACCUEIL_PERSONAL) else rng.choice(ACCUEIL_SUGGESTIONS)
    columns["Vos suggestions pour améliorer l'accueil"] = suggestions
    modes = _exact(rng, n, (("Tablette (hall)", 0.82), ("Site internet", 0.18)))
    wb = Workbook()
    ws = wb.active
    ws.title = "Réponses"
    ws.append([f"Enquête de satisfaction — accueil du public — {year}"])
    ws.append([f"Export du {end + dt.timedelta(days=3):%d/%m/%Y} — préfecture de démonstration"])
    ws.append([])
    ws.append(["N°", "Date", "Mode de recueil", *columns])
    for i in range(n):
        ws.append([i + 1, moments[i], modes[i], *(col[i] or None for col in columns.values())])
    for row in ws.iter_rows(min_row=5, min_col=2, max_col=2):
        for cell in row:
            cell.number_format = "DD/MM/YYYY HH:MM"
    ws["A1"].font = Font(bold=True, size=13)
    for cell in ws[4]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "B5"
    return reproducible_xlsx(wb)


def pan_csv(rng: random.Random, year: int, monthly: tuple[list[float | None], list[float | None]]) -> bytes:
    """The online form filled in after an appointment at the digital help point (comma CSV, UTF-8)."""
    satisfied, expressed = monthly
    rows: list[list[str]] = []
    for m, (sat, exp) in enumerate(zip(satisfied, expressed, strict=True)):
        if exp is None or sat is None:
            continue
        first = dt.date(year, m + 1, 1)
        last = (dt.date(year + (m + 1) // 12, (m + 1) % 12 + 1, 1) - dt.timedelta(days=1))
        blanks = 1 if rng.random() < 0.4 else 0
        total = int(exp) + blanks
        unhappy = int(exp) - int(sat)
        overall = ([SAT4[0]] * round(int(sat) * 0.8) + [SAT4[1]] * (int(sat) - round(int(sat) * 0.8))
                   + [SAT4[2]] * unhappy + [""] * blanks)
        rng.shuffle(overall)
        for moment, answer in zip(_moments(rng, total, first, last, 9, 17), overall, strict=True):
            success = "Oui" if rng.random() < PAN_SUCCESS[year] else "Non"
            mark = rng.choice((8, 9, 9, 10, 10, 10) if answer == SAT4[0] else (6, 7, 8) if answer else (7, 8))
            reasons = [label for label, p in PAN_REASONS if rng.random() < p] or [PAN_REASONS[2][0]]
            procedures = [label for label, p in PAN_PROCEDURES if rng.random() < p] or [PAN_PROCEDURES[0][0]]
            comment = rng.choice(PAN_COMMENTS) if rng.random() < 0.12 else ""
            rows.append([f"{moment:%Y/%m/%d %H:%M:%S} UTC+{2 if 4 <= moment.month <= 10 else 1}",
                         rng.choices([a for a, _ in PAN_AGES], [w for _, w in PAN_AGES])[0],
                         ", ".join(reasons), ", ".join(procedures), "Oui" if rng.random() < 0.93 else "Non",
                         success, str(mark), answer, comment])
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=",", lineterminator="\r\n")
    writer.writerow(["Horodateur", "Votre âge", "Pourquoi êtes-vous venu(e) au point numérique ?",
                     "Quelle(s) démarche(s) avez-vous réalisée(s) ?", "Aviez-vous pris rendez-vous ?",
                     "Avez-vous pu finaliser votre démarche ?",
                     "Comment notez-vous l'accompagnement du médiateur numérique (de 0 à 10) ?",
                     "Globalement, êtes-vous satisfait(e) de l'accueil au point numérique ?", "Un commentaire ?"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def telephone_csv(rng: random.Random, year: int) -> bytes:
    """An online survey of callers, exported as Excel's French CSV (``;``, Windows-1252)."""
    n, expressed, satisfied = TEL_SIZES[year]
    very = satisfied // 3
    unhappy = expressed - satisfied
    overall = ([SAT4[0]] * very + [SAT4[1]] * (satisfied - very) + [SAT4[2]] * (unhappy // 2)
               + [SAT4[3]] * (unhappy - unhappy // 2) + ["Sans avis"] * (n - expressed - 1) + [""])
    rng.shuffle(overall)
    start, end = (dt.date(year, 5, 2), dt.date(year, 11, 30))
    moments = _moments(rng, n, start, end, 8, 18)
    objects = _exact(rng, n, TEL_OBJECTS)
    slots = _exact(rng, n, TEL_SLOTS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["ID de la réponse", "Date de soumission", "Dernière page", "Langue de départ",
                     "Quel était l'objet de votre appel ?", "À quel moment avez-vous appelé ?",
                     "Votre interlocuteur a-t-il été cordial et courtois ?",
                     "Avez-vous obtenu une réponse à votre question ?",
                     "Globalement, êtes-vous satisfait(e) de votre échange téléphonique ?",
                     "Si vous n'êtes pas satisfait(e), pourquoi ?", "Vos suggestions"])
    cordial = ("Oui, tout à fait", "Oui, plutôt", "Non, plutôt pas", "Non, pas du tout")
    for i in range(n):
        answer = overall[i]
        happy = answer in SAT4[:2]
        courtesy = rng.choices(cordial, (0.45, 0.4, 0.1, 0.05) if happy else (0.1, 0.3, 0.35, 0.25))[0]
        answered = "Oui" if happy or rng.random() < 0.25 else "Non"
        motives = ("|".join(m for m, p in zip(TEL_MOTIVES, (0.6, 0.5, 0.2, 0.15), strict=True) if rng.random() < p)
                   or TEL_MOTIVES[0]) if answer in SAT4[2:] else ""
        comment = rng.choice(TEL_COMMENTS) if rng.random() < 0.2 else ""
        writer.writerow([1000 * (year - 2000) + i + 1, f"{moments[i]:%d/%m/%Y %H:%M}", 5, "fr", objects[i], slots[i],
                         courtesy, answered, answer, motives, comment])
    return buffer.getvalue().encode("cp1252")


def mystery_workbook(rng: random.Random, year: int) -> bytes:
    """Two sheets: mystery calls (16, early March, by a neighbouring préfecture) and e-mails (10)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Appels mystères"
    ws.append([f"Appels mystères {year} — grille d'évaluation (réalisés par la préfecture voisine)"])
    ws.append(["Date", "Service appelé", "Enquêteur", *CALL_CRITERIA, "Observations"])
    days = _working_days(dt.date(year, 3, 1), dt.date(year, 3, 17))
    calls = 16
    columns = []
    for k, p in enumerate(CALL_RATES[year]):
        applicable = calls - (7 if k == 4 else 0)  # no transfer was needed in seven calls
        column = _exact(rng, applicable, (("Oui", p), ("Non", 1 - p)))
        if k == 4:
            for i in sorted(rng.sample(range(calls), calls - applicable)):
                column.insert(i, "Sans objet")
        columns.append(column)
    notes = ("Musique d'attente puis coupure", "Agent très aimable", "Réponse précise",
             "Renvoyé vers le site ANTS sans explication")
    for i in range(calls):
        note = rng.choice(notes) if rng.random() < 0.4 else None
        moment = dt.datetime.combine(days[i % len(days)], dt.time(9 + (i * 37) % 8, (i * 13) % 60))
        ws.append([moment, CALL_SERVICES[i % len(CALL_SERVICES)], "Enquêteur Exemple", *(c[i] for c in columns), note])
    mails = wb.create_sheet("Courriels mystères")
    mails.append([f"Courriels mystères {year}"])
    mails.append(["Date d'envoi", "Boîte fonctionnelle", *MAIL_CRITERIA, "Observations"])
    columns = [_exact(rng, 10, (("Oui", p), ("Non", 1 - p))) for p in MAIL_RATES[year]]
    for i in range(10):
        day = days[(2 * i) % len(days)]
        note = rng.choice(("Réponse type adaptée", "Relance nécessaire")) if rng.random() < 0.3 else None
        mails.append([day, MAIL_BOXES[i % len(MAIL_BOXES)], *(c[i] for c in columns), note])
    for sheet in (ws, mails):
        sheet["A1"].font = Font(bold=True, size=13)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=3, max_col=1):
            for cell in row:
                cell.number_format = "DD/MM/YYYY"
    return reproducible_xlsx(wb)


def write_survey_demo_files(out_dir: Path = SURVEY_DIR) -> list[Path]:
    """Write the demo's survey and mystery-check files; returns their paths, sorted."""
    rng = random.Random(SEED)
    template = generate().template
    files: dict[str, bytes] = {}
    for year in YEARS:
        files[f"{year}-accueil-physique.xlsx"] = accueil_workbook(rng, year)
        pan = template[year]
        files[f"{year}-point-accueil-numerique.csv"] = pan_csv(
            rng, year, (pan[("PAN_SATISFACTION", "numerator")], pan[("PAN_SATISFACTION", "denominator")]))
        files[f"{year}-accueil-telephonique.csv"] = telephone_csv(rng, year)
        files[f"{year}-controles-mysteres.xlsx"] = mystery_workbook(rng, year)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(files):
        path = out_dir / name
        path.write_bytes(files[name])
        written.append(path)
    return written


def survey_demo_files(directory: Path = SURVEY_DIR) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".xlsx", ".csv")) \
        if directory.is_dir() else []


def load_demo_surveys(engine: Engine, directory: Path = SURVEY_DIR) -> str:
    """Import the demo surveys (2023 first, so 2024 finds the overall question remembered) and mystery
    checks into the demo préfecture; idempotent (files recognised by their SHA-256)."""
    with session_scope(engine) as session:
        pref = session.exec(select(Prefecture).where(Prefecture.code == DEMO_CODE)).first()
        if pref is None or pref.name != DEMO_NAME:
            return "enquêtes de démonstration : pas de préfecture de démonstration, rien n'est chargé"
        pid = pref.id or 0
    imported = skipped = 0
    for path in survey_demo_files(directory):
        try:
            if path.name in SURVEY_FILES:
                channel, year = SURVEY_FILES[path.name]
                outcome = import_survey(engine, pid, path.name, path.read_bytes(), channel=channel, year=year,
                                        user=DEMO_USER)
                changed = outcome.changed
                if outcome.survey is not None:  # themes the comments' words suggest, as a user would start
                    with session_scope(engine, write=True) as session:
                        suggest_for_untagged(session, pid, outcome.survey.id or 0, DEMO_USER)
            elif path.name in MYSTERY_FILES:
                _, batch = import_mystery(engine, pid, path.name, path.read_bytes(), user=DEMO_USER)
                changed = batch is not None
            else:
                continue
        except ImportRejected as exc:
            details = "; ".join(str(issue) for issue in exc.errors)
            raise SurveyDemoError(f"fichier d'enquête de démonstration refusé : {path.name} : {details}") from exc
        imported += changed
        skipped += not changed
    if not imported:
        return f"enquêtes de démonstration : les {skipped} fichiers sont déjà importés, rien n'a changé"
    return (f"enquêtes de démonstration : {count_text(imported, 'fichier importé', 'fichiers importés')}"
            + (f", {skipped} déjà {plural(skipped, 'importé', 'importés')}" if skipped else ""))
