"""The name a périmètre goes by in public documents (CLU deck, poster, Services Publics+ file).

Why a rule of its own: périmètre names come from the files services send — their shorthand
(« PC », « Coord. », « Étrang. ») or a log's free "Service" column, which may hold a person's name
(« Bureau de M. Dupont »). Internal documents keep those names; public ones must show what a user
understands and nothing a file slipped in. So:

* a périmètre whose public name is set (Paramètres, or ``perimetre set-public``) shows it;
* otherwise its own name is shown only when it reads as a full name: no abbreviation (a word
  ending in "." or an all-capitals word of four letters at most) and nothing
  :func:`qep_core.privacy.mask_personal_data` would mask (a civility and a name, an address, a
  number). Erring on the side of hiding: a real full name the rule refuses only needs its
  public name typed once;
* anything else has no public name (``None``): public documents pool it with the other unnamed or
  small périmètres, and the Paramètres page flags it « nom public à renseigner ».
"""

from __future__ import annotations

import re

from qep_core.privacy import contains_personal_data, mask_personal_data

__all__ = ["MISSING_PUBLIC_NAME", "clean_public_name", "looks_like_full_name", "public_name", "public_name_problem"]

#: What the Paramètres page says of a périmètre that public documents cannot name.
MISSING_PUBLIC_NAME = "nom public à renseigner"

_ABBREVIATED_WORD = re.compile(r"\S\.(?=\s|$)|(?<!\S)[A-ZÀ-Ý]{1,4}(?=\s|$)")


def clean_public_name(text: object) -> str | None:
    """A typed public name with its blanks collapsed; None for an empty one (not set)."""
    if text is None or (isinstance(text, float) and text != text):  # NaN from a grid's empty cell
        return None
    cleaned = " ".join(str(text).split())
    return cleaned or None


def public_name_problem(text: str | None) -> str | None:
    """Why a typed public name cannot be kept, in French (None when it can): a public name is
    published as typed, so it may hold no personal data and must fit the column."""
    if text is None:
        return None
    if len(text) > 200:
        return f"nom public « {text[:40]}… » : 200 caractères au plus"
    if contains_personal_data(text):
        return (f"nom public « {mask_personal_data(text)} » : il contiendrait des données personnelles (nom de "
                "personne, adresse, numéro) ; donnez le nom du service")
    return None


def looks_like_full_name(name: str) -> bool:
    """Can *name* be shown to the public as it is? (see the module's docstring)"""
    cleaned = " ".join(name.split())
    if not cleaned or _ABBREVIATED_WORD.search(cleaned):
        return False
    return mask_personal_data(cleaned) == cleaned


def public_name(name: str, public: str | None) -> str | None:
    """The public name of a périmètre called *name* whose public name is *public* (None: not
    set); None when public documents must not name it."""
    chosen = clean_public_name(public)
    if chosen is not None:
        return chosen
    return name if looks_like_full_name(name) else None
