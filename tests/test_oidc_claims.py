"""OpenID Connect claims → accounts (qep_core.users, services.identity) and ProConnect's userinfo
call (qep_core.oidc), without a browser: the rules the browser test (tests/browser/test_oidc_sign_in.py)
exercises end to end, each case on its own. The userinfo endpoint is a small HTTP server on loopback
that answers as ProConnect does (a JWT signed ES256, keys at jwks_uri)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy.engine import Engine

from qep_core import services
from qep_core.db import session_scope
from qep_core.oidc import OidcError, ProviderSettings, check_audience, userinfo
from qep_core.users import FederatedIdentity, add_user, get_user, identity_from_claims, set_active

CLIENT = "qual-e-pref"
KEY = ECKey.generate_key("P-256", parameters={"kid": "k1", "alg": "ES256", "use": "sig"})
OTHER_KEY = ECKey.generate_key("P-256", parameters={"kid": "k1", "alg": "ES256", "use": "sig"})
CLAIMS = {"sub": "s-123", "email": "Claire.Martin@Interieur.gouv.fr", "given_name": "Claire",
          "usual_name": "Martin", "uid": "cmartin"}


# ---------------------------------------------------------------- claims → identity → account


def test_identity_from_proconnect_claims() -> None:
    identity = identity_from_claims({**CLAIMS, "given_name": " Claire  Anne ", "siret": "17440001800016"})
    assert identity == FederatedIdentity(email="claire.martin@interieur.gouv.fr", given_name="Claire Anne",
                                         usual_name="Martin", uid="cmartin", subject="s-123")
    assert identity.display_name == "Claire Anne Martin"


def test_identity_from_a_standard_provider_and_without_email() -> None:
    assert identity_from_claims({"email": "a@b.fr", "family_name": "Durand"}).display_name == "Durand"  # type: ignore[union-attr]
    for claims in ({"sub": "x"}, {"email": ""}, {"email": "pas-un-courriel"}, {"email": ["a@b.fr"]}):
        assert identity_from_claims(claims) is None


def test_email_matches_an_account_whatever_its_case(engine: Engine) -> None:
    with session_scope(engine, write=True) as session:
        add_user(session, "cmartin", "copil", email="CLAIRE.martin@interieur.gouv.fr")
        add_user(session, "named", "admin", email="nommee@interieur.gouv.fr", display_name="Mme la référente")
    outcome = services.identity.sign_in_federated(engine, identity_from_claims(CLAIMS))  # type: ignore[arg-type]
    assert outcome.principal is not None and outcome.principal.login == "cmartin"
    assert outcome.principal.role == "copil" and outcome.principal.display_name == "Claire Martin"
    with session_scope(engine) as session:
        account = get_user(session, "cmartin")
        assert account.display_name == "Claire Martin" and account.last_login is not None
    named = identity_from_claims({"email": "nommee@interieur.gouv.fr", "given_name": "X", "usual_name": "Y"})
    assert services.identity.sign_in_federated(engine, named).principal.display_name == "Mme la référente"  # type: ignore[arg-type, union-attr]


def test_unknown_or_disabled_email_gets_no_access_and_a_french_sentence(engine: Engine) -> None:
    unknown = services.identity.sign_in_federated(engine, identity_from_claims(CLAIMS))  # type: ignore[arg-type]
    assert unknown.principal is None
    assert unknown.message.startswith("Votre identité (claire.martin@interieur.gouv.fr) est reconnue, mais aucun "
                                      "compte actif ne lui correspond ici")
    with session_scope(engine, write=True) as session:
        add_user(session, "first", "admin", password="un mot de passe long")
        add_user(session, "cmartin", "copil", email="claire.martin@interieur.gouv.fr")
        set_active(session, "cmartin", False)
    assert services.identity.sign_in_federated(engine, identity_from_claims(CLAIMS)).principal is None  # type: ignore[arg-type]


def test_audience_is_checked_by_the_app() -> None:
    settings = ProviderSettings("http://127.0.0.1:9/.well-known/openid-configuration", CLIENT)
    check_audience({"aud": CLIENT}, settings)
    check_audience({"aud": ["autre", CLIENT]}, settings)
    for claims in ({"aud": "autre", "azp": CLIENT}, {"aud": ["autre"]}, {}):
        with pytest.raises(OidcError, match="destiné à un autre service"):
            check_audience(claims, settings)
    with pytest.raises(OidcError, match="destiné à un autre service"):
        services.identity.federated_identity({**CLAIMS, "aud": "autre", "azp": CLIENT}, settings=settings)


# ---------------------------------------------------------------- the userinfo endpoint (ProConnect)


class Provider:
    """What the fake provider answers at userinfo: set by each test."""

    def __init__(self) -> None:
        self.answer: tuple[str, bytes] = ("application/json", b"{}")
        self.tokens: list[str] = []
        self.url = ""

    def signed(self, claims: dict[str, Any], key: ECKey = KEY) -> None:
        self.answer = ("application/jwt", jwt.encode({"alg": "ES256", "kid": "k1"}, claims, key).encode())


@pytest.fixture
def provider() -> Iterator[Provider]:
    state = Provider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                kind, body = "application/json", json.dumps({"issuer": state.url, "jwks_uri": f"{state.url}/jwks",
                                                             "userinfo_endpoint": f"{state.url}/userinfo"}).encode()
            elif self.path == "/jwks":
                kind, body = "application/json", json.dumps({"keys": [KEY.as_dict(private=False)]}).encode()
            else:
                state.tokens.append(self.headers.get("Authorization", ""))
                kind, body = state.answer
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _settings(provider: Provider) -> ProviderSettings:
    return ProviderSettings(f"{provider.url}/.well-known/openid-configuration", CLIENT)


def test_signed_userinfo_completes_an_id_token_without_email(provider: Provider) -> None:
    provider.signed({**CLAIMS, "iss": provider.url, "aud": CLIENT})
    id_token_claims = {"sub": "s-123", "aud": CLIENT, "iss": provider.url}
    identity = services.identity.federated_identity(id_token_claims, settings=_settings(provider), access_token="at-1")
    assert identity.email == "claire.martin@interieur.gouv.fr" and identity.display_name == "Claire Martin"
    assert provider.tokens == ["Bearer at-1"]


@pytest.mark.parametrize("claims, key, message", [
    ({**CLAIMS, "aud": CLIENT}, OTHER_KEY, "n'a pas pu être vérifiée"),
    ({**CLAIMS, "iss": "https://autre.example", "aud": CLIENT}, KEY, "autre émetteur"),
    ({**CLAIMS, "aud": "autre"}, KEY, "autre service"),
    ({**CLAIMS, "sub": "quelqu-un-d-autre", "aud": CLIENT}, KEY, "autre personne"),
])
def test_untrustworthy_userinfo_is_refused(provider: Provider, claims: dict[str, Any], key: ECKey,
                                            message: str) -> None:
    provider.signed(claims, key)
    with pytest.raises(OidcError, match=message):
        userinfo(_settings(provider), "at-1", "s-123")


def test_plain_json_userinfo_and_missing_pieces(provider: Provider) -> None:
    provider.answer = ("application/json", json.dumps(CLAIMS).encode())
    assert userinfo(_settings(provider), "at-1", "s-123")["uid"] == "cmartin"
    with pytest.raises(OidcError, match="expose_tokens"):
        userinfo(_settings(provider), "", "s-123")
    provider.answer = ("application/json", json.dumps({"sub": "s-123"}).encode())
    with pytest.raises(OidcError, match="pas transmis d'adresse électronique"):
        services.identity.federated_identity({"sub": "s-123", "aud": CLIENT}, settings=_settings(provider),
                                             access_token="at-1")
    with pytest.raises(OidcError, match="ne répond pas"):
        userinfo(ProviderSettings("http://127.0.0.1:9/.well-known/openid-configuration", CLIENT), "at", "s")
