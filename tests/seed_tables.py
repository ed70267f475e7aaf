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
