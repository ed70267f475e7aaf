"""Reminders to late or partial services, on the demo as of 15 October 2024 for September 2024
(CM late, the sous-préfecture partial, everyone else in), with a real SMTP server (aiosmtpd):
the right services reminded, once a day, each with its own sheet — which, filled and imported as
the Import page does, makes the service « reçu »; none reminded when everything is in; a refusal
notes nothing as sent; and ``python -m qep_core collecte --remind [--send]``."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL
from qep_core.cli.main import main
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.demo import load_demo
from qep_core.models import Perimetre
from tests.smtp import Mailbox

SEPT, AS_OF = dt.date(2024, 9, 1), dt.date(2024, 10, 15)
SP = "Sous-préfecture de Saint-Nazaire"
CM_MAIL, SP_MAIL = "pref-commissions-medicales@demo.gouv.fr", "sp-saint-nazaire@demo.gouv.fr"
reminders = services.reminders


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("relances") / "demo.db"
    engine = get_engine(f"sqlite:///{path}")
    create_schema(engine)
    load_demo(engine)
    engine.dispose()
    return path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> services.Actor:
    """A fresh copy of the demo for each test (sending writes), the command line pointed at it."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_file, copy)
    monkeypatch.setenv("QEP_DATABASE_URL", f"sqlite:///{copy}")
    return services.Actor(LOCAL_PRINCIPAL, get_engine(f"sqlite:///{copy}"))


def _ids(actor: services.Actor) -> dict[str, int]:
    with session_scope(actor.database) as session:
        return {p.name: p.id or 0 for p in session.exec(select(Perimetre))}


def _sheet_cells(content: bytes) -> list[list[object]]:
    book = load_workbook(io.BytesIO(content))
    return [[c.value for c in row] for ws in book.worksheets[1:] for row in ws.iter_rows()]


def test_the_late_and_the_partial_service_are_reminded_once_a_day_each_with_its_own_sheet(
        demo: services.Actor, smtp_server: Mailbox) -> None:
    previews = reminders.reminders(demo, 1, SEPT, AS_OF)
    assert [(p.reminder.perimetre, p.reminder.status, p.reminder.to, p.sent_at) for p in previews] == [
        ("CM", "en retard", (CM_MAIL,), None), (SP, "partiel", (SP_MAIL,), None)]
    out = reminders.send_reminders(demo, 1, SEPT, AS_OF)
    assert [(o.perimetre, o.text) for o in out] == [("CM", "envoyé"), (SP, "envoyé")]
    assert len(smtp_server.messages) == 2
    [cm] = smtp_server.to(CM_MAIL)
    assert cm.recipients == [CM_MAIL]
    assert cm.subject == "Qual-e-Pref — chiffres de septembre 2024 attendus : CM"
    assert "Les chiffres de septembre 2024 du périmètre « CM » étaient attendus le 10/10/2024" in cm.body
    assert "Taux de réponse aux courriels dans le délai de 5 jours ouvrés (COURRIEL_5J)" in cm.body
    assert "(COURRIEL_DELAI_MOYEN)" in cm.body and "page Import" in cm.body
    assert SP not in cm.body and "Saint-Nazaire" not in cm.body  # nothing about the other services
    [sp] = smtp_server.to(SP_MAIL)
    assert "il manque encore" in sp.body and "(COURRIER_DELAI_MOYEN)" in sp.body and "COURRIEL_5J" not in sp.body
    assert "« CM »" not in sp.body
    attachments = cm.attachments()
    assert list(attachments) == ["suivi-cm-2024-09.xlsx"]
    cells = _sheet_cells(attachments["suivi-cm-2024-09.xlsx"])
    assert ["Périmètre :", "CM"] in cells and ["Année :", 2024] in cells
    assert ["Indicateur · compte", "Septembre 2024"] in cells  # one column: the month chased
    codes = {str(row[0]).split(" · ")[0] for row in cells if row[0] and str(row[0]).count(" · ") == 2}
    assert codes == {"COURRIEL_5J", "COURRIEL_DELAI_MOYEN"}  # its indicators only
    # the same day again: nothing leaves; the previews say it went
    again = reminders.send_reminders(demo, 1, SEPT, AS_OF)
    assert [o.text for o in again] == ["déjà relancé aujourd'hui"] * 2 and len(smtp_server.messages) == 2
    assert all(p.sent_at is not None for p in reminders.reminders(demo, 1, SEPT, AS_OF))
    # the same day with another as-of date: still nothing (the day counted is the day it leaves)
    later = reminders.send_reminders(demo, 1, SEPT, AS_OF + dt.timedelta(days=3))
    assert [o.text for o in later] == ["déjà relancé aujourd'hui"] * 2 and len(smtp_server.messages) == 2
    # the next day, both still behind: reminded again
    tomorrow = reminders.sending_day() + dt.timedelta(days=1)
    assert [o.state for o in reminders.send_reminders(demo, 1, SEPT, AS_OF, sent_on=tomorrow)] == ["envoyé"] * 2
    assert len(smtp_server.messages) == 4
    log = reminders.reminder_log(demo, 1)
    assert len(log) == 4 and {line.perimetre for line in log} == {"CM", SP}
    assert {line.recipients for line in log} == {CM_MAIL, SP_MAIL} and log[0].attachments.endswith("-2024-09.xlsx")
    history = services.history.change_history(demo, 1)
    assert (history["Résumé"] == "relance de 09/2024 envoyée").sum() == 4


def test_the_attached_sheet_filled_and_imported_makes_the_service_received(
        demo: services.Actor, smtp_server: Mailbox) -> None:
    reminders.send_reminders(demo, 1, SEPT, AS_OF, only=[_ids(demo)[SP]])
    [got] = smtp_server.messages
    assert got.recipients == [SP_MAIL]
    (name, content), = got.attachments().items()
    book = load_workbook(io.BytesIO(content))
    for ws in book.worksheets[1:]:
        for row in ws.iter_rows(min_row=7):
            if row[0].value:
                row[1].value = 40  # the service types its figures in the month's column
    filled = io.BytesIO()
    book.save(filled)
    services.imports.save_upload(demo, 1, name, filled.getvalue())  # as the Import page does
    board = {r.perimetre: r.status for r in services.collection.board(demo, 1, SEPT, SEPT, AS_OF)}
    assert board[SP] == "reçu" and board["CM"] == "en retard"
    assert [p.reminder.perimetre for p in reminders.reminders(demo, 1, SEPT, AS_OF)] == ["CM"]


def test_edits_and_the_choice_of_services_are_kept(demo: services.Actor, smtp_server: Mailbox) -> None:
    cm = _ids(demo)["CM"]
    out = reminders.send_reminders(demo, 1, SEPT, AS_OF, edits={cm: ("Relance CM", "Bonjour,\nmerci de nous envoyer…")},
                                   only=[cm])
    assert [o.text for o in out] == ["envoyé"]
    [got] = smtp_server.messages
    assert got.subject == "Relance CM" and got.body.replace("\r\n", "\n").startswith("Bonjour,\nmerci") and got.attachments()


def test_none_reminded_when_everything_is_in_or_not_yet_due(demo: services.Actor,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)  # nothing to send: no server needed
    for month in (dt.date(2024, 7, 1), dt.date(2024, 10, 1)):  # all in; due in November
        assert reminders.reminders(demo, 1, month, AS_OF) == []
        assert reminders.send_reminders(demo, 1, month, AS_OF) == []
    assert reminders.reminder_log(demo, 1) == []


def test_a_refusal_notes_nothing_as_sent(demo: services.Actor, smtp_server: Mailbox,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QEP_SMTP_STARTTLS", "1")  # the test server offers no STARTTLS: refused before sending
    out = reminders.send_reminders(demo, 1, SEPT, AS_OF)
    assert [o.state for o in out] == ["échec", "échec"] and "ne propose pas STARTTLS" in out[0].text
    assert smtp_server.messages == [] and reminders.reminder_log(demo, 1) == []
    monkeypatch.setenv("QEP_SMTP_STARTTLS", "0")  # fixed: the same day, both go
    assert [o.state for o in reminders.send_reminders(demo, 1, SEPT, AS_OF)] == ["envoyé", "envoyé"]


def test_without_a_server_nothing_is_sent(demo: services.Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    with pytest.raises(reminders.MailError, match="aucun serveur de courriel n'est configuré"):
        reminders.send_reminders(demo, 1, SEPT, AS_OF)


def test_the_command_previews_then_sends_once(demo: services.Actor, smtp_server: Mailbox,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    args = ["collecte", "--month", "2024-09", "--as-of", "2024-10-15", "--remind"]
    assert main(args) == 0
    shown = capsys.readouterr().out
    assert "2 services à relancer (rien n'est envoyé sans --send)" in shown
    assert "objet : Qual-e-Pref — chiffres de septembre 2024 attendus : CM" in shown
    assert "manque : COURRIER_DELAI_MOYEN" in shown and "pièce jointe : suivi-cm-2024-09.xlsx" in shown
    assert main([*args, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [(p["perimetre"], p["status"], p["to"], p["missing"], p["attachment"], p["sent_today_at"]) for p in payload] == [
        ("CM", "en retard", [CM_MAIL], ["COURRIEL_5J", "COURRIEL_DELAI_MOYEN"], "suivi-cm-2024-09.xlsx", None),
        (SP, "partiel", [SP_MAIL], ["COURRIER_DELAI_MOYEN"], "suivi-sous-prefecture-de-saint-nazaire-2024-09.xlsx", None)]
    assert smtp_server.messages == []
    assert main([*args, "--send"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"✓ CM ({CM_MAIL}) : envoyé", f"✓ {SP} ({SP_MAIL}) : envoyé"]
    assert main([*args, "--send"]) == 0
    assert "= CM" in capsys.readouterr().out and len(smtp_server.messages) == 2
    assert main(["collecte", "--month", "2024-07", "--as-of", "2024-10-15", "--remind", "--send"]) == 0
    assert "aucun service à relancer" in capsys.readouterr().out
