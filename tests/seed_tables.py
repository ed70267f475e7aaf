"""Tables of Loire-Atlantique's Bilan annuel 2022 (seed 003), laid out as in the document."""

from __future__ import annotations

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "sept.", "octobre"]

# "LES COURRIELS (MODULE 1)": the prefecture@ mailbox, month by month (its own row labels)
EMAIL_MONTHLY = [
    ["", *MONTHS, "Total"],
    ["Nombre de réponses en direct à l'utilisateur", 22, 21, 23, 73, 173, 178, 72, 97, 64, 63, 786],
    ["Nombre de réponses dans les délais", 22, 21, 23, 73, 156, 157, 53, 87, 64, 63, 719],
    ["Délai moyen de réponse", 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 2],
    ["Taux de réponse dans le délai de 5 jours ouvrés", "100 %", "100 %", "100 %", "100 %", "90 %", "88 %", "74 %",
     "90 %", "100 %", "100 %", "94 %"],
    ["Nombre de messages reçus", "n.c", "n.c", "n.c", 573, 523, 607, 477, 464, 598, 553, 3795],
]

# "Les boîtes fonctionnelles": one column per mailbox (périmètre), the year as a whole
EMAIL_MAILBOXES = [
    ["", "PC", "Élect.", "RG", "Étrang.", "Natu.", "CM", "Coord."],
    ["Nombre de demandes", 213, 69, 13, 307, 112, 27, 18],
    ["Nombre de réponses dans les délais", 189, 69, 13, 307, 112, 27, 15],
    ["Délai moyen de réponse (en jours)", 3, 1, 1, 18, 2, 1, 3],
    ["Taux de réponse dans le délai de 5 jours", "89 %", "100 %", "100 %", "100 %", "100 %", "100 %", "83 %"],
]

# "LES COURRIELS (MODULE 4)": one column per indicator (légalité / budgétaire), with a Total
EMAIL_MODULE4 = [
    ["", "Contrôle de légalité", "Contrôle budgétaire", "Total"],
    ["Nombre de courriels reçus", 604, 120, 724],
    ["Nombre de réponses dans les délais", 467, 110, 616],
    ["Taux de réponse dans le délai de 5 jours ouvrés", "77%", "92%", "79%"],
]

# "LES COURRIERS (MODULE 4)"
LETTERS_MODULE4 = [
    ["", "Contrôle de légalité", "Contrôle budgétaire", "Total, taux"],
    ["Nombre de courriers reçus", 18, 8, 26],
    ["Nombre de réponses dans les délais", 12, 6, 18],
    ["Taux de réponse dans le délai de 15 jours ouvrés", "67 %", "75 %", "69 %"],
]

# "LES COURRIERS (MODULE 1)": a single column of figures for the year
LETTERS_MODULE1 = [
    ["", "2022"],
    ["Nombre de courriers échantillonnés", 101],
    ["Nombre de réponses dans les délais", 97],
    ["Nombre de réponses hors délai ou sans délai", 4],
    ["Délai moyen de réponse (jours)", 6],
    ["Taux de réponse dans le délai de 10 jours ouvrés", "96 %"],
]


def titled(title: str, table: list[list[object]]) -> list[list[object]]:
    """The table under a title row and a blank row, as a service's sheet usually starts."""
    return [[title], [], *table]


# --- Layouts as services send them (Loire-Atlantique's Bilan 2022: the switchboard is counted from
# November 2021 to September 2022, "48 % d'appels aboutis entre nov. 21 et sept. 22") -----------------

PHONE_MONTHS = ["novembre", "décembre", "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                "septembre"]
PHONE_RECEIVED = [48_100, 45_300, 52_400, 50_200, 53_900, 47_800, 49_600, 51_200, 46_300, 42_900, 53_500]
PHONE_LOST = [24_700, 22_900, 28_100, 26_900, 28_300, 24_400, 25_500, 26_800, 23_600, 21_800, 28_200]

#: The switchboard's tracking sheet: month columns running November → September.
PHONE_NOV_SEP = [
    ["", *PHONE_MONTHS, "Total"],
    ["Nombre d'appels reçus", *PHONE_RECEIVED, sum(PHONE_RECEIVED)],
    ["Appels perdus (raccrochés sans réponse)", *PHONE_LOST, sum(PHONE_LOST)],
]

#: The same figures turned: one row per month, counts across, a Total row.
PHONE_BY_ROW = [
    ["Mois", "Nombre d'appels reçus", "Appels perdus"],
    *([m, r, lost] for m, r, lost in zip(PHONE_MONTHS, PHONE_RECEIVED, PHONE_LOST, strict=True)),
    ["Total", sum(PHONE_RECEIVED), sum(PHONE_LOST)],
]

#: "Nos indicateurs": results and targets only, no counts (the bilan's summary table).
RESULTS_ONLY = [
    ["Engagement", "Indicateurs", "Résultats annuels", "Cible"],
    ["Accueil téléphonique", "Taux d'appels aboutis au standard", "48 %", "90 %"],
    ["À votre écoute", "Taux de réponse aux suggestions et réclamations dans les délais", "98 %", "100 %"],
    ["Courriers", "Taux de réponse aux courriers de demandes d'informations (délai > 10 j.)", "96 %", "90 %"],
    ["Courriels", "Taux de réponses aux courriels de demande d'informations (délai > 5 j.)", "94 %", "90 %"],
    ["Site Internet et réseaux sociaux", "Taux de mise à jour du site internet dans le délai de 3 jours ouvrés", "98 %",
     "90 %"],
]
