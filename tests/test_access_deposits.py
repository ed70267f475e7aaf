"""Permission matrix of the deposits waiting for validation (see tests/access_world.py).

Validation is on in both préfectures; three deposits wait: one by the contributor of
« Coordination » (its own), one by another contributor of 44 on « Étrangers » (another
service's), one by a contributor of 38 (another préfecture's).

* the switch: read by whoever imports, changed with ``edit_settings`` (admin, local);
* the list (``import``): the référente sees every deposit of its préfecture, a contributor its own
  and those of its périmètres; the COPIL and the CLU do not import;
* what one would change, validate, send back (``validate_imports``): admin and local only;
* withdraw (``import``): its author, or who may validate.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qep_core import services
from qep_core.access import AccessDenied, Principal
from tests.access_world import ROLES_UNDER_TEST, World
from tests.test_access_imports import long_csv

COVERED = {"deposits.validation", "deposits.set_validation", "deposits.deposits", "deposits.pending_deposits",
           "deposits.deposit_plan", "deposits.validate_deposit", "deposits.return_deposit",
           "deposits.withdraw_deposit"}

SCOPES = ("own", "other", "other_pref")


def _contributor(world: World, login: str, prefecture: int, perimetre: int) -> services.Actor:
    return services.Actor(Principal(login=login, role="contributeur", display_name=login,
                                    prefecture_ids=frozenset({prefecture}), perimetre_ids=frozenset({perimetre})),
                          world.database)


def _seed(world: World) -> dict[str, tuple[int, int]]:
    """scope → (préfecture, deposit id)."""
    services.deposits.set_validation(world.actor("admin"), world.pref, True)
    services.deposits.set_validation(world.actor("admin-38"), world.other_pref, True)
    depositors = {"own": (world.actor("contributeur"), world.pref, "Coordination"),
                  "other": (_contributor(world, "etrangers44", world.pref, world.other), world.pref, "Étrangers"),
                  "other_pref": (_contributor(world, "standard38", world.other_pref, world.other_pref_perimetre),
                                 world.other_pref, "Standard")}
    out = {}
    for scope, (actor, pref, perimetre) in depositors.items():
        outcome = services.imports.save_upload(actor, pref, f"{scope}.csv", long_csv((perimetre, 70, 100)))
        assert outcome.deposit_id is not None
        out[scope] = (pref, outcome.deposit_id)
    return out


def _listed(w: World, actor: services.Actor, pref: int, deposit: int) -> bool:
    return deposit in {d.id for d in services.deposits.deposits(actor, pref)}


RUNNERS: dict[str, Callable[[World, services.Actor, int, int], bool]] = {
    "deposits.validation": lambda w, a, p, d: services.deposits.validation(a, p) is True,
    "deposits.set_validation": lambda w, a, p, d: services.deposits.set_validation(a, p, True) is True,
    "deposits.deposits": _listed,
    "deposits.pending_deposits": lambda w, a, p, d: services.deposits.pending_deposits(a, p) >= 1,
    "deposits.deposit_plan": lambda w, a, p, d: services.deposits.deposit_plan(a, p, d).ok,
    "deposits.validate_deposit": lambda w, a, p, d: services.deposits.validate_deposit(a, p, d).batch is not None,
    "deposits.return_deposit": lambda w, a, p, d: services.deposits.return_deposit(a, p, d, "à revoir").comment == "à revoir",
    "deposits.withdraw_deposit": lambda w, a, p, d: services.deposits.withdraw_deposit(a, p, d).status == "withdrawn",
}

#: role → allowed on (own périmètre's deposit, another service's, another préfecture's).
READ_IMPORT = {"admin": (True, True, False), "copil": (False, False, False), "contributeur": (True, True, False),
               "lecture-clu": (False, False, False), "admin-38": (False, False, True), "local": (True, True, True)}
VALIDATORS = {**READ_IMPORT, "contributeur": (False, False, False)}
EXPECTED: dict[str, dict[str, tuple[bool, bool, bool]]] = {
    "deposits.validation": READ_IMPORT,
    "deposits.set_validation": VALIDATORS,
    "deposits.deposits": {**READ_IMPORT, "contributeur": (True, False, False)},
    "deposits.pending_deposits": VALIDATORS,
    "deposits.deposit_plan": VALIDATORS,
    "deposits.validate_deposit": VALIDATORS,
    "deposits.return_deposit": VALIDATORS,
    "deposits.withdraw_deposit": {**READ_IMPORT, "contributeur": (True, False, False)},
}


def _allowed(w: World, operation: str, role: str, pref: int, deposit: int) -> bool:
    try:
        return RUNNERS[operation](w, w.actor(role), pref, deposit)
    except AccessDenied as exc:
        assert str(exc).startswith("Accès refusé")
        return False


@pytest.mark.parametrize("operation", sorted(COVERED))
@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_matrix(world: World, operation: str, role: str) -> None:
    seeded = _seed(world)
    got = tuple(_allowed(world, operation, role, *seeded[scope]) for scope in SCOPES)
    assert got == EXPECTED[operation][role]


def test_every_operation_has_a_runner() -> None:
    assert set(RUNNERS) == COVERED == set(EXPECTED)
    assert {o for o in services.OPERATIONS if o.startswith("deposits.")} == COVERED
