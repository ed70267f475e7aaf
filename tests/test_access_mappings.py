"""Permission matrix of the label mappings (see tests/access_world.py).

Mappings belong to a préfecture, not to a périmètre: the scope columns are « own préfecture »
(44) and « other préfecture » (38).

* reading (``read_detail``): admin, copil, contributeur, local — not the CLU, not 38;
* adding and removing (``edit_settings``): admin and local only, each with its history line.
"""

from __future__ import annotations

import itertools

import pytest

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.db import session_scope
from qep_core.mappings.models import LabelMapping
from tests.access_world import World

COVERED = {"mappings.list_mappings", "mappings.choices", "mappings.add", "mappings.remove"}

READERS = {"admin": True, "copil": True, "contributeur": True, "lecture-clu": False, "admin-38": False,
           "local": True}
WRITERS = {"admin": True, "copil": False, "contributeur": False, "lecture-clu": False, "admin-38": False,
           "local": True}
_labels = itertools.count(1)


def _seed(world: World) -> int:
    """A mapping of 44 made by its administrator."""
    row = services.mappings.add(world.actor("admin"), world.pref, "theme", f"CERT 38 n° {next(_labels)}", "fraude")
    return row.id


@pytest.mark.parametrize("role", list(READERS))
def test_mappings_are_read_by_who_may_read_the_detail_of_the_prefecture(world: World, role: str) -> None:
    mapping_id = _seed(world)
    actor = world.actor(role)
    if READERS[role]:
        assert mapping_id in {m.id for m in services.mappings.list_mappings(actor, world.pref)}
        assert "fraude" in services.mappings.choices(actor, world.pref, "theme")
    else:
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.mappings.list_mappings(actor, world.pref)
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.mappings.choices(actor, world.pref, "theme")


@pytest.mark.parametrize("role", list(WRITERS))
def test_only_the_prefecture_s_administrators_add_and_remove_mappings(world: World, role: str) -> None:
    mapping_id = _seed(world)
    actor = world.actor(role)
    if WRITERS[role]:
        added = services.mappings.add(actor, world.pref, "perimetre", "Coord.", str(world.own))
        assert added.meaning == "Coordination"
        services.mappings.remove(actor, world.pref, mapping_id)
        with session_scope(world.database) as session:
            assert session.get(LabelMapping, mapping_id) is None
        history = services.history.change_history(actor, world.pref)
        lines = history[history["Quoi"] == "Correspondance"]
        assert {"correspondance ajoutée : Coordination", "correspondance retirée"} <= set(lines["Résumé"])
    else:
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.mappings.add(actor, world.pref, "perimetre", "Coord.", str(world.own))
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.mappings.remove(actor, world.pref, mapping_id)
        with session_scope(world.database) as session:
            assert session.get(LabelMapping, mapping_id) is not None


def test_an_administrator_cannot_reach_another_prefecture_s_mapping_through_its_own(world: World) -> None:
    """38's administrator names 38 (its own) but 44's mapping id: refused, the mapping stays."""
    mapping_id = _seed(world)
    with pytest.raises(services.mappings.MappingError, match="introuvable"):
        services.mappings.remove(world.actor("admin-38"), world.other_pref, mapping_id)
    with session_scope(world.database) as session:
        assert session.get(LabelMapping, mapping_id) is not None


def test_a_perimetre_of_another_prefecture_is_no_target(world: World) -> None:
    with pytest.raises(services.mappings.MappingError, match="ne correspond à rien"):
        services.mappings.add(world.actor("admin"), world.pref, "perimetre", "Std", str(world.other_pref_perimetre))
