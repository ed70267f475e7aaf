"""Permission matrix of the Services Publics+ settings (see tests/access_world.py).

The settings belong to a préfecture: the scope columns are « own préfecture » (44) and « other
préfecture » (38).

* reading (``read``): every account of 44 — the values are those the public file carries — not 38's;
* writing (``edit_settings``): 44's administrator and the local account only, each write with its
  history line; 38's administrator on 38 only.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.change_history import ChangeEvent
from qep_core.db import session_scope
from qep_core.sp_plus_models import SpPlusIndicator, SpPlusStructure
from tests.access_world import World

COVERED = {"sp_plus.structure", "sp_plus.code_lines", "sp_plus.save_structure", "sp_plus.save_codes",
           "sp_plus.map_indicator", "sp_plus.unmap_indicator"}
READERS = {"admin": True, "copil": True, "contributeur": True, "lecture-clu": True, "admin-38": False, "local": True}
WRITERS = {"admin": True, "copil": False, "contributeur": False, "lecture-clu": False, "admin-38": False,
           "local": True}
sp = services.sp_plus


def _seed(world: World) -> None:
    sp.save_structure(world.actor("admin"), world.pref, code="SP-44", typology="Préfecture", postal_code="44000",
                      city="Nantes")
    sp.map_indicator(world.actor("admin"), world.pref, "TEL_ABOUTIS", "IND-3")


def _writes(world: World) -> dict[str, Callable[[services.Actor], object]]:
    pref = world.pref
    return {
        "save_structure": lambda a: sp.save_structure(a, pref, code="SP-44-B", typology="Préfecture",
                                                      postal_code="44035", city="Nantes Cedex 1"),
        "save_codes": lambda a: sp.save_codes(a, pref, {"COURRIEL_5J": "IND-27"}),
        "map_indicator": lambda a: sp.map_indicator(a, pref, "COURRIER_10J", "IND-28"),
        "unmap_indicator": lambda a: sp.unmap_indicator(a, pref, "TEL_ABOUTIS"),
    }


def _state(world: World) -> tuple[object, ...]:
    with session_scope(world.database) as session:
        structures = [(s.prefecture_id, s.code, s.city) for s in session.exec(select(SpPlusStructure))]
        codes = sorted((c.prefecture_id, c.indicator_code, c.sp_code or "") for c in session.exec(select(SpPlusIndicator)))
        return tuple(structures), tuple(codes), len(session.exec(select(ChangeEvent)).all())


@pytest.mark.parametrize("role", list(READERS))
def test_the_settings_are_read_by_every_account_of_the_prefecture(world: World, role: str) -> None:
    _seed(world)
    actor = world.actor(role)
    if READERS[role]:
        assert sp.structure(actor, world.pref).code == "SP-44"  # type: ignore[union-attr]
        assert {x.indicator_code: x.sp_code for x in sp.code_lines(actor, world.pref)}["TEL_ABOUTIS"] == "IND-3"
    else:
        with pytest.raises(AccessDenied, match=r"^Accès refusé"):
            sp.structure(actor, world.pref)
        with pytest.raises(AccessDenied, match=r"^Accès refusé"):
            sp.code_lines(actor, world.pref)


@pytest.mark.parametrize("role", list(WRITERS))
@pytest.mark.parametrize("call", ["save_structure", "save_codes", "map_indicator", "unmap_indicator"])
def test_only_the_prefecture_s_administrators_change_them(world: World, role: str, call: str) -> None:
    _seed(world)
    before = _state(world)
    actor = world.actor(role)
    if WRITERS[role]:
        assert _writes(world)[call](actor)
        after = _state(world)
        assert after != before and after[2] == before[2] + 1  # changed, with one history line
        history = services.history.change_history(world.actor("admin"), world.pref)
        assert "Services Publics+" in str(history.iloc[0]["Objet"])
    else:
        with pytest.raises(AccessDenied, match=r"^Accès refusé"):
            _writes(world)[call](actor)
        assert _state(world) == before


def test_another_prefecture_s_administrator_writes_on_its_own_only(world: World) -> None:
    _seed(world)
    other = world.actor("admin-38")
    sp.save_structure(other, world.other_pref, code="SP-38", typology="Préfecture", postal_code="38000",
                      city="Grenoble")
    sp.map_indicator(other, world.other_pref, "TEL_ABOUTIS", "IND-9")
    assert sp.structure(world.actor("admin"), world.pref).code == "SP-44"  # type: ignore[union-attr]
    mine = {x.indicator_code: x.sp_code for x in sp.code_lines(world.actor("admin"), world.pref)}
    assert mine["TEL_ABOUTIS"] == "IND-3"  # 38's code is 38's
    assert {x.indicator_code: x.sp_code for x in sp.code_lines(other, world.other_pref)}["TEL_ABOUTIS"] == "IND-9"
