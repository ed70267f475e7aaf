"""Reminders to late or partial services (:mod:`qep_core.collection.reminders`): preview them,
send them, read what was sent — what the Collecte page's « Relances » and ``python -m qep_core
collecte --remind [--send]`` call.

Reading the previews and the log needs ``read_detail`` (they name services and people; a
contributor sees its own périmètres' only); sending is the référente's (``edit_settings``).

Each service's reminder is sent and noted in a transaction of its own
(:func:`qep_core.mail.send_once`, key ``"<perimetre_id>:<YYYY-MM-DD>"``), with its history line,
as :mod:`qep_core.services.digest` does: once the server has a message it is gone, so its note must
not wait for — nor be undone by — a failure with the next service (the next click would send it
twice). A refusal is said for that service; the others are still tried.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlmodel import col, select

from qep_core.collection import board as rules
from qep_core.collection.reminders import KIND, Reminder, reminder_key, reminders_due
from qep_core.mail import MailError, mail_configured, send_once, sent_before
from qep_core.models import local_time, paris_today
from qep_core.periods import month_start
from qep_core.prefectures import perimetres_of
from qep_core.services._unit import Actor, Unit, operation, unit
from qep_core.signals.models import SentMail

__all__ = ["ALREADY", "FAILED", "SENT", "LogLine", "MailError", "Outcome", "Preview", "Reminder", "mail_configured",
           "reminder_log", "reminders", "send_reminders", "sending_day"]

SENT, ALREADY, FAILED = "envoyé", "déjà relancé aujourd'hui", "échec"


@dataclass(frozen=True)
class Preview:
    """A reminder as it would leave, and when it already left this day (None: not yet)."""

    reminder: Reminder
    sent_at: dt.datetime | None  # Paris time


@dataclass(frozen=True)
class Outcome:
    """What became of one service's reminder."""

    perimetre_id: int
    perimetre: str
    state: str
    to: tuple[str, ...]
    error: str = ""

    @property
    def text(self) -> str:
        """« envoyé », « déjà relancé aujourd'hui », « échec : … »."""
        return f"{FAILED} : {self.error}" if self.state == FAILED else self.state


@dataclass(frozen=True)
class LogLine:
    """One reminder sent: when (Paris time), to which service, to whom, about what, by whom."""

    sent_at: dt.datetime
    perimetre: str
    recipients: str
    subject: str
    attachments: str
    sent_by: str


def _due(work: Unit, prefecture_id: int, month: dt.date, as_of: dt.date) -> list[Reminder]:
    month = month_start(month)
    records = rules.board(work.session, prefecture_id, month, month, as_of, work.principal.perimetre_ids)
    return reminders_due(work.session, prefecture_id, records)


def sending_day() -> dt.date:
    """The day a reminder leaves on, in Paris: what « once a day per service » counts — not the
    as-of date, which only says which months are late (two runs the same day with two as-of dates
    must not remind a service twice)."""
    return paris_today()


def _sent_at(work: Unit, prefecture_id: int, perimetre_id: int, day: dt.date) -> dt.datetime | None:
    line = sent_before(work.session, prefecture_id, KIND, reminder_key(perimetre_id, day))
    return local_time(line.sent_at) if line is not None else None


@operation("read_detail", writes=False)
def reminders(actor: Actor, prefecture_id: int, month: dt.date, as_of: dt.date | None = None,
              sent_on: dt.date | None = None) -> list[Preview]:
    """The reminders due for *month* at *as_of* (today by default): one per late or partial
    service (a contributor: its own), by périmètre name, each with its own sheet attached and
    when it already left on *sent_on* (the sending day, :func:`sending_day`, by default)."""
    as_of = as_of or dt.date.today()
    day = sent_on or sending_day()
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        return [Preview(r, _sent_at(work, prefecture_id, r.perimetre_id, day))
                for r in _due(work, prefecture_id, month, as_of)]


@operation("edit_settings", writes=True)
def send_reminders(actor: Actor, prefecture_id: int, month: dt.date, as_of: dt.date | None = None,
                   edits: Mapping[int, tuple[str, str]] | None = None,
                   only: Iterable[int] | None = None, sent_on: dt.date | None = None) -> list[Outcome]:
    """Send the reminders of *month* at *as_of* (today by default) — those of the périmètres in
    *only* when given — each with its subject and body edited when *edits* (périmètre id →
    (subject, body)) says so, never twice the same day to the same service (*sent_on*: the sending
    day, :func:`sending_day`, by default). :class:`MailError` before anything is sent when no
    server is configured while a service waits."""
    as_of = as_of or dt.date.today()
    day = sent_on or sending_day()
    wanted = set(only) if only is not None else None
    with unit(actor, "edit_settings", prefecture_id=prefecture_id) as work:
        due = [r for r in _due(work, prefecture_id, month, as_of) if wanted is None or r.perimetre_id in wanted]
        done = {r.perimetre_id: Outcome(r.perimetre_id, r.perimetre, ALREADY, r.to) for r in due
                if _sent_at(work, prefecture_id, r.perimetre_id, day) is not None}
    pending = [r for r in due if r.perimetre_id not in done]
    if pending and not mail_configured():
        raise MailError("Envoi impossible : aucun serveur de courriel n'est configuré (QEP_SMTP_HOST).")
    for reminder in pending:
        subject, body = (edits or {}).get(reminder.perimetre_id, ("", ""))
        try:
            done[reminder.perimetre_id] = _send_one(actor, prefecture_id, reminder, day, subject, body)
        except MailError as exc:
            done[reminder.perimetre_id] = Outcome(reminder.perimetre_id, reminder.perimetre, FAILED, reminder.to,
                                                  str(exc))
    return [done[r.perimetre_id] for r in due]


def _send_one(actor: Actor, prefecture_id: int, reminder: Reminder, day: dt.date, subject: str,
              body: str) -> Outcome:
    """One service's reminder, noted and recorded in its own transaction (module docstring)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        work.check_perimetres([reminder.perimetre_id])
        mail = reminder.mail(subject, body)
        line = send_once(work.session, prefecture_id, KIND, reminder_key(reminder.perimetre_id, day), mail,
                         work.principal.author)
        if line is None:  # another click or run served this service today meanwhile
            return Outcome(reminder.perimetre_id, reminder.perimetre, ALREADY, reminder.to)
        work.record("collecte", f"périmètre « {reminder.perimetre} »",
                    f"relance de {reminder.month:%m/%Y} envoyée",
                    after={"destinataires": ", ".join(mail.to), "objet": mail.subject,
                           "pièce jointe": reminder.attachment.filename})
        return Outcome(reminder.perimetre_id, reminder.perimetre, SENT, reminder.to)


@operation("read_detail", writes=False)
def reminder_log(actor: Actor, prefecture_id: int, since: dt.date | None = None) -> list[LogLine]:
    """The reminders sent since *since* (all when None), newest first (a contributor: its own
    périmètres')."""
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        names = {p.id or 0: p.name for p in perimetres_of(work.session, prefecture_id)}
        query = select(SentMail).where(SentMail.prefecture_id == prefecture_id, SentMail.kind == KIND)
        if since is not None:
            query = query.where(col(SentMail.sent_at) >= dt.datetime.combine(since, dt.time(), dt.UTC))
        lines = []
        for row in work.session.exec(query.order_by(col(SentMail.sent_at).desc(), col(SentMail.id).desc())):
            head = row.key.split(":", 1)[0]
            perimetre_id = int(head) if head.isdigit() else 0
            if not work.principal.sees_perimetre(perimetre_id):
                continue
            lines.append(LogLine(local_time(row.sent_at), names.get(perimetre_id, "périmètre retiré"), row.recipients,
                                 row.subject, row.attachments, row.sent_by))
        return lines
