"""Sign-in through the State's identity federation (ProConnect, OpenID Connect via ``st.login``).

Streamlit verifies the ID token (signature, issuer, audience, expiry, nonce) before it calls
anyone signed in; this module turns what it verified into an account of the app. Like
:func:`qep_core.services.accounts.sign_in`, signing in has no actor yet, so the function takes
the database. The claims come from the ID token and, when it lacks the e-mail (ProConnect:
see :mod:`qep_core.oidc`), from the provider's userinfo endpoint.

An unknown e-mail gets no access and no record: the administrator creates the account with that
e-mail and a role (``python -m qep_core user add LOGIN --email … --role … --oidc``), and the same
sign-in then works.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qep_core.access import Principal
from qep_core.db import session_scope
from qep_core.oidc import OidcError, ProviderSettings, check_audience, userinfo
from qep_core.services._unit import Database
from qep_core.users import FederatedIdentity, identity_from_claims, principal_for_identity

__all__ = ["FederatedSignIn", "OidcError", "ProviderSettings", "federated_identity", "sign_in_federated"]


@dataclass(frozen=True)
class FederatedSignIn:
    """The outcome: the principal, or the identity without an account, or the French sentence."""

    principal: Principal | None
    identity: FederatedIdentity | None = None
    message: str = ""


def federated_identity(claims: Mapping[str, object], *, settings: ProviderSettings | None = None,
                       access_token: str = "") -> FederatedIdentity:
    """The identity the provider vouches for: from the ID token's claims (once their audience is
    checked again: :func:`qep_core.oidc.check_audience`), completed by the userinfo endpoint when
    they carry no e-mail (ProConnect). Raises OidcError (French)."""
    if settings is not None:
        check_audience(claims, settings)
    identity = identity_from_claims(claims)
    if identity is None and settings is not None:
        merged = {**claims, **userinfo(settings, access_token, str(claims.get("sub") or ""))}
        identity = identity_from_claims(merged)
    if identity is None:
        raise OidcError("le fournisseur d'identité n'a pas transmis d'adresse électronique "
                        "(demandez le scope « email »)")
    return identity


def sign_in_federated(database: Database, identity: FederatedIdentity) -> FederatedSignIn:
    """The principal of the active account holding *identity*'s e-mail, or why there is none."""
    with session_scope(database, write=True) as session:
        principal = principal_for_identity(session, identity)
    if principal is None:
        return FederatedSignIn(None, identity,
                               f"Votre identité ({identity.email}) est reconnue, mais aucun compte actif ne lui "
                               "correspond ici : demandez au référent qualité de vous créer un compte avec ce "
                               "courriel et un rôle.")
    return FederatedSignIn(principal, identity)
