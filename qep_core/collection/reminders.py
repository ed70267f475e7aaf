"""Reminders to the services whose figures of a month are late or partial.

Decisions, so that the page and ``python -m qep_core collecte --remind`` send the same thing:

* **who** — one reminder per périmètre whose month is ``en retard`` or ``partiel`` on the board
  (:mod:`.board`) at the as-of date; never ``reçu`` (nothing to chase) nor ``attendu`` (not yet
  due: chasing before the due day would be rude), to that périmètre's declared contacts only.
* **what it says** — French, short: the month, each missing indicator by its label and code, the
  due date, how to answer (reply with the attached sheet filled, or deposit it on the Import page).
  Nothing about the other services: each message is read by one service.
* **the attachment** — the service's own tracking sheet (:func:`qep_core.template.build_template`)
  for its expected indicators, with its périmètre's name and one column for the month, so that the
  filled file, imported as it is, lands on that périmètre and that month.
* **once a day** — the key ``"<perimetre_id>:<YYYY-MM-DD>"`` of :func:`qep_core.mail.send_once`
  (kind ``relance``): a second click or a timer running twice the same day sends nothing; the next
  day, a service still behind is reminded again.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from qep_core.collection.board import EN_RETARD, PARTIEL, SupplyRecord
from qep_core.frenchforms import month_label_fr, plural
from qep_core.mail import Attachment, Mail
from qep_core.models import Prefecture
from qep_core.referentiel import engagements_for, indicators_for
from qep_core.rules import channel_mapping
from qep_core.template import build_template

KIND = "relance"  # SentMail.kind
REMINDED = (EN_RETARD, PARTIEL)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Reminder:
    """One service's reminder as it would leave: recipients, subject, body, its sheet."""

    perimetre_id: int
    perimetre: str
    status: str
    month: dt.date
    due_date: dt.date
    to: tuple[str, ...]
    missing: tuple[str, ...]
    subject: str
    body: str
    attachment: Attachment

    def mail(self, subject: str | None = None, body: str | None = None) -> Mail:
        """The message, with the référente's edits of subject and body when she made some."""
        return Mail(self.to, subject if subject and subject.strip() else self.subject,
                    body if body and body.strip() else self.body, (self.attachment,))


def reminder_key(perimetre_id: int, day: dt.date) -> str:
    """The « once a day per service » key of :func:`qep_core.mail.send_once`: the service and the
    day the reminder leaves on."""
    return f"{perimetre_id}:{day:%Y-%m-%d}"


def file_name(perimetre: str, month: dt.date) -> str:
    """« suivi-sous-prefecture-de-saint-nazaire-2024-09.xlsx »: ASCII, no spaces, says whose and when."""
    flat = unicodedata.normalize("NFKD", perimetre).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", flat).strip("-")[:60] or "service"
    return f"suivi-{slug}-{month:%Y-%m}.xlsx"


def subject_of(perimetre: str, month: dt.date) -> str:
    return f"Qual-e-Pref — chiffres de {month_label_fr(month)} attendus : {perimetre}"


def body_of(record: SupplyRecord, labels: dict[str, str], prefecture: str, attachment_name: str) -> str:
    """The French message: the month, what is missing by label and code, the due date, how to answer."""
    missing = [f"  - {labels.get(code, code)} ({code})" for code in record.missing]
    late = record.status == EN_RETARD
    opening = (f"Les chiffres de {month_label_fr(record.month)} du périmètre « {record.perimetre} » étaient attendus "
               f"le {record.due_date:%d/%m/%Y} et ne nous sont pas encore parvenus." if late else
               f"Nous avons bien reçu une partie des chiffres de {month_label_fr(record.month)} du périmètre "
               f"« {record.perimetre} », attendus le {record.due_date:%d/%m/%Y} ; il manque encore :")
    lines = ["Bonjour,", "", opening]
    if late:
        lines.append(plural(len(record.missing), "Indicateur attendu :", "Indicateurs attendus :"))
    lines += [*missing, "",
              f"Vous trouverez en pièce jointe votre tableau de suivi ({attachment_name}), déjà au nom de votre "
              f"périmètre et pour le mois de {month_label_fr(record.month)}. Il suffit d'y saisir vos chiffres, puis "
              "de nous le renvoyer en réponse à ce message ou de le déposer sur la page Import de Qual-e-Pref.",
              "", "Merci par avance,", f"La référente qualité — {prefecture}".rstrip(" —")]
    return "\n".join(lines)


class SheetMaker:
    """The services' own tracking sheets of one préfecture (:func:`qep_core.template.build_template`
    for a périmètre's expected indicators, its name and one month's column): the reminder's
    attachment and the sheet a contributor downloads from its Import page are the same file."""

    def __init__(self, session: Session, prefecture_id: int) -> None:
        prefecture = session.get(Prefecture, prefecture_id)
        self.prefecture = prefecture.name if prefecture is not None else ""
        indicators = indicators_for(session, prefecture_id)
        self.by_code = {d.code: d for d in indicators}
        self.channels = channel_mapping(indicators, engagements_for(session, prefecture_id))
        self.labels = {d.code: d.label for d in indicators}

    def sheet(self, perimetre: str, codes: Iterable[str], month: dt.date) -> Attachment:
        data = build_template([self.by_code[c] for c in codes if c in self.by_code], month.year, self.channels,
                              self.prefecture, perimetre_name=perimetre, month=month.month)
        return Attachment(file_name(perimetre, month), data, XLSX)


def reminders_due(session: Session, prefecture_id: int, records: Iterable[SupplyRecord]) -> list[Reminder]:
    """The reminders of the board *records* (one month, one as-of date): late or partial
    services that have someone to write to, by périmètre name, each with its own sheet."""
    chased = [r for r in records if r.status in REMINDED and r.contacts]
    if not chased:
        return []
    maker = SheetMaker(session, prefecture_id)
    due = []
    for record in sorted(chased, key=lambda r: r.perimetre.lower()):
        attachment = maker.sheet(record.perimetre, record.expected, record.month)
        due.append(Reminder(record.perimetre_id, record.perimetre, record.status, record.month, record.due_date,
                            tuple(c.email for c in record.contacts), record.missing,
                            subject_of(record.perimetre, record.month),
                            body_of(record, maker.labels, maker.prefecture, attachment.filename), attachment))
    return due
