"""The words of the pilotage: codes stored in the database, French labels shown to people, and
the spellings found in the préfectures' own spreadsheets.

Codes are ASCII and stable (a label can be reworded without touching stored rows); every
reader of a file goes through :func:`lookup`, which compares normalised text (case, accents
and punctuation do not matter) against the label and its known variants.
"""

from __future__ import annotations

from qep_core.frenchforms import normalize

# ------------------------------------------------------------------ action plan

A_FAIRE, EN_COURS, FAIT, ABANDONNE = "a_faire", "en_cours", "fait", "abandonne"
STATUSES = {A_FAIRE: "À faire", EN_COURS: "En cours", FAIT: "Fait", ABANDONNE: "Abandonné"}
STATUS_VARIANTS = {
    A_FAIRE: ("a faire", "non fait", "non faite", "pas fait", "non commence", "non commencee", "a lancer", "prevu",
              "prevue", "a realiser", "todo"),
    EN_COURS: ("en cours", "commence", "commencee", "en cours de realisation", "partiellement fait", "partiel"),
    FAIT: ("fait", "faite", "realise", "realisee", "termine", "terminee", "acheve", "achevee", "clos", "close",
           "soldee", "solde"),
    ABANDONNE: ("abandonne", "abandonnee", "annule", "annulee", "sans suite", "abandon"),
}
OPEN_STATUSES = (A_FAIRE, EN_COURS)
CLOSED_STATUSES = (FAIT, ABANDONNE)

SOURCES = {
    "auto_diagnostic": "Auto-diagnostic",
    "audit_interne": "Audit interne",
    "audit_externe": "Audit externe",
    "enquete_satisfaction": "Enquête de satisfaction",
    "enquete_mystere": "Enquête mystère",
    "reclamation": "Réclamation",
    "agents": "Agents",
    "clu": "CLU",
    "copil": "COPIL (revue trimestrielle)",
}
SOURCE_VARIANTS = {
    "auto_diagnostic": ("autodiagnostic", "auto diagnostic", "auto evaluation", "autoevaluation", "auto-evaluation"),
    "audit_interne": ("audit interne", "audit blanc"),
    "audit_externe": ("audit externe", "audit de certification", "audit de suivi", "audit de labellisation",
                      "audit initial", "audit de renouvellement"),
    "enquete_satisfaction": ("enquete de satisfaction", "enquete satisfaction", "enquetes de satisfaction",
                             "satisfaction"),
    "enquete_mystere": ("enquete mystere", "enquetes mysteres", "appel mystere", "appels mysteres",
                        "courriel mystere", "visite mystere"),
    "reclamation": ("reclamation", "reclamations", "suggestion", "suggestions", "suggestions et reclamations",
                    "reclamations et suggestions"),
    "agents": ("agents", "agent", "remontee des agents", "remontees des agents", "personnel", "collaborateurs"),
    "clu": ("clu", "comite local des usagers", "comite des usagers"),
    "copil": ("copil", "comite de pilotage", "revue trimestrielle", "revue de direction"),
}

# ------------------------------------------------------------------ audits

AUDIT_KINDS = {"initial": "Initial", "suivi": "Suivi", "renouvellement": "Renouvellement", "interne": "Interne",
               "externe": "Externe"}
AUDIT_KIND_VARIANTS = {
    "initial": ("audit initial", "labellisation", "initial"),
    "suivi": ("audit de suivi", "de suivi", "suivi"),
    "renouvellement": ("audit de renouvellement", "de renouvellement", "renouvellement"),
    "interne": ("audit interne", "interne", "audit blanc", "auto evaluation"),
    "externe": ("audit externe", "externe"),
}
# An internal audit answers with actions of source "audit interne"; the certification body's
# audits (initial, follow-up, renewal, or any other external one) with "audit externe".
AUDIT_ACTION_SOURCE = {"initial": "audit_externe", "suivi": "audit_externe", "renouvellement": "audit_externe",
                       "interne": "audit_interne", "externe": "audit_externe"}

C, NA, NC_MAJEURE, NC_MINEURE = "C", "NA", "NC_MAJ", "NC_MIN"
CONFORMITIES = {C: "C", NA: "NA", NC_MAJEURE: "NC majeure", NC_MINEURE: "NC mineure"}
CONFORMITY_TITLES = {C: "Conforme", NA: "Non applicable", NC_MAJEURE: "Non-conformité majeure",
                     NC_MINEURE: "Non-conformité mineure"}
CONFORMITY_VARIANTS = {
    C: ("c", "conforme", "conformite", "ok"),
    NA: ("na", "n a", "non applicable", "sans objet", "so"),
    NC_MAJEURE: ("nc maj", "nc majeure", "ncmaj", "nc ma", "non conformite majeure", "non conforme majeure",
                 "ecart majeur"),
    NC_MINEURE: ("nc min", "nc mineure", "ncmin", "nc mi", "non conformite mineure", "non conforme mineure",
                 "ecart mineur"),
}
# When one engagement is assessed twice in a report (on site, then remotely), the finding keeps
# the most serious: a non-conformity outweighs a conformity, which outweighs "not applicable"
# (an engagement found conform somewhere does apply).
CONFORMITY_SEVERITY = {NA: 0, C: 1, NC_MINEURE: 2, NC_MAJEURE: 3}
NON_CONFORMITIES = (NC_MAJEURE, NC_MINEURE)

PF, PS, PP = "PF", "PS", "PP"
REMARK_KINDS = {PF: "Point fort", PS: "Point sensible", PP: "Piste de progrès"}
#: The same in lower case for « 2 points forts »: counts agree (qep_core.frenchforms.count_text).
REMARK_KINDS_COUNTED = {PF: ("point fort", "points forts"), PS: ("point sensible", "points sensibles"),
                        PP: ("piste de progrès", "pistes de progrès")}
ACTIONABLE_REMARKS = (PS, PP)  # a strong point needs no action

# ------------------------------------------------------------------ trainings

ROLES = {
    "accueil_physique": "Accueil physique",
    "accueil_telephonique": "Accueil téléphonique",
    "site_reseaux": "Site internet et réseaux sociaux",
    "courrier": "Courriers et courriels",
    "rq": "Référent(e) qualité",
    "fraude": "Lutte contre la fraude",
}
ROLE_VARIANTS = {
    "accueil_physique": ("accueil", "accueil physique", "accueil general", "guichet", "accueil du public"),
    "accueil_telephonique": ("telephone", "accueil telephonique", "standard", "standard telephonique",
                             "telephonique"),
    "site_reseaux": ("site internet", "site internet et reseaux sociaux", "site internet reseaux sociaux",
                     "reseaux sociaux", "webmestre", "site", "internet", "communication"),
    "courrier": ("courrier", "courriers", "courriel", "courriels", "courriers et courriels", "bureau du courrier"),
    "rq": ("rq", "referent qualite", "referente qualite", "referent e qualite", "qualite"),
    "fraude": ("fraude", "lutte contre la fraude", "cert", "fraude documentaire", "cellule fraude"),
}
# The engagements a role's training serves (shown in the engagement's dossier). Training as a
# whole also serves engagement 4 ("Nous formons nos agents…") and pilotage 3 (Formation du personnel).
ROLE_CHANNELS = {
    "accueil_physique": ("accueil",),
    "accueil_telephonique": ("telephone",),
    "site_reseaux": ("internet", "reseaux"),
    "courrier": ("courrier",),
    "rq": ("pilotage",),
    "fraude": ("titres",),
}
TRAINING_ENGAGEMENTS = ("E4", "PIL3")

A_JOUR, A_FORMER, EN_RETARD = "a_jour", "a_former", "en_retard"
COMPLIANCE = {A_JOUR: "à jour", A_FORMER: "à former", EN_RETARD: "en retard"}


def _index(labels: dict[str, str], variants: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for code, label in labels.items():
        for text in (code, label, *variants.get(code, ())):
            index.setdefault(normalize(text.replace("_", " ")), code)
    return index


_INDEXES = {
    "status": _index(STATUSES, STATUS_VARIANTS),
    "source": _index(SOURCES, SOURCE_VARIANTS),
    "audit_kind": _index(AUDIT_KINDS, AUDIT_KIND_VARIANTS),
    "conformity": _index(CONFORMITIES, CONFORMITY_VARIANTS),
    "role": _index(ROLES, ROLE_VARIANTS),
}


def lookup(kind: str, text: object) -> str | None:
    """The code a spreadsheet's word stands for (``Non fait`` → ``a_faire``), or None."""
    key = normalize(text)
    return _INDEXES[kind].get(key) if key else None


def choices(kind: str) -> str:
    """The accepted words, for an error message: « À faire », « En cours »…"""
    labels = {"status": STATUSES, "source": SOURCES, "audit_kind": AUDIT_KINDS, "conformity": CONFORMITIES,
              "role": ROLES}[kind]
    return ", ".join(f"« {label} »" for label in labels.values())
