"""Accounts and sign-in: who may come in, and as whom the command line acts."""

from __future__ import annotations

from qep_core.access import AccessDenied, Principal
from qep_core.db import session_scope
from qep_core.services._unit import Database
from qep_core.users import UserAccount, UserError, get_user, principal_for

__all__ = ["acting_as"]


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
