"""Masking personal data in free text (survey comments, mystery-check notes).

Users write their e-mail address, phone number, name, address or file number into comments
("rappelez-moi au 06 …", "je suis Mme Durand, dossier n° …"). The users' committee (CLU), the
public and anyone but an administrator must never read them: every view outside the admin one
and **every export** goes through :func:`mask_personal_data`.

The patterns favour masking too much over too little: a number of eight digits or more is taken
for an identifier whatever it is, and the word following a civility (Monsieur, Mme…) is taken for
a name unless it is an article ("Madame la Préfète" stays). Each kind is replaced by a bracketed
French word, so a reader still understands the comment ("rappelez-moi au [téléphone masqué]").
"""

from __future__ import annotations

import re

EMAIL = "[courriel masqué]"
PHONE = "[téléphone masqué]"
NAME = "[nom masqué]"
ADDRESS = "[adresse masquée]"
FILE_NUMBER = "[n° masqué]"
PLATE = "[immatriculation masquée]"
NUMBER = "[numéro masqué]"
IBAN = "[IBAN masqué]"

_UPPER = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ"
_LETTER = "A-Za-zÀ-ÖØ-öø-ÿŒœ"

_EMAIL_RE = re.compile(r"[\w.+\-']+\s?(?:@|\(at\)|\[at\])\s?[\w\-]+(?:\.[\w\-]+)+", re.IGNORECASE)
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
# French numbers: 06 12 34 56 78, 06.12.34.56.78, 0612345678, +33 6 12 34 56 78, +33 (0)6…, 0033 6…
_PHONE_FR_RE = re.compile(r"(?<![\w+])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0)[1-9](?:[\s.\-/]?\d{2}){4}(?!\d)")
# Other international numbers: + country code then 6 to 12 digits, possibly grouped
_PHONE_INTL_RE = re.compile(r"(?<![\w+])\+\s?\d{1,3}(?:[\s.\-]?\(?\d{1,4}\)?){2,6}(?!\d)")
# "dossier n° 2023-44-01234", "n° de dossier : AB12345", "numéro étranger 4401234567", "réf. 12345/2023"
_FILE_RE = re.compile(
    r"(?:\b(?:n°|n º|no|nº|num(?:éro|ero)?\.?|réf(?:érence)?\.?|ref(?:erence)?\.?)\s*"
    r"(?:(?:de|du|d')\s*)?(?:(?:mon|ma|notre|son|sa)\s+)?"
    r"(?:dossier|demande|étranger|etranger|agdref|titre|récépissé|recepisse|ants|usager|client|allocataire|"
    r"sécurité sociale|securite sociale|permis|passeport|carte|ticket|convocation|rendez-vous|rdv)?\s*[:#]?\s*"
    r"|\b(?:dossier|demande|récépissé|recepisse|agdref|ticket|convocation)\s*(?:n°|nº|no|numéro|numero)?\s*[:#]?\s*)"
    r"(?=[A-Za-z0-9\-/]*\d)[A-Za-z0-9][A-Za-z0-9\-/.]{3,}[A-Za-z0-9]",
    re.IGNORECASE,
)
# Vehicle registrations: AB-123-CD (SIV, since 2009) and 1234 AB 44 (FNI, before)
_PLATE_SIV_RE = re.compile(r"\b[A-HJ-NP-TV-Z]{2}[\s\-]?\d{3}[\s\-]?[A-HJ-NP-TV-Z]{2}\b")
_PLATE_FNI_RE = re.compile(r"\b\d{1,4}[\s\-]?[A-HJ-NP-Z]{1,3}[\s\-]?(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])\b")
_LONG_NUMBER_RE = re.compile(r"(?<![\w])\d(?:[\s.\-/]?\d){7,}(?![\w])")
_STREET = (r"rue|avenue|av\.|bd|boulevard|bld|allée|allee|impasse|imp\.|chemin|ch\.|place|pl\.|quai|route|rte|cours|"
           r"square|résidence|residence|lotissement|lieu-dit|lieu dit|voie|passage|faubourg|fbg|rond-point|hameau|"
           r"sentier|esplanade|parvis|promenade|mail|cité|cite|villa|clos|domaine")
_ADDRESS_RE = re.compile(
    rf"\b\d{{1,4}}\s?(?i:bis|ter|quater|[a-d])?\s*,?\s+(?i:{_STREET})\b[^,.;:!?\n()]{{0,60}}"
    rf"(?:,?\s*\d{{5}}\s+[{_UPPER}][{_LETTER}\-']+(?:[\s\-][{_UPPER}][{_LETTER}\-']+)*)?"
)
_POSTCODE_CITY_RE = re.compile(rf"\b(?:0[1-9]|[1-8]\d|9[0-8])\d{{3}}\s+[{_UPPER}][{_LETTER}\-']+(?:[\s\-][{_UPPER}][{_LETTER}\-']+)*")
_CIVILITY = (r"monsieur|madame|mademoiselle|messieurs|mesdames|maître|maitre|docteur|"
             r"m\.|mme\.?|mmes\.?|mlle\.?|mr\.?|me\.?|dr\.?|mm\.")
_NAME_TOKEN = rf"(?:[{_UPPER}][{_LETTER}'’\-]*|[{_UPPER}]\.)"
# articles and titles after a civility: "Madame la Préfète", "M. le sous-préfet" are not names
_NOT_A_NAME = {"le", "la", "les", "l", "l'", "l’", "du", "de", "des", "d", "un", "une", "votre", "vos", "notre",
               "mon", "ma", "son", "sa", "ce", "cet", "cette", "qui", "que", "et", "ou", "à", "a", "au", "aux",
               "est", "était", "etait", "très", "tres", "si", "pour", "avec", "sans", "dans", "sur", "en",
               "préfet", "prefet", "préfète", "prefete", "sous-préfet", "sous-prefet", "sous-préfète",
               "secrétaire", "secretaire", "directeur", "directrice", "maire", "président", "presidente",
               "présidente", "president", "agent", "agente", "usager", "usagère"}
_SELF_NAME_RE = re.compile(
    rf"(?P<lead>\b(?i:je m'appelle|je m’appelle|mon nom est|mon nom :|nom\s*:|signé)(?:\s*:)?\s+)"
    rf"(?P<name>{_NAME_TOKEN}(?:[\s\-]+{_NAME_TOKEN}){{0,2}}|[{_LETTER}'’\-]+)"
)
_DATE_RE = re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}")


def _mask_names_after_civility(text: str) -> str:
    """The one or two words following a civility, unless they are an article or a title."""
    out: list[str] = []
    pos = 0
    for match in re.finditer(rf"(?<![\w])(?:{_CIVILITY})(?=\s)", text, re.IGNORECASE):
        if match.start() < pos:
            continue
        rest_start = match.end()
        rest = text[rest_start:]
        lead = len(rest) - len(rest.lstrip())
        words = re.match(rf"(?P<first>[{_LETTER}'’\-\.]+)(?P<more>(?:[\s\-]+{_NAME_TOKEN}){{0,2}})", rest[lead:])
        if not words:
            continue
        first = words.group("first")
        if first.lower().rstrip(".") in _NOT_A_NAME or first.startswith("["):
            continue
        if first[0].islower() and first.lower() in _NOT_A_NAME:
            continue
        end = rest_start + lead + words.end("first")
        if first[0].isupper() or first.isupper():
            end = rest_start + lead + words.end("more")  # "Mme Marie DURAND": the following capitalised words too
        out.append(text[pos:rest_start + lead])
        out.append(NAME)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def mask_personal_data(text: object) -> str:
    """The text with e-mail addresses, phone numbers, names after a civility, postal addresses,
    file and registration numbers (and any run of 8 digits or more) replaced by ``[… masqué]``.

    Idempotent: masking masked text changes nothing. ``None`` and NaN give "".
    """
    if text is None:
        return ""
    if isinstance(text, float) and text != text:  # NaN
        return ""
    s = str(text)
    if not s.strip():
        return s
    s = _EMAIL_RE.sub(EMAIL, s)
    s = _IBAN_RE.sub(IBAN, s)
    s = _PHONE_FR_RE.sub(PHONE, s)
    s = _PHONE_INTL_RE.sub(PHONE, s)
    s = _FILE_RE.sub(lambda m: _keep_lead(m, FILE_NUMBER), s)
    s = _PLATE_SIV_RE.sub(PLATE, s)
    s = _PLATE_FNI_RE.sub(PLATE, s)
    s = _ADDRESS_RE.sub(ADDRESS, s)
    s = _POSTCODE_CITY_RE.sub(ADDRESS, s)
    s = _LONG_NUMBER_RE.sub(lambda m: m.group(0) if _DATE_RE.fullmatch(m.group(0)) else NUMBER, s)
    s = _SELF_NAME_RE.sub(lambda m: m.group("lead") + NAME, s)
    s = _mask_names_after_civility(s)
    return s


def _keep_lead(match: re.Match[str], token: str) -> str:
    """"dossier n° 2023-01234" → "dossier n° [n° masqué]": the words stay, the number goes."""
    whole = match.group(0)
    number = re.search(r"[A-Za-z0-9][A-Za-z0-9\-/.]{3,}[A-Za-z0-9]$", whole)
    if number is None:
        return token
    return whole[:number.start()] + token


def contains_personal_data(text: object) -> bool:
    """True when masking would change the text."""
    if text is None:
        return False
    return mask_personal_data(text) != str(text)


def mask_all(values: list[str]) -> list[str]:
    return [mask_personal_data(v) for v in values]
