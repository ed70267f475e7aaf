"""Accounts and sign-in: who may come in, as whom the command line acts, and the accounts an
administrator manages.

Signing in has no actor yet, so :func:`sign_in`, :func:`sign_in_by_email`, :func:`acting_as` and
:func:`first_install` take the database; every other function is an operation of an actor.
An administrator manages the accounts of its own préfecture; accounts without a préfecture
(a region, the ministry) are managed only by an account without one either.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import select

from qep_core.access import ROLES, AccessDenied, Principal
from qep_core.db import session_scope
from qep_core.models import Perimetre, utcnow
from qep_core.services._unit import Actor, Database, Unit, operation, unit
from qep_core.users import (
    UserAccount,
    UserError,
    add_user,
    authenticate,
    get_user,
    is_active,
    list_users,
    principal_for,
    principal_for_email,
    record_failure,
    reset_failures,
    set_active,
    set_password,
    throttle_keys,
    throttle_wait,
)

__all__ = ["ROLES", "AccountRow", "SignIn", "UserError", "acting_as", "add_account", "first_install",
           "list_accounts", "set_account_active", "set_account_password", "sign_in", "sign_in_by_email",
           "still_active", "wait_message"]

WRONG_CREDENTIALS = "Identifiant ou mot de passe incorrect, ou compte désactivé."


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the principal, or the French sentence to show."""

    principal: Principal | None
    message: str = ""


@dataclass(frozen=True)
class AccountRow:
    """An account as the administrator sees it (never its password hash)."""

    login: str
    display_name: str
    email: str
    role: str
    prefecture_id: int | None
    perimetre_ids: tuple[int, ...]
    active: bool
    last_login: dt.datetime | None


def wait_message(wait: dt.timedelta) -> str:
    """« patientez 2 minutes », rounded up: the user is never told a shorter wait than the real one."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        span = f"{seconds} seconde{'s' if seconds > 1 else ''}"
    else:
        minutes = math.ceil(seconds / 60)
        span = f"{minutes} minute{'s' if minutes > 1 else ''}"
    return (f"Trop de tentatives de connexion échouées : patientez {span} avant de réessayer "
            "(ou demandez au référent qualité de vérifier votre compte).")


def sign_in(database: Database, login: str, password: str, *, client: str | None = None,
            now: dt.datetime | None = None) -> SignIn:
    """Check a login and password, unless too many recent failures (of this account, or from this
    client address) make the attempt wait; a success resets the account's counter.

    The same sentence for an unknown login, a wrong password and a disabled account, so that the
    form tells nothing about which accounts exist; an attempt made while waiting is not checked
    (nor counted)."""
    moment = now or utcnow()
    keys = throttle_keys(login, client)
    with session_scope(database, write=True) as session:
        wait = throttle_wait(session, keys, moment)
        if wait > dt.timedelta(0):
            return SignIn(None, wait_message(wait))
        principal = authenticate(session, login, password)
        if principal is None:
            wait = record_failure(session, keys, moment)
            return SignIn(None, WRONG_CREDENTIALS + (" " + wait_message(wait) if wait else ""))
        reset_failures(session, next(iter(keys)))
        return SignIn(principal)


def sign_in_by_email(database: Database, email: str) -> Principal | None:
    """The principal of the active account whose e-mail the identity provider (OpenID Connect) vouched for."""
    with session_scope(database, write=True) as session:
        return principal_for_email(session, email)


def still_active(actor: Actor) -> bool:
    """Whether the signed-in account may go on: an active account still answers to its login
    (disabled, or gone with a restored database: the session ends). Always true on a laptop."""
    if actor.principal.local:
        return True
    with session_scope(actor.database) as session:
        return is_active(session, actor.principal.login)


def acting_as(database: Database, login: str) -> Principal:
    """The principal of an active account, for the command line's ``--as LOGIN``."""
    with session_scope(database) as session:
        try:
            account: UserAccount = get_user(session, login)
        except UserError as exc:
            raise AccessDenied(f"Accès refusé : {exc}") from exc
        if not account.active:
            raise AccessDenied(f"Accès refusé : le compte « {account.login} » est désactivé.")
        return principal_for(account)


def first_install(database: Database) -> bool:
    """True while the database has no account at all: the installer's command line then acts as
    the local administrator, to create the first préfecture and the first account."""
    with session_scope(database) as session:
        return session.exec(select(UserAccount.id).limit(1)).first() is None


# ---------------------------------------------------------------- account management


def _row(account: UserAccount) -> AccountRow:
    return AccountRow(account.login, account.display_name, account.email or "", account.role, account.prefecture_id,
                      tuple(principal_for(account).perimetre_ids or ()), account.active, account.last_login)


def _manages(principal: Principal, prefecture_id: int | None) -> bool:
    return principal.prefecture_ids is None or (prefecture_id is not None and prefecture_id in principal.prefecture_ids)


def _check_scope(principal: Principal, prefecture_id: int | None) -> None:
    if not _manages(principal, prefecture_id):
        if prefecture_id is None:
            raise AccessDenied("Accès refusé : seul un compte sans préfecture (vue régionale ou nationale) gère les "
                               "comptes valables pour toutes les préfectures.")
        raise AccessDenied("Accès refusé : ce compte relève d'une préfecture qui n'est pas dans le périmètre du vôtre.")


def _account(work: Unit, login: str) -> UserAccount:
    account = get_user(work.session, login)
    _check_scope(work.principal, account.prefecture_id)
    return account


@operation("manage_users", writes=False)
def list_accounts(actor: Actor) -> list[AccountRow]:
    """The accounts this administrator manages (those of its préfecture, or all for an account without one)."""
    with unit(actor, "manage_users") as work:
        return [_row(a) for a in list_users(work.session) if _manages(work.principal, a.prefecture_id)]


@operation("manage_users", writes=True)
def add_account(actor: Actor, login: str, role: str, *, password: str | None = None, display_name: str = "",
                email: str | None = None, prefecture_id: int | None = None,
                perimetre_ids: Iterable[int] = ()) -> AccountRow:
    """A new account; a contributor's périmètres must be services of the account's préfecture."""
    _check_scope(actor.principal, prefecture_id)
    with unit(actor, "manage_users", prefecture_id=prefecture_id, write=True) as work:
        perims = sorted(set(perimetre_ids))
        for pid in perims:
            row = work.session.get(Perimetre, pid)
            if row is None or (prefecture_id is not None and row.prefecture_id != prefecture_id):
                raise UserError(f"périmètre n° {pid} inconnu dans la préfecture du compte")
        account = add_user(work.session, login, role, password=password, display_name=display_name, email=email,
                           prefecture_id=prefecture_id, perimetre_ids=perims)
        work.record("user", account.login, f"compte créé : {ROLES.get(account.role, account.role)}",
                    after={"login": account.login, "rôle": account.role, "préfecture": prefecture_id,
                           "périmètres": perims})
        return _row(account)


@operation("manage_users", writes=True)
def set_account_active(actor: Actor, login: str, active: bool) -> AccountRow:
    """Disable an account (its open sessions end at their next click) or enable it again."""
    with unit(actor, "manage_users", write=True) as work:
        account = _account(work, login)
        before = account.active
        set_active(work.session, account.login, active)
        work.record("user", account.login, "compte " + ("réactivé" if active else "désactivé"),
                    before={"actif": before}, after={"actif": active}, prefecture_id=account.prefecture_id)
        return _row(account)


@operation("manage_users", writes=True)
def set_account_password(actor: Actor, login: str, password: str) -> AccountRow:
    """A new password (the history records that it changed, never the password)."""
    with unit(actor, "manage_users", write=True) as work:
        account = _account(work, login)
        set_password(work.session, account.login, password)
        work.record("user", account.login, "mot de passe changé", prefecture_id=account.prefecture_id)
        return _row(account)
