"""E-mail through a real SMTP server: recipients, French subject and body, attachment, STARTTLS and
login as a préfecture's relay asks, nothing sent twice, French refusals."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from qep_core.db import session_scope
from qep_core.mail import Attachment, Mail, MailError, check_address, deliver, parse_addresses, send_once
from qep_core.models import Prefecture
from qep_core.signals.models import SentMail
from tests.smtp import Mailbox

PDF = b"%PDF-1.7\n% tableau de bord\n"
MAIL = Mail(to=("copil@loire-atlantique.gouv.fr", "dir@loire-atlantique.gouv.fr"),
            subject="Qual-e-Pref — synthèse de juin 2024 : 2 signaux",
            body="Bonjour,\n\nTaux de décroché : 87,5 % (cible 90 %), préoccupation.\n",
            attachments=(Attachment("synthese-2024-06.pdf", PDF),))


def test_a_message_reaches_every_recipient_in_french_with_its_attachment(smtp_server: Mailbox) -> None:
    deliver(MAIL)
    [got] = smtp_server.messages
    assert got.sender == "qualite@loire-atlantique.gouv.fr"
    assert got.recipients == list(MAIL.to)
    assert got.subject == "Qual-e-Pref — synthèse de juin 2024 : 2 signaux"
    assert "Taux de décroché : 87,5 % (cible 90 %)" in got.body
    assert got.attachments() == {"synthese-2024-06.pdf": PDF}
    assert got.message["Content-Language"] == "fr"
    assert got.message["Auto-Submitted"] == "auto-generated"


def test_starttls_and_login_as_a_prefecture_relay_asks(smtp_tls_server: Mailbox) -> None:
    deliver(MAIL)
    assert [m.subject for m in smtp_tls_server.messages] == [MAIL.subject]


def test_a_wrong_password_is_refused_in_french(smtp_tls_server: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QEP_SMTP_PASSWORD", "faux")
    with pytest.raises(MailError, match="n'accepte pas l'identifiant « qep »"):
        deliver(MAIL)
    assert smtp_tls_server.messages == []


def test_no_clear_text_when_starttls_is_required_and_not_offered(smtp_server: Mailbox,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QEP_SMTP_STARTTLS", "1")
    with pytest.raises(MailError, match="ne propose pas STARTTLS"):
        deliver(MAIL)
    assert smtp_server.messages == []


def test_without_a_server_nothing_is_attempted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    with pytest.raises(MailError, match="aucun serveur de courriel n'est configuré"):
        deliver(MAIL)


def test_an_unreachable_server_is_said_in_french(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("QEP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("QEP_SMTP_PORT", str(port))
    monkeypatch.setenv("QEP_SMTP_FROM", "qualite@loire-atlantique.gouv.fr")
    with pytest.raises(MailError, match="injoignable"):
        deliver(MAIL)


@pytest.mark.parametrize("text", ["", "copil", "copil@", "a b@x.fr", "x@y", "é@x.fr", "a@x.fr\nBcc: z@x.fr",
                                  "a" * 250 + "@x.fr"])
def test_addresses_that_are_not_addresses_are_named(text: str) -> None:
    with pytest.raises(MailError, match="Adresse de courriel invalide"):
        check_address(text)


def test_addresses_are_split_checked_and_deduplicated() -> None:
    assert parse_addresses(["a@x.fr; B@x.fr", "b@X.fr", " c@y.fr "]) == ("a@x.fr", "B@x.fr", "c@y.fr")
    with pytest.raises(MailError, match="Aucune adresse"):
        parse_addresses([" , "])


def test_a_subject_cannot_inject_headers(smtp_server: Mailbox) -> None:
    deliver(Mail(to=("a@x.fr",), subject="Signal\r\nBcc: espion@x.fr", body="."))
    [got] = smtp_server.messages
    assert got.recipients == ["a@x.fr"] and got.message["Bcc"] is None
    assert got.subject == "Signal Bcc: espion@x.fr"


def test_send_once_sends_a_key_once_and_notes_it(engine: Engine, prefecture: Prefecture, smtp_server: Mailbox) -> None:
    pid = prefecture.id or 0
    for _ in range(2):
        with session_scope(engine, write=True) as session:
            send_once(session, pid, "digest", "2024-06:copil@loire-atlantique.gouv.fr", MAIL, "référent qualité")
    assert len(smtp_server.messages) == 1
    with session_scope(engine) as session:
        [line] = session.exec(select(SentMail)).all()
    assert (line.kind, line.attachments, line.sent_by) == ("digest", "synthese-2024-06.pdf", "référent qualité")
    assert line.recipients == "copil@loire-atlantique.gouv.fr, dir@loire-atlantique.gouv.fr"


def test_a_refused_message_is_not_noted_as_sent(engine: Engine, prefecture: Prefecture, smtp_server: Mailbox,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    pid = prefecture.id or 0
    monkeypatch.setenv("QEP_SMTP_STARTTLS", "1")  # the server does not offer it: refused
    with pytest.raises(MailError), session_scope(engine, write=True) as session:
        send_once(session, pid, "digest", "k", MAIL, "x")
    monkeypatch.setenv("QEP_SMTP_STARTTLS", "0")
    with session_scope(engine, write=True) as session:
        assert send_once(session, pid, "digest", "k", MAIL, "x") is not None
    assert len(smtp_server.messages) == 1
