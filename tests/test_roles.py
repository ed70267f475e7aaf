"""Users, roles and the change history: each role against each page and action, on the server side."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core import services
from qep_core.access import PERMISSIONS, ROLES, Principal
from qep_core.change_history import ChangeEvent, history
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.importing import import_file, undo_batch
from qep_core.models import Perimetre
from qep_core.settings import save_targets
from qep_core.users import (
    UserAccount,
    UserError,
    add_user,
    authenticate,
    principal_for,
    set_active,
    set_password,
)
from tests.signed_in import give_accounts

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
PASSWORD = "un-mot-de-passe-long"


# ------------------------------------------------------------------------------------------ core

def test_passwords_are_salted_hashes_and_checked(engine: Engine, prefecture) -> None:
    with session_scope(engine, write=True) as session:
        a = add_user(session, "Marie", "admin", password=PASSWORD, prefecture_id=prefecture.id)
        b = add_user(session, "paul", "copil", password=PASSWORD, prefecture_id=prefecture.id)
        assert a.login == "marie"  # logins are case-insensitive
        assert a.password_hash != b.password_hash and PASSWORD not in (a.password_hash or "")
        assert (a.password_hash or "").startswith("$argon2id$")
    with session_scope(engine, write=True) as session:
        assert authenticate(session, "marie", "mauvais-mot-de-passe") is None
        assert authenticate(session, "inconnu", PASSWORD) is None
        who = authenticate(session, "MARIE", PASSWORD)
        assert who is not None and who.role == "admin" and who.prefecture_ids == frozenset({prefecture.id})
        set_active(session, "paul", False)
    with session_scope(engine, write=True) as session:
        assert authenticate(session, "paul", PASSWORD) is None  # disabled
        set_password(session, "marie", "un-autre-mot-de-passe")
    with session_scope(engine, write=True) as session:
        assert authenticate(session, "marie", PASSWORD) is None
        assert authenticate(session, "marie", "un-autre-mot-de-passe") is not None


@pytest.mark.parametrize(("login", "role", "password", "message"), [
    ("a b", "admin", PASSWORD, "identifiant"),
    ("jean", "chef", PASSWORD, "rôle"),
    ("jean", "copil", "court", "trop court"),
    ("jean", "copil", None, "mot de passe"),
])
def test_bad_accounts_are_refused_in_french(engine: Engine, login, role, password, message) -> None:
    with pytest.raises(UserError, match=message), session_scope(engine, write=True) as session:
        add_user(session, login, role, password=password)
    with session_scope(engine) as session:
        assert session.exec(select(UserAccount)).all() == []


def test_the_last_admin_cannot_be_disabled(engine: Engine) -> None:
    with session_scope(engine, write=True) as session:
        add_user(session, "marie", "admin", password=PASSWORD)
    with pytest.raises(UserError, match="dernier compte administrateur"), session_scope(engine, write=True) as session:
        set_active(session, "marie", False)


def test_role_permissions_follow_the_label_organisation() -> None:
    clu = Principal("clu", "lecture-clu")
    contributor = Principal("svc", "contributeur", perimetre_ids=frozenset({3}))
    copil = Principal("sg", "copil")
    assert clu.public_only and not clu.can("read_items") and not clu.can("import")
    assert contributor.can("import") and not contributor.can("edit_targets") and not contributor.sees_perimetre(4)
    assert copil.can("comment") and copil.can("read_items") and not copil.can("import")
    assert not copil.can("read_personal") and PERMISSIONS["admin"] >= PERMISSIONS["copil"]


def test_contributor_scope_comes_from_its_account(engine: Engine, prefecture) -> None:
    with session_scope(engine, write=True) as session:
        account = add_user(session, "svc", "contributeur", password=PASSWORD, prefecture_id=prefecture.id,
                           perimetre_ids=[5, 3])
        who = principal_for(account)
    assert who.perimetre_ids == frozenset({3, 5}) and who.prefecture_ids == frozenset({prefecture.id})


# ------------------------------------------------------------------------------------------ history

LONG = (b"indicateur;periode;numerateur;denominateur\nCOURRIEL_5J;2024-05;80;100\n")
LONG_V2 = (b"indicateur;periode;numerateur;denominateur\nCOURRIEL_5J;2024-05;85;100\n")


def test_every_change_is_in_the_history_with_before_and_after(engine: Engine, prefecture) -> None:
    import_file(engine, prefecture.id, "mai.csv", LONG, user="marie")
    second = import_file(engine, prefecture.id, "mai-corrige.csv", LONG_V2, user="paul")
    with session_scope(engine, write=True) as session:
        undo_batch(session, prefecture.id, second.batch.id, user="marie")
        save_targets(session, prefecture.id, 2025, [{"code": "COURRIEL_5J", "target": 95, "alert": 85}], user="marie")
    with session_scope(engine) as session:
        frame = history(session, prefecture.id)
        events = session.exec(select(ChangeEvent).order_by(ChangeEvent.id)).all()
    assert [e.action for e in events] == ["import", "import", "undo", "target"]
    assert [e.user for e in events] == ["marie", "paul", "marie", "marie"]
    assert '"valeurs remplacées": 1' in (events[1].before_json or "")
    assert '"statut": "undone"' in (events[2].after_json or "")
    assert '"cible": 95.0' in (events[3].after_json or "") and '"cible": 90' in (events[3].before_json or "")
    assert list(frame["Quoi"]) == ["Cible", "Annulation d'import", "Import", "Import"]  # newest first


def test_a_refused_import_leaves_no_history(engine: Engine, prefecture) -> None:
    from qep_core.importing import ImportRejected

    with pytest.raises(ImportRejected):
        import_file(engine, prefecture.id, "faux.csv", b"indicateur;periode;numerateur;denominateur\nXX;2024-05;1;2\n")
    with session_scope(engine) as session:
        assert session.exec(select(ChangeEvent)).all() == []


def test_cli_user_commands(tmp_path: Path) -> None:
    env = {**os.environ, "QEP_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "QEP_PASSWORD": PASSWORD}

    def cli(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "qep_core", *args], cwd=ROOT, env={**env, **extra},
                              capture_output=True, text=True, timeout=120)

    assert cli("init", "--prefecture", "44", "--name", "Préfecture de test").returncode == 0
    added = cli("user", "add", "marie", "--role", "admin", "--prefecture", "44", "--name", "Marie")
    assert added.returncode == 0, added.stderr
    assert "créé" in added.stdout
    assert cli("user", "add", "marie", "--role", "copil").returncode == 1  # exists
    short = cli("user", "add", "paul", "--role", "copil", QEP_PASSWORD="court")
    assert short.returncode == 1 and "trop court" in short.stderr
    assert cli("user", "add", "paul", "--role", "copil", "--prefecture", "44").returncode == 0
    assert cli("user", "disable", "paul").returncode == 0
    listing = cli("user", "list").stdout
    assert "marie" in listing and "paul" in listing and "désactivé" in listing
    assert cli("user", "passwd", "marie", QEP_PASSWORD="encore-un-mot-de-passe").returncode == 0
    log = cli("history", "--prefecture", "44").stdout
    assert "compte créé" in log and "compte désactivé" in log and "mot de passe changé" in log


# ------------------------------------------------------------------------------------------ pages

@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('roles') / 'demo.db'}"
    engine = get_engine(url)
    create_schema(engine)
    load_demo(engine)
    with session_scope(engine, write=True) as session:
        add_user(session, "marie", "admin", password=PASSWORD, prefecture_id=1)
    give_accounts(engine, CLU, COPIL, *(Principal(role, role, prefecture_ids=frozenset({1})) for role in ROLES))
    return url


@pytest.fixture
def accounts(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    monkeypatch.setenv("QEP_AUTH", "accounts")
    return demo_url


def as_user(principal: Principal | None, page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    if principal is not None:
        at.session_state["_principal"] = principal
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.error, *at.info, *at.title, *at.subheader])


def test_without_sign_in_nothing_is_shown(accounts) -> None:
    at = as_user(None)
    assert not at.exception
    assert at.title[0].value == "Qual-e-Pref — connexion"
    assert not at.metric  # no figure before sign-in
    at.text_input[0].set_value("marie")
    at.text_input[1].set_value("mauvais-mot-de-passe")
    at.button[0].click().run()
    assert "incorrect" in at.error[0].value and not at.metric
    at.text_input[1].set_value(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and len(at.metric) == 20  # the dashboard, signed in


def test_local_mode_says_so(demo_url, monkeypatch) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", demo_url)
    monkeypatch.delenv("QEP_AUTH", raising=False)
    at = as_user(None)
    assert "Mode poste local" in texts(at) and len(at.metric) == 20


CLU = Principal("clu", "lecture-clu", prefecture_ids=frozenset({1}))
COPIL = Principal("sg", "copil", prefecture_ids=frozenset({1}))
ADMIN = Principal("marie", "admin", prefecture_ids=frozenset({1}))


# (page, action): each role either sees the page or gets "Accès refusé", even when it opens it directly
PAGE_ACTIONS = {
    "pages/tableau_de_bord.py": "read", "pages/indicateurs.py": "read", "pages/engagements.py": "read",
    "pages/import_fichiers.py": "import", "pages/saisie.py": "enter", "pages/parametres.py": "edit_settings",
    "pages/historique.py": "history", "pages/comparaison.py": "compare", "pages/revue.py": "read",
    "pages/exports.py": "export", "pages/enquetes.py": "read",
}


@pytest.mark.parametrize("role", ["admin", "copil", "contributeur", "lecture-clu"])
@pytest.mark.parametrize("page", list(PAGE_ACTIONS))
def test_each_role_on_each_page(accounts, role: str, page: str) -> None:
    with session_scope(get_engine(accounts)) as session:
        coord = session.exec(select(Perimetre).where(Perimetre.name == "Coord.")).one()
    who = Principal(role, role, prefecture_ids=frozenset({1}),
                    perimetre_ids=frozenset({coord.id}) if role == "contributeur" else None)
    if who.can(PAGE_ACTIONS[page]):
        at = as_user(who, page)
        assert not at.exception and not any("Accès refusé" in e.value for e in at.error)
        return
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        as_user(who, page)  # not in this role's navigation: its URL cannot be opened
    # and the page itself refuses, should it ever be reached another way (a hidden link is not a permission)
    direct = AppTest.from_file(str(ROOT / page), default_timeout=60)
    direct.session_state["_principal"] = who
    direct.run()
    assert not direct.exception
    assert any("Accès refusé" in e.value for e in direct.error), (role, page)


def test_clu_sees_no_perimetre_detail_nor_items(accounts) -> None:
    at = as_user(CLU, "pages/indicateurs.py", ind="RECLA_DELAI", annee="2024")
    assert not at.exception
    headers = [s.value for s in at.subheader]
    assert not any("Par périmètre" in h for h in headers)
    assert not any("élément" in c.value for c in at.caption)  # no drill-down into the complaints log
    assert not at.multiselect  # no périmètre to pick: their names are internal, their figures may be small
    admin = as_user(ADMIN, "pages/indicateurs.py", ind="RECLA_DELAI", annee="2024")
    assert any("Par périmètre" in h.value for h in admin.subheader)
    assert admin.multiselect


def test_copil_sees_items_but_not_personal_columns(accounts) -> None:
    at = as_user(COPIL, "pages/indicateurs.py", ind="RECLA_DELAI", annee="2024")
    assert not at.exception
    assert any("élément" in c.value for c in at.caption)  # the late complaints are listed
    assert not [t for t in at.toggle if (t.key or "").startswith("personal-")]
    admin = as_user(ADMIN, "pages/indicateurs.py", ind="RECLA_DELAI", annee="2024")
    assert [t for t in admin.toggle if (t.key or "").startswith("personal-")]


def test_navigation_lists_only_what_the_role_may_open(accounts) -> None:
    # AppTest has no handle on the navigation widget: the list is built from PAGES × Principal.can,
    # which the page matrix above checks page by page; here the refusal of a user of another préfecture
    other = Principal("autre", "admin", prefecture_ids=frozenset({999}))
    at = as_user(other)
    assert not at.exception and not at.metric  # no préfecture of its own: nothing shown


def test_clu_exports_only_public_documents(accounts) -> None:
    at = as_user(CLU, "pages/exports.py", annee="2024")
    assert not at.exception
    assert set(at.radio(key="export_kind").options) == {"Diaporama du CLU", "Affiche transparence",
                                                        "Services Publics+"} or "copil" not in str(
        at.radio(key="export_kind").options)
    admin = as_user(ADMIN, "pages/exports.py", annee="2024")
    assert len(admin.radio(key="export_kind").options) == len(services.exports.KINDS) == 7
    assert not any("python -m qep_core" in c.value for c in at.caption)  # the command line: administrators only
    assert any("python -m qep_core export" in c.value for c in admin.caption)
