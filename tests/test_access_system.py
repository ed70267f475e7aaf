"""Permission matrix of the system reads (see tests/access_world.py): the data version says
nothing but a count and a time, yet only about préfectures the principal sees."""

from __future__ import annotations

import pytest

from qep_core import services
from qep_core.access import AccessDenied
from tests.access_world import World

COVERED = {"system.data_version"}


@pytest.mark.parametrize(("role", "allowed"), [
    ("admin", True), ("copil", True), ("contributeur", True), ("lecture-clu", True), ("admin-38", False),
    ("local", True),
])
def test_the_data_version_is_read_by_every_reader_of_the_prefecture_only(world: World, role: str,
                                                                          allowed: bool) -> None:
    actor = world.actor(role)
    if allowed:
        assert services.system.data_version(actor, world.pref)
    else:
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.system.data_version(actor, world.pref)


def test_the_version_across_prefectures_counts_only_those_the_principal_sees(world: World) -> None:
    """A write in 38 changes the cross-préfecture version of who sees 38, not of 44's accounts."""
    own_before = services.system.data_version(world.actor("admin"), None)
    every_before = services.system.data_version(world.actor("local"), None)
    services.settings.save_targets(world.actor("admin-38"), world.other_pref, 2024,
                                   [{"code": "COURRIEL_5J", "target": 80.0, "alert": 70.0, "no_target": False}])
    assert services.system.data_version(world.actor("admin"), None) == own_before
    assert services.system.data_version(world.actor("local"), None) != every_before
