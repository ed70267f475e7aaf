"""Who is using the app, and what they may do: sign-in, the sidebar's identity line, page guards.

Three ways in, chosen by the deployment (``QEP_AUTH``, see README):

* ``local`` (default of ``make run``): one user on a laptop, no sign-in, every right — shown in
  the sidebar so that nobody mistakes it for a shared instance;
* ``accounts``: built-in accounts (``python -m qep_core user add``) with Argon2 password hashes;
* on top of ``accounts``, OpenID Connect through ``st.login`` when Streamlit's ``[auth]`` secrets
  are set (the State's identity federation, ProConnect): the provider's e-mail is matched to an
  account (``services.identity``; the userinfo call ProConnect needs is in ``qep_core.oidc``).

Every page calls :func:`require` with the action it needs, even though the navigation already
hides what a role may not open: a hidden link is not a permission.
"""

from __future__ import annotations

import streamlit as st

from qep_core import services
from qep_core.access import ACTION_LABELS, LOCAL_PRINCIPAL, ROLES, Principal, auth_mode
from qep_ui.database import database as engine
from qep_ui.widgets import plain

SESSION_KEY = "_principal"
ENDED_KEY = "_session_ended"  # the next sign-in form says why the session ended
FEDERATED_KEY = "_federated"  # the identity the federation vouched for, or why it could not be read
USER_KEY = "qep_user"  # the name typed once on a single-user laptop ("Votre nom")
DEFAULT_USER = "référent qualité"


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def client_address() -> str | None:
    """The client's IP address, for the sign-in throttle: the connection's, or — when the app
    listens behind a proxy on this machine (nginx, which Streamlit sees as localhost) — the last
    address of ``X-Forwarded-For``, the one the proxy itself saw (earlier ones can be forged)."""
    direct = st.context.ip_address
    if direct:
        return direct
    forwarded = str(st.context.headers.get("X-Forwarded-For") or "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-1] if hops else None


def _provider_settings() -> services.identity.ProviderSettings | None:
    """The provider st.login signed the user in with, as Streamlit's ``[auth]`` secrets give it
    (the top-level keys, or the ``[auth.NAME]`` section of a named provider)."""
    section = st.secrets.get("auth") or {}
    provider = str(st.user.get("provider") or "default")
    if provider != "default":
        section = section.get(provider) or {}
    url, client_id = str(section.get("server_metadata_url") or ""), str(section.get("client_id") or "")
    return services.identity.ProviderSettings(url, client_id) if url and client_id else None


def _federated() -> services.identity.FederatedSignIn:
    """The federation's sign-in for this session, read once: ProConnect's access token, which the
    userinfo call needs, lives a minute; the answer is kept in the session until sign-out."""
    outcome = st.session_state.get(FEDERATED_KEY)
    if outcome is None or (outcome.principal is None and outcome.identity is not None):
        try:
            identity = outcome.identity if outcome is not None else services.identity.federated_identity(
                st.user.to_dict(), settings=_provider_settings(), access_token=st.user.tokens.get("access", ""))
        except services.identity.OidcError as exc:
            outcome = services.identity.FederatedSignIn(None, None, f"Connexion par l'identité de l'État impossible : {exc}.")
        else:  # an unknown e-mail asks again at every run: an administrator may have created its account since
            outcome = services.identity.sign_in_federated(engine(), identity)
        st.session_state[FEDERATED_KEY] = outcome
    return outcome


def current_principal() -> Principal | None:
    """The signed-in principal, without drawing anything (None before sign-in)."""
    if auth_mode() == "local":
        return LOCAL_PRINCIPAL
    principal = st.session_state.get(SESSION_KEY)
    if principal is None and _oidc_configured() and getattr(st.user, "is_logged_in", False):
        principal = _federated().principal
        if principal is not None:
            st.session_state[SESSION_KEY] = principal
    return principal


def _ended_session() -> None:
    """An account disabled (or gone) since it signed in: the session ends here, and says why."""
    principal = st.session_state.get(SESSION_KEY)
    if principal is None or principal.local:
        return
    if services.accounts.still_active(services.Actor(principal, engine())):
        return
    sign_out()
    st.session_state[ENDED_KEY] = True


def sign_in() -> Principal:
    """The principal, or the sign-in form and a stop. Every run first checks that the signed-in
    account is still active: disabling an account ends its open sessions at their next click."""
    if auth_mode() != "local":
        _ended_session()
    principal = current_principal()
    if principal is not None:
        return principal
    st.title("Qual-e-Pref — connexion")
    if st.session_state.pop(ENDED_KEY, False):
        st.warning("Votre session a été fermée : votre compte a été désactivé. Adressez-vous au référent qualité.",
                   icon=":material/lock:")
    if _oidc_configured():
        if getattr(st.user, "is_logged_in", False):
            st.error(plain(_federated().message), icon=":material/no_accounts:")
            st.button("Se déconnecter", on_click=sign_out)
        else:
            st.button("Se connecter avec l'identité de l'État", type="primary", on_click=st.login)
        st.divider()
    with st.form("sign-in"):
        login = st.text_input("Identifiant")
        password = st.text_input("Mot de passe", type="password")
        submitted = st.form_submit_button("Se connecter", type="primary")
    if submitted:
        outcome = services.accounts.sign_in(engine(), login, password, client=client_address())
        if outcome.principal is None:
            st.error(plain(outcome.message))
        else:
            st.session_state[SESSION_KEY] = outcome.principal
            st.rerun()
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def sign_out() -> None:
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(FEDERATED_KEY, None)
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def identity_sidebar(principal: Principal) -> None:
    """The sidebar line that says who is signed in, or that this is the single-user mode."""
    with st.sidebar:
        if principal.local:
            st.caption(":material/computer: **Mode poste local** — sans connexion, tous les droits. "
                       "Pour une instance partagée, activez les comptes (QEP_AUTH=accounts).")
        else:
            st.caption(f":material/person: {plain(principal.display_name or principal.login)} — {ROLES.get(principal.role, principal.role)}")
            st.button("Se déconnecter", key="sign-out", on_click=sign_out)


def principal() -> Principal:
    """The principal of this session (pages run after the entry script signed the user in)."""
    found = current_principal()
    if found is None:
        st.stop()
    return found


def require(action: str) -> Principal:
    """Stop the page unless the signed-in user may do *action* (checked on the server, every run)."""
    who = principal()
    if not who.can(action):
        st.error(f"Accès refusé : votre rôle ({ROLES.get(who.role, who.role)}) ne permet pas de "
                 f"{ACTION_LABELS.get(action, action)}.")
        st.stop()
    return who


def allowed(action: str) -> bool:
    who = current_principal()
    return who is not None and who.can(action)


def author() -> str:
    """The name every write records in the history: the signed-in account, or on a single-user
    laptop the name typed once in the session ("Votre nom", Import page)."""
    return actor().principal.author


def actor() -> services.Actor:
    """Who acts in this session, on the application's database: what every service call takes.
    On a single-user laptop, under the name typed once ("Votre nom", Import page)."""
    who = principal()
    if who.local:
        who = who.named((st.session_state.get(USER_KEY) or DEFAULT_USER).strip() or DEFAULT_USER)
    return services.Actor(who, engine())
