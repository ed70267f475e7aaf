"""The demo préfecture: four years of tracking files, generated, then loaded through the real importer.

Why generate rather than hand-write: the demo must show what a référent(e) qualité really
handles (services' own monthly sheets, the filled template, a long CSV export, a correction
sent later) with figures that hold together — integers, numerators never above denominators,
mean delays with their counts, totals that add up except where a slip is shown on purpose.

The figures are fictional but built on the Loire-Atlantique 2022 annual review (bilan annuel
Qual-e-Pref 2022): about 49 200 calls a month answered at 48 % before the interactive voice
server of October 2022, 49 suggestions and complaints (98 % in time), 263 survey answers at the
digital help point (99.6 % satisfied), the module-4 tables (604 / 467, 120 / 110, 18 / 12,
8 / 6), the per-mailbox volumes, and — exactly — the monthly table of the préfecture's main
mailbox for January to October 2022 (786 answers, 719 in time). Other years move around these
values so that year-over-year comparisons show progress, slips and indicators under watch.

Everything comes from one ``random.Random(2022)`` consumed in a fixed order, and workbooks are
written with fixed timestamps, so regenerating gives byte-identical files: their SHA-256 stay
the same and re-importing them changes nothing.

Two item logs of 2024 (one row per complaint, one row per e-mail of the Coord. mailbox) replace
the monthly figures of the months they cover and give the Indicateurs page late items to list;
they are imported as of :data:`LOG_AS_OF` so that unanswered items have the same status whatever
the day the demo is loaded.

``python -m qep_core demo-data`` writes the files (``data/demo/``); ``python -m qep_core init
--demo`` calls :func:`load_demo`, which creates the préfecture and imports every file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.pool import StaticPool
from sqlmodel import create_engine

from qep_core.db import DATA_DIR, create_schema, session_scope
from qep_core.referentiel import ROLE_LABELS, IndicatorDef, engagements_for, indicators_for, seed_referentiel
from qep_core.rules.channels import channel_mapping
from qep_core.template import build_template
from qep_core.workdays import working_calendar

Series = list[float | None]  # twelve months (or four quarters, or one year); None = blank / n.c

DEMO_DIR = DATA_DIR / "demo"
DEMO_NAME = "Préfecture de démonstration"
DEMO_CODE = "44"
DEMO_MODULES = ("M2", "M4")  # with M1 (always): the modules Loire-Atlantique is labelled on
DEMO_USER = "démo"
SEED = 2022
YEARS = (2021, 2022, 2023, 2024)
LAST_MONTH = {2021: 12, 2022: 12, 2023: 12, 2024: 9}  # 2024 stops at the end of September
POPULATION_44 = 1_429_272  # population of Loire-Atlantique used for the connection rate
FIXED_TIME = (2024, 10, 15, 9, 0, 0)  # written into every workbook so that files are reproducible
SOUS_PREFECTURE = "Sous-préfecture de Saint-Nazaire"
# The collection board's late and partial services of 2024 (qep_core.collection): the Commissions
# médicales mailbox sent nothing for August and September; the sous-préfecture's September export
# lacks its mean delay of letters.
LATE_BOX = "CM"
LATE_MONTHS = (7, 8)  # August, September (0-based)
PARTIAL_MISSING = ("2024-09", "COURRIER_DELAI_MOYEN")

MONTHS_SHORT = ["janvier", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
MONTHS_BILAN = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "sept.", "octobre",
                "novembre", "décembre"]  # the headers of the bilan's own e-mail table
SEASON = [1.0, 1.0, 1.05, 1.0, 0.95, 1.0, 0.9, 0.65, 1.05, 1.05, 1.0, 0.85]  # summer and Christmas lulls
SEASON_TEL = [1.05, 0.98, 1.04, 1.0, 0.97, 1.02, 0.96, 0.84, 1.1, 1.05, 1.0, 0.9]
QUARTER_VISITS = [1.03, 1.0, 0.9, 1.07]

# The bilan 2022's table for prefecture@ (January–October 2022), kept exactly.
BILAN_MAILBOX_2022: dict[str, Series] = {
    "answers": [22, 21, 23, 73, 173, 178, 72, 97, 64, 63],
    "in_time": [22, 21, 23, 73, 156, 157, 53, 87, 64, 63],
    "delay": [2, 2, 2, 2, 2, 3, 2, 1, 1, 1],
    "received": [None, None, None, 573, 523, 607, 477, 464, 598, 553],
}


@dataclass(frozen=True)
class Mailbox:
    """A functional mailbox tracked as a périmètre; volumes follow the bilan's sampling table."""

    perimetre: str
    slug: str
    address: str
    monthly: float  # answers a month in 2022
    in_time: dict[int, float]  # share answered within 5 working days, per year
    delay: dict[int, float]  # mean delay (working days), per year


MAILBOXES = (
    Mailbox("Boîte préfecture", "boite-prefecture", "prefecture@demo.gouv.fr", 75,
            {2021: 0.96, 2022: 0.95, 2023: 0.93, 2024: 0.95}, {2021: 2.0, 2022: 2.0, 2023: 2.0, 2024: 1.5}),
    Mailbox("PC", "permis-de-conduire", "pref-permis-de-conduire@demo.gouv.fr", 95,
            {2021: 0.85, 2022: 0.89, 2023: 0.92, 2024: 0.94}, {2021: 3.5, 2022: 3.0, 2023: 2.5, 2024: 2.2}),
    Mailbox("Élect.", "elections", "pref-elections@demo.gouv.fr", 31,
            {2021: 0.98, 2022: 1.0, 2023: 0.99, 2024: 1.0}, {2021: 1.2, 2022: 1.0, 2023: 1.0, 2024: 1.0}),
    Mailbox("RG", "reglementation-generale", "pref-berg@demo.gouv.fr", 6,
            {2021: 1.0, 2022: 1.0, 2023: 0.97, 2024: 1.0}, {2021: 1.5, 2022: 1.0, 2023: 1.5, 2024: 1.0}),
    Mailbox("Étrang.", "etrangers", "pref-etrangers@demo.gouv.fr", 138,
            {2021: 0.88, 2022: 0.97, 2023: 0.78, 2024: 0.86}, {2021: 4.5, 2022: 3.5, 2023: 5.8, 2024: 4.6}),
    Mailbox("Natu.", "naturalisations", "pref-naturalisations@demo.gouv.fr", 50,
            {2021: 0.97, 2022: 1.0, 2023: 0.99, 2024: 0.99}, {2021: 2.0, 2022: 2.0, 2023: 2.0, 2024: 1.8}),
    Mailbox("CM", "commissions-medicales", "pref-commissions-medicales@demo.gouv.fr", 12,
            {2021: 1.0, 2022: 1.0, 2023: 1.0, 2024: 0.98}, {2021: 1.0, 2022: 1.0, 2023: 1.2, 2024: 1.3}),
    Mailbox("Coord.", "coordination", "pref-coordination@demo.gouv.fr", 8,
            {2021: 0.80, 2022: 0.83, 2023: 0.88, 2024: 0.91}, {2021: 3.5, 2022: 3.0, 2023: 2.8, 2024: 2.5}),
)
# What public documents call the demo's périmètres: their names are the services' shorthand, which
# the users' committee would not read (« Boîte préfecture » and the sous-préfecture read as full
# names already, see qep_core.rules.public_names).
PUBLIC_NAMES = {
    "PC": "Permis de conduire",
    "CM": "Commissions médicales du permis de conduire",
    "Élect.": "Élections",
    "RG": "Réglementation générale",
    "Étrang.": "Étrangers",
    "Natu.": "Naturalisations",
    "Coord.": "Coordination des services de l'État",
}
VOLUME_FACTOR = {2021: 0.9, 2022: 1.0, 2023: 1.1, 2024: 1.05}
# Elections swell the elections mailbox: 2021 régionales/départementales (June), 2022 présidentielle
# and législatives (April, June), 2024 européennes and législatives anticipées (June, July).
ELECTION_PEAKS = {2021: {5: 1.8, 6: 2.5}, 2022: {3: 2.0, 4: 3.0, 5: 1.5, 6: 2.5}, 2024: {6: 3.0, 7: 2.0}}

# Template indicators: (received, answered in time) per year — 2024 covers January–September.
# 2022 values are the bilan's (49 / 48, 604 / 467, 120 / 110, 18 / 12, 8 / 6 …).
RATE_TOTALS: dict[str, dict[int, tuple[int, int]]] = {
    "RECLA_DELAI": {2021: (30, 27), 2022: (49, 48), 2023: (58, 58), 2024: (41, 40)},
    "COURRIER_10J": {2021: (540, 470), 2022: (612, 588), 2023: (650, 611), 2024: (480, 446)},
    "SITE_MAJ_3J": {2021: (380, 357), 2022: (420, 412), 2023: (450, 437), 2024: (330, 322)},
    "COLL_COURRIER_LEGALITE_15J": {2021: (15, 9), 2022: (18, 12), 2023: (21, 15), 2024: (14, 12)},
    "COLL_COURRIER_BUDGET_15J": {2021: (7, 5), 2022: (8, 6), 2023: (9, 8), 2024: (6, 5)},
    "COLL_COURRIEL_LEGALITE_5J": {2021: (540, 400), 2022: (604, 467), 2023: (650, 530), 2024: (470, 395)},
    "COLL_COURRIEL_BUDGET_5J": {2021: (110, 97), 2022: (120, 110), 2023: (130, 117), 2024: (95, 88)},
}
MEAN_DELAYS = {  # mean delay indicator → (its rate indicator, base delay per year in working days)
    "RECLA_DELAI_MOYEN": ("RECLA_DELAI", {2021: 4.6, 2022: 2.6, 2023: 2.3, 2024: 2.5}),
    "COURRIER_DELAI_MOYEN": ("COURRIER_10J", {2021: 8.1, 2022: 6.0, 2023: 5.4, 2024: 5.7}),
}
RDV_TOTALS = {2021: (8, 7, 5), 2022: (9, 9, 6), 2023: (12, 12, 9), 2024: (7, 7, 6)}  # asked, proposed ≤4 j, held ≤10 j
PAN_USERS = {2021: (14, 24), 2022: (26, 36), 2023: (29, 39), 2024: (27, 37)}  # users a month, min–max
PAN_SURVEY = {2021: (150, 145), 2022: (263, 262), 2023: (300, 300), 2024: (230, 229)}  # answers, satisfied
ACCUEIL_SURVEY = {2021: (180, 150), 2022: (298, 271), 2023: (320, 298), 2024: (305, 287)}
SITE_RATE = {2021: 0.079, 2022: 0.090, 2023: 0.098, 2024: 0.104}  # visits / population, per quarter
RS = {2021: (420_000, 0.018), 2022: (560_000, 0.032), 2023: (640_000, 0.036), 2024: (600_000, 0.029)}
FRAUDE = {2021: (720, 2.5), 2022: (860, 3.5), 2023: (950, 4.2), 2024: (1010, 3.8)}  # requests / quarter, ‰
SP_COURRIER = {2021: (130, 112), 2022: (150, 141), 2023: (160, 150), 2024: (120, 110)}
SP_COURRIER_DELAY = {2021: 8.6, 2022: 6.5, 2023: 5.9, 2024: 6.2}
SP_COURRIEL = {2021: (420, 380), 2022: (460, 435), 2023: (500, 468), 2024: (380, 361)}
SP_COURRIEL_DELAY = {2021: 2.8, 2022: 2.4, 2023: 2.5, 2024: 2.2}

# Item logs (one row per item) for 2024: they replace the monthly figures of the months they cover
# and let the Indicateurs page list the late items. Imported as of the files' date (15 October 2024)
# so that the status of unanswered items does not depend on the day the demo is loaded.
LOG_AS_OF = dt.date(2024, 10, 15)
LOG_YEAR = 2024
LOG_HEADER_RECLA = ["Date de réception", "Canal", "Type", "Date de réponse", "Expéditeur", "Objet"]
LOG_HEADER_COURRIELS = ["Date de réception", "Date de réponse", "Boîte", "Expéditeur", "Objet"]
RECLA_CANAUX = (("courriel", 0.45), ("formulaire", 0.3), ("urne", 0.15), ("courrier", 0.1))
RECLA_DEADLINE = {"courriel": 5, "formulaire": 5, "urne": 10, "courrier": 10}  # working days (itemlogs)
RECLA_OBJETS = {
    "réclamation": ("Attente au guichet des titres", "Rendez-vous introuvable en ligne", "Accueil téléphonique",
                    "Délai de délivrance du titre de séjour", "Courriel resté sans réponse",
                    "Erreur sur un courrier reçu", "Horaires affichés erronés"),
    "suggestion": ("Ajouter des sièges en salle d'attente", "Afficher le temps d'attente",
                   "Proposer des rendez-vous le samedi matin", "Signalétique du hall d'accueil"),
    "autre": ("Remerciements pour l'accueil", "Félicitations au point d'accueil numérique"),
}
RECLA_UNANSWERED = {4: 1, 6: 1}  # month → items still without an answer (their deadline long past)
COORD_BOX = "Coord."
COORD_MONTHS = (7, 8, 9)
COORD_LATE = {7: 2, 8: 1, 9: 1}  # late answers per month: the dates show more than the hand count did
COORD_OBJETS = ("Réunion de coordination des services", "Projet d'arrêté à relire", "Convocation en comité",
                "Compte rendu à diffuser", "Demande d'éléments de langage", "Invitation à une inauguration",
                "Point de situation hebdomadaire", "Demande de rendez-vous du cabinet")

class DemoLoadError(RuntimeError):
    """A demo file was refused by the importer: the generator and the importer disagree (a bug)."""


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

def apportion(total: int, weights: Sequence[float], caps: Sequence[int] | None = None) -> list[int]:
    """Split an integer *total* in proportion to *weights* (largest remainder), never above *caps*.

    Working from yearly totals keeps each year's rate exactly where the demo wants it while the
    months still vary.
    """
    n = len(weights)
    limits = list(caps) if caps is not None else [total] * n
    if total > sum(limits):
        raise ValueError(f"cannot place {total} items under caps summing to {sum(limits)}")
    out = [0] * n
    remaining = total
    while remaining > 0:
        open_ = [i for i in range(n) if out[i] < limits[i]]
        room = [i for i in open_ if weights[i] > 0] or open_
        wts = [weights[i] if weights[i] > 0 else 1.0 for i in room]
        shares = [remaining * w / sum(wts) for w in wts]
        floors = [int(s) for s in shares]
        for j in sorted(range(len(room)), key=lambda j: (floors[j] - shares[j], j))[: remaining - sum(floors)]:
            floors[j] += 1
        for j, i in enumerate(room):
            add = min(floors[j], limits[i] - out[i])
            out[i] += add
            remaining -= add
    return out


def _pad(values: Sequence[float | None], length: int = 12) -> Series:
    return list(values) + [None] * (length - len(values))


@dataclass
class MonthlyRate:
    """Monthly counts of a rate: items received and items answered in time."""

    received: Series
    in_time: Series

    @property
    def late(self) -> list[int]:
        pairs = zip(self.received, self.in_time, strict=True)
        return [int(r - t) if r is not None and t is not None else 0 for r, t in pairs]


@dataclass
class DemoData:
    """Every figure of the demo, drawn once in a fixed order, then written by the file writers."""

    telephone: dict[int, tuple[Series, Series]] = field(default_factory=dict)  # year → (received, lost)
    telephone_rectified: tuple[int, int, int] = (0, 0, 0)  # (month, received, lost) sent later
    telephone_total_slip: tuple[int, int] = (0, 0)  # 2021 "Appels perdus": (true total, total typed)
    mailboxes: dict[tuple[str, int], tuple[MonthlyRate, Series, Series]] = field(default_factory=dict)
    template: dict[int, dict[tuple[str, str], Series]] = field(default_factory=dict)
    sous_prefecture: dict[int, dict[str, tuple[MonthlyRate, Series]]] = field(default_factory=dict)
    reclamations_log: list[list[object]] = field(default_factory=list)  # rows of the 2024 réclamations log
    coordination_log: list[list[object]] = field(default_factory=list)  # rows of the 2024 Coord. mailbox log


class _Draw:
    """Random draws for the demo; one instance, one seed, one order."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)

    def noisy(self, weights: Sequence[float], sd: float = 0.15) -> list[float]:
        return [w * max(0.05, 1 + self.rng.gauss(0, sd)) for w in weights]

    def rate(self, total: int, in_time: int, weights: Sequence[float], minimum: int = 0) -> MonthlyRate:
        """*total* items over the months of *weights*, *in_time* of them answered in time."""
        n = len(weights)
        received = [minimum + x for x in apportion(total - minimum * n, self.noisy(weights))]
        late_weights = [r * max(0.0, 1 + self.rng.gauss(0, 0.6)) for r in received]
        late = apportion(total - in_time, late_weights, caps=received)
        return MonthlyRate(_pad(received), _pad([r - lt for r, lt in zip(received, late, strict=True)]))

    def delays(self, counts: MonthlyRate, base: float, per_late: float = 6.0, decimals: int = 1) -> Series:
        """Monthly mean delays around *base*, longer in months with late answers."""
        out: Series = []
        for received, late in zip(counts.received, counts.late, strict=True):
            if received is None:
                out.append(None)
                continue
            if received <= 0:
                raise ValueError("a mean delay needs at least one answer in the month")
            mean = base * (1 + self.rng.gauss(0, 0.15)) + per_late * late / received
            out.append(round(max(0.5, mean), decimals) if decimals else max(1, round(mean)))
        return out


def _months(year: int) -> int:
    return LAST_MONTH[year]


def _quarters(year: int) -> int:
    return LAST_MONTH[year] // 3


def generate(seed: int = SEED) -> DemoData:
    """All the demo's figures. The order of the draws is part of the output: do not reorder."""
    draw = _Draw(seed)
    rng = draw.rng
    data = DemoData()

    # Telephone: ~49 200 calls a month, 48 % answered in 2022, then the interactive voice server
    # (October 2022) lifts the rate; August 2023 is "n.c" (the switchboard's statistics failed).
    volume = {2021: 0.97, 2022: 1.0, 2023: 0.88, 2024: 0.85}
    for year in YEARS:
        received: Series = []
        lost: Series = []
        for m in range(_months(year)):
            calls = round(49_200 * volume[year] * SEASON_TEL[m] * (1 + rng.gauss(0, 0.03)))
            if year == 2021:
                rate = 0.56 - 0.09 * m / 11
            elif year == 2022:
                rate = 0.45 if m < 9 else (0.50, 0.57, 0.63)[m - 9]
            elif year == 2023:
                rate = 0.72 + 0.11 * m / 11
            else:
                rate = 0.84
            rate += rng.gauss(0, 0.012)
            if year == 2023 and m == 7:
                received.append(None)
                lost.append(None)
                continue
            received.append(calls)
            lost.append(calls - round(calls * rate))
        data.telephone[year] = (_pad(received), _pad(lost))
    true_total = int(sum(v for v in data.telephone[2021][1] if v is not None))
    digits = str(true_total)
    slipped = int(digits[0] + digits[2] + digits[1] + digits[3:]) if digits[1] != digits[2] else true_total + 1000
    data.telephone_total_slip = (true_total, slipped)
    march_received, march_lost = data.telephone[2024][0][2], data.telephone[2024][1][2]
    assert march_received is not None and march_lost is not None
    extra = round(1200 + 300 * rng.random())  # the second switchboard line, forgotten in the first export
    data.telephone_rectified = (3, int(march_received) + extra, int(march_lost) + round(extra * 0.2))

    # Functional mailboxes (COURRIEL_5J and COURRIEL_DELAI_MOYEN, one périmètre each).
    for box in MAILBOXES:
        for year in YEARS:
            n = _months(year)
            if box.perimetre == "Boîte préfecture" and year == 2022:
                counts, delays, received_msgs = _bilan_mailbox(draw)
            else:
                weights = [SEASON[m] * ELECTION_PEAKS.get(year, {}).get(m + 1, 1.0) if box.slug == "elections"
                           else SEASON[m] * (1.2 if box.slug == "etrangers" and 5 <= m <= 8 else 1.0) for m in range(n)]
                # before the automatic acknowledgement (April 2022) few answers went out of the main mailbox
                early = 0.35 if box.slug == "boite-prefecture" and year == 2021 else 1
                base = box.monthly * VOLUME_FACTOR[year] * early
                total = max(n, round(base * sum(weights)))
                counts = draw.rate(total, round(total * box.in_time[year]), weights, minimum=1)
                delays = draw.delays(counts, box.delay[year], decimals=0 if box.slug == "boite-prefecture" else 1)
                received_msgs = _pad([])
            data.mailboxes[(box.perimetre, year)] = (counts, delays, received_msgs)

    # Indicators kept in the template (monthly, quarterly, yearly).
    for year in YEARS:
        n = _months(year)
        values: dict[tuple[str, str], Series] = {}
        rates: dict[str, MonthlyRate] = {}
        for code, per_year in RATE_TOTALS.items():
            total, in_time = per_year[year]
            minimum = 1 if code in ("RECLA_DELAI", "COURRIER_10J", "SITE_MAJ_3J") else 0
            rates[code] = draw.rate(total, in_time, SEASON[:n], minimum=minimum)
            values[(code, "numerator")] = rates[code].in_time
            values[(code, "denominator")] = rates[code].received
        for code, (rate_code, base_delay) in MEAN_DELAYS.items():
            values[(code, "value")] = draw.delays(rates[rate_code], base_delay[year])
            values[(code, "count")] = rates[rate_code].received
        asked, proposed, held = RDV_TOTALS[year]
        rdv = draw.rate(asked, proposed, SEASON[:n])
        rdv_asked = [int(v or 0) for v in rdv.received[:n]]
        rdv_late = apportion(asked - held, draw.noisy(rdv_asked, 0.5), caps=rdv_asked)
        values[("COLL_RDV_PROPOSITION_4J", "numerator")] = rdv.in_time
        values[("COLL_RDV_PROPOSITION_4J", "denominator")] = rdv.received
        values[("COLL_RDV_10J", "numerator")] = _pad([a - lt for a, lt in zip(rdv_asked, rdv_late, strict=True)])
        values[("COLL_RDV_10J", "denominator")] = rdv.received
        low, high = PAN_USERS[year]
        users = [rng.randint(low, high) for _ in range(n)]
        answers, satisfied = PAN_SURVEY[year]
        pan_answers = apportion(answers, draw.noisy(users, 0.1), caps=users)
        unhappy = apportion(answers - satisfied, draw.noisy(pan_answers, 0.5), caps=pan_answers)
        values[("PAN_USAGERS", "value")] = _pad(users)
        values[("PAN_SATISFACTION", "numerator")] = _pad([a - u for a, u in zip(pan_answers, unhappy, strict=True)])
        values[("PAN_SATISFACTION", "denominator")] = _pad(pan_answers)
        q = _quarters(year)
        visits = [round(POPULATION_44 * SITE_RATE[year] * QUARTER_VISITS[i] * (1 + rng.gauss(0, 0.03)))
                  for i in range(q)]
        values[("SITE_CONNEXION", "numerator")] = _pad(visits, 4)
        values[("SITE_CONNEXION", "denominator")] = _pad([POPULATION_44] * q, 4)
        impressions_base, engagement = RS[year]
        impressions = [round(impressions_base * (1 + rng.gauss(0, 0.1))) for _ in range(q)]
        engagements = [round(i * engagement * (1 + rng.gauss(0, 0.08))) for i in impressions]
        values[("RS_ENGAGEMENT", "numerator")] = _pad(engagements, 4)
        values[("RS_ENGAGEMENT", "denominator")] = _pad(impressions, 4)
        requests_base, per_mille = FRAUDE[year]
        requests = [round(requests_base * (1 + rng.gauss(0, 0.08))) for _ in range(q)]
        frauds = [max(0, round(r * per_mille / 1000 + rng.gauss(0, 0.8))) for r in requests]
        values[("FRAUDE_PC", "numerator")] = _pad(frauds, 4)
        values[("FRAUDE_PC", "denominator")] = _pad(requests, 4)
        expressed, pleased = ACCUEIL_SURVEY[year]
        values[("ACCUEIL_SATISFACTION", "numerator")] = [pleased]
        values[("ACCUEIL_SATISFACTION", "denominator")] = [expressed]
        data.template[year] = values

    # The sous-préfecture's export (long layout): its letters and its own mailbox.
    for year in YEARS:
        n = _months(year)
        letters = draw.rate(*SP_COURRIER[year], SEASON[:n], minimum=1)
        mails = draw.rate(*SP_COURRIEL[year], SEASON[:n], minimum=1)
        data.sous_prefecture[year] = {
            "COURRIER": (letters, draw.delays(letters, SP_COURRIER_DELAY[year])),
            "COURRIEL": (mails, draw.delays(mails, SP_COURRIEL_DELAY[year])),
        }

    # The 2024 item logs (drawn last: the figures above keep their draws).
    data.reclamations_log = _reclamations_log(rng)
    data.coordination_log = _coordination_log(rng, data.mailboxes[(COORD_BOX, LOG_YEAR)][0])
    _late_sheets(data)
    return data


def _late_sheets(data: DemoData) -> None:
    """What the collection board shows late (after the draws, which keep their order): the
    :data:`LATE_BOX` mailbox never sent its August and September 2024 figures."""
    counts, delays, _ = data.mailboxes[(LATE_BOX, 2024)]
    for m in LATE_MONTHS:
        counts.received[m] = counts.in_time[m] = delays[m] = None


def _working_days(year: int, month: int) -> list[dt.date]:
    calendar = working_calendar(DEMO_CODE)
    first = dt.date(year, month, 1)
    days = [first + dt.timedelta(days=i) for i in range(31) if (first + dt.timedelta(days=i)).month == month]
    return [d for d in days if calendar.is_working_day(d)]


def _answer_date(received: dt.date, delay: int) -> dt.date:
    answered = working_calendar(DEMO_CODE).add_working_days(received, delay)
    assert isinstance(answered, dt.date) and answered < LOG_AS_OF
    return answered


def _reclamations_log(rng: random.Random) -> list[list[object]]:
    """Suggestions and complaints, January–September 2024: 3 to 8 a month, a few answered late,
    two left unanswered (April and June: their deadline has long passed on 15 October)."""
    rows: list[list[object]] = []
    number = 0
    for month in range(1, LAST_MONTH[LOG_YEAR] + 1):
        days = sorted(rng.choices(_working_days(LOG_YEAR, month), k=rng.randint(3, 8)))
        unanswered = set(rng.sample(range(len(days)), RECLA_UNANSWERED.get(month, 0)))
        for i, received in enumerate(days):
            number += 1
            canal = rng.choices([c for c, _ in RECLA_CANAUX], weights=[w for _, w in RECLA_CANAUX])[0]
            kind = rng.choices(("réclamation", "suggestion", "autre"), weights=(0.6, 0.3, 0.1))[0]
            limit = RECLA_DEADLINE[canal]
            late = month <= 8 and rng.random() < 0.1
            delay = rng.randint(limit + 1, limit + 6) if late else rng.randint(1, limit)
            answered = None if i in unanswered else _answer_date(received, delay)
            sender = (f"usager.exemple{number}@example.org" if canal in ("courriel", "formulaire")
                      else f"Usager Exemple {number}")
            rows.append([received, canal, kind, answered, sender, rng.choice(RECLA_OBJETS[kind])])
    return rows


def _coordination_log(rng: random.Random, counts: MonthlyRate) -> list[list[object]]:
    """The Coord. mailbox's own log for July–September 2024, as many e-mails as its monthly sheet
    counts, with a few answered after the 5 working days."""
    rows: list[list[object]] = []
    number = 0
    for month in COORD_MONTHS:
        total = int(counts.received[month - 1] or 0)
        days = sorted(rng.choices(_working_days(LOG_YEAR, month), k=total))
        late = set(rng.sample(range(total), COORD_LATE[month]))
        for i, received in enumerate(days):
            number += 1
            delay = rng.randint(6, 9) if i in late else rng.randint(1, 5)
            rows.append([received, _answer_date(received, delay), COORD_BOX,
                         f"correspondant.exemple{number}@example.org", rng.choice(COORD_OBJETS)])
    return rows


def _bilan_mailbox(draw: _Draw) -> tuple[MonthlyRate, Series, Series]:
    """prefecture@ in 2022: the bilan's January–October figures, November–December drawn."""
    rng = draw.rng
    answers = list(BILAN_MAILBOX_2022["answers"])
    in_time = list(BILAN_MAILBOX_2022["in_time"])
    delays = list(BILAN_MAILBOX_2022["delay"])
    received = list(BILAN_MAILBOX_2022["received"])
    for base in (70, 62):
        n = base + rng.randint(-6, 6)
        answers.append(n)
        in_time.append(n - rng.randint(1, 5))
        delays.append(rng.choice((1, 2)))
        received.append(540 + rng.randint(-40, 40))
    return MonthlyRate(answers, in_time), delays, received


# ---------------------------------------------------------------------------------------------
# Writing workbooks and CSV files
# ---------------------------------------------------------------------------------------------

def reproducible_xlsx(wb: Workbook) -> bytes:
    """The workbook's bytes with fixed timestamps (document properties and zip entries).

    openpyxl stamps the save time; without this every regeneration would change the files'
    SHA-256 and the importer would take them for new files.
    """
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*FIXED_TIME)
    wb.properties.creator = "Qual-e-Pref (démonstration)"
    wb.properties.lastModifiedBy = "Qual-e-Pref (démonstration)"
    buffer = io.BytesIO()
    wb.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rf"\g<1>{stamp}\g<2>", text)
                content = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content)
    return out.getvalue()


def _style_sheet(ws: Worksheet, header_row: int, label_width: int = 48) -> None:
    ws["A1"].font = Font(bold=True, size=13)
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = label_width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)


def telephone_workbook(data: DemoData, year: int) -> bytes:
    """The switchboard's own sheet: calls received and lost per month, with a rate row and Total.

    2021 carries a typing slip in the Total of "Appels perdus" (the import reports it);
    August 2023 is "n.c".
    """
    received, lost = data.telephone[year]
    wb = Workbook()
    ws = wb.active
    ws.title = f"Appels {year}"
    ws.append([f"Standard téléphonique — appels {year}"])
    ws.append(["Source : statistiques mensuelles de l'autocommutateur (appels entrants au standard, 7 j/7)"])
    ws.append([])
    ws.append(["", *MONTHS_SHORT, "Total"])
    nc = "n.c"
    rec_cells = [nc if (v is None and m < _months(year)) else v for m, v in enumerate(received)]
    lost_cells = [nc if (v is None and m < _months(year)) else v for m, v in enumerate(lost)]
    rec_total = int(sum(v for v in received if v is not None))
    lost_total = int(sum(v for v in lost if v is not None))
    lost_shown = data.telephone_total_slip[1] if year == 2021 else lost_total
    rates: list[object] = [
        (nc if m < _months(year) else None) if c is None or lo is None else round(1 - lo / c, 4)
        for m, (c, lo) in enumerate(zip(received, lost, strict=True))
    ]
    ws.append(["Appels reçus", *rec_cells, rec_total])
    ws.append(["Appels perdus", *lost_cells, lost_shown])
    ws.append(["Taux d'appels aboutis", *rates, round(1 - lost_total / rec_total, 4)])
    for cell in ws[7][1:]:
        cell.number_format = "0%"
    for row in (5, 6):
        for cell in ws[row][1:]:
            cell.number_format = "# ##0"
    if year == 2022:
        ws.append([])
        ws.append(["Serveur vocal interactif mis en service en octobre 2022."])
    if year == 2023:
        ws.append([])
        ws.append(["Août : statistiques indisponibles (panne de l'outil de l'autocommutateur)."])
    _style_sheet(ws, 4, 30)
    return reproducible_xlsx(wb)


def mailbox_workbook(data: DemoData, box: Mailbox) -> bytes:
    """One functional mailbox, one sheet a year, in the bilan's own layout.

    The 2022 sheet of the main mailbox is the bilan's table: its "Total" of the rate row is the
    average of the monthly rates (94 %), as the préfecture computed it — the import warns that the
    weighted rate differs — and it keeps the "Nombre de messages reçus" row, which is not an
    indicator (the import reports it as not recognised).
    """
    wb = Workbook()
    wb.remove(wb.active)
    for year in YEARS:
        counts, delays, received_msgs = data.mailboxes[(box.perimetre, year)]
        ws = wb.create_sheet(str(year))
        ws.append([f"Suivi des courriels {year} — boîte fonctionnelle"])
        ws.append(["Périmètre :", box.perimetre])
        ws.append(["Adresse :", box.address])
        ws.append(["", *MONTHS_BILAN, "Total"])
        answers = [v for v in counts.received if v is not None]
        in_time = [v for v in counts.in_time if v is not None]
        total_answers, total_in_time = int(sum(answers)), int(sum(in_time))
        weighted_delay = sum((d or 0) * (a or 0) for d, a in zip(delays, counts.received, strict=True)) / total_answers
        monthly_rates = [None if a is None or t is None else round(100 * t / a)
                         for t, a in zip(counts.in_time, counts.received, strict=True)]
        if box.perimetre == "Boîte préfecture" and year == 2022:
            shown = [r for r in monthly_rates if r is not None]
            rate_total = f"{round(sum(shown) / len(shown))} %"  # the préfecture's average of rates
        else:
            rate_total = f"{round(100 * total_in_time / total_answers)} %"
        delay_total: float = round(weighted_delay) if box.slug == "boite-prefecture" else round(weighted_delay, 1)
        ws.append(["Nombre de réponses en direct à l'utilisateur", *counts.received, total_answers])
        ws.append(["Nombre de réponses dans les délais", *counts.in_time, total_in_time])
        ws.append(["Délai moyen de réponse", *delays, delay_total])
        ws.append(["Taux de réponse dans le délai de 5 jours ouvrés",
                   *[None if r is None else f"{r} %" for r in monthly_rates], rate_total])
        if any(v is not None for v in received_msgs):
            shown_msgs = ["n.c" if v is None and m < _months(year) else v for m, v in enumerate(received_msgs)]
            ws.append(["Nombre de messages reçus", *shown_msgs, int(sum(v for v in received_msgs if v is not None))])
        _style_sheet(ws, 4, 46)
    return reproducible_xlsx(wb)


def _template_indicators() -> tuple[list[IndicatorDef], dict[str, str]]:
    """The référentiel's indicators and their channels, read through a throw-away database."""
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    try:
        create_schema(engine)
        with session_scope(engine, write=True) as session:
            seed_referentiel(session)
            indicators = indicators_for(session, -1)
            channel_of = channel_mapping(indicators, engagements_for(session, -1))
    finally:
        engine.dispose()
    return indicators, channel_of


TEMPLATE_EXCLUDED = ("TEL_ABOUTIS", "COURRIEL_5J", "COURRIEL_DELAI_MOYEN")  # kept in the services' own sheets


def template_workbook(data: DemoData, year: int, indicators: list[IndicatorDef], channel_of: dict[str, str]) -> bytes:
    """The dashboard's own template for *year*, filled in as the référent(e) qualité would."""
    chosen = [d for d in indicators if d.code not in TEMPLATE_EXCLUDED]
    raw = build_template(chosen, year, channel_of, DEMO_NAME)
    wb = load_workbook(io.BytesIO(raw))
    role_of = {label: role for role, label in ROLE_LABELS.items()}
    values = data.template[year]
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows(min_row=7):
            label = row[0].value
            if not isinstance(label, str) or " · " not in label:
                continue
            code, role_label, _ = label.split(" · ", 2)
            series = values[(code, role_of[role_label])]
            for cell, value in zip(row[1:1 + len(series)], series, strict=False):
                if value is not None:
                    cell.value = value
                    if isinstance(value, float):
                        cell.number_format = "0.0"
    return reproducible_xlsx(wb)


LONG_HEADER = ["indicateur", "période", "périmètre", "numérateur", "dénominateur", "valeur", "effectif"]


def _csv_bytes(rows: list[list[object]]) -> bytes:
    """``;``-separated, UTF-8 with BOM, CRLF: what Excel's French "CSV UTF-8" export writes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(LONG_HEADER)
    for row in rows:
        writer.writerow(["" if v is None else (f"{v}".replace(".", ",") if isinstance(v, float) else v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def sous_prefecture_csv(data: DemoData, year: int) -> bytes:
    """The sous-préfecture's yearly export in the long layout (one row per indicator × month)."""
    rows: list[list[object]] = []
    sp = data.sous_prefecture[year]
    for m in range(_months(year)):
        period = f"{year}-{m + 1:02d}"
        for family, rate_code, delay_code in (("COURRIER", "COURRIER_10J", "COURRIER_DELAI_MOYEN"),
                                              ("COURRIEL", "COURRIEL_5J", "COURRIEL_DELAI_MOYEN")):
            counts, delays = sp[family]
            rows.append([rate_code, period, SOUS_PREFECTURE, counts.in_time[m], counts.received[m], None, None])
            if (period, delay_code) != PARTIAL_MISSING:
                rows.append([delay_code, period, SOUS_PREFECTURE, None, None, delays[m], counts.received[m]])
    return _csv_bytes(rows)


def rectificatif_csv(data: DemoData) -> bytes:
    """March 2024 sent again with the second switchboard line: the import replaces the value."""
    month, received, lost = data.telephone_rectified
    return _csv_bytes([["TEL_ABOUTIS", f"2024-{month:02d}", None, received - lost, received, None, None]])


def _log_workbook(sheet: str, title: str, header: list[str], rows: list[list[object]]) -> bytes:
    """An item log as services keep it: a title, a header row, one row per item (dates as dates)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    for column in ws.iter_cols(min_row=3):
        for cell in column:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    ws["A1"].font = Font(bold=True, size=13)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", (18, 16, 16, 40, 40, 44), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A3"
    return reproducible_xlsx(wb)


def reclamations_log_workbook(data: DemoData) -> bytes:
    """The register of suggestions and complaints, January–September 2024 (one row per item)."""
    return _log_workbook("Réclamations", f"Registre des suggestions et réclamations {LOG_YEAR}",
                         LOG_HEADER_RECLA, data.reclamations_log)


def coordination_log_workbook(data: DemoData) -> bytes:
    """The Coord. mailbox's log, July–September 2024 (one row per e-mail)."""
    return _log_workbook("Courriels", f"Suivi des courriels {LOG_YEAR} — {COORD_BOX}",
                         LOG_HEADER_COURRIELS, data.coordination_log)


def write_demo_files(out_dir: Path) -> list[Path]:
    """Write the demo préfecture's tracking files into *out_dir*; returns their paths, sorted.

    Files: the switchboard's sheet per year, one workbook per functional mailbox (a sheet per
    year), the filled template per year, the sous-préfecture's long CSV per year, a correction
    of March 2024 and two 2024 item logs (réclamations; the Coord. mailbox), named ``journal-…``
    so that they are imported after the files whose months they replace. Regenerating gives the
    same bytes.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    data = generate()
    indicators, channel_of = _template_indicators()
    files: dict[str, bytes] = {}
    for year in YEARS:
        files[f"{year}-standard-telephonique.xlsx"] = telephone_workbook(data, year)
        files[f"{year}-tableau-de-suivi-qualite.xlsx"] = template_workbook(data, year, indicators, channel_of)
        files[f"sous-prefecture-saint-nazaire-{year}.csv"] = sous_prefecture_csv(data, year)
    for box in MAILBOXES:
        files[f"courriels-{box.slug}.xlsx"] = mailbox_workbook(data, box)
    files["rectificatif-2024-03-standard-telephonique.csv"] = rectificatif_csv(data)
    files[f"journal-{LOG_YEAR}-reclamations.xlsx"] = reclamations_log_workbook(data)
    files[f"journal-{LOG_YEAR}-courriels-coordination.xlsx"] = coordination_log_workbook(data)
    written = []
    for name in sorted(files):
        path = out_dir / name
        path.write_bytes(files[name])
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

DEMO_SUFFIXES = (".xlsx", ".csv")


def demo_files(directory: Path = DEMO_DIR) -> list[Path]:
    """The demo's data files, sorted by name (the order they are imported in)."""
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in DEMO_SUFFIXES)
