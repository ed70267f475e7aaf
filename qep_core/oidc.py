"""The userinfo call of an OpenID Connect sign-in, as ProConnect requires it.

Streamlit's ``st.login`` (Authlib) keeps only the claims of the ID token. ProConnect, like any
provider that follows OpenID Connect Core 5.4 (it runs panva's oidc-provider with its default
``conformIdTokenClaims``), puts the claims asked for by scope — ``email``, ``given_name``,
``usual_name``, ``uid`` — only in the answer of its userinfo endpoint, not in the ID token. So,
once signed in, the app asks that endpoint with the access token (``expose_tokens = "access"``:
ProConnect's access token lives 60 seconds, and the call is made at the first run after the
sign-in). ProConnect answers with a signed JWT (``application/jwt``): its signature is checked
against the provider's published keys, its issuer against the discovery document, its audience
against our client_id, and its ``sub`` against the ID token's, before any claim is believed.

No Streamlit here: the caller passes the settings (qep_ui/auth.py reads them from the ``[auth]``
secrets) and gets the claims or an :class:`OidcError` with a French message.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

TIMEOUT_SECONDS = 10
SIGNING_ALGORITHMS = ["ES256", "RS256", "PS256", "EdDSA"]  # never "none", never a shared-secret HS256
MAX_ANSWER_BYTES = 1_000_000


class OidcError(ValueError):
    """The identity provider's answer could not be trusted or read (French message)."""


@dataclass(frozen=True)
class ProviderSettings:
    """What the app knows of its identity provider: Streamlit's ``[auth]`` secrets."""

    server_metadata_url: str
    client_id: str


def _get(url: str, headers: Mapping[str, str] | None = None) -> tuple[str, bytes]:
    """The content type and body of a GET, or OidcError."""
    request = urllib.request.Request(url, headers={"Accept": "application/json, application/jwt", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(MAX_ANSWER_BYTES + 1)
            kind = str(response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    except OSError as exc:  # urllib's HTTPError and URLError are OSErrors
        raise OidcError(f"le fournisseur d'identité ne répond pas ({url.split('?')[0]}) : {exc}") from exc
    if len(body) > MAX_ANSWER_BYTES:
        raise OidcError("réponse du fournisseur d'identité trop longue")
    return kind, body


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise OidcError("réponse du fournisseur d'identité illisible") from exc
    if not isinstance(value, dict):
        raise OidcError("réponse du fournisseur d'identité illisible")
    return value


def _verified(token: str, metadata: Mapping[str, Any], settings: ProviderSettings) -> dict[str, Any]:
    """The claims of a signed userinfo answer, once its signature, issuer and audience are checked."""
    jwks_uri = str(metadata.get("jwks_uri") or "")
    if not jwks_uri:
        raise OidcError("le document de découverte du fournisseur d'identité ne publie pas ses clés (jwks_uri)")
    try:
        keys = KeySet.import_key_set(_json(_get(jwks_uri)[1]))  # type: ignore[arg-type]
        claims = dict(jwt.decode(token, keys, algorithms=SIGNING_ALGORITHMS).claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise OidcError("la réponse signée du fournisseur d'identité n'a pas pu être vérifiée") from exc
    if "iss" in claims and claims["iss"] != metadata.get("issuer"):
        raise OidcError("la réponse du fournisseur d'identité vient d'un autre émetteur que celui configuré")
    audience = claims.get("aud")
    if audience is not None and settings.client_id not in ([audience] if isinstance(audience, str) else audience):
        raise OidcError("la réponse du fournisseur d'identité est destinée à un autre service")
    return claims


def check_audience(claims: Mapping[str, object], settings: ProviderSettings) -> None:
    """Refuse an ID token that is not for this service. Streamlit has Authlib verify the ID token,
    but Authlib 1.9 checks the audience only through ``azp``: a token whose ``aud`` names another
    service and whose ``azp`` names ours passes it (OpenID Connect Core 3.1.3.7 wants ``aud`` to
    contain our client_id). The app checks it again here, before believing any claim."""
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience) if isinstance(audience, list) else []
    if settings.client_id not in audiences:
        raise OidcError("le jeton d'identité est destiné à un autre service")


def userinfo(settings: ProviderSettings, access_token: str, subject: str) -> dict[str, Any]:
    """The claims of the userinfo endpoint for *access_token*, checked (module docstring): they
    must describe *subject*, the ``sub`` of the ID token Streamlit already verified."""
    if not access_token:
        raise OidcError("aucun jeton d'accès : ajoutez expose_tokens = \"access\" à la section [auth]")
    metadata = _json(_get(settings.server_metadata_url)[1])
    endpoint = str(metadata.get("userinfo_endpoint") or "")
    if not endpoint:
        raise OidcError("le fournisseur d'identité ne publie pas de userinfo_endpoint")
    kind, body = _get(endpoint, {"Authorization": f"Bearer {access_token}"})
    claims = _verified(body.decode("ascii", "replace").strip(), metadata, settings) if kind == "application/jwt" \
        else _json(body)
    if claims.get("sub") != subject:
        raise OidcError("la réponse du fournisseur d'identité décrit une autre personne que le jeton d'identité")
    return claims
