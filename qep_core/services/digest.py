"""The monthly digest (:mod:`qep_core.exports.digest`): build it, and e-mail it once to each
recipient — what ``python -m qep_core digest`` and its monthly timer call.

The digest is a COPIL document (``export_internal``) covering the whole préfecture, so a
principal limited to some périmètres is refused, as for the other exports
(:mod:`qep_core.services.exports`).

Each recipient's message is sent and noted in a transaction of its own
(:func:`qep_core.mail.send_once`, key ``YYYY-MM:address``), with its history line: once the
server has a message it is gone, so its note must not wait for — nor be undone by — a failure
with the next address (the next run would send it twice). A refusal stops the run there; what was
not sent is not noted, and the next run serves the addresses still waiting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from qep_core.access import AccessDenied
from qep_core.exports.digest import (
    DigestError,
    check_digest_month,
    digest_figures,
    parse_digest_month,
    render_digest_pdf,
    summary_text,
    with_charts,
)
from qep_core.mail import Attachment, Mail, MailError, mail_configured, parse_addresses, send_once, sent_before
from qep_core.models import local_time
from qep_core.services import dashboard
from qep_core.services._unit import Actor, operation, unit

__all__ = ["ALREADY", "FAILED", "KIND", "NOT_TRIED", "SENT", "Delivery", "DigestError", "DigestFile", "MailError", "build_digest", "mail_configured",
           "parse_digest_month", "send_digest"]

KIND = "digest"  # SentMail.kind
SENT, ALREADY, FAILED, NOT_TRIED = "envoyé", "déjà envoyé", "échec", "non tenté"


@dataclass(frozen=True)
class DigestFile:
    """The month's digest: the summary (the e-mail's body), the PDF, its name, the e-mail's subject."""

    month: dt.date
    summary: str
    pdf: bytes
    file_name: str
    subject: str


@dataclass(frozen=True)
class Delivery:
    """What became of one recipient: sent now, sent before (when), refused, or not tried."""

    address: str
    state: str
    sent_at: dt.datetime | None = None  # Paris time
    error: str = ""

    @property
    def text(self) -> str:
        """« envoyé », « déjà envoyé le 12/07/2024 à 07:30 », « échec : … », « non tenté (envoi interrompu) »."""
        if self.state == ALREADY and self.sent_at is not None:
            return f"déjà envoyé le {self.sent_at:%d/%m/%Y à %H:%M}"
        if self.state == FAILED:
            return f"échec : {self.error}"
        if self.state == NOT_TRIED:
            return "non tenté (envoi interrompu par l'échec précédent)"
        return self.state


def _key(month: dt.date, address: str) -> str:
    return f"{month:%Y-%m}:{address.lower()}"


def _whole_prefecture(actor: Actor) -> None:
    if actor.principal.perimetre_ids is not None:
        raise AccessDenied("Accès refusé : la synthèse mensuelle couvre toute la préfecture ; votre compte est "
                           "limité à certains périmètres.")


@operation("export_internal", writes=False)
def build_digest(actor: Actor, prefecture_id: int, month: dt.date) -> DigestFile:
    """The digest of *month* (any day of it): :class:`DigestError` (French) for a month in the
    future, outside the period window, or without data. The control charts are those of the
    pages (``services.dashboard.spc``), over the :data:`SPC_MONTHS` months ending at *month*."""
    month = check_digest_month(month)
    with unit(actor, "export_internal", prefecture_id=prefecture_id) as work:
        _whole_prefecture(actor)
        figures = digest_figures(work.session, prefecture_id, month)
    span = dashboard.spc_window(month)
    charts = {line.code: dashboard.spc(actor, prefecture_id, line.code, span)
              for line in figures.lines if line.value is not None}
    digest = with_charts(figures, charts)
    return DigestFile(month, summary_text(digest), render_digest_pdf(digest), digest.file_name, digest.subject)


def _served(actor: Actor, prefecture_id: int, month: dt.date, addresses: Iterable[str]) -> dict[str, Delivery]:
    """The addresses that already received this month's digest, with when."""
    with unit(actor, "export_internal", prefecture_id=prefecture_id) as work:
        _whole_prefecture(actor)
        lines = {a: sent_before(work.session, prefecture_id, KIND, _key(month, a)) for a in addresses}
    return {a: Delivery(a, ALREADY, local_time(line.sent_at)) for a, line in lines.items() if line is not None}


@operation("export_internal", writes=True)
def send_digest(actor: Actor, prefecture_id: int, month: dt.date, recipients: Iterable[str]) -> list[Delivery]:
    """E-mail the digest of *month* to each of *recipients* who has not had it yet (one message
    each, the PDF attached), in the order given; what became of each. :class:`MailError` before
    anything is built when an address is invalid, or no server is configured while someone waits."""
    addresses = parse_addresses(recipients)
    month = check_digest_month(month)
    done = _served(actor, prefecture_id, month, addresses)
    pending = [a for a in addresses if a not in done]
    if pending and not mail_configured():
        raise MailError("Envoi impossible : aucun serveur de courriel n'est configuré (QEP_SMTP_HOST).")
    if pending:
        built = build_digest(actor, prefecture_id, month)
        attachment = Attachment(built.file_name, built.pdf)
        for i, address in enumerate(pending):
            try:
                done[address] = _send_one(actor, prefecture_id, built, address, attachment)
            except MailError as exc:
                done[address] = Delivery(address, FAILED, error=str(exc))
                done.update({rest: Delivery(rest, NOT_TRIED) for rest in pending[i + 1:]})
                break
    return [done[a] for a in addresses]


def _send_one(actor: Actor, prefecture_id: int, built: DigestFile, address: str, attachment: Attachment) -> Delivery:
    """One recipient's message, noted and recorded in its own transaction (module docstring)."""
    key = _key(built.month, address)
    with unit(actor, "export_internal", prefecture_id=prefecture_id, write=True) as work:
        mail = Mail((address,), built.subject, built.summary, (attachment,))
        line = send_once(work.session, prefecture_id, KIND, key, mail, work.principal.author)
        if line is None:  # another run served this address meanwhile
            earlier = sent_before(work.session, prefecture_id, KIND, key)
            return Delivery(address, ALREADY, local_time(earlier.sent_at) if earlier else None)
        work.record("digest", f"synthèse mensuelle de {built.month:%m/%Y}", f"envoyée à {address}",
                    after={"mois": f"{built.month:%Y-%m}", "destinataire": address, "fichier": built.file_name})
        return Delivery(address, SENT, local_time(line.sent_at))
