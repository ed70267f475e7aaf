"""Permission matrix of the monthly collection (see tests/access_world.py).

* reading the declarations, the options and the board (``read_detail``): admin, copil, local on
  every périmètre of 44; a contributor only on its own périmètre (« Coordination »); not the CLU,
  not 38's administrator;
* declaring and removing (``edit_settings``): admin and local only, each with its history line.
"""

from __future__ import annotations

import datetime as dt

import pytest

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.collection.sources import CollectionError
from tests.access_world import World

COVERED = {"collection.options", "collection.list_sources", "collection.board", "collection.set_source",
           "collection.remove_source", "collection.tracking_sheet"}

READERS = {"admin": True, "copil": True, "contributeur": True, "lecture-clu": False, "admin-38": False,
           "local": True}
WRITERS = {"admin": True, "copil": False, "contributeur": False, "lecture-clu": False, "admin-38": False,
           "local": True}
MAIL = ["COURRIEL_5J", "COURRIEL_DELAI_MOYEN"]
SEPT = dt.date(2024, 9, 1)


def _seed(world: World) -> None:
    """Both services of 44 declared by its administrator."""
    for perimetre in (world.own, world.other):
        services.collection.set_source(world.actor("admin"), world.pref, perimetre, MAIL, ["s@demo.gouv.fr"])


@pytest.mark.parametrize("role", list(READERS))
def test_the_collection_is_read_with_the_detail_right_a_contributor_sees_its_own(world: World, role: str) -> None:
    _seed(world)
    actor = world.actor(role)
    if not READERS[role]:
        for call in (lambda: services.collection.list_sources(actor, world.pref),
                     lambda: services.collection.options(actor, world.pref),
                     lambda: services.collection.board(actor, world.pref, SEPT, SEPT, dt.date(2024, 10, 1))):
            with pytest.raises(AccessDenied, match="Accès refusé"):
                call()
        return
    expected = {"Coordination"} if role == "contributeur" else {"Coordination", "Étrangers"}
    assert {s.perimetre for s in services.collection.list_sources(actor, world.pref)} == expected
    board = services.collection.board(actor, world.pref, SEPT, SEPT, dt.date(2024, 10, 1))
    assert {r.perimetre for r in board} == expected and {r.status for r in board} == {"attendu"}
    assert set(services.collection.options(actor, world.pref).perimetres.values()) >= expected


@pytest.mark.parametrize("role", list(WRITERS))
def test_only_the_prefecture_s_administrators_declare_and_remove(world: World, role: str) -> None:
    _seed(world)
    actor = world.actor(role)
    for perimetre in (world.own, world.other):
        if WRITERS[role]:
            services.collection.set_source(actor, world.pref, perimetre, ["COURRIEL_5J"], ["x@demo.gouv.fr"], 12)
            services.collection.remove_source(actor, world.pref, perimetre)
        else:
            with pytest.raises(AccessDenied, match="Accès refusé"):
                services.collection.set_source(actor, world.pref, perimetre, ["COURRIEL_5J"], ["x@demo.gouv.fr"])
            with pytest.raises(AccessDenied, match="Accès refusé"):
                services.collection.remove_source(actor, world.pref, perimetre)
    remaining = services.collection.list_sources(world.actor("admin"), world.pref)
    assert len(remaining) == (0 if WRITERS[role] else 2)
    if WRITERS[role]:
        history = services.history.change_history(world.actor("admin"), world.pref)
        assert {"collecte modifiée", "collecte retirée"} <= set(history[history["Quoi"] == "Collecte"]["Résumé"])


def test_an_administrator_cannot_declare_another_prefecture_s_perimetre_through_its_own(world: World) -> None:
    with pytest.raises(CollectionError, match="introuvable"):
        services.collection.set_source(world.actor("admin-38"), world.other_pref, world.own, MAIL, ["a@demo.gouv.fr"])
    with pytest.raises(AccessDenied, match="Accès refusé"):
        services.collection.set_source(world.actor("admin-38"), world.pref, world.own, MAIL, ["a@demo.gouv.fr"])


#: role → may download the sheet of (its own périmètre, another service's): whoever imports, on its périmètres.
SHEETS = {"admin": (True, True), "copil": (False, False), "contributeur": (True, False), "lecture-clu": (False, False),
          "admin-38": (False, False), "local": (True, True)}


@pytest.mark.parametrize("role", list(SHEETS))
def test_a_service_downloads_its_own_sheet_for_the_month(world: World, role: str) -> None:
    _seed(world)
    actor = world.actor(role)
    got = []
    for perimetre in (world.own, world.other):
        try:
            sheet = services.collection.tracking_sheet(actor, world.pref, perimetre, SEPT)
        except AccessDenied as exc:
            assert str(exc).startswith("Accès refusé")
            got.append(False)
            continue
        assert sheet.filename in ("suivi-coordination-2024-09.xlsx", "suivi-etrangers-2024-09.xlsx")
        assert sheet.content[:2] == b"PK"
        got.append(True)
    assert tuple(got) == SHEETS[role]


def test_a_perimetre_that_declares_nothing_has_no_sheet_of_its_own(world: World) -> None:
    with pytest.raises(CollectionError, match="aucun indicateur"):
        services.collection.tracking_sheet(world.actor("admin"), world.pref, world.own, SEPT)
