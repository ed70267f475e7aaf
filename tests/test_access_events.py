"""Permission matrix of the dated events (see tests/access_world.py).

Events belong to a préfecture, and may be tied to one of its périmètres:

* reading (``read_detail``): admin, copil, contributeur, local — not the CLU (internal free
  text), not 38; a contributor sees the préfecture's events and its own périmètre's, not those of
  another service, and asking for another service's is refused;
* adding and removing (``edit_settings``): admin and local only, each with its history line;
* the control chart (``read``) restarts its limits at a process change for every reader, the
  users' committee included: it reads the days, never the labels.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.db import session_scope
from qep_core.signals.models import Event
from tests.access_world import World

COVERED = {"events.list_events", "events.add_event", "events.remove_event"}

READERS = {"admin": True, "copil": True, "contributeur": True, "lecture-clu": False, "admin-38": False,
           "local": True}
WRITERS = {"admin": True, "copil": False, "contributeur": False, "lecture-clu": False, "admin-38": False,
           "local": True}
_days = itertools.count(1)


def _seed(world: World, perimetre_id: int | None = None, label: str = "Réorganisation") -> int:
    """An event of 44 dated by its administrator."""
    row = services.events.add_event(world.actor("admin"), world.pref, dt.date(2024, 3, next(_days) % 28 + 1), label,
                                    perimetre_id=perimetre_id)
    return row.id


@pytest.mark.parametrize("role", list(READERS))
def test_events_are_read_by_who_may_read_the_detail_of_the_prefecture(world: World, role: str) -> None:
    event_id = _seed(world)
    actor = world.actor(role)
    if READERS[role]:
        assert event_id in {e.id for e in services.events.list_events(actor, world.pref)}
    else:
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.events.list_events(actor, world.pref)


def test_a_contributor_sees_the_prefecture_s_events_and_its_own_perimetre_s_only(world: World) -> None:
    whole, own, other = _seed(world), _seed(world, world.own), _seed(world, world.other, "Départ d'un agent")
    contributor = world.actor("contributeur")
    assert {e.id for e in services.events.list_events(contributor, world.pref)} == {whole, own}
    assert {e.id for e in services.events.list_events(contributor, world.pref, perimetre_ids=[world.own])} == {
        whole, own}
    with pytest.raises(AccessDenied, match="« Étrangers »"):
        services.events.list_events(contributor, world.pref, perimetre_ids=[world.other])
    assert {e.id for e in services.events.list_events(world.actor("copil"), world.pref)} == {whole, own, other}


@pytest.mark.parametrize("role", list(WRITERS))
def test_only_the_prefecture_s_administrators_add_and_remove_events(world: World, role: str) -> None:
    event_id = _seed(world)
    actor = world.actor(role)
    if WRITERS[role]:
        added = services.events.add_event(actor, world.pref, dt.date(2024, 5, 2), "Nouveau standard",
                                          indicator_code="tel_aboutis", perimetre_id=world.own, process_change=True)
        assert (added.indicator_code, added.perimetre_name, added.process_change) == ("TEL_ABOUTIS", "Coordination",
                                                                                       True)
        services.events.remove_event(actor, world.pref, event_id)
        with session_scope(world.database) as session:
            assert session.get(Event, event_id) is None
        history = services.history.change_history(actor, world.pref)
        lines = history[history["Quoi"] == "Événement"]
        assert {"événement retiré"} <= set(lines["Résumé"])
        assert any(s.startswith("événement ajouté (changement de fonctionnement") for s in lines["Résumé"])
        assert "02/05/2024 « Nouveau standard »" in set(lines["Objet"])
    else:
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.events.add_event(actor, world.pref, dt.date(2024, 5, 2), "Nouveau standard")
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.events.remove_event(actor, world.pref, event_id)
        with session_scope(world.database) as session:
            assert session.get(Event, event_id) is not None


def test_an_administrator_cannot_reach_another_prefecture_s_event_through_its_own(world: World) -> None:
    """38's administrator names 38 (its own) but 44's event id: refused, the event stays."""
    event_id = _seed(world)
    with pytest.raises(services.events.EventError, match="introuvable"):
        services.events.remove_event(world.actor("admin-38"), world.other_pref, event_id)
    with session_scope(world.database) as session:
        assert session.get(Event, event_id) is not None
    assert services.events.list_events(world.actor("admin-38"), world.other_pref) == []


def test_a_perimetre_of_another_prefecture_is_refused(world: World) -> None:
    with pytest.raises(services.events.EventError, match="introuvable dans cette préfecture"):
        services.events.add_event(world.actor("admin"), world.pref, dt.date(2024, 1, 5), "Grève",
                                  perimetre_id=world.other_pref_perimetre)
