"""A real SMTP server for the tests (aiosmtpd on loopback), and the settings that point at it.

Why a server and not a mock of smtplib: what is tested is what leaves the application — the
envelope's recipients, the French subject and body after MIME encoding, the attachment's bytes —
and STARTTLS and the login as a préfecture's relay asks for them.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    """One message as the server got it."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def attachments(self) -> dict[str, bytes]:
        return {str(p.get_filename()): bytes(p.get_payload(decode=True))
                for p in self.message.iter_attachments()}


@dataclass
class Mailbox:
    """What the test server received, in order."""

    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.recipients]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(handler: Mailbox, **options: Any) -> Controller:
    """The server on a free loopback port (aiosmtpd checks it is up by connecting, so port 0 won't do)."""
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), **options)
    controller.start()
    return controller


def _port(controller: Controller) -> int:
    return int(controller.port)


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A plain SMTP server on loopback; the ``QEP_SMTP_*`` settings point at it (no STARTTLS)."""
    box = Mailbox()
    controller = _start(box)
    _point_at(monkeypatch, controller, QEP_SMTP_STARTTLS="0")
    try:
        yield box
    finally:
        controller.stop()


def _point_at(monkeypatch: pytest.MonkeyPatch, controller: Controller, **settings: str) -> None:
    """The ``QEP_SMTP_*`` settings (and any other variable given) pointing at *controller*."""
    base = {"QEP_SMTP_HOST": "127.0.0.1", "QEP_SMTP_PORT": str(_port(controller)),
            "QEP_SMTP_FROM": "qualite@loire-atlantique.gouv.fr", "QEP_SMTP_SECONDS": "5"}
    for name, value in {**base, **settings}.items():
        monkeypatch.setenv(name, value)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key, cert = directory / "smtp.key", directory / "smtp.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    return key, cert


USER, PASSWORD = "qep", "relais-secret"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
        and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_tls_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Mailbox]:
    """A relay as préfectures run them: STARTTLS required (certificate trusted through
    ``SSL_CERT_FILE``), login required; the settings point at it with STARTTLS on."""
    key, cert = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    controller = _start(box, tls_context=context, require_starttls=True, auth_required=True,
                        authenticator=_authenticate)
    _point_at(monkeypatch, controller, SSL_CERT_FILE=str(cert), QEP_SMTP_USER=USER, QEP_SMTP_PASSWORD=PASSWORD,
              QEP_SMTP_STARTTLS="1")
    try:
        yield box
    finally:
        controller.stop()
