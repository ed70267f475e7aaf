"""Alerts (:mod:`qep_core.signals.alerts`): the « Signaux » list, the subscriptions, and the
e-mails sent again — what the Signaux page and ``python -m qep_core alerts`` call.

Permissions. Subscriptions decide where the préfecture's figures are sent: they are settings
(``edit_settings``, the référent(e) qualité), each change with its history line. Reading the
alerts needs ``read_detail``; an alert is a préfecture-wide figure (all périmètres weighted
together), so a principal limited to its périmètres (a service) gets an empty list, as it never
sees another service's figures — the users' committee (public views only) cannot open it at all.
Sending the unsent e-mails again is the référent's too (``edit_settings``).

Alerts themselves are raised by the save of an import or an entry
(:func:`qep_core.services.imports.save_upload`), in its transaction; its e-mails leave right after
its commit through :func:`tell_subscribers`, under the same principal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import col, select

from qep_core.mail import MailError, check_address, mail_configured
from qep_core.models import local_time
from qep_core.referentiel import indicators_for
from qep_core.services._unit import Actor, StorageError, Unit, operation, unit
from qep_core.signals import alerts as rules
from qep_core.signals.alerts import KIND_LABELS, AlertLine, AlertReport, MailReport
from qep_core.signals.models import AlertSubscription

__all__ = ["KIND_LABELS", "AlertError", "AlertLine", "AlertReport", "MailReport", "SubscriptionRow", "list_alerts",
           "mail_configured", "send_pending", "subscribe", "subscriptions", "tell_subscribers", "unsubscribe"]


class AlertError(ValueError):
    """A subscription refused, with the French sentence to show."""


@dataclass(frozen=True)
class SubscriptionRow:
    """One subscription as the page and the command line show it."""

    id: int
    email: str
    indicator_code: str  # "": every indicator
    module_code: str  # "": every module
    scope: str  # in French: « indicateur TEL_ABOUTIS », « module M2 », « tous les indicateurs »
    created_by: str
    created_at: dt.datetime  # Paris time


def _scope_text(indicator_code: str, module_code: str, of: bool = False) -> str:
    """« indicateur X », « module M2 », « tous les indicateurs »; with *of*: « de l'indicateur X »,
    « du module M2 », « de tous les indicateurs »."""
    if indicator_code:
        return ("de l'" if of else "") + f"indicateur {indicator_code}"
    if module_code:
        return ("du " if of else "") + f"module {module_code}"
    return ("de " if of else "") + "tous les indicateurs"


def _row(s: AlertSubscription) -> SubscriptionRow:
    return SubscriptionRow(s.id or 0, s.email, s.indicator_code, s.module_code,
                           _scope_text(s.indicator_code, s.module_code), s.created_by, local_time(s.created_at))


def _checked(work: Unit, prefecture_id: int, email: str, indicator_code: str | None,
             module_code: str | None) -> tuple[str, str, str]:
    """The address, indicator and module of a subscription, checked; :class:`AlertError` otherwise."""
    try:
        address = check_address(email)
    except MailError as exc:
        raise AlertError(str(exc)) from exc
    code, module = (indicator_code or "").strip().upper(), (module_code or "").strip().upper()
    if code and module:
        raise AlertError("Un abonnement porte sur un indicateur ou sur un module, pas les deux.")
    if code and code not in {d.code for d in indicators_for(work.session, prefecture_id)}:
        raise AlertError(f"Indicateur inconnu : {code}.")
    if module and module not in rules.module_codes(work.session):
        raise AlertError(f"Module inconnu : {module} (attendu : {', '.join(rules.module_codes(work.session))}).")
    return address, code, module


def _find(work: Unit, prefecture_id: int, address: str, code: str, module: str) -> AlertSubscription | None:
    rows = work.session.exec(select(AlertSubscription).where(
        AlertSubscription.prefecture_id == prefecture_id, AlertSubscription.indicator_code == code,
        AlertSubscription.module_code == module))
    return next((r for r in rows if r.email.lower() == address.lower()), None)


@operation("edit_settings", writes=True)
def subscribe(actor: Actor, prefecture_id: int, email: str, indicator_code: str | None = None,
              module_code: str | None = None) -> SubscriptionRow:
    """Tell *email* of the alerts of one indicator, one module, or all (neither given) raised from
    now on; :class:`AlertError` when the address, indicator or module is wrong or already there."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        address, code, module = _checked(work, prefecture_id, email, indicator_code, module_code)
        if _find(work, prefecture_id, address, code, module) is not None:
            raise AlertError(f"{address} est déjà abonnée aux alertes {_scope_text(code, module, of=True)}.")
        row = AlertSubscription(prefecture_id=prefecture_id, email=address, indicator_code=code, module_code=module,
                                created_by=work.principal.author[:120])
        work.session.add(row)
        work.session.flush()
        work.record("alerts", f"abonnement de {address}", f"alertes {_scope_text(code, module, of=True)}",
                    after={"adresse": address, "portée": _scope_text(code, module)})
        return _row(row)


@operation("edit_settings", writes=True)
def unsubscribe(actor: Actor, prefecture_id: int, email: str, indicator_code: str | None = None,
                module_code: str | None = None) -> SubscriptionRow:
    """Stop the subscription named so (the undo of :func:`subscribe`)."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        try:
            address = check_address(email)
        except MailError as exc:
            raise AlertError(str(exc)) from exc
        code, module = (indicator_code or "").strip().upper(), (module_code or "").strip().upper()
        found = _find(work, prefecture_id, address, code, module)
        if found is None:
            raise AlertError(f"Aucun abonnement de {address} aux alertes {_scope_text(code, module, of=True)}.")
        row = _row(found)
        work.session.delete(found)
        work.record("alerts", f"abonnement de {row.email}", f"abonnement retiré ({row.scope})",
                    before={"adresse": row.email, "portée": row.scope})
        return row


@operation("edit_settings", writes=False)
def subscriptions(actor: Actor, prefecture_id: int) -> list[SubscriptionRow]:
    """The préfecture's subscriptions, by address."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id) as work:
        rows = work.session.exec(select(AlertSubscription).where(AlertSubscription.prefecture_id == prefecture_id)
                                 .order_by(col(AlertSubscription.email), col(AlertSubscription.id)))
        return [_row(r) for r in rows]


@operation("read_detail", writes=False)
def list_alerts(actor: Actor, prefecture_id: int, since: dt.date | None = None,
                kinds: Iterable[str] | None = None, limit: int = 500) -> list[AlertLine]:
    """The préfecture's alerts raised since *since* (all when None), newest first; empty for a
    principal limited to its périmètres (alerts are préfecture-wide figures)."""
    with unit(actor, "read_detail", prefecture_id=prefecture_id) as work:
        if work.principal.perimetre_ids is not None:
            return []
        found = rules.list_alerts(work.session, prefecture_id, since, list(kinds) if kinds is not None else None,
                                  limit)
        return rules.alert_lines(work.session, prefecture_id, found)


@operation("edit_settings", writes=True)
def send_pending(actor: Actor, prefecture_id: int, days: int = 31) -> MailReport:
    """Send the alert e-mails of the last *days* days that did not leave (server down, refusing,
    or not configured then); what was sent before is never sent again."""
    with unit(actor, "edit_settings", prefecture_id=prefecture_id, write=True) as work:
        report = rules.send_pending(work.session, prefecture_id, rules.recent_alerts(work.session, prefecture_id, days),
                                    work.principal.author)
        if report.sent:
            work.record("alerts", "courriels d'alerte", report.text())
        return report


def tell_subscribers(actor: Actor, action: str, prefecture_id: int, batch_id: int) -> AlertReport:
    """After a save has committed: the alerts its batch raised, their e-mails sent (each in its
    own savepoint, so a refusal never undoes the import). Not an operation of its own: the
    second half of the save that *action* (``import``, ``enter``) already allowed."""
    try:
        with unit(actor, action, prefecture_id=prefecture_id, write=True) as work:
            found = rules.alerts_for_batch(work.session, prefecture_id, batch_id)
            if not found:
                return AlertReport(mail=MailReport(configured=mail_configured()))
            mail = rules.send_pending(work.session, prefecture_id, found, work.principal.author)
            lines = rules.alert_lines(work.session, prefecture_id, found)
    except StorageError as exc:  # the import is saved; only the e-mails' bookkeeping failed
        return AlertReport(mail=MailReport(configured=mail_configured(), error=str(exc)))
    if actor.principal.perimetre_ids is not None:
        return AlertReport(mail=mail, hidden=len(lines))
    return AlertReport(tuple(lines), mail)
