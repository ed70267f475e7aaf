"""Services Publics+ settings: who the préfecture is in the national data set, and the national
code of each of its indicators.

The DITP's « Résultats de qualité des services publics » data set has nine mandatory fields
(FIELD-NOTES, « Services Publics+ open data »). Five of them describe the structure; the
application knows only its title (the préfecture's name), so the other four are settings here:
its SP+ code, its typology (« Préfecture », « Sous-préfecture »…), postal code and city. One more,
« Code SP+ de l'indicateur », names the national indicator (``IND-27`` in the published data): no
document of the référentiel says which national indicator a Qual-e-Pref indicator is, so the
correspondence is the préfecture's to state (:data:`DEFAULT_SP_CODES` is empty on purpose), and an
indicator without one is left out of the file rather than published under an invented code.

Every check gives French reasons (:class:`SpPlusError`, all of them at once, nothing written);
the services (:mod:`qep_core.services.sp_plus`) check rights and write the history.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from qep_core.models import local_time, utcnow
from qep_core.referentiel import FREQUENCY_LABELS, indicators_for
from qep_core.sp_plus_models import SpPlusIndicator, SpPlusStructure

#: National indicator codes of the référentiel's indicators, where a source gives one. None does
#: today (neither FIELD-NOTES nor the seeds pair a Qual-e-Pref indicator with an ``IND-nn``): a
#: code is added here only with its source, never guessed from a title.
DEFAULT_SP_CODES: dict[str, str] = {}

#: Typologies offered first (the field takes any title: the national list is not in our sources).
TYPOLOGIES = ("Préfecture", "Sous-préfecture")

SP_CODE = re.compile(r"IND-\d+")  # the published data's form (FIELD-NOTES: « IND-27 »)
# Five digits of a French postal code: 01–95 metropolitan (20xxx in Corsica: the département
# codes 2A and 2B are not in postal codes), 97x overseas départements, 98x overseas collectivities.
POSTAL_CODE = re.compile(r"(?:0[1-9]|[1-8]\d|9[0-8])\d{3}")
LIMITS = {"code": 40, "typology": 80, "city": 120}
FIELD_NAMES = {"code": "code SP+ de la structure", "typology": "intitulé de la typologie",
               "postal_code": "code postal", "city": "ville"}
MISSING = {"code": "code SP+ de la structure manquant", "typology": "intitulé de la typologie manquant",
           "postal_code": "code postal manquant", "city": "ville manquante"}
MISSING_STRUCTURE = ("les paramètres Services Publics+ de la structure ne sont pas renseignés (code SP+, typologie, "
                     "code postal et ville) : renseignez-les dans Paramètres › Services Publics+ (ou par "
                     "python -m qep_core sp-plus set)")


class SpPlusError(ValueError):
    """One or more reasons, in French, why nothing was written."""

    def __init__(self, errors: str | Sequence[str]):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__(" ; ".join(self.errors))


@dataclass(frozen=True)
class Structure:
    """The structure's four settings, as the pages and the command line show them."""

    code: str
    typology: str
    postal_code: str
    city: str
    updated_by: str = ""
    updated_at: dt.datetime | None = None  # Paris time

    def as_history(self) -> dict[str, str]:
        return {"code SP+": self.code, "typologie": self.typology, "code postal": self.postal_code, "ville": self.city}


@dataclass(frozen=True)
class CodeLine:
    """One of the préfecture's indicators and its national code (None: left out of the file)."""

    indicator_code: str
    label: str
    module_code: str
    frequency: str  # how it is followed, in French (mensuel, trimestriel, annuel)
    sp_code: str | None
    source: str  # "référentiel", "préfecture" or "" (no code)


def clean(value: object) -> str:
    """A form's or a grid's text on one line, spaces squeezed (None and NaN are empty)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return " ".join(str(value).split())


def check_structure(code: object, typology: object, postal_code: object, city: object) -> Structure:
    """The four settings cleaned, or :class:`SpPlusError` with every reason."""
    values = {"code": clean(code), "typology": clean(typology), "postal_code": clean(postal_code).replace(" ", ""),
              "city": clean(city)}
    errors = [MISSING[k] for k, v in values.items() if not v]
    for key, most in LIMITS.items():
        if len(values[key]) > most:
            errors.append(f"{FIELD_NAMES[key]} trop long ({len(values[key])} caractères, {most} au plus)")
    postal = values["postal_code"]
    if postal and not POSTAL_CODE.fullmatch(postal):
        errors.append(f"code postal « {postal} » invalide : cinq chiffres, p. ex. 44000, 20000 en Corse, "
                      "97400 à La Réunion")
    if errors:
        raise SpPlusError(errors)
    return Structure(values["code"], values["typology"], postal, values["city"])


def structure_of(session: Session, prefecture_id: int) -> Structure | None:
    row = session.get(SpPlusStructure, prefecture_id)
    if row is None:
        return None
    return Structure(row.code, row.typology, row.postal_code, row.city, row.updated_by, local_time(row.updated_at))


def save_structure(session: Session, prefecture_id: int, structure: Structure, user: str) -> Structure | None:
    """Store the (checked) settings; returns the previous ones (None the first time)."""
    before = structure_of(session, prefecture_id)
    row = session.get(SpPlusStructure, prefecture_id) or SpPlusStructure(prefecture_id=prefecture_id, code="",
                                                                          typology="", postal_code="", city="")
    row.code, row.typology, row.postal_code, row.city = (structure.code, structure.typology, structure.postal_code,
                                                         structure.city)
    row.updated_by, row.updated_at = user, utcnow()
    session.add(row)
    session.flush()
    return before


def normalise_code(value: object) -> str | None:
    """``ind-27 `` → ``IND-27``; empty → None (no code). The form is checked by :func:`check_codes`."""
    text = clean(value).upper().replace(" ", "")
    return text or None


def effective_codes(session: Session, prefecture_id: int) -> dict[str, str]:
    """Indicator code → national code, the préfecture's rows over the référentiel's defaults."""
    codes = dict(DEFAULT_SP_CODES)
    for row in session.exec(select(SpPlusIndicator).where(SpPlusIndicator.prefecture_id == prefecture_id)):
        if row.sp_code is None:
            codes.pop(row.indicator_code, None)
        else:
            codes[row.indicator_code] = row.sp_code
    return codes


def code_lines(session: Session, prefecture_id: int) -> list[CodeLine]:
    """Every indicator of the préfecture with its national code, in catalogue order."""
    own = {r.indicator_code for r in session.exec(select(SpPlusIndicator)
                                                  .where(SpPlusIndicator.prefecture_id == prefecture_id))}
    codes = effective_codes(session, prefecture_id)
    lines = []
    for ind in indicators_for(session, prefecture_id):
        code = codes.get(ind.code)
        source = "" if code is None else "préfecture" if ind.code in own else "référentiel"
        lines.append(CodeLine(ind.code, ind.label, ind.module_code, FREQUENCY_LABELS.get(ind.frequency, ind.frequency),
                              code, source))
    return lines


def set_codes(session: Session, prefecture_id: int, wanted: Mapping[str, object], user: str
              ) -> list[tuple[str, str | None, str | None]]:
    """Give each indicator of *wanted* its national code (empty: none), all or nothing.

    Refused, with every reason: an indicator the préfecture does not have, a code not of the
    ``IND-27`` form, and one national code given to two indicators (the file would then hold two
    values for one national indicator). Returns (indicator, before, after) for each real change.
    """
    known = {d.code for d in indicators_for(session, prefecture_id)}
    current = effective_codes(session, prefecture_id)
    result = dict(current)
    errors: list[str] = []
    changes: list[tuple[str, str | None, str | None]] = []
    for raw_code, raw_value in wanted.items():
        code = clean(raw_code).upper()
        if code not in known:
            errors.append(f"indicateur inconnu dans cette préfecture : {clean(raw_code) or '(vide)'}")
            continue
        value = normalise_code(raw_value)
        if value is not None and not SP_CODE.fullmatch(value):
            errors.append(f"{code} : code SP+ « {clean(raw_value)} » invalide (attendu IND- suivi de chiffres, "
                          "p. ex. IND-27)")
            continue
        if value is None:
            result.pop(code, None)
        else:
            result[code] = value
        if current.get(code) != value:
            changes.append((code, current.get(code), value))
    holders: dict[str, list[str]] = {}
    for code, value in result.items():
        holders.setdefault(value, []).append(code)
    for value, codes in sorted(holders.items()):
        if len(codes) > 1:
            errors.append(f"le code SP+ {value} est donné à plusieurs indicateurs ({', '.join(sorted(codes))}) : "
                          "un indicateur national n'a qu'une valeur par structure")
    if errors:
        raise SpPlusError(errors)
    for code, _before, after in changes:
        _store(session, prefecture_id, code, after, user)
    session.flush()
    return changes


def _store(session: Session, prefecture_id: int, code: str, sp_code: str | None, user: str) -> None:
    """One row per indicator that differs from the référentiel's default (None over a default)."""
    row = session.exec(select(SpPlusIndicator).where(SpPlusIndicator.prefecture_id == prefecture_id,
                                                     SpPlusIndicator.indicator_code == code)).first()
    if sp_code == DEFAULT_SP_CODES.get(code):
        if row is not None:
            session.delete(row)
        return
    row = row or SpPlusIndicator(prefecture_id=prefecture_id, indicator_code=code)
    row.sp_code, row.updated_by, row.updated_at = sp_code, user, utcnow()
    session.add(row)


def change_line(code: str, before: str | None, after: str | None) -> str:
    """One change in French, for the history and the pages."""
    if after is None:
        return f"{code} : code SP+ {before} retiré"
    if before is None:
        return f"{code} → {after}"
    return f"{code} : {before} → {after}"
