"""The channels a survey or a mystery check is about, and where they sit in the référentiel."""

from __future__ import annotations

from qep_core.frenchforms import normalize

# code → French label, in the order the page lists them
SURVEY_CHANNELS: dict[str, str] = {
    "accueil": "Accueil physique",
    "telephone": "Accueil téléphonique",
    "courrier": "Courriers et courriels",
    "internet": "Site internet",
    "pan": "Point d'accueil numérique",
    "collectivites": "Collectivités territoriales",
    "autre": "Autre",
}

# The catalogue indicator a channel's overall satisfaction feeds by default (the user may choose
# another survey-rate indicator, e.g. one the préfecture defined; the choice is remembered).
DEFAULT_INDICATOR = {"accueil": "ACCUEIL_SATISFACTION", "pan": "PAN_SATISFACTION"}

# Survey channel → the référentiel channel whose engagements it evidences (engagement pages).
# The digital help point has its own engagement (E15), reached through PAN_SATISFACTION.
REFERENTIEL_CHANNEL = {"accueil": "accueil", "telephone": "telephone", "courrier": "courrier",
                       "internet": "internet", "collectivites": "collectivites"}
# Engagements that every survey evidences: "À votre écoute pour progresser" asks for surveys.
LISTENING_ENGAGEMENTS = ("E3",)

# Words in a title, file or sheet name that tell the channel (normalized, whole words)
CHANNEL_WORDS: dict[str, tuple[str, ...]] = {
    "pan": ("pan", "point d accueil numerique", "point numerique", "accueil numerique", "mediateur numerique"),
    "telephone": ("telephone", "telephonique", "standard", "appel", "appels"),
    "courrier": ("courrier", "courriers", "courriel", "courriels", "mail", "mails"),
    "internet": ("site internet", "site web", "internet"),
    "collectivites": ("collectivites", "collectivite", "elus", "communes", "controle de legalite"),
    "accueil": ("accueil physique", "accueil du public", "hall", "guichet", "accueil"),
}

# Mystery checks: code → label
MYSTERY_CHANNELS: dict[str, str] = {
    "appel": "Appels mystères",
    "courriel": "Courriels mystères",
    "visite": "Visites mystères",
}
MYSTERY_WORDS: dict[str, tuple[str, ...]] = {
    "appel": ("appel", "appels", "telephone", "telephonique", "standard"),
    "courriel": ("courriel", "courriels", "mail", "mails", "e mail", "messagerie"),
    "visite": ("visite", "visites", "accueil", "guichet"),
}
MYSTERY_REFERENTIEL_CHANNEL = {"appel": "telephone", "courriel": "courrier", "visite": "accueil"}


def _guess(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    words = f" {normalize(text)} "
    for code, phrases in table.items():
        if any(f" {p} " in words for p in phrases):
            return code
    return None


def guess_channel(*texts: str) -> str | None:
    """A survey channel named in a title, a file or a sheet name (the first text that names one)."""
    for text in texts:
        found = _guess(text or "", CHANNEL_WORDS)
        if found:
            return found
    return None


def guess_mystery_channel(*texts: str) -> str | None:
    for text in texts:
        found = _guess(text or "", MYSTERY_WORDS)
        if found:
            return found
    return None


def channel_label(code: str) -> str:
    return SURVEY_CHANNELS.get(code, code)


def parse_channel(text: str) -> str:
    """A channel code from what a user typed (``accueil``, ``PAN``, ``téléphone``…); ValueError otherwise."""
    key = normalize(text).replace(" ", "")
    for code, label in SURVEY_CHANNELS.items():
        if key in (code, normalize(label).replace(" ", "")):
            return code
    guessed = guess_channel(text)
    if guessed:
        return guessed
    choices = ", ".join(SURVEY_CHANNELS)
    raise ValueError(f"canal inconnu : « {text} » (attendu : {choices})")
