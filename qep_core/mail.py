"""E-mail: the one way out for every message the application sends (alerts, the monthly digest,
reminders to services).

Why one module: the SMTP settings (:mod:`qep_core.config`), the French refusals and
the « never sent twice » rule are the same for every sender. :func:`send_once` is what senders
call: it notes the message in :class:`~qep_core.signals.models.SentMail` under a key naming what
it carries (« alerte:12 », « digest:2024-06:copil@… », « relance:Étrangers:2024-07-10 ») *before*
handing it to the server, in the caller's transaction; a second sender with the same key — a
second click, a second process, a timer running twice — finds the line (or waits on it, then fails
on the unique constraint) and sends nothing. If the server refuses, the exception undoes the line
with the rest of the transaction: nothing is noted as sent that was not.

STARTTLS is on by default and required when on: a server that does not offer it gets nothing,
rather than the message in clear over the préfecture's network.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from qep_core.config import int_setting, setting
from qep_core.signals.models import MAX_EMAIL, SentMail

__all__ = ["Attachment", "Mail", "MailError", "check_address", "compose", "deliver", "mail_configured",
           "parse_addresses", "send_once", "sent_before"]

# One address as people type them: local part, @, a domain with a dot. Stricter than RFC 5322 on
# purpose (no quoted local parts, no comments): what goes into a header must be plain.
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
MAX_RECIPIENTS = 50
MAX_SUBJECT = 300


class MailError(Exception):
    """An e-mail that cannot be sent, with the French sentence to show (page, command line)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/pdf"


@dataclass(frozen=True)
class Mail:
    """One message: recipients, a French subject and plain-text body, attachments."""

    to: tuple[str, ...]
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = field(default=())


def check_address(text: str) -> str:
    """*text* as an address (spaces around it dropped), or :class:`MailError` naming it."""
    address = text.strip()
    if len(address) > MAX_EMAIL or not _ADDRESS.fullmatch(address):
        shown = address if len(address) <= 80 else address[:80] + "…"
        raise MailError(f"Adresse de courriel invalide : « {shown} » (attendu : nom@domaine.fr).")
    return address


def parse_addresses(texts: Iterable[str]) -> tuple[str, ...]:
    """Addresses given one by one or separated by commas or semicolons, each checked, duplicates
    (case forgiven) dropped, in the order given."""
    seen: dict[str, str] = {}
    for text in texts:
        for part in re.split(r"[,;\s]+", text):
            if part:
                address = check_address(part)
                seen.setdefault(address.lower(), address)
    if not seen:
        raise MailError("Aucune adresse de courriel donnée.")
    if len(seen) > MAX_RECIPIENTS:
        raise MailError(f"Trop de destinataires : {len(seen)} (au plus {MAX_RECIPIENTS} par envoi).")
    return tuple(seen.values())


def mail_configured() -> bool:
    """Whether a server is set: without ``QEP_SMTP_HOST`` nothing is sent, and pages say so."""
    return bool(setting("QEP_SMTP_HOST"))


def _one_line(text: str, limit: int) -> str:
    """A header value: line breaks (header injection) folded to spaces, length bounded."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def compose(mail: Mail) -> EmailMessage:
    """The message as the server receives it: From the setting, French, plain text, attachments."""
    sender = setting("QEP_SMTP_FROM")
    if not sender:
        raise MailError("Envoi impossible : l'adresse d'expédition (QEP_SMTP_FROM) n'est pas renseignée.")
    message = EmailMessage()
    message["From"] = check_address(sender)
    message["To"] = ", ".join(check_address(a) for a in mail.to)
    message["Subject"] = _one_line(mail.subject, MAX_SUBJECT)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=message["From"].split("@", 1)[1])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    message.set_content(mail.body, charset="utf-8")
    for attachment in mail.attachments:
        main, sub = attachment.mime.split("/", 1)
        message.add_attachment(attachment.content, maintype=main, subtype=sub,
                               filename=_one_line(attachment.filename, 200))
    message["Content-Language"] = "fr"  # after the body: set_content and add_attachment move Content-* headers
    return message


def deliver(mail: Mail) -> None:
    """Hand *mail* to the SMTP server of the settings, or :class:`MailError` in French."""
    host = setting("QEP_SMTP_HOST")
    if not host:
        raise MailError("Envoi impossible : aucun serveur de courriel n'est configuré (QEP_SMTP_HOST).")
    message = compose(mail)
    port, seconds = int_setting("QEP_SMTP_PORT"), int_setting("QEP_SMTP_SECONDS")
    user, password = setting("QEP_SMTP_USER"), setting("QEP_SMTP_PASSWORD")
    try:
        with smtplib.SMTP(host, port, timeout=seconds) as server:
            server.ehlo()
            if setting("QEP_SMTP_STARTTLS") != "0":
                if not server.has_extn("starttls"):
                    raise MailError(f"Envoi refusé : le serveur {host}:{port} ne propose pas STARTTLS et "
                                    "QEP_SMTP_STARTTLS l'exige ; rien n'est parti.")
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if user:
                server.login(user, password)
            refused = server.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise MailError(f"Envoi refusé : le serveur {host}:{port} n'accepte pas l'identifiant « {user} ».") from error
    except smtplib.SMTPRecipientsRefused as error:
        raise MailError("Envoi refusé : le serveur n'accepte aucun des destinataires "
                        f"({', '.join(map(str, error.recipients))}).") from error
    except (smtplib.SMTPException, ssl.SSLError) as error:
        raise MailError(f"Envoi refusé par le serveur {host}:{port} : {error}") from error
    except TimeoutError as error:
        raise MailError(f"Envoi abandonné : le serveur {host}:{port} n'a pas répondu en {seconds} s.") from error
    except OSError as error:
        raise MailError(f"Envoi impossible : le serveur {host}:{port} est injoignable ({error.strerror or error}).") \
            from error
    if refused:
        raise MailError(f"Envoi partiel : le serveur a refusé {', '.join(sorted(refused))}.")


def sent_before(session: Session, prefecture_id: int, kind: str, key: str) -> SentMail | None:
    """The line of a message already sent under *key*, if any."""
    return session.exec(select(SentMail).where(SentMail.prefecture_id == prefecture_id, SentMail.kind == kind,
                                               SentMail.key == key)).first()


def send_once(session: Session, prefecture_id: int, kind: str, key: str, mail: Mail, sent_by: str) -> SentMail | None:
    """Send *mail* unless a message of *kind* went under *key* already (then None, nothing sent).

    The line is written and flushed first, inside the caller's transaction, so that a concurrent
    sender of the same key stops on the unique constraint; the caller's commit makes it final.
    """
    if sent_before(session, prefecture_id, kind, key) is not None:
        return None
    line = SentMail(prefecture_id=prefecture_id, kind=kind, key=key[:300], recipients=", ".join(mail.to),
                    subject=_one_line(mail.subject, MAX_SUBJECT), sent_by=sent_by[:120],
                    attachments=", ".join(a.filename for a in mail.attachments))
    try:
        with session.begin_nested():
            session.add(line)
            session.flush()
    except IntegrityError:
        return None  # another sender took this key meanwhile
    deliver(mail)
    return line

