"""Sign-in through an OpenID Connect provider, end to end: ``st.login`` against a real provider.

The provider is npm's ``oidc-provider`` (tests/oidc/provider.js, run by Debian's nodejs), the
library ProConnect itself runs, configured as ProConnect configures it: claims by scope only at the
userinfo endpoint (a signed JWT), ES256 ID tokens, client_secret_post, prompt ``login``. The app
runs as in production (``python -m qep_ui.serve``, ``QEP_AUTH=accounts``) with the ``[auth]``
secrets of the README's ProConnect section, given in a temporary file (``--secrets.files``).

What is proven, in Chromium:

* an e-mail matching an account (made with ``python -m qep_core user add``; other case in the
  token) signs in and lands on the dashboard, named from ``given_name`` + ``usual_name``, with its role;
* an unknown e-mail gets no access and a French sentence, until an administrator gives it an
  account and a role; then the same sign-in works;
* sign-out ends the session at the app and at the provider (back to the sign-in screen);
* an ID token from another issuer, or for another service, validly signed by the provider's key,
  is refused by Authlib's checks (``iss``, ``aud``): nothing is signed in.

Skipped, with the reason, without node or without ``npm ci`` in tests/oidc (``.ci/run`` does both).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT, SERVER_START_TIMEOUT, _free_port, _healthy, _stop, launcher, new_tab

PROVIDER_DIR = ROOT / "tests" / "oidc"
NODE = shutil.which("node") or shutil.which("nodejs")
CLIENT_ID = "qual-e-pref-test"
CLIENT_SECRET = "secret-du-fournisseur-de-service-de-test-0123456789"
ADMIN_EMAIL = "claire.martin@interieur.gouv.fr"
NEWCOMER_EMAIL = "paul.durand@interieur.gouv.fr"
USERS = {ADMIN_EMAIL: {"given_name": "Claire", "usual_name": "Martin", "uid": "cmartin"},
         NEWCOMER_EMAIL: {"given_name": "Paul", "usual_name": "Durand", "uid": "pdurand"}}
STATE_BUTTON = "Se connecter avec l'identité de l'État"

if NODE is None:
    pytestmark = pytest.mark.skip(reason="OpenID Connect tests: node is missing (Debian package nodejs; .ci/run installs it)")
elif not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
    pytestmark = pytest.mark.skip(reason="OpenID Connect tests: run `npm ci` in tests/oidc (.ci/run does)")


@dataclass(frozen=True)
class World:
    app_url: str
    provider_url: str
    database_url: str
    app_log: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "QEP_DATABASE_URL": self.database_url, "QEP_AUTH": "accounts"}
        done = subprocess.run([sys.executable, "-m", "qep_core", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def tamper(self, **claims: str) -> None:
        """The provider's next ID tokens carry these claims (re-signed with its own key)."""
        request = urllib.request.Request(f"{self.provider_url}/__test__/tamper", data=json.dumps(claims).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200


def _wait_for(what, proc: subprocess.Popen, log: Path, ready) -> None:  # type: ignore[no-untyped-def, type-arg]
    """Until ready(what), or a failure that shows the end of the process's log."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not ready(what):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not start (exit code {proc.poll()}):\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def _provider_ready(log: Path) -> bool:
    """provider.js says so once it listens (tests/oidc/provider.js, last line)."""
    return "oidc test provider ready" in log.read_text(errors="replace")


@contextlib.contextmanager
def _process(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:  # type: ignore[type-arg]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A demo database with one administrator known by e-mail, the provider, and the app."""
    from tests.databases import database

    folder = tmp_path_factory.mktemp("oidc")
    app_port, provider_port = _free_port(), _free_port()
    app_url, provider_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{provider_port}"
    redirect_uri = f"{app_url}/oauth2callback"
    (folder / "provider.json").write_text(json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                       "redirect_uri": redirect_uri, "users": USERS}))
    # The README's ProConnect block, pointed at the test provider.
    (folder / "secrets.toml").write_text(f"""
[auth]
redirect_uri = "{redirect_uri}"
cookie_secret = "un-secret-de-cookie-de-test-assez-long-0123456789"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
server_metadata_url = "{provider_url}/.well-known/openid-configuration"
expose_tokens = "access"
client_kwargs = {{ scope = "openid email given_name usual_name uid", prompt = "login", token_endpoint_auth_method = "client_secret_post" }}
""", encoding="utf-8")
    with database(folder, "oidc") as url:
        here = World(app_url, provider_url, url, folder / "app.log")
        here.cli("init", "--demo")
        # The first account, made by the installer (no --as yet): the référente, known by her e-mail
        # only (no password), written in another case than the provider's.
        here.cli("user", "add", "cmartin", "--role", "admin", "--email", ADMIN_EMAIL.upper(), "--oidc")
        with _process([str(NODE), "tests/oidc/provider.js", str(provider_port), str(folder / "provider.json")],
                      dict(os.environ), folder / "provider.log") as provider:
            _wait_for(folder / "provider.log", provider, folder / "provider.log", _provider_ready)
            env = {**os.environ, "QEP_DATABASE_URL": url, "QEP_AUTH": "accounts", "PYTHONUNBUFFERED": "1"}
            cmd = [*launcher(), "--server.port", str(app_port), "--server.address", "127.0.0.1",
                   "--server.headless", "true", "--browser.gatherUsageStats", "false",
                   "--server.fileWatcherType", "none", "--secrets.files", str(folder / "secrets.toml")]
            with _process(cmd, env, here.app_log) as app:
                _wait_for(app_url, app, here.app_log, _healthy)
                yield here


@pytest.fixture
def tab(browser, world: World, request: pytest.FixtureRequest) -> Iterator[object]:  # type: ignore[no-untyped-def]
    with new_tab(browser, world.app_url, request) as page:
        yield page


def _sign_in(page, email: str) -> None:  # type: ignore[no-untyped-def]
    """From the app's sign-in screen, through the provider's page, back to the app."""
    page.goto("/")
    page.get_by_role("button", name=STATE_BUTTON).click()
    page.wait_for_url("**/interaction/**")
    provider = page.url.split("/interaction/")[0] + "/"
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url(lambda url: not url.startswith(provider) and "/oauth2callback" not in url, wait_until="commit")


def _sign_out(page) -> None:  # type: ignore[no-untyped-def]
    """The app's button, then the provider's confirmation (RP-initiated logout)."""
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.wait_for_url("**/session/end**")
    page.get_by_role("button", name="Se déconnecter").click()  # the provider's page, which ends its session
    page.wait_for_url(lambda url: "/session/end" not in url and "/oauth2callback" not in url)


def test_known_email_signs_in_with_its_role_then_signs_out(tab, world: World) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    _sign_in(tab, ADMIN_EMAIL)
    expect(tab.get_by_role("heading", name="Tableau de bord Qual-e-Pref")).to_be_visible()
    sidebar = tab.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text("Claire Martin — Référent(e) qualité (administration)")
    expect(sidebar.locator('[data-testid="stSidebarNav"]')).to_contain_text("Paramètres")  # an administrator's pages
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "oidc-signed-in.png"))

    _sign_out(tab)
    assert tab.url.startswith(world.app_url)
    expect(tab.get_by_role("button", name=STATE_BUTTON)).to_be_visible()
    tab.screenshot(path=str(ARTIFACTS / "oidc-signed-out.png"))
    expect(tab.get_by_role("heading", name="Tableau de bord Qual-e-Pref")).to_have_count(0)


def test_unknown_email_waits_for_an_administrator(tab, world: World) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    _sign_in(tab, NEWCOMER_EMAIL)
    refusal = tab.locator('[data-testid="stAlert"]', has_text="aucun compte actif")
    expect(refusal).to_contain_text(f"Votre identité ({NEWCOMER_EMAIL}) est reconnue")
    expect(tab.get_by_role("heading", name="Tableau de bord Qual-e-Pref")).to_have_count(0)
    expect(tab.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "oidc-unknown-email.png"))

    world.cli("--as", "cmartin", "user", "add", "pdurand", "--role", "copil", "--email", NEWCOMER_EMAIL, "--oidc")
    _sign_out(tab)
    _sign_in(tab, NEWCOMER_EMAIL)
    expect(tab.get_by_role("heading", name="Tableau de bord Qual-e-Pref")).to_be_visible()
    sidebar = tab.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text("Paul Durand — Comité de pilotage (lecture, commentaires)")
    expect(sidebar.locator('[data-testid="stSidebarNav"]')).not_to_contain_text("Paramètres")  # not an administrator


def _refused_by_authlib(tab, world: World, claims: dict[str, str], check: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in while the provider stamps *claims* on the ID token: Streamlit refuses it (its log
    names Authlib's *check*), clears its cookies and shows the sign-in screen again."""
    from playwright.sync_api import expect

    log_before = world.app_log.read_text(errors="replace")
    world.tamper(**claims)
    try:
        _sign_in(tab, ADMIN_EMAIL)
        expect(tab.get_by_role("button", name=STATE_BUTTON)).to_be_visible()
    finally:
        world.tamper()
    expect(tab.get_by_role("heading", name="Tableau de bord Qual-e-Pref")).to_have_count(0)
    expect(tab.locator('[data-testid="stAlert"]')).to_have_count(0)
    assert not [c for c in tab.context.cookies() if c["name"].startswith("_streamlit_user")]
    new_lines = world.app_log.read_text(errors="replace")[len(log_before):]
    assert "OAuth token exchange failed" in new_lines
    assert check in new_lines


def test_token_from_another_issuer_is_refused(tab, world: World) -> None:  # type: ignore[no-untyped-def]
    _refused_by_authlib(tab, world, {"iss": "https://autre-emetteur.example/api/v2"}, "Invalid claim: 'iss'")


def test_token_for_another_service_is_refused(tab, world: World) -> None:  # type: ignore[no-untyped-def]
    _refused_by_authlib(tab, world, {"aud": "un-autre-service"}, "Missing claim: 'azp'")


def test_token_for_another_service_that_authlib_lets_through_is_refused_by_the_app(
        tab, world: World) -> None:  # type: ignore[no-untyped-def]
    """Authlib checks the audience only through azp: with our client_id as azp, a token for another
    service passes Streamlit; the app checks aud itself and lets nobody in."""
    from playwright.sync_api import expect

    world.tamper(aud="un-autre-service", azp=CLIENT_ID)
    try:
        _sign_in(tab, ADMIN_EMAIL)
        expect(tab.locator('[data-testid="stAlert"]')).to_contain_text(
            "Connexion par l'identité de l'État impossible : le jeton d'identité est destiné à un autre service.")
    finally:
        world.tamper()
    expect(tab.get_by_role("heading", name="Tableau de bord Qual-e-Pref")).to_have_count(0)
    expect(tab.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
