"""Permission matrix of accounts, settings and backups (see tests/access_world.py), the sign-in
throttle (with a fake clock), and the end of a disabled account's open session (AppTest)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL, AccessDenied, Principal
from qep_core.change_history import ChangeEvent
from qep_core.db import session_scope
from qep_core.users import add_user
from tests.access_world import ROLES_UNDER_TEST, World

COVERED = {
    "accounts.list_accounts", "accounts.add_account", "accounts.set_account_active", "accounts.set_account_password",
    "backups.back_up", "backups.restore_archive",
    "settings.module_choices", "settings.labelled", "settings.prefecture_by_code", "settings.save_prefecture",
    "settings.create_prefecture", "settings.perimetres_table", "settings.save_perimetres", "settings.targets_table",
    "settings.save_targets", "settings.targets_in_force", "settings.own_indicators_table", "settings.engagements",
    "settings.add_indicator", "settings.rename_engagement", "settings.add_engagement", "settings.set_public_name",
}
PASSWORD = "un-mot-de-passe-long"
APP = Path(__file__).resolve().parent.parent / "app.py"


def _events(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(ChangeEvent)).one())


@pytest.fixture
def accounts_world(world: World) -> World:
    """The world with an account in each préfecture (the one 44's and 38's admins manage)."""
    with session_scope(world.database, write=True) as session:
        add_user(session, "agent44", "copil", password=PASSWORD, prefecture_id=world.pref)
        add_user(session, "agent38", "copil", password=PASSWORD, prefecture_id=world.other_pref)
        add_user(session, "rq44", "admin", password=PASSWORD, prefecture_id=world.pref)
        add_user(session, "rq38", "admin", password=PASSWORD, prefecture_id=world.other_pref)
    return world


# Each case: (operation, the roles allowed, the call on préfecture 44's data).
Call = Callable[[World, services.Actor, Path], Any]
EDITORS = {"admin", "local"}
READERS = {"admin", "copil", "contributeur", "lecture-clu", "local"}
INSTANCE = {"local"}  # no préfecture of its own
CASES: list[tuple[str, set[str], Call]] = [
    ("accounts.list_accounts", {"admin", "admin-38", "local"}, lambda w, a, t: services.accounts.list_accounts(a)),
    ("accounts.add_account", EDITORS, lambda w, a, t: services.accounts.add_account(
        a, "nouveau", "contributeur", password=PASSWORD, prefecture_id=w.pref, perimetre_ids=[w.own])),
    ("accounts.set_account_active", EDITORS, lambda w, a, t: services.accounts.set_account_active(a, "agent44", False)),
    ("accounts.set_account_password", EDITORS,
     lambda w, a, t: services.accounts.set_account_password(a, "agent44", "encore-un-mot-de-passe")),
    ("backups.back_up", INSTANCE, lambda w, a, t: services.backups.back_up(a, t / "sauvegarde.zip")),
    ("backups.restore_archive", INSTANCE, lambda w, a, t: services.backups.restore_archive(
        a, services.backups.back_up(services.Actor(LOCAL_PRINCIPAL, w.database), t / "s.zip").path, force=True)),
    ("settings.module_choices", {"admin", "admin-38", "local"}, lambda w, a, t: services.settings.module_choices(a)),
    ("settings.labelled", EDITORS, lambda w, a, t: services.settings.labelled(a, w.pref)),
    ("settings.prefecture_by_code", READERS, lambda w, a, t: services.settings.prefecture_by_code(a, "44")),
    ("settings.save_prefecture", EDITORS, lambda w, a, t: services.settings.save_prefecture(
        a, w.pref, name="Préfecture renommée", code="44", whit_monday_worked=True, modules=["M2"])),
    ("settings.create_prefecture", INSTANCE, lambda w, a, t: services.settings.create_prefecture(a, "974")),
    ("settings.perimetres_table", EDITORS, lambda w, a, t: services.settings.perimetres_table(a, w.pref)),
    ("settings.save_perimetres", EDITORS, lambda w, a, t: services.settings.save_perimetres(
        a, w.pref, [{"id": None, "name": "Accueil", "kind": "service", "address": "", "delete": False}])),
    ("settings.set_public_name", EDITORS, lambda w, a, t: services.settings.set_public_name(
        a, w.pref, w.own, "Coordination des services de l'État")),
    ("settings.targets_table", EDITORS, lambda w, a, t: services.settings.targets_table(a, w.pref, 2025)),
    ("settings.save_targets", EDITORS, lambda w, a, t: services.settings.save_targets(
        a, w.pref, 2025, [{"code": "COURRIEL_5J", "target": 95, "alert": 85, "no_target": False}])),
    ("settings.targets_in_force", READERS, lambda w, a, t: services.settings.targets_in_force(a, w.pref, 2025)),
    ("settings.own_indicators_table", EDITORS, lambda w, a, t: services.settings.own_indicators_table(a, w.pref)),
    ("settings.engagements", EDITORS, lambda w, a, t: services.settings.engagements(a, w.pref)),
    ("settings.add_indicator", EDITORS, lambda w, a, t: services.settings.add_indicator(
        a, w.pref, code="ACCUEIL_20MIN", label="Usagers reçus en moins de 20 minutes", engagement_key=None,
        module_code="M1", kind="rate", direction=">=", target=80, alert=None)),
    ("settings.rename_engagement", EDITORS, lambda w, a, t: services.settings.rename_engagement(
        a, w.pref, "E1", "Accueillir chacun avec courtoisie")),
    ("settings.add_engagement", EDITORS, lambda w, a, t: services.settings.add_engagement(
        a, w.pref, key="E47", number=47, module_code="M7", title="Alerter la population")),
]


def test_the_cases_are_the_covered_operations() -> None:
    assert {name for name, _, _ in CASES} == COVERED


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
@pytest.mark.parametrize(("name", "allowed", "call"), CASES, ids=[c[0] for c in CASES])
def test_each_role_on_each_operation(accounts_world: World, tmp_path: Path, role: str, name: str,
                                     allowed: set[str], call: Call) -> None:
    world = accounts_world
    writes = services.OPERATIONS[name].writes
    before = _events(world.database)
    if role in allowed:
        call(world, world.actor(role), tmp_path)
        if writes:  # its history line, in the same transaction
            assert _events(world.database) > before
        return
    with pytest.raises(AccessDenied, match="Accès refusé"):
        call(world, world.actor(role), tmp_path)
    assert _events(world.database) == before


def test_an_administrator_sees_and_manages_only_its_prefecture_accounts(accounts_world: World) -> None:
    world = accounts_world
    mine = {row.login for row in services.accounts.list_accounts(world.actor("admin"))}
    theirs = {row.login for row in services.accounts.list_accounts(world.actor("admin-38"))}
    assert mine == {"agent44", "rq44"} and theirs == {"agent38", "rq38"}
    with pytest.raises(AccessDenied, match="préfecture"):
        services.accounts.add_account(world.actor("admin-38"), "intrus", "admin", password=PASSWORD,
                                      prefecture_id=world.pref)
    with pytest.raises(AccessDenied, match="toutes les préfectures"):
        services.accounts.add_account(world.actor("admin"), "region", "copil", password=PASSWORD)
    with pytest.raises(services.accounts.UserError, match="périmètre"):  # a service of 38 for a 44 account
        services.accounts.add_account(world.actor("admin"), "svc", "contributeur", password=PASSWORD,
                                      prefecture_id=world.pref, perimetre_ids=[world.other_pref_perimetre])
    with pytest.raises(AccessDenied):
        services.settings.save_targets(world.actor("admin-38"), world.pref, 2025,
                                       [{"code": "COURRIEL_5J", "target": 50, "no_target": False}])


def test_account_changes_are_in_the_history_under_the_actor(accounts_world: World) -> None:
    world = accounts_world
    services.accounts.set_account_active(world.actor("admin"), "agent44", False)
    frame = services.history.change_history(world.actor("admin"), world.pref, action="user")
    assert list(frame["Qui"]) == ["rq44"] and "désactivé" in frame["Résumé"].iloc[0]


# ------------------------------------------------------------------------------ sign-in throttle

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def marie(engine: Engine) -> Engine:
    with session_scope(engine, write=True) as session:
        add_user(session, "marie", "admin", password=PASSWORD)
        add_user(session, "paul", "copil", password=PASSWORD)
    return engine


def test_five_wrong_passwords_make_the_account_wait_longer_each_time(marie: Engine) -> None:
    sign_in = services.accounts.sign_in
    for attempt in range(4):
        outcome = sign_in(marie, "marie", "mauvais-mot-de-passe", client="10.0.0.1", now=T0 + dt.timedelta(seconds=attempt))
        assert outcome.principal is None and outcome.message == services.accounts.WRONG_CREDENTIALS
    fifth = sign_in(marie, "marie", "mauvais-mot-de-passe", client="10.0.0.1", now=T0 + dt.timedelta(seconds=4))
    assert "patientez 30 secondes" in fifth.message
    # while waiting, even the right password is not checked
    early = sign_in(marie, "marie", PASSWORD, client="10.0.0.2", now=T0 + dt.timedelta(seconds=20))
    assert early.principal is None and "patientez 14 secondes" in early.message
    # another account is not held up by marie's failures
    assert sign_in(marie, "paul", PASSWORD, client="10.0.0.1", now=T0 + dt.timedelta(seconds=20)).principal
    # the wait doubles with each failure beyond the threshold
    sixth = sign_in(marie, "marie", "mauvais-mot-de-passe", now=T0 + dt.timedelta(seconds=35))
    assert "patientez 1 minute " in sixth.message
    seventh = sign_in(marie, "marie", "mauvais-mot-de-passe", now=T0 + dt.timedelta(seconds=96))
    assert "patientez 2 minutes" in seventh.message
    # after the wait the right password comes in, and the account's counter starts again from zero
    done = sign_in(marie, "marie", PASSWORD, now=T0 + dt.timedelta(seconds=96 + 121))
    assert done.principal is not None and done.principal.login == "marie"
    again = sign_in(marie, "marie", "mauvais-mot-de-passe", now=T0 + dt.timedelta(seconds=300))
    assert again.message == services.accounts.WRONG_CREDENTIALS


def test_twenty_failures_from_one_client_make_that_client_wait(marie: Engine) -> None:
    for attempt in range(20):
        services.accounts.sign_in(marie, f"inconnu{attempt}", "x" * 12, client="192.0.2.7",
                                  now=T0 + dt.timedelta(seconds=attempt))
    blocked = services.accounts.sign_in(marie, "paul", PASSWORD, client="192.0.2.7", now=T0 + dt.timedelta(seconds=25))
    assert blocked.principal is None and "patientez" in blocked.message
    elsewhere = services.accounts.sign_in(marie, "paul", PASSWORD, client="192.0.2.8", now=T0 + dt.timedelta(seconds=25))
    assert elsewhere.principal is not None


def test_thresholds_are_settings(marie: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QEP_SIGNIN_MAX_FAILURES", "2")
    monkeypatch.setenv("QEP_SIGNIN_DELAY", "90")
    services.accounts.sign_in(marie, "marie", "mauvais-mot-de-passe", now=T0)
    second = services.accounts.sign_in(marie, "marie", "mauvais-mot-de-passe", now=T0)
    assert "patientez 2 minutes" in second.message


# ------------------------------------------------------------------------------ open sessions


def test_a_disabled_account_is_signed_out_at_its_next_click(marie: Engine, prefecture,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", marie.url.render_as_string(hide_password=False))
    monkeypatch.setenv("QEP_AUTH", "accounts")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.text_input[0].set_value("paul")
    at.text_input[1].set_value(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and at.session_state["_principal"].login == "paul"
    assert services.accounts.still_active(services.Actor(at.session_state["_principal"], marie))
    admin = services.Actor(Principal("marie", "admin"), marie)
    services.accounts.set_account_active(admin, "paul", False)
    at.run()  # the next interaction
    assert not at.exception
    assert at.title[0].value == "Qual-e-Pref — connexion"
    assert any("compte a été désactivé" in w.value for w in at.warning)
    assert "_principal" not in at.session_state
