"""Permission matrix of the reminders to late services (see tests/access_world.py).

Both services of 44 declared, nothing received for September 2024, as of 20 October: both late.

* previewing and reading the log (``read_detail``): admin, copil, local on both services; a
  contributor only its own (« Coordination »); not the CLU, not 38's administrator;
* sending (``edit_settings``): admin and local only, each reminder with its history line.
"""

from __future__ import annotations

import datetime as dt

import pytest

from qep_core import services
from qep_core.access import AccessDenied
from tests.access_world import World
from tests.smtp import Mailbox

COVERED = {"reminders.reminders", "reminders.send_reminders", "reminders.reminder_log"}

READERS = {"admin": True, "copil": True, "contributeur": True, "lecture-clu": False, "admin-38": False,
           "local": True}
SENDERS = {"admin": True, "copil": False, "contributeur": False, "lecture-clu": False, "admin-38": False,
           "local": True}
SEPT, AS_OF = dt.date(2024, 9, 1), dt.date(2024, 10, 20)


def _seed(world: World) -> None:
    for perimetre, address in ((world.own, "coord@demo.gouv.fr"), (world.other, "etr@demo.gouv.fr")):
        services.collection.set_source(world.actor("admin"), world.pref, perimetre, ["COURRIEL_5J"], [address])


@pytest.mark.parametrize("role", list(READERS))
def test_the_previews_and_the_log_are_read_with_the_detail_right_a_contributor_sees_its_own(
        world: World, role: str, smtp_server: Mailbox) -> None:
    _seed(world)
    services.reminders.send_reminders(world.actor("admin"), world.pref, SEPT, AS_OF)
    actor = world.actor(role)
    if not READERS[role]:
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.reminders.reminders(actor, world.pref, SEPT, AS_OF)
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.reminders.reminder_log(actor, world.pref)
        return
    expected = ["Coordination"] if role == "contributeur" else ["Coordination", "Étrangers"]
    assert [p.reminder.perimetre for p in services.reminders.reminders(actor, world.pref, SEPT, AS_OF)] == expected
    assert sorted(line.perimetre for line in services.reminders.reminder_log(actor, world.pref)) == expected


@pytest.mark.parametrize("role", list(SENDERS))
def test_only_the_prefecture_s_administrators_send(world: World, role: str, smtp_server: Mailbox) -> None:
    _seed(world)
    actor = world.actor(role)
    if not SENDERS[role]:
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.reminders.send_reminders(actor, world.pref, SEPT, AS_OF)
        assert smtp_server.messages == []
        return
    out = services.reminders.send_reminders(actor, world.pref, SEPT, AS_OF)
    assert [(o.perimetre, o.state) for o in out] == [("Coordination", "envoyé"), ("Étrangers", "envoyé")]
    history = services.history.change_history(world.actor("admin"), world.pref)
    assert (history["Résumé"] == "relance de 09/2024 envoyée").sum() == 2


def test_another_prefecture_s_administrator_sends_nothing_to_44(world: World, smtp_server: Mailbox) -> None:
    _seed(world)
    with pytest.raises(AccessDenied, match="Accès refusé"):
        services.reminders.send_reminders(world.actor("admin-38"), world.pref, SEPT, AS_OF)
    assert services.reminders.send_reminders(world.actor("admin-38"), world.other_pref, SEPT, AS_OF) == []
    assert smtp_server.messages == []
