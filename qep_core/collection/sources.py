"""Who supplies what: a périmètre's indicators, its contacts, the day its figures are due.

The rules every writer shares (the Paramètres page, ``python -m qep_core source``, the demo):
an indicator code must be one of the préfecture's indicators (default or its own, active), each
contact's address is checked as the e-mail sender checks it (:func:`qep_core.mail.check_address`),
and the due day is 1–28 so that every month has it. Errors are :class:`CollectionError`, in
French, raised before anything is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from qep_core.collection.models import DEFAULT_DUE_DAY, CollectionSource
from qep_core.frenchforms import plural
from qep_core.mail import MailError, check_address
from qep_core.models import Perimetre, utcnow
from qep_core.prefectures import perimetre_key
from qep_core.referentiel import indicators_for

MAX_CONTACTS = 10
MAX_NAME = 120
FIRST_DUE_DAY, LAST_DUE_DAY = 1, 28  # every month has a 28th


class CollectionError(ValueError):
    """A declaration refused, with the French sentence to show (page, command line)."""


@dataclass(frozen=True)
class Contact:
    """Someone to write to about a périmètre's figures: a name (optional) and an address."""

    email: str
    name: str = ""

    @property
    def label(self) -> str:
        """« Nadia Martin <n.martin@…> », or the bare address."""
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class Source:
    """A périmètre's declaration as every reader sees it."""

    perimetre_id: int
    perimetre: str
    indicators: tuple[str, ...]
    contacts: tuple[Contact, ...]
    due_day: int
    updated_by: str

    def history(self) -> dict[str, str]:
        """What the change history keeps of it (before / after)."""
        return {"indicateurs": ", ".join(self.indicators), "contacts": ", ".join(c.label for c in self.contacts),
                "échéance": f"le {self.due_day} du mois suivant"}


_NAMED = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>]+)>\s*$")


def parse_contact(text: str) -> Contact:
    """« Nadia Martin <n.martin@demo.gouv.fr> » or « n.martin@demo.gouv.fr »: one checked contact."""
    match = _NAMED.match(text)
    name, email = (match.group("name"), match.group("email")) if match else ("", text)
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise CollectionError(f"Nom de contact trop long ({len(name)} caractères, au plus {MAX_NAME}).")
    try:
        return Contact(check_address(email), name)
    except MailError as exc:
        raise CollectionError(str(exc)) from exc


def parse_contacts(texts: Iterable[str]) -> tuple[Contact, ...]:
    """Contacts one per text (or per line of a text), each checked; an address given twice (case
    forgiven) is kept once. At least one: a périmètre nobody answers for cannot be reminded."""
    return check_contacts(parse_contact(line) for text in texts for line in text.splitlines() if line.strip())


def check_contacts(contacts: Iterable[Contact]) -> tuple[Contact, ...]:
    """Contacts however made (typed, or built by the demo) checked again: the address as the sender
    checks it, the name's length, duplicates dropped, between one and :data:`MAX_CONTACTS`."""
    seen: dict[str, Contact] = {}
    for contact in contacts:
        checked = parse_contact(f"{contact.name} <{contact.email}>" if contact.name else contact.email)
        seen.setdefault(checked.email.lower(), checked)
    if not seen:
        raise CollectionError("Indiquez au moins un contact (une adresse de courriel).")
    if len(seen) > MAX_CONTACTS:
        raise CollectionError(f"Trop de contacts : {len(seen)} (au plus {MAX_CONTACTS} par périmètre).")
    return tuple(seen.values())


def check_due_day(day: int) -> int:
    if not FIRST_DUE_DAY <= day <= LAST_DUE_DAY:
        raise CollectionError(f"Jour d'échéance invalide : {day} (attendu : de {FIRST_DUE_DAY} à {LAST_DUE_DAY}, "
                              "le jour du mois suivant où les chiffres sont attendus).")
    return day


def check_indicators(session: Session, prefecture_id: int, codes: Iterable[str]) -> tuple[str, ...]:
    """The codes (upper-cased, duplicates dropped, order kept), each one of the préfecture's indicators."""
    known = {d.code for d in indicators_for(session, prefecture_id)}
    wanted = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    if not wanted:
        raise CollectionError("Indiquez au moins un indicateur fourni par ce périmètre.")
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise CollectionError(f"{plural(len(unknown), 'Indicateur inconnu', 'Indicateurs inconnus')} dans cette "
                              f"préfecture : {', '.join(unknown)}.")
    return tuple(wanted)


def _source(row: CollectionSource, perimetre: str) -> Source:
    contacts = tuple(Contact(c["email"], c.get("name", "")) for c in json.loads(row.contacts_json))
    codes = tuple(c for c in row.indicator_codes.split(",") if c)
    return Source(row.perimetre_id, perimetre, codes, contacts, row.due_day, row.updated_by)


def list_sources(session: Session, prefecture_id: int, perimetre_ids: frozenset[int] | None = None) -> list[Source]:
    """The préfecture's declarations by périmètre name (only those of *perimetre_ids* when given)."""
    rows = session.exec(select(CollectionSource, Perimetre).join(Perimetre, col(Perimetre.id) == CollectionSource.perimetre_id)
                        .where(CollectionSource.prefecture_id == prefecture_id)).all()
    sources = [_source(row, perim.name) for row, perim in rows
               if perimetre_ids is None or row.perimetre_id in perimetre_ids]
    return sorted(sources, key=lambda s: perimetre_key(s.perimetre))


def perimetre_of(session: Session, prefecture_id: int, perimetre_id: int) -> Perimetre:
    perimetre = session.get(Perimetre, perimetre_id)
    if perimetre is None or perimetre.prefecture_id != prefecture_id:
        raise CollectionError(f"Périmètre n° {perimetre_id} introuvable dans cette préfecture.")
    return perimetre


def source_of(session: Session, prefecture_id: int, perimetre_id: int) -> Source | None:
    row = _row(session, prefecture_id, perimetre_id)
    return None if row is None else _source(row, perimetre_of(session, prefecture_id, perimetre_id).name)


def _row(session: Session, prefecture_id: int, perimetre_id: int) -> CollectionSource | None:
    return session.exec(select(CollectionSource).where(CollectionSource.prefecture_id == prefecture_id,
                                                       CollectionSource.perimetre_id == perimetre_id)).first()


def set_source(session: Session, prefecture_id: int, perimetre_id: int, indicators: Sequence[str],
               contacts: Sequence[Contact], due_day: int = DEFAULT_DUE_DAY, *, author: str) -> Source:
    """Declare (or replace) what *perimetre_id* supplies; everything is checked first."""
    perimetre = perimetre_of(session, prefecture_id, perimetre_id)
    codes = check_indicators(session, prefecture_id, indicators)
    contacts = check_contacts(contacts)
    row = _row(session, prefecture_id, perimetre_id) or CollectionSource(prefecture_id=prefecture_id,
                                                                         perimetre_id=perimetre_id, indicator_codes="")
    row.indicator_codes = ",".join(codes)
    row.contacts_json = json.dumps([{"name": c.name, "email": c.email} for c in contacts], ensure_ascii=False)
    row.due_day = check_due_day(due_day)
    row.updated_by = author
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return _source(row, perimetre.name)


def remove_source(session: Session, prefecture_id: int, perimetre_id: int) -> Source:
    """Forget what *perimetre_id* supplies (its figures stay; it is no longer expected)."""
    row = _row(session, prefecture_id, perimetre_id)
    if row is None:
        name = perimetre_of(session, prefecture_id, perimetre_id).name
        raise CollectionError(f"Le périmètre « {name} » n'a pas de déclaration de collecte.")
    source = _source(row, perimetre_of(session, prefecture_id, perimetre_id).name)
    session.delete(row)
    session.flush()
    return source
