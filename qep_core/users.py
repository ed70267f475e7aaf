"""Users, roles and what each role may do.

Four roles, as a préfecture runs the label:

* ``admin`` — the référent(e) qualité: everything, on the préfectures of the account (or all of
  them for an account without one);
* ``copil`` — a member of the steering committee: reads everything of its préfecture, item logs
  and périmètre detail included, and comments the quarterly review;
* ``contributeur`` — a service: imports and reads the data of its own périmètres;
* ``lecture-clu`` — the users' committee: public-safe views only (no périmètre below the size
  threshold, no free text, no item logs).

The checks live here, in plain functions over a :class:`Principal`, so that pages, the CLI and
tests ask the same question (``principal.can("import")``). A hidden button is not a permission:
every page and every action asks again on the server side.

Passwords are hashed with Argon2id (argon2-cffi: salted, memory-hard, the OWASP recommendation);
the hash string carries its own salt and parameters, and is re-hashed when they change.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Column, Text, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, select

from qep_core.access import ROLES, Principal
from qep_core.config import int_setting
from qep_core.models import utcnow

LONGEST_WAIT = dt.timedelta(hours=1)  # a throttled sign-in never waits longer than this
FORGET_AFTER = dt.timedelta(hours=24)  # failures older than this no longer count
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()


class UserAccount(SQLModel, table=True):
    """A person who signs in. ``prefecture_id`` NULL: every préfecture of the instance (a region
    or the ministry); ``perimetre_ids_json``: a contributor's périmètres (empty: none yet)."""

    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("login", name="uq_user_login"),)
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=120)
    email: str | None = Field(default=None, max_length=200, index=True)  # matched for OpenID Connect sign-in
    role: str = Field(max_length=20)
    prefecture_id: int | None = Field(default=None, foreign_key="prefecture.id")
    perimetre_ids_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    password_hash: str | None = Field(default=None, max_length=200)
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_login: dt.datetime | None = None


class UserError(ValueError):
    """A refused user operation, with the French message to show."""


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"mot de passe trop court : au moins {MIN_PASSWORD} caractères")
    if password.strip() != password or not password.strip():
        raise UserError("le mot de passe ne doit pas commencer ni finir par une espace")


def principal_for(account: UserAccount) -> Principal:
    perims = frozenset(json.loads(account.perimetre_ids_json or "[]")) if account.role == "contributeur" else None
    prefs = None if account.prefecture_id is None else frozenset({account.prefecture_id})
    return Principal(login=account.login, role=account.role, display_name=account.display_name,
                     prefecture_ids=prefs, perimetre_ids=perims)


def _find(session: Session, login: str) -> UserAccount | None:
    return session.exec(select(UserAccount).where(UserAccount.login == login.strip().lower())).first()


def add_user(session: Session, login: str, role: str, *, password: str | None = None, display_name: str = "",
             email: str | None = None, prefecture_id: int | None = None,
             perimetre_ids: Iterable[int] = ()) -> UserAccount:
    login = login.strip().lower()
    if not LOGIN_RE.match(login):
        raise UserError(f"identifiant « {login} » invalide : lettres minuscules, chiffres, « . _ @ - » (2 à 64)")
    if role not in ROLES:
        raise UserError(f"rôle « {role} » inconnu (attendu : {', '.join(ROLES)})")
    if _find(session, login) is not None:
        raise UserError(f"l'identifiant « {login} » existe déjà")
    if password is None and not email:
        raise UserError("indiquez un mot de passe, ou un courriel pour la connexion par l'identité de l'État")
    account = UserAccount(login=login, role=role, display_name=display_name.strip(),
                          email=(email or "").strip().lower() or None, prefecture_id=prefecture_id,
                          perimetre_ids_json=json.dumps(sorted(set(perimetre_ids))),
                          password_hash=hash_password(password) if password is not None else None)
    session.add(account)
    session.flush()
    return account


def list_users(session: Session) -> list[UserAccount]:
    return list(session.exec(select(UserAccount).order_by(UserAccount.login)))


def get_user(session: Session, login: str) -> UserAccount:
    account = _find(session, login)
    if account is None:
        raise UserError(f"aucun compte « {login} »")
    return account


def set_active(session: Session, login: str, active: bool) -> UserAccount:
    account = get_user(session, login)
    if not active and account.role == "admin" and account.active:
        others = [u for u in list_users(session) if u.role == "admin" and u.active and u.login != account.login]
        if not others:
            raise UserError("c'est le dernier compte administrateur actif : créez-en un autre avant de le désactiver")
    account.active = active
    session.add(account)
    return account


def set_password(session: Session, login: str, password: str) -> UserAccount:
    account = get_user(session, login)
    account.password_hash = hash_password(password)
    session.add(account)
    return account


def authenticate(session: Session, login: str, password: str) -> Principal | None:
    """The principal when the login and password match an active account, else None.

    The same answer (None) for an unknown login, a wrong password or a disabled account, so that
    the sign-in form tells nothing about which accounts exist.
    """
    account = _find(session, login)
    if account is None or not account.active or not account.password_hash:
        _hasher.hash("timing-equaliser")  # about the time a real check takes
        return None
    try:
        _hasher.verify(account.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    account.last_login = utcnow()
    session.add(account)
    return principal_for(account)


@dataclass(frozen=True)
class FederatedIdentity:
    """Who the identity federation (ProConnect) vouches for, from its claims: the e-mail is what
    an account is matched on; the names are ProConnect's ``given_name`` (first names) and
    ``usual_name`` (the family name in use); ``uid`` is the person's identifier at their own
    identity provider and ``subject`` the ``sub`` claim, kept for the record and the logs only:
    an account holds no column for them, and the e-mail is what an administrator knows."""

    email: str
    given_name: str = ""
    usual_name: str = ""
    uid: str = ""
    subject: str = ""

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.usual_name) if part)


def _claim(claims: Mapping[str, object], name: str) -> str:
    value = claims.get(name)
    return " ".join(value.split()) if isinstance(value, str) else ""


def identity_from_claims(claims: Mapping[str, object]) -> FederatedIdentity | None:
    """The identity in an OpenID Connect claim set (ID token and userinfo merged), or None when it
    carries no usable e-mail. The e-mail is compared without regard to case (``Claire.Martin@…`` and
    ``claire.martin@…`` are one mailbox for every State messaging service); a standard
    ``family_name`` stands in for ``usual_name`` when a provider other than ProConnect is used."""
    email = _claim(claims, "email").lower()
    if "@" not in email or " " in email or len(email) > 200:
        return None
    return FederatedIdentity(email=email, given_name=_claim(claims, "given_name"),
                             usual_name=_claim(claims, "usual_name") or _claim(claims, "family_name"),
                             uid=_claim(claims, "uid"), subject=_claim(claims, "sub"))


def principal_for_identity(session: Session, identity: FederatedIdentity) -> Principal | None:
    """The principal of the active account holding the federation's e-mail (any case), or None.
    An account created without a display name takes the one the federation gives (« Claire
    Martin »), once: a name an administrator typed is never overwritten."""
    account = session.exec(select(UserAccount).where(func.lower(UserAccount.email) == identity.email,
                                                     UserAccount.active)).first()
    if account is None:
        return None
    if not account.display_name and identity.display_name:
        account.display_name = identity.display_name[:120]
    account.last_login = utcnow()
    session.add(account)
    return principal_for(account)


def principal_for_email(session: Session, email: str) -> Principal | None:
    """The principal of an active account whose e-mail the identity provider vouched for."""
    account = session.exec(select(UserAccount).where(UserAccount.email == email.strip().lower(),
                                                     UserAccount.active)).first()
    if account is None:
        return None
    account.last_login = utcnow()
    session.add(account)
    return principal_for(account)


# ---------------------------------------------------------------- sign-in throttling


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins of one account (``key`` "compte:LOGIN") or one client address
    ("client:IP"). Kept in the database, not in a process: several app processes behind nginx
    share the counters."""

    __tablename__ = "sign_in_throttle"
    key: str = Field(primary_key=True, max_length=200)
    failures: int = 0
    last_failure: dt.datetime = Field(default_factory=utcnow)


def throttle_keys(login: str, client: str | None) -> dict[str, int]:
    """The counters a sign-in attempt touches, with the number of failures each one tolerates."""
    keys = {f"compte:{login.strip().lower()}"[:200]: int_setting("QEP_SIGNIN_MAX_FAILURES")}
    if client:
        keys[f"client:{client}"[:200]] = int_setting("QEP_SIGNIN_MAX_FAILURES_CLIENT")
    return keys


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _wait_after(failures: int, allowed: int) -> dt.timedelta:
    """The wait once *allowed* failures are reached: the base delay, doubled at each failure beyond."""
    if failures < allowed:
        return dt.timedelta(0)
    base = max(int_setting("QEP_SIGNIN_DELAY"), 1)
    return min(dt.timedelta(seconds=base * 2 ** min(failures - allowed, 20)), LONGEST_WAIT)


def throttle_wait(session: Session, keys: dict[str, int], now: dt.datetime) -> dt.timedelta:
    """How long the attempt must still wait (zero: it may be checked now)."""
    wait = dt.timedelta(0)
    for key, allowed in keys.items():
        row = session.get(SignInThrottle, key)
        if row is None or now - _as_utc(row.last_failure) > FORGET_AFTER:
            continue
        wait = max(wait, _as_utc(row.last_failure) + _wait_after(row.failures, allowed) - now)
    return wait


def record_failure(session: Session, keys: dict[str, int], now: dt.datetime) -> dt.timedelta:
    """Count a failed attempt on every counter; the wait the next attempt will face."""
    wait = dt.timedelta(0)
    for key, allowed in keys.items():
        row = session.get(SignInThrottle, key)
        if row is None:
            row = SignInThrottle(key=key, failures=0, last_failure=now)
        elif now - _as_utc(row.last_failure) > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure = now
        session.add(row)
        wait = max(wait, _wait_after(row.failures, allowed))
    return wait


def reset_failures(session: Session, key: str) -> None:
    row = session.get(SignInThrottle, key)
    if row is not None:
        session.delete(row)


def is_active(session: Session, login: str) -> bool:
    """Whether an active account still answers to *login*."""
    account = _find(session, login)
    return account is not None and account.active
