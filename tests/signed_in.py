"""Accounts behind the principals a page test puts in the session: the app ends any session whose
account is not (or no longer) active, so a test that signs someone in gives them an account."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core.access import Principal
from qep_core.db import session_scope
from qep_core.users import UserAccount, add_user, set_active


def give_accounts(engine: Engine, *principals: Principal) -> None:
    """An active account for each principal's login (created once, re-enabled if disabled)."""
    with session_scope(engine, write=True) as session:
        for who in principals:
            found = session.exec(select(UserAccount).where(UserAccount.login == who.login)).first()
            if found is None:
                prefs = sorted(who.prefecture_ids or ())
                add_user(session, who.login, who.role, password="un-mot-de-passe-long", display_name=who.display_name,
                         prefecture_id=prefs[0] if prefs else None, perimetre_ids=who.perimetre_ids or ())
            elif not found.active:
                set_active(session, who.login, True)
