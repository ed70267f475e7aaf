"""The « Relances » section of the Collecte page on the demo (AppTest), September 2024 as of
15 October 2024: CM (late) and the sous-préfecture (partial) previewed with their contacts, an
editable subject and body, their sheet to download; sent on click to a real SMTP server (aiosmtpd),
the edited subject kept, the result per service and the log shown; the button disabled, saying
why, without a server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import select

from qep_core.db import get_engine, session_scope
from qep_core.models import Perimetre
from tests.smtp import Mailbox
from tests.test_page_collecte import DEMO_AS_OF, SP, open_page
from tests.test_reminders import demo_file  # noqa: F401  (the demo built once, copied per test)

CM_MAIL = "pref-commissions-medicales@demo.gouv.fr"


@pytest.fixture
def demo_url(demo_file: Path, tmp_path: Path) -> str:  # noqa: F811
    copy = tmp_path / "demo.db"
    shutil.copy(demo_file, copy)
    return f"sqlite:///{copy}"


def _key(url: str, name: str) -> str:
    with session_scope(get_engine(url)) as session:
        perimetre_id = session.exec(select(Perimetre).where(Perimetre.name == name)).one().id
    return f"1-202409-20241015-{perimetre_id}"


def test_the_reminders_are_previewed_edited_and_sent_once(demo_url: str, smtp_server: Mailbox,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_url, monkeypatch, annee="2024", au=DEMO_AS_OF.isoformat())
    cm, sp = _key(demo_url, "CM"), _key(demo_url, SP)
    assert at.text_input(key=f"relance-subject-{cm}").value == "Qual-e-Pref — chiffres de septembre 2024 attendus : CM"
    assert "(COURRIEL_5J)" in at.text_area(key=f"relance-body-{cm}").value
    assert "(COURRIER_DELAI_MOYEN)" in at.text_area(key=f"relance-body-{sp}").value
    captions = " ".join(c.value for c in at.caption)
    assert f"À : {CM_MAIL}" in captions and "2 services à relancer au 15/10/2024" in captions
    downloads = [b for b in at.get("download_button") if "suivi-cm-2024-09.xlsx" in b.proto.label]
    assert downloads  # the sheet to check before sending
    at.text_input(key=f"relance-subject-{cm}").set_value("Relance des chiffres de septembre : CM")
    at.checkbox(key=f"relance-include-{sp}").uncheck()
    at.button(key="relance-send-1-202409").click().run()
    assert not at.exception, at.exception
    [got] = smtp_server.messages
    assert got.recipients == [CM_MAIL] and got.subject == "Relance des chiffres de septembre : CM"
    assert list(got.attachments()) == ["suivi-cm-2024-09.xlsx"]
    assert any(f"CM ({CM_MAIL}) : envoyé" in s.value for s in at.success)
    [log] = [d.value for d in at.dataframe if "Objet" in d.value.columns]
    assert list(log["Service"]) == ["CM"] and list(log["Objet"]) == ["Relance des chiffres de septembre : CM"]
    # the same day: CM is said already reminded and not ticked; sending the sous-préfecture leaves CM alone
    at.run()
    at.checkbox(key=f"relance-include-{sp}").check()
    at.checkbox(key=f"relance-include-{cm}").check()
    at.button(key="relance-send-1-202409").click().run()
    assert len(smtp_server.messages) == 2 and smtp_server.to("sp-saint-nazaire@demo.gouv.fr")
    assert any(f"CM ({CM_MAIL}) : déjà relancé aujourd'hui" in s.value for s in at.success)


def test_without_a_server_the_button_says_why(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QEP_SMTP_HOST", raising=False)
    at = open_page(demo_url, monkeypatch, annee="2024", au=DEMO_AS_OF.isoformat())
    button = at.button(key="relance-send-1-202409")
    assert button.disabled
    assert any("Aucun serveur de courriel n'est configuré" in c.value for c in at.caption)
