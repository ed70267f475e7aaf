"""The demo préfecture's pilotage: an action plan, a follow-up audit, training records.

Like the indicators' demo (:mod:`qep_core.demo`), the data are written as the files a référent(e)
qualité keeps (``data/demo/pilotage/``) and loaded through the real importers, so the demo also
proves that those files are read; loading twice changes nothing (each file's SHA-256 is known).

* ``plan-actions.xlsx``: 42 actions over modules 1, 2, 4, pilotage and labellisation, from every
  source, with their dated status history since the self-assessment of October 2021; statuses
  as of :data:`DEMO_AS_OF` (the date of the demo's files, 15 October 2024), several late.
* ``audit-suivi-2024.xlsx``: the follow-up audit of 12 March 2024 laid out like an audit report
  (one row per engagement of the labelled modules, PF / PS / PP remarks, one minor
  non-conformity); the plan's actions that copy a remark word for word get linked to it.
* ``formations.xlsx``: 26 agents (pseudonyms) on reception, telephone, website, quality, fraud
  and mail posts, their trainings and tutoring agreements, written so that on 31 December 2024
  some are up to date, some to be trained within their first year, some late, one gone.

Dates are fixed and the few that are drawn come from one ``random.Random(2024)`` consumed in a
fixed order; workbooks carry fixed timestamps: regenerating gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.engine import Engine

from qep_core.db import DATA_DIR
from qep_core.demo.indicators import reproducible_xlsx
from qep_core.frenchforms import count_text
from qep_core.importing import ImportRejected
from qep_core.pilotage.action_files import HISTORY_HEADERS, PLAN_HEADERS, import_actions_file
from qep_core.pilotage.audits import import_audit_file
from qep_core.pilotage.trainings import import_trainings_file
from qep_core.pilotage.vocabulary import ROLES, SOURCES, STATUSES
from qep_core.referentiel import Referentiel

PILOTAGE_DEMO_DIR = DATA_DIR / "demo" / "pilotage"
DEMO_AS_OF = dt.date(2024, 10, 15)  # the date of the demo's files (as the item logs')
AUDIT_DATE = dt.date(2024, 3, 12)
SEED = 2024
DEMO_USER = "démo"

# (ref, title, engagement key or module code, source, owner, created, final status, due date)
# final status: F fait, C en cours, A à faire, X abandonné. Due dates None are drawn.
ACTIONS: list[tuple[str, str, str, str, str, dt.date, str, dt.date | None]] = [
    ("PA-01", "Mettre à jour les horaires d'ouverture sur le site et la fiche Google de la préfecture", "E1",
     "auto_diagnostic", "Webmestre", dt.date(2021, 10, 12), "F", None),
    ("PA-02", "Contrôler chaque trimestre les affichages du hall avec une liste de contrôle", "E1", "auto_diagnostic",
     "Accueil général", dt.date(2021, 10, 12), "F", None),
    ("PA-03", "Installer une boucle magnétique au guichet du séjour", "E2", "enquete_satisfaction",
     "SGCD — logistique", dt.date(2022, 6, 20), "F", None),
    ("PA-04", "Créer un guichet réservé aux personnes à mobilité réduite", "E2", "enquete_satisfaction",
     "SGCD — logistique", dt.date(2022, 6, 20), "C", dt.date(2024, 6, 30)),
    ("PA-05", "Revoir le questionnaire de l'enquête de satisfaction pour en réduire le nombre de questions", "E3",
     "audit_externe", "Mission qualité", dt.date(2024, 3, 20), "C", dt.date(2024, 12, 31)),
    ("PA-06", "Publier chaque année le bilan des réclamations sur le site internet", "E3", "audit_interne",
     "Mission qualité", dt.date(2022, 3, 15), "F", None),
    ("PA-07", "Traiter les avis en ligne comme des suggestions et réclamations", "E3", "audit_externe",
     "Mission qualité", dt.date(2024, 3, 20), "A", dt.date(2024, 9, 30)),
    ("PA-08", "Former deux agents d'accueil à la médiation numérique", "E4", "agents", "SGCD — formation",
     dt.date(2022, 9, 5), "F", None),
    ("PA-09", "Harmoniser la signalétique d'orientation vers les guichets", "E5", "auto_diagnostic",
     "Accueil général", dt.date(2021, 10, 12), "F", None),
    ("PA-10", "Aménager un coin enfants dans l'espace d'attente", "E6", "clu", "SGCD — logistique",
     dt.date(2023, 5, 16), "F", None),
    ("PA-11", "Afficher les pics d'affluence à l'entrée du hall et sur le site", "E7", "enquete_satisfaction",
     "Accueil général", dt.date(2022, 6, 20), "F", None),
    ("PA-12", "Installer un serveur vocal interactif (SVI) au standard", "E8", "auto_diagnostic", "Standard",
     dt.date(2021, 10, 12), "F", None),
    ("PA-13", "Mesurer la satisfaction des usagers après la mise en place du SVI", "E8", "audit_interne",
     "Mission qualité", dt.date(2023, 1, 10), "F", None),
    ("PA-14", "Rédiger des réponses-types pour harmoniser les réponses du standard", "E10", "enquete_mystere",
     "Standard", dt.date(2023, 3, 28), "F", None),
    ("PA-15", "Renforcer le standard sur le créneau 8 h – 14 h", "E10", "enquete_satisfaction", "Standard",
     dt.date(2023, 6, 19), "C", dt.date(2024, 3, 31)),
    ("PA-16", "Former les agents du standard à la courtoisie au téléphone", "E2", "enquete_mystere",
     "SGCD — formation", dt.date(2023, 3, 28), "F", None),
    ("PA-17", "Réviser chaque semestre les pages coordonnées et démarches du site", "E11", "auto_diagnostic",
     "Webmestre", dt.date(2021, 10, 12), "F", None),
    ("PA-18", "Mesurer le taux de mise à jour du site dans le délai de 3 jours ouvrés", "E11", "audit_interne",
     "Webmestre", dt.date(2022, 3, 15), "F", None),
    ("PA-19", "Ouvrir la prise de rendez-vous en ligne pour le point d'accueil numérique", "E15", "agents",
     "Point d'accueil numérique", dt.date(2022, 11, 7), "F", None),
    ("PA-20", "Accueillir deux volontaires en service civique au point d'accueil numérique", "E15",
     "auto_diagnostic", "Point d'accueil numérique", dt.date(2021, 10, 12), "X", None),
    ("PA-21", "Mettre à jour le fichier de réponses types du bureau du courrier", "E16", "audit_externe",
     "Bureau du courrier", dt.date(2022, 10, 24), "F", None),
    ("PA-22", "Envoyer un accusé de réception automatique depuis chaque boîte fonctionnelle", "E17",
     "auto_diagnostic", "Bureau du courrier", dt.date(2021, 10, 12), "F", None),
    ("PA-23", "Suivre chaque mois le taux et le délai de réponse aux courriels", "E17", "audit_interne",
     "Mission qualité", dt.date(2022, 3, 15), "F", None),
    ("PA-24", "Mettre à jour les formulaires de contact du site", "E18", "reclamation", "Webmestre",
     dt.date(2023, 9, 4), "C", dt.date(2024, 5, 31)),
    ("PA-25", "Actualiser la charte d'utilisation des réseaux sociaux", "E19", "audit_interne", "Communication",
     dt.date(2022, 3, 15), "F", None),
    ("PA-26", "Équiper le service communication d'un téléphone professionnel pour animer les réseaux sociaux", "E20",
     "audit_externe", "Communication", dt.date(2024, 3, 20), "F", None),
    ("PA-27", "Créer un formulaire pour les employeurs qui authentifient un titre de séjour", "E3",
     "enquete_satisfaction", "Bureau du séjour", dt.date(2023, 1, 16), "A", dt.date(2024, 6, 30)),
    ("PA-28", "Écrire la procédure à suivre quand un titre dégradé est présenté", "M2", "auto_diagnostic",
     "Bureau des permis de conduire", dt.date(2021, 10, 12), "F", None),
    ("PA-29", "Formaliser le tutorat des nouveaux agents du bureau des permis de conduire", "M2", "audit_interne",
     "Bureau des permis de conduire", dt.date(2022, 3, 15), "F", None),
    ("PA-30", "Former la cellule CERT à la détection de la fraude documentaire", "M2", "agents",
     "Bureau des permis de conduire", dt.date(2023, 10, 2), "C", dt.date(2025, 3, 31)),
    ("PA-31", "Suivre le taux et le délai de réponse aux courriels des élus", "E36", "auto_diagnostic",
     "Direction de la citoyenneté et de la légalité", dt.date(2021, 10, 12), "F", None),
    ("PA-32", "Suivre les délais des rendez-vous proposés aux élus", "E37", "audit_interne",
     "Direction de la citoyenneté et de la légalité", dt.date(2022, 3, 15), "C", dt.date(2023, 12, 31)),
    ("PA-33", "Enrichir la rubrique « Relations avec les collectivités » du site", "E34", "enquete_satisfaction",
     "Webmestre", dt.date(2022, 3, 7), "A", dt.date(2023, 6, 30)),
    ("PA-34", "Diffuser l'infos-flash à un plus grand nombre de collectivités", "E35", "enquete_satisfaction",
     "Direction de la citoyenneté et de la légalité", dt.date(2022, 3, 7), "A", dt.date(2025, 6, 30)),
    ("PA-35", "Indiquer la date de prise de poste dans le tableau de suivi des formations", "PIL3", "audit_externe",
     "SGCD — formation", dt.date(2022, 10, 24), "F", None),
    ("PA-36", "Signer une convention de tutorat pour chaque nouvel agent d'accueil", "PIL3", "audit_interne",
     "SGCD — formation", dt.date(2022, 3, 15), "C", dt.date(2024, 12, 31)),
    ("PA-37", "Relancer la lettre d'information qualité destinée aux agents", "PIL4", "audit_externe",
     "Mission qualité", dt.date(2024, 3, 20), "F", None),
    ("PA-38", "Présenter la stratégie éditoriale des réseaux sociaux au CLU", "PIL5", "clu", "Communication",
     dt.date(2023, 5, 16), "F", None),
    ("PA-39", "Réviser les procédures après la création du SGCD", "PIL2", "auto_diagnostic", "Mission qualité",
     dt.date(2021, 10, 12), "F", None),
    ("PA-40", "Faire signer la lettre de mission du référent qualité", "PIL1", "auto_diagnostic",
     "Secrétariat général", dt.date(2021, 10, 12), "F", None),
    ("PA-41", "Comparer les indicateurs d'une année sur l'autre dans le bilan annuel", "LAB1", "audit_externe",
     "Mission qualité", dt.date(2024, 3, 20), "C", dt.date(2025, 3, 31)),
    ("PA-42", "Programmer l'audit interne de 2025 avec une préfecture voisine", "LAB2", "auto_diagnostic",
     "Mission qualité", dt.date(2024, 9, 16), "A", dt.date(2025, 2, 28)),
]

AUDIT_ROWS: dict[str, tuple[str, str]] = {  # engagement key → (comments cell, conformity); others: C, no remark
    "E1": ("PF : Affichages à jour et contrôlés chaque trimestre.\nNote : Horaires identiques sur le site, la fiche "
           "Google et la porte d'entrée.", "C"),
    "E2": ("PP : Prévoir un guichet réservé aux personnes à mobilité réduite.\nNote : Boucle magnétique installée au "
           "guichet du séjour.", "C"),
    "E3": ("PP : Revoir le questionnaire de l'enquête de satisfaction pour en réduire le nombre de questions.\n"
           "PP : Traiter les avis en ligne comme des suggestions et réclamations.\nNote : Enquête 2023 : 320 réponses.",
           "C"),
    "E6": ("PF : Coin enfants aménagé dans l'espace d'attente.", "C"),
    "E8": ("PF : Serveur vocal interactif construit avec les agents du standard.", "C"),
    "E9": ("Note : Pas de titre délivré au guichet hors étrangers.", "NA"),
    "E10": ("PP : Adapter les effectifs du standard aux heures de plus forte demande (8 h – 14 h).", "C"),
    "E11": ("PF : Révision semestrielle des pages démarches.", "C"),
    "E15": ("PF : Rendez-vous en ligne au point d'accueil numérique.", "C"),
    "E16": ("PP : Partager le fichier de réponses types du standard avec le bureau du courrier.", "C"),
    "E17": ("Note : Le délai de réponse annoncé n'apparaît pas dans l'accusé de réception de deux boîtes "
            "fonctionnelles (permis de conduire, étrangers).", "NC mineure"),
    "E20": ("PS : Équiper le service communication d'un téléphone professionnel pour animer les réseaux sociaux.\n"
            "Note : Publications faites depuis des téléphones personnels.", "C"),
    "E37": ("PP : Tenir un registre des demandes de rendez-vous des élus.", "C"),
    "PIL3": ("PF : Tableau de suivi des formations complet (dates de prise de poste).\nPP : Systématiser les "
             "conventions de tutorat des nouveaux arrivants.", "C"),
    "PIL4": ("PP : Relancer la lettre d'information qualité destinée aux agents.", "C"),
    "LAB1": ("PP : Comparer les indicateurs d'une année sur l'autre dans le bilan annuel.", "C"),
}
AUDIT_SECTIONS = [  # (heading, module code, engagements)
    ("MODULE 1 - OBLIGATOIRE : RELATION GÉNÉRALE AVEC LES USAGERS", "M1", [f"E{n}" for n in range(1, 21)]),
    ("MODULE 4 - RELATIONS AVEC LES COLLECTIVITÉS TERRITORIALES", "M4", [f"E{n}" for n in range(34, 38)]),
    ("PILOTAGE DE LA POLITIQUE QUALITÉ", "PIL", [f"PIL{n}" for n in range(1, 6)]),
    ("DÉMARCHE DE LABELLISATION", "LAB", ["LAB1", "LAB2"]),
]

# (name, service, role, post start, post end, [(training date, title)], [(tutor, start, end)])
AGENTS: list[tuple[str, str, str, dt.date, dt.date | None, list[tuple[dt.date, str]],
                   list[tuple[str, dt.date, dt.date | None]]]] = [
    ("Camille Arnaud", "Accueil général", "accueil_physique", dt.date(2015, 3, 2), None,
     [(dt.date(2017, 4, 11), "Gestion des conflits à l'accueil"),
      (dt.date(2021, 5, 18), "L'écoute empathique au service de l'accueil")], []),
    ("Dominique Bernard", "Accueil général", "accueil_physique", dt.date(2019, 9, 2), None,
     [(dt.date(2019, 11, 14), "Gestion des conflits à l'accueil")], []),
    ("Sacha Colin", "Accueil général", "accueil_physique", dt.date(2024, 2, 5), None, [],
     [("Camille Arnaud", dt.date(2024, 2, 5), None)]),
    ("Alix Durand", "Bureau du séjour", "accueil_physique", dt.date(2023, 6, 12), None, [],
     [("Morgan Petit", dt.date(2023, 6, 12), dt.date(2024, 6, 30))]),
    ("Morgan Petit", "Bureau du séjour", "accueil_physique", dt.date(2018, 1, 8), None,
     [(dt.date(2020, 12, 10), "Techniques d'accueil des publics étrangers")], []),
    ("Lou Moreau", "Bureau du séjour", "accueil_physique", dt.date(2022, 4, 4), None,
     [(dt.date(2022, 11, 17), "Techniques d'accueil des publics étrangers")], []),
    ("Charlie Laurent", "Accueil général", "accueil_physique", dt.date(2010, 9, 1), None,
     [(dt.date(2019, 3, 12), "Accueil des publics difficiles"),
      (dt.date(2023, 3, 21), "Accueillir les personnes en situation de handicap")], []),
    ("Jo Garnier", "Point d'accueil numérique", "accueil_physique", dt.date(2024, 9, 2), None, [],
     [("Noa Rousseau", dt.date(2024, 9, 2), None)]),
    ("Maxime Faure", "Plateforme naturalisations", "accueil_physique", dt.date(2021, 1, 4), None,
     [(dt.date(2021, 6, 8), "L'écoute empathique au service de l'accueil")], []),
    ("Noa Rousseau", "Point d'accueil numérique", "accueil_physique", dt.date(2023, 11, 6), None,
     [(dt.date(2024, 5, 23), "Médiation numérique au point d'accueil")], []),
    ("Ange Blanc", "Standard", "accueil_telephonique", dt.date(2016, 5, 2), None,
     [(dt.date(2020, 2, 4), "Accueil téléphonique : la relation à distance")], []),
    ("Eden Guérin", "Standard", "accueil_telephonique", dt.date(2022, 10, 3), None,
     [(dt.date(2023, 1, 19), "Accueil téléphonique : la relation à distance")], []),
    ("Sam Muller", "Standard", "accueil_telephonique", dt.date(2024, 3, 11), None, [], []),
    ("Andréa Henry", "Standard", "accueil_telephonique", dt.date(2019, 3, 4), None,
     [(dt.date(2019, 10, 8), "Accueil téléphonique : la relation à distance"),
      (dt.date(2023, 9, 28), "Gestion des appels difficiles")], []),
    ("Yaël Roux", "Standard", "accueil_telephonique", dt.date(2023, 9, 18), None,
     [(dt.date(2024, 1, 25), "Accueil téléphonique : la relation à distance")], []),
    ("Dany Masson", "Standard", "accueil_telephonique", dt.date(2015, 2, 2), dt.date(2023, 8, 31),
     [(dt.date(2018, 5, 15), "Accueil téléphonique : la relation à distance")], []),
    ("Élie Fournier", "Communication", "site_reseaux", dt.date(2017, 6, 1), None,
     [(dt.date(2020, 10, 6), "Rédaction web et comarquage")], []),
    ("Gaby Mercier", "Communication", "site_reseaux", dt.date(2021, 9, 1), None,
     [(dt.date(2022, 3, 15), "Animer les réseaux sociaux d'une administration")], []),
    ("Marion Lefèvre", "Webmestre", "site_reseaux", dt.date(2024, 1, 15), None, [],
     [("Élie Fournier", dt.date(2024, 1, 15), None)]),
    ("Claude Girard", "Mission qualité", "rq", dt.date(2020, 9, 1), None,
     [(dt.date(2021, 2, 9), "Démarche qualité : le rôle du référent")], []),
    ("Tom Bonnet", "Bureau des permis de conduire", "fraude", dt.date(2018, 4, 3), None,
     [(dt.date(2022, 6, 14), "Lutte contre la fraude documentaire")], []),
    ("Lina Chevalier", "Bureau des permis de conduire", "fraude", dt.date(2023, 2, 1), None, [],
     [("Tom Bonnet", dt.date(2023, 2, 1), None)]),
    ("René Lambert", "Bureau des permis de conduire", "fraude", dt.date(2012, 9, 3), None,
     [(dt.date(2016, 3, 22), "Lutte contre la fraude documentaire"),
      (dt.date(2020, 11, 24), "Lutte contre la fraude documentaire")], []),
    ("Nour Fontaine", "Bureau des permis de conduire", "fraude", dt.date(2024, 6, 3), None, [], []),
    ("Kim Robin", "Bureau du courrier", "courrier", dt.date(2014, 1, 6), None,
     [(dt.date(2021, 10, 12), "Communiquer efficacement par courriel")], []),
    ("Aimé Perrin", "Bureau du courrier", "courrier", dt.date(2022, 1, 3), None, [], []),
]

FIXED_TIME = dt.datetime(2024, 10, 15, 9, 0, 0)
STATUS_OF_LETTER = {"F": "fait", "C": "en_cours", "A": "a_faire", "X": "abandonne"}


def _day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def action_histories(seed: int = SEED) -> list[tuple[tuple, dt.date, list[tuple[str, dt.date]]]]:
    """Each action with its due date and dated statuses (à faire at creation, then en cours, then
    the final status), drawn between its creation and :data:`DEMO_AS_OF`."""
    rng = random.Random(seed)
    out = []
    for spec in ACTIONS:
        created, final, due = spec[5], STATUS_OF_LETTER[spec[6]], spec[7]
        span_end = DEMO_AS_OF - dt.timedelta(days=7)
        history = [("a_faire", created)]
        if final in ("en_cours", "fait", "abandonne"):
            started = _day_between(rng, created + dt.timedelta(days=14), min(span_end, created + dt.timedelta(days=200)))
            if final == "abandonne":
                history.append(("abandonne", started))
            else:
                history.append(("en_cours", started))
                if final == "fait":
                    history.append(("fait", _day_between(rng, started + dt.timedelta(days=10),
                                                         min(span_end, started + dt.timedelta(days=300)))))
        if due is None:
            due = history[-1][1] + dt.timedelta(days=rng.randint(0, 45)) if final == "fait" else (
                created + dt.timedelta(days=rng.randint(120, 360)))
        out.append((spec, due, history))
    return out


def _workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "Qual-e-Pref (démonstration)"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    return wb


def _bytes(wb: Workbook) -> bytes:
    return reproducible_xlsx(wb)


def _table(ws, headers: list[str], rows: list[list[object]], widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    ws.append(headers)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"


def plan_workbook() -> bytes:
    wb = _workbook()
    rows, history = [], []
    module_names = {"M2": "Module 2", "M4": "Module 4", "PIL": "Pilotage", "LAB": "Labellisation"}
    for spec, due, dated in action_histories():
        ref, title, where, source, owner, created = spec[:6]
        engagement = where if where.startswith(("E", "PIL", "LAB")) else ""
        module = "Module 1" if where.startswith("E") and int(where[1:]) <= 20 else module_names.get(
            where, "Module 4" if where.startswith("E") else module_names.get(where[:3], where))
        engagement_text = engagement[1:] if engagement.startswith("E") else (
            f"Pilotage {engagement[3:]}" if engagement.startswith("PIL") else
            f"Labellisation {engagement[3:]}" if engagement.startswith("LAB") else "")
        status, status_date = dated[-1]
        rows.append([ref, title, module, engagement_text, SOURCES[source], owner, due, STATUSES[status], status_date,
                     created, "", ""])
        history += [[ref, STATUSES[s], d, DEMO_USER] for s, d in dated]
    _table(wb.create_sheet("Plan d'actions"), PLAN_HEADERS, rows, [8, 70, 14, 12, 22, 30, 12, 11, 14, 14, 20, 20])
    _table(wb.create_sheet("Historique des statuts"), HISTORY_HEADERS, history, [8, 12, 12, 14])
    return _bytes(wb)


def audit_workbook() -> bytes:

    titles = {e["key"]: e["title"] for e in Referentiel.load().raw["engagements"]}
    wb = _workbook()
    ws = wb.create_sheet("Rapport d'audit")
    ws.append(["RAPPORT D'AUDIT DE SUIVI — PRÉFECTURE DE DÉMONSTRATION"])
    ws.append(["Type d'audit", "Suivi"])
    ws.append(["Date de l'audit", AUDIT_DATE])
    ws.append(["Auditeur", "Jeanne Exemple"])
    ws.append(["Organisme", "Organisme certificateur (fictif)"])
    ws.append([])
    rows: list[list[object]] = []
    for heading, module, keys in AUDIT_SECTIONS:
        rows.append([heading, "", ""])
        for key in keys:
            label = (f"Module {module[1:]} {key[1:]}. {titles[key]}" if module.startswith("M")
                     else f"{key[3:]}. {titles[key]}")
            comments, conformity = AUDIT_ROWS.get(key, ("", "C"))
            rows.append([label, comments, conformity])
    _table(ws, ["Engagements de service", "Commentaires", "Conformité"], rows, [70, 90, 12])
    for row in ws.iter_rows(min_row=8):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    return _bytes(wb)


def trainings_workbook() -> bytes:
    wb = _workbook()
    _table(wb.create_sheet("Agents"), ["Nom", "Service", "Rôle", "Prise de poste", "Fin de poste"],
           [[n, s, ROLES[r], start, end] for n, s, r, start, end, _, _ in AGENTS], [24, 30, 30, 14, 14])
    _table(wb.create_sheet("Formations"), ["Agent", "Date", "Intitulé"],
           [[n, d, t] for n, *_, trainings, _ in AGENTS for d, t in trainings], [24, 12, 60])
    _table(wb.create_sheet("Tutorats"), ["Agent", "Tuteur", "Début", "Fin"],
           [[n, tutor, start, end] for n, *_, tutorings in AGENTS for tutor, start, end in tutorings], [24, 24, 12, 12])
    return _bytes(wb)


FILES = {"audit-suivi-2024.xlsx": audit_workbook, "formations.xlsx": trainings_workbook,
         "plan-actions.xlsx": plan_workbook}


def write_pilotage_demo_files(out_dir: Path = PILOTAGE_DEMO_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in FILES.items():
        path = out_dir / name
        path.write_bytes(build())
        written.append(path)
    return written


class PilotageDemoError(RuntimeError):
    pass


def load_pilotage_demo(engine: Engine, prefecture_id: int, directory: Path = PILOTAGE_DEMO_DIR) -> str:
    """Import the three files (audit first: the plan's copies of its remarks get linked); a French line."""
    loaded, skipped = [], 0
    for name in FILES:
        path = directory / name
        if not path.is_file():
            raise PilotageDemoError(f"fichier de démonstration manquant : {path} (lancez « python -m qep_core "
                                    "demo-data »)")
        data = path.read_bytes()
        try:
            if name.startswith("audit"):
                _plan, audit = import_audit_file(engine, prefecture_id, name, data, user=DEMO_USER)
                done = audit is not None
            elif name.startswith("formations"):
                done = import_trainings_file(engine, prefecture_id, name, data, user=DEMO_USER).already_imported is None
            else:
                done = import_actions_file(engine, prefecture_id, name, data, user=DEMO_USER).already_imported is None
        except ImportRejected as exc:
            raise PilotageDemoError(f"fichier de démonstration refusé : {name} : "
                                    + "; ".join(str(i) for i in exc.errors)) from exc
        if done:
            loaded.append(name)
        else:
            skipped += 1
    if not loaded:
        return "Pilotage : plan d'actions, audit et formations déjà chargés, rien n'a changé"
    return f"Pilotage : {count_text(len(loaded), 'fichier chargé', 'fichiers chargés')} ({', '.join(loaded)})"
