"""Permission matrix of the alerts (see tests/access_world.py).

Alerts and subscriptions belong to a préfecture: the scope columns are « own préfecture » (44)
and « other préfecture » (38).

* subscriptions (``edit_settings``: subscribe, unsubscribe, list them) and sending the unsent
  e-mails again: admin and local only, each change with its history line;
* reading the alerts (``read_detail``): admin, copil, local see them; a contributor is allowed in
  but gets an empty list (alerts are préfecture-wide figures, its view stops at its périmètres);
  the CLU and 38 are refused.
"""

from __future__ import annotations

import datetime as dt

import pytest

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.db import session_scope
from qep_core.signals.models import Alert
from tests.access_world import World
from tests.conftest import make_workbook

COVERED = {"alerts.subscribe", "alerts.unsubscribe", "alerts.subscriptions", "alerts.list_alerts",
           "alerts.send_pending"}

SETTERS = {"admin": True, "copil": False, "contributeur": False, "lecture-clu": False, "admin-38": False,
           "local": True}
READERS = {"admin": "all", "copil": "all", "contributeur": "none", "lecture-clu": "refused", "admin-38": "refused",
           "local": "all"}


def _alert(world: World) -> None:
    with session_scope(world.database, write=True) as session:
        session.add(Alert(prefecture_id=world.pref, key="seuil:COURRIEL_5J:2024-06", indicator_code="COURRIEL_5J",
                          month=dt.date(2024, 6, 1), kind="seuil", message="Taux … — juin 2024 : 80,0 %."))


@pytest.mark.parametrize("role", list(SETTERS))
def test_only_the_prefecture_s_administrators_manage_subscriptions(world: World, role: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    services.alerts.subscribe(world.actor("admin"), world.pref, "seed@test.gouv.fr")
    actor = world.actor(role)
    if SETTERS[role]:
        row = services.alerts.subscribe(actor, world.pref, "rq@test.gouv.fr", module_code="M4")
        assert row.scope == "module M4"
        assert {r.email for r in services.alerts.subscriptions(actor, world.pref)} == {"seed@test.gouv.fr",
                                                                                       "rq@test.gouv.fr"}
        services.alerts.unsubscribe(actor, world.pref, "RQ@test.gouv.fr", module_code="m4")
        assert services.alerts.send_pending(actor, world.pref).sent == []
        history = services.history.change_history(actor, world.pref)
        lines = history[history["Quoi"] == "Alertes"]
        assert {"alertes du module M4", "abonnement retiré (module M4)"} <= set(lines["Résumé"])
    else:
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.alerts.subscribe(actor, world.pref, "rq@test.gouv.fr")
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.alerts.unsubscribe(actor, world.pref, "seed@test.gouv.fr")
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.alerts.subscriptions(actor, world.pref)
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.alerts.send_pending(actor, world.pref)
        assert [r.email for r in services.alerts.subscriptions(world.actor("admin"), world.pref)] == [
            "seed@test.gouv.fr"]


@pytest.mark.parametrize("role", list(READERS))
def test_alerts_are_read_by_who_sees_the_whole_prefecture(world: World, role: str) -> None:
    _alert(world)
    actor = world.actor(role)
    if READERS[role] == "refused":
        with pytest.raises(AccessDenied, match="Accès refusé"):
            services.alerts.list_alerts(actor, world.pref)
        return
    rows = services.alerts.list_alerts(actor, world.pref)
    if READERS[role] == "all":
        assert [(r.indicator_code, r.kind, r.month) for r in rows] == [("COURRIEL_5J", "seuil", dt.date(2024, 6, 1))]
        assert rows[0].label.startswith("Taux de réponse aux courriels")
    else:
        assert rows == []


def test_another_prefecture_s_administrator_sees_none_of_44_s_alerts_in_its_own(world: World) -> None:
    _alert(world)
    assert services.alerts.list_alerts(world.actor("admin-38"), world.other_pref) == []
    assert services.alerts.subscriptions(world.actor("admin-38"), world.other_pref) == []


def test_a_contributor_s_import_raises_alerts_it_is_told_of_without_their_figures(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    rows: list[list[object]] = [["Suivi"], ["indicateur", "période", "périmètre", "numérateur", "dénominateur"],
                                ["COURRIEL_5J", "2024-06", "Coordination", 160, 200]]
    outcome = services.imports.save_upload(world.actor("contributeur"), world.pref, "coordination.xlsx",
                                           make_workbook({"Suivi": rows}))
    assert outcome.alerts is not None
    assert (outcome.alerts.alerts, outcome.alerts.hidden, outcome.alerts.count) == ((), 1, 1)
    assert [a.kind for a in services.alerts.list_alerts(world.actor("copil"), world.pref)] == ["seuil"]
