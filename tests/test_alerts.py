"""Alerts after an import (issue 15): the crossing rules on hand-built series, the control-chart
concern, and end to end through the real import and a real SMTP server — exactly one e-mail to
the indicator's subscriber, none to another module's, nothing sent twice, nothing lost when the
server is down."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Callable

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.cli.main import main
from qep_core.db import session_scope
from qep_core.models import Prefecture
from qep_core.periods import add_months
from qep_core.referentiel import TargetRule, indicators_for, set_target
from qep_core.signals.alerts import CIBLE, SEUIL, SPC, sentence, spc_concern, threshold_crossing
from qep_core.signals.models import Alert, SentMail
from tests.smtp import Mailbox

MakeWorkbook = Callable[[dict[str, list[list[object]]]], bytes]
JUNE = dt.date(2024, 6, 1)
MAY = dt.date(2024, 5, 1)
RATE = TargetRule(90.0, ">=", 85.0, "référentiel")
DELAY = TargetRule(5.0, "<=", 7.0, "référentiel")
SUBSCRIBER, OTHER = "courriels@test.gouv.fr", "elus@test.gouv.fr"


# --- the rules, on hand-built series ---------------------------------------------------------------

def test_a_month_below_the_threshold_after_a_month_above_it_crosses_the_threshold() -> None:
    crossing = threshold_crossing("COURRIEL_5J", JUNE, 84.2, RATE, (MAY, 88.0))
    assert crossing is not None and (crossing.kind, crossing.limit, crossing.previous_value) == (SEUIL, 85.0, 88.0)


def test_a_month_between_threshold_and_target_crosses_the_target_only() -> None:
    crossing = threshold_crossing("COURRIEL_5J", JUNE, 87.0, RATE, (MAY, 91.0))
    assert crossing is not None and (crossing.kind, crossing.limit) == (CIBLE, 90.0)


def test_from_target_to_below_threshold_is_one_alert_the_threshold() -> None:
    crossing = threshold_crossing("COURRIEL_5J", JUNE, 80.0, RATE, (MAY, 95.0))
    assert crossing is not None and crossing.kind == SEUIL


def test_staying_on_the_bad_side_is_no_new_crossing() -> None:
    assert threshold_crossing("COURRIEL_5J", JUNE, 80.0, RATE, (MAY, 82.0)) is None
    assert threshold_crossing("COURRIEL_5J", JUNE, 88.0, RATE, (MAY, 89.0)) is None  # still between the lines
    assert threshold_crossing("COURRIEL_5J", JUNE, 92.0, RATE, (MAY, 80.0)) is None  # back on target: good news


def test_on_the_line_is_not_crossed() -> None:
    assert threshold_crossing("COURRIEL_5J", JUNE, 90.0, RATE, (MAY, 95.0)) is None
    assert threshold_crossing("COURRIEL_5J", JUNE, 85.0, RATE, (MAY, 95.0)).kind == CIBLE  # type: ignore[union-attr]


def test_a_delay_crosses_upwards() -> None:
    assert threshold_crossing("D", JUNE, 7.5, DELAY, (MAY, 4.0)).kind == SEUIL  # type: ignore[union-attr]
    assert threshold_crossing("D", JUNE, 6.0, DELAY, (MAY, 4.0)).kind == CIBLE  # type: ignore[union-attr]
    assert threshold_crossing("D", JUNE, 3.0, DELAY, (MAY, 9.0)) is None


def test_without_target_nothing_crosses() -> None:
    assert threshold_crossing("X", JUNE, 10.0, TargetRule(None, ">=", None, "2024"), (MAY, 99.0)) is None


def test_the_first_month_known_crosses_when_on_the_bad_side() -> None:
    crossing = threshold_crossing("COURRIEL_5J", JUNE, 70.0, RATE, None)
    assert crossing is not None and crossing.kind == SEUIL and crossing.previous_month is None


def test_the_sentence_says_the_value_the_line_and_the_month_before(engine: Engine, prefecture: Prefecture) -> None:
    with session_scope(engine) as session:
        ind = next(d for d in indicators_for(session, prefecture.id or 0) if d.code == "COURRIEL_5J")
        delay = next(d for d in indicators_for(session, prefecture.id or 0) if d.code == "COURRIEL_DELAI_MOYEN")
    text = sentence(ind, threshold_crossing("COURRIEL_5J", JUNE, 84.2, RATE, (MAY, 88.0)))  # type: ignore[arg-type]
    assert text == ("Taux de réponse aux courriels dans le délai de 5 jours ouvrés — juin 2024 : 84,2 %, sous le seuil "
                    "d'alerte de 85,0 % (mai : 88,0 %).")
    january = threshold_crossing("COURRIEL_DELAI_MOYEN", dt.date(2024, 1, 1), 6.0, DELAY, (dt.date(2023, 12, 1), 4.0))
    assert sentence(delay, january).endswith(  # type: ignore[arg-type]
        "janvier 2024 : 6,0 j, au-dessus de la cible de 5,0 j (décembre 2023 : 4,0 j).")


def _frame(values: list[tuple[int, int]], start: dt.date = dt.date(2022, 1, 1)) -> pd.DataFrame:
    return pd.DataFrame([{"month": add_months(start, i), "numerator": float(n), "denominator": float(d),
                          "value": n / d * 100, "target": 90.0} for i, (n, d) in enumerate(values)])


def test_a_point_far_below_the_limits_is_a_new_concern_once(engine: Engine, prefecture: Prefecture) -> None:
    with session_scope(engine) as session:
        ind = next(d for d in indicators_for(session, prefecture.id or 0) if d.code == "COURRIEL_5J")
    steady = [(190 + (i % 3), 200) for i in range(18)]
    frame = _frame([*steady, (120, 200), (118, 200)])
    drop, again = add_months(dt.date(2022, 1, 1), 18), add_months(dt.date(2022, 1, 1), 19)
    concern = spc_concern(ind, frame, drop)
    assert concern is not None and concern.kind == SPC and "point hors des limites" in concern.detail
    assert spc_concern(ind, frame, again) is None  # the same concern going on: not new
    assert spc_concern(ind, frame, add_months(dt.date(2022, 1, 1), 10)) is None  # common-cause variation


# --- end to end: import, alert, e-mail ------------------------------------------------------------

def _file(workbook: MakeWorkbook, counts: dict[int, tuple[int, int]], code: str = "COURRIEL_5J") -> bytes:
    rows: list[list[object]] = [["Suivi 2024"], ["indicateur", "période", "périmètre", "numérateur", "dénominateur"]]
    rows += [[code, f"2024-{m:02d}", "", n, d] for m, (n, d) in sorted(counts.items())]
    return workbook({"Suivi": rows})


ADMIN = LOCAL_PRINCIPAL.named("Marie")


def _actor(engine: Engine) -> services.Actor:
    return services.Actor(ADMIN, engine)


def _subscribe(engine: Engine, pid: int) -> None:
    services.alerts.subscribe(_actor(engine), pid, SUBSCRIBER, indicator_code="COURRIEL_5J")
    services.alerts.subscribe(_actor(engine), pid, OTHER, module_code="M4")


def _alerts(engine: Engine) -> list[Alert]:
    with session_scope(engine) as session:
        return list(session.exec(select(Alert).order_by(Alert.id)))  # type: ignore[arg-type]


def _sent(engine: Engine) -> list[SentMail]:
    with session_scope(engine) as session:
        return list(session.exec(select(SentMail)))


def test_an_import_that_crosses_the_threshold_sends_exactly_one_e_mail_to_the_subscriber(
        engine: Engine, prefecture: Prefecture, workbook: MakeWorkbook, smtp_server: Mailbox) -> None:
    pid = prefecture.id or 0
    _subscribe(engine, pid)
    outcome = services.imports.save_upload(_actor(engine), pid, "courriels-2024.xlsx",
                                           _file(workbook, {4: (190, 200), 5: (182, 200), 6: (160, 200)}))
    assert outcome.batch is not None and outcome.alerts is not None
    [alert] = _alerts(engine)
    assert (alert.kind, alert.month, alert.batch_id) == ("seuil", JUNE, outcome.batch.id)
    assert alert.message == ("Taux de réponse aux courriels dans le délai de 5 jours ouvrés — juin 2024 : 80,0 %, "
                             "sous le seuil d'alerte de 85,0 % (mai : 91,0 %).")
    assert [line.message for line in outcome.alerts.alerts] == [alert.message]
    assert outcome.alerts.mail.sent == [SUBSCRIBER] and not outcome.alerts.mail.unsent
    [got] = smtp_server.messages
    assert got.recipients == [SUBSCRIBER] and smtp_server.to(OTHER) == []
    assert got.subject == "Qual-e-Pref — 1 alerte : Taux de réponse aux courriels dans le délai de 5 jours ouvrés"
    assert alert.message in got.body and got.body.startswith("Bonjour,")
    assert "Seuil d'alerte franchi" in got.body and "page « Signaux »" in got.body
    assert "courriels-2024" not in got.body and "Marie" not in got.body  # no file name, no person
    assert got.attachments() == {}
    # the same file again, then a corrected June still below the threshold: nothing new, nothing sent
    services.imports.save_upload(_actor(engine), pid, "courriels-2024.xlsx",
                                 _file(workbook, {4: (190, 200), 5: (182, 200), 6: (160, 200)}))
    again = services.imports.save_upload(_actor(engine), pid, "courriels-2024-corrige.xlsx",
                                         _file(workbook, {6: (150, 200)}))
    assert again.alerts is not None and again.alerts.count == 0
    assert len(_alerts(engine)) == 1 and len(smtp_server.messages) == 1
    assert [m.key for m in _sent(engine)] == [f"lot:{outcome.batch.id}:{SUBSCRIBER}"]


def test_one_message_per_subscriber_groups_the_alerts_of_an_import(
        engine: Engine, prefecture: Prefecture, workbook: MakeWorkbook, smtp_server: Mailbox) -> None:
    pid = prefecture.id or 0
    _subscribe(engine, pid)
    services.alerts.subscribe(_actor(engine), pid, "tout@test.gouv.fr")
    rows: list[list[object]] = [["Suivi"], ["indicateur", "période", "périmètre", "numérateur", "dénominateur"],
                                ["COURRIEL_5J", "2024-06", "", 160, 200],
                                ["COLL_COURRIEL_LEGALITE_5J", "2024-06", "", 10, 20]]
    services.imports.save_upload(_actor(engine), pid, "deux.xlsx", workbook({"Suivi": rows}))
    assert sorted(a.indicator_code for a in _alerts(engine)) == ["COLL_COURRIEL_LEGALITE_5J", "COURRIEL_5J"]
    [everything] = smtp_server.to("tout@test.gouv.fr")
    assert everything.subject.startswith("Qual-e-Pref — 2 alertes : ")
    assert len(smtp_server.to(SUBSCRIBER)) == 1 and "COLL" not in smtp_server.to(SUBSCRIBER)[0].body
    [elus] = smtp_server.to(OTHER)
    assert "Réponses aux courriels d'élus" in elus.subject and "Taux de réponse aux courriels" not in elus.body
    assert len(smtp_server.messages) == 3


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_down_leaves_the_import_saved_and_the_e_mail_for_later_once(
        engine: Engine, prefecture: Prefecture, workbook: MakeWorkbook, smtp_server: Mailbox,
        monkeypatch: pytest.MonkeyPatch) -> None:
    pid = prefecture.id or 0
    _subscribe(engine, pid)
    port = os.environ["QEP_SMTP_PORT"]
    monkeypatch.setenv("QEP_SMTP_PORT", str(_closed_port()))
    outcome = services.imports.save_upload(_actor(engine), pid, "courriels.xlsx", _file(workbook, {6: (160, 200)}))
    assert outcome.batch is not None and outcome.alerts is not None
    assert outcome.alerts.count == 1 and outcome.alerts.mail.unsent == [SUBSCRIBER]
    assert "injoignable" in outcome.alerts.mail.text() and "renvoyés" in outcome.alerts.mail.text()
    assert len(_alerts(engine)) == 1 and _sent(engine) == [] and smtp_server.messages == []
    monkeypatch.setenv("QEP_SMTP_PORT", port)
    report = services.alerts.send_pending(_actor(engine), pid)
    assert report.sent == [SUBSCRIBER] and len(smtp_server.to(SUBSCRIBER)) == 1
    assert services.alerts.send_pending(_actor(engine), pid).sent == []
    assert len(smtp_server.messages) == 1 and len(_sent(engine)) == 1


def test_without_a_mail_server_the_alerts_are_recorded_and_the_page_is_told(
        engine: Engine, prefecture: Prefecture, workbook: MakeWorkbook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    pid = prefecture.id or 0
    _subscribe(engine, pid)
    outcome = services.imports.save_upload(_actor(engine), pid, "courriels.xlsx", _file(workbook, {6: (160, 200)}))
    assert outcome.alerts is not None and outcome.alerts.count == 1
    assert not outcome.alerts.mail.configured and "Courriels désactivés" in outcome.alerts.mail.text()
    assert _sent(engine) == []


def test_a_subscriber_is_told_only_of_alerts_raised_after_it_subscribed(
        engine: Engine, prefecture: Prefecture, workbook: MakeWorkbook, smtp_server: Mailbox,
        monkeypatch: pytest.MonkeyPatch) -> None:
    pid = prefecture.id or 0
    monkeypatch.delenv("QEP_SMTP_HOST")
    services.imports.save_upload(_actor(engine), pid, "courriels.xlsx", _file(workbook, {6: (160, 200)}))
    _subscribe(engine, pid)
    monkeypatch.setenv("QEP_SMTP_HOST", "127.0.0.1")
    assert services.alerts.send_pending(_actor(engine), pid).sent == []
    assert smtp_server.messages == []


def test_the_year_s_threshold_is_the_prefecture_s(engine: Engine, prefecture: Prefecture, workbook: MakeWorkbook,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    pid = prefecture.id or 0
    with session_scope(engine, write=True) as session:
        set_target(session, pid, "COURRIEL_5J", 2024, 70.0, 60.0)
    services.imports.save_upload(_actor(engine), pid, "courriels.xlsx", _file(workbook, {5: (190, 200), 6: (130, 200)}))
    [alert] = _alerts(engine)
    assert alert.kind == "cible" and "sous la cible de 70,0 %" in alert.message


def test_a_typed_entry_raises_its_alerts_too(engine: Engine, prefecture: Prefecture,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    pid = prefecture.id or 0
    rows = [services.entry.EntryRow("COURRIEL_5J", 160, 200)]
    outcome = services.entry.save_entries(_actor(engine), pid, JUNE, None, rows)
    assert outcome.alerts is not None and outcome.alerts.count == 1
    assert [a.kind for a in _alerts(engine)] == ["seuil"]


# --- the command line -------------------------------------------------------------------------------

def test_the_command_line_subscribes_lists_and_sends(engine: Engine, prefecture: Prefecture, workbook: MakeWorkbook,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QEP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    assert main(["alerts", "subscribe", "--email", SUBSCRIBER, "--indicator", "courriel_5j"]) == 0
    assert main(["alerts", "subscribe", "--email", SUBSCRIBER, "--indicator", "COURRIEL_5J"]) == 1
    assert "déjà abonnée" in capsys.readouterr().err
    assert main(["alerts", "subscriptions", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["indicator"] == "COURRIEL_5J"
    services.imports.save_upload(_actor(engine), prefecture.id or 0, "c.xlsx", _file(workbook, {6: (160, 200)}))
    assert main(["alerts", "list", "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert set(row) == {"indicator", "label", "month", "kind", "message", "created_at"}
    assert (row["indicator"], row["month"], row["kind"]) == ("COURRIEL_5J", "2024-06", "seuil")
    assert main(["alerts", "list", "--since", "2999-01-01"]) == 0 and "aucune alerte" in capsys.readouterr().out
    assert main(["alerts", "list", "--since", "juin"]) == 2
    assert main(["alerts", "send"]) == 1 and "Courriels désactivés" in capsys.readouterr().err
    assert main(["alerts", "unsubscribe", "--email", SUBSCRIBER, "--indicator", "COURRIEL_5J"]) == 0
    assert main(["alerts", "subscribe", "--email", "pas-une-adresse"]) == 1
    assert "Adresse de courriel invalide" in capsys.readouterr().err


def test_alert_e_mails_go_through_a_prefecture_relay_with_starttls_and_login(
        engine: Engine, prefecture: Prefecture, workbook: MakeWorkbook, smtp_tls_server: Mailbox) -> None:
    pid = prefecture.id or 0
    _subscribe(engine, pid)
    outcome = services.imports.save_upload(_actor(engine), pid, "courriels.xlsx", _file(workbook, {6: (160, 200)}))
    assert outcome.alerts is not None and outcome.alerts.mail.sent == [SUBSCRIBER]
    assert [m.recipients for m in smtp_tls_server.messages] == [[SUBSCRIBER]]
