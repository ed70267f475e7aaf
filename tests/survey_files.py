"""Survey exports in the shapes real tools write, with counts chosen so rates can be checked by hand.

* :func:`phone_csv_cp1252`: an online survey exported as Excel's French CSV (``;``, Windows-1252,
  accents), LimeSurvey-style metadata columns; 22 respondents.
* :func:`accueil_xlsx_title_row`: a tablet export with a title line above the header, Excel dates,
  an optional e-mail column, a 5-level agreement scale, a 5-level satisfaction scale, comments holding
  personal data; 30 respondents.
* :func:`marks_csv_utf8_bom`: an online form (comma CSV, UTF-8 with BOM, « 2023/05/12 10:15:32 UTC+2 »
  timestamps) with a 0-10 mark; 25 respondents.
* :func:`multiple_choice_xlsx`: a Microsoft-Forms-style workbook (ID, start and end times, e-mail and
  name columns, options ended by « ; »), a 1-5 mark; 12 respondents.

Counts are spelled out below each builder; the tests do the arithmetic in comments.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from tests.conftest import make_workbook

SAT4 = ("Très satisfait", "Satisfait", "Peu satisfait", "Pas du tout satisfait")

# --- A: phone survey, ';' CSV in Windows-1252 -----------------------------------------------------
# Overall question: Très satisfait 5, Satisfait 7, Peu satisfait 4, Pas du tout satisfait 2,
# « Sans avis » 1, « Ne sait pas » 1, blank 2  → 22 respondents, 18 expressed, 12 satisfied.
PHONE_OVERALL = ([SAT4[0]] * 5 + [SAT4[1]] * 7 + [SAT4[2]] * 4 + [SAT4[3]] * 2 + ["Sans avis", "Ne sait pas", "", ""])
# Courtesy (graded yes/no): 8 + 6 satisfied, 3 + 2 not, « Non concerné » 1, blank 2 → 19 expressed, 14 satisfied.
PHONE_COURTESY = (["Oui, tout à fait"] * 8 + ["Oui, plutôt"] * 6 + ["Non, plutôt pas"] * 3 + ["Non, pas du tout"] * 2
                  + ["Non concerné", "", ""])
PHONE_AGES = ["Moins de 30 ans", "30 à 59 ans", "60 ans et plus"]
PHONE_OBJECTS = ["Titre de séjour", "Permis de conduire", "Carte grise"]
PHONE_REMARKS = {0: "Très bon accueil, merci à Mme Lefèvre", 3: "Rappelez-moi au 06 39 98 12 34 s'il vous plaît",
                 7: "Écrivez-moi à jean.dupont@example.org", 12: "Attente trop longue, réponse évasive"}


def phone_rows() -> list[list[str]]:
    rows = [["ID de la réponse", "Date de soumission", "Dernière page", "Langue de départ", "Objet de votre appel",
             "Tranche d'âge", "Globalement, êtes-vous satisfait(e) de l'échange téléphonique ?",
             "Votre interlocuteur était-il courtois ?", "Vos remarques"]]
    for i in range(22):
        day = dt.date(2022, 5, 2) + dt.timedelta(days=2 * i)
        rows.append([str(101 + i), f"{day:%d/%m/%Y} 1{i % 8}:{(7 * i) % 60:02d}", "4", "fr", PHONE_OBJECTS[i % 3],
                     PHONE_AGES[i % 3], PHONE_OVERALL[i], PHONE_COURTESY[i], PHONE_REMARKS.get(i, "")])
    return rows


def phone_csv_cp1252() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(phone_rows())
    return buffer.getvalue().encode("cp1252")


# --- B: reception hall, xlsx with a title row -------------------------------------------------------
# « La signalétique est claire » (agreement, 5 levels): 9, 11, 4, 3, 1 and « Sans avis » 2
#   → 28 expressed, 20 agree (« Tout à fait » + « Plutôt d'accord »).
ACCUEIL_SIGNS = (["Tout à fait d'accord"] * 9 + ["Plutôt d'accord"] * 11 + ["Ni d'accord ni pas d'accord"] * 4
                 + ["Plutôt pas d'accord"] * 3 + ["Pas du tout d'accord"] + ["Sans avis"] * 2)
# Overall (satisfaction, 5 levels): 10, 12, 3, 2, 1 and 2 blanks → 28 expressed, 22 satisfied.
ACCUEIL_OVERALL = (["Très satisfait"] * 10 + ["Satisfait"] * 12 + ["Ni satisfait ni insatisfait"] * 3
                   + ["Insatisfait"] * 2 + ["Très insatisfait"] + ["", ""])
# « Vous êtes-vous repéré(e) facilement ? »: 26 oui, 3 non, 1 blank → 26 / 29.
ACCUEIL_FOUND = ["Oui"] * 26 + ["Non"] * 3 + [""]
ACCUEIL_EMAILS = {2: "a.martin@example.org", 9: "b.durand@example.org", 20: "c.petit@example.org"}
ACCUEIL_SUGGESTIONS = {1: "Merci à Madame Durand pour son aide", 4: "Rappelez-moi au 06 39 98 12 34",
                       6: "J'habite 12 rue des Lilas 44000 Nantes, le courrier n'arrive pas",
                       8: "Mon dossier n° 2023-44-01234 est bloqué", 11: "Contact : jean.dupont@example.org",
                       15: "Plus de sièges dans la salle d'attente", 22: "Attente trop longue le lundi matin"}
ACCUEIL_PERSONAL = ("Durand", "06 39 98 12 34", "12 rue des Lilas", "2023-44-01234", "jean.dupont@example.org",
                    "a.martin@example.org", "b.durand@example.org", "c.petit@example.org")


def accueil_rows() -> list[list[object]]:
    rows: list[list[object]] = [["Enquête de satisfaction — accueil physique 2023"], [],
                                ["N°", "Date", "Mode de recueil", "Vous êtes-vous repéré(e) facilement ?",
                                 "La signalétique est claire", "Globalement, êtes-vous satisfait(e) de l'accueil ?",
                                 "Adresse e-mail (facultatif)", "Vos suggestions"]]
    for i in range(30):
        when = dt.datetime(2023, 3, 6, 9, 0) + dt.timedelta(days=i // 3, hours=i % 5)
        rows.append([i + 1, when, "Tablette" if i % 4 else "Site internet", ACCUEIL_FOUND[i], ACCUEIL_SIGNS[i],
                     ACCUEIL_OVERALL[i], ACCUEIL_EMAILS.get(i), ACCUEIL_SUGGESTIONS.get(i)])
    return rows


def accueil_xlsx_title_row() -> bytes:
    return make_workbook({"Réponses": accueil_rows()})


# --- C: 0-10 marks, comma CSV, UTF-8 with BOM --------------------------------------------------------
# Marks: 10×4, 9×3, 8×5, 7×3, 6×2, 5×3, 3×1, 0×1, « Ne sait pas » 1, blank 2 → 25 respondents,
# 22 expressed, 15 satisfied (marks 7 to 10).
MARKS = ["10"] * 4 + ["9"] * 3 + ["8"] * 5 + ["7"] * 3 + ["6"] * 2 + ["5"] * 3 + ["3", "0", "Ne sait pas", "", ""]


def marks_csv_utf8_bom() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=",", lineterminator="\r\n")
    writer.writerow(["Horodateur", "Sur une échelle de 0 à 10, quelle note donnez-vous à l'accueil du PAN ?",
                     "Aviez-vous pris rendez-vous ?", "Un commentaire ?"])
    for i, mark in enumerate(MARKS):
        writer.writerow([f"2023/0{5 + i % 3}/{1 + i:02d} 10:{i:02d}:32 UTC+2", mark, "Oui" if i % 5 else "Non",
                         "Merci, très bien" if i == 3 else ""])
    return buffer.getvalue().encode("utf-8-sig")


# --- D: multiple choice, Microsoft-Forms-style xlsx ---------------------------------------------------
DEMARCHES = ["Carte grise;Permis de conduire;", "Carte grise;", "Passeport;Carte grise;", "Permis de conduire;",
             "Carte grise;Titre de séjour;", "Passeport;", "Carte grise;Permis de conduire;Passeport;", "Carte grise;",
             "Titre de séjour;", "Permis de conduire;", "Carte grise;", ""]
# options ticked: Carte grise 7, Permis de conduire 4, Passeport 3, Titre de séjour 2 (11 answered)
NOTES_1_5 = ["5", "5", "4", "4", "4", "3", "2", "5", "4", "1", "3", "5"]  # 8 of 12 give 4 or 5


def multiple_choice_xlsx() -> bytes:
    rows: list[list[object]] = [["ID", "Heure de début", "Heure de fin", "Adresse de messagerie", "Nom",
                                 "Quelle(s) démarche(s) avez-vous faites ?", "Notez l'aide reçue de 1 à 5"]]
    for i in range(12):
        start = dt.datetime(2024, 2, 1 + i, 14, 0)
        rows.append([i + 1, start, start + dt.timedelta(minutes=3), "anonymous", "", DEMARCHES[i], int(NOTES_1_5[i])])
    return make_workbook({"Form1": rows})
