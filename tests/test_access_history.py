"""Permission matrix of the change-history read model (see tests/access_world.py)."""

from __future__ import annotations

import pytest

from qep_core import services
from qep_core.access import AccessDenied
from tests.access_world import World

COVERED = {"history.change_history"}


@pytest.mark.parametrize(("role", "allowed"), [
    ("admin", True), ("copil", True), ("contributeur", False), ("lecture-clu", False), ("admin-38", False),
    ("local", True),
])
def test_change_history_is_read_by_who_may_and_only_in_its_prefecture(world: World, role: str, allowed: bool) -> None:
    actor = world.actor(role)
    if allowed:
        frame = services.history.change_history(actor, world.pref)
        assert list(frame.columns)[:4] == ["Quand", "Qui", "Quoi", "Objet"]
    else:
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.history.change_history(actor, world.pref)
