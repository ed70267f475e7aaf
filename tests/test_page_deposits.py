"""The Import page as a service's collection page, and a deposit going through validation, on
the demo (AppTest).

The demo's Commissions médicales mailbox (« CM ») sent nothing for September 2024. With
validation on, it deposits its September figures: its page shows what it owes, its own sheet,
and the deposit « à valider »; the préfecture's September figure and the collection board do not
move. The référente sees it first on her Import page, looks at what it would change, validates:
the figure and the board change then, and only then. Sent back, the comment is what the service
reads."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL, Principal
from qep_core.db import get_engine, session_scope
from qep_core.models import Perimetre
from qep_core.periods import month_period
from tests.signed_in import give_accounts
from tests.test_page_collecte import open_page
from tests.test_reminders import demo_file  # noqa: F401  (the demo built once, copied per test)

APP = Path(__file__).resolve().parent.parent / "app.py"
SEPT = dt.date(2024, 9, 1)
CM_FILE = (b"indicateur;periode;perimetre;numerateur;denominateur\n"
           b"COURRIEL_5J;2024-09;CM;12;60\n"
           b"COURRIEL_DELAI_MOYEN;2024-09;CM;540;60\n")


@pytest.fixture
def demo_url(demo_file: Path, tmp_path: Path) -> str:  # noqa: F811
    copy = tmp_path / "demo.db"
    shutil.copy(demo_file, copy)
    return f"sqlite:///{copy}"


def _ids(url: str) -> tuple[int, int]:
    with session_scope(get_engine(url)) as session:
        cm = session.exec(select(Perimetre).where(Perimetre.name == "CM")).one()
        return cm.prefecture_id, cm.id or 0


def _people(url: str) -> tuple[services.Actor, services.Actor, int]:
    pid, cm = _ids(url)
    engine = get_engine(url)
    contributor = Principal("cm44", "contributeur", "Boîte CM", frozenset({pid}), frozenset({cm}))
    referente = Principal("rq44", "admin", "Référente qualité", frozenset({pid}))
    give_accounts(engine, contributor, referente)
    return services.Actor(contributor, engine), services.Actor(referente, engine), pid


def open_import(url: str, monkeypatch: pytest.MonkeyPatch, who: services.Actor,
                page: str = "pages/import_fichiers.py") -> AppTest:
    monkeypatch.setenv("QEP_DATABASE_URL", url)
    monkeypatch.setenv("QEP_AUTH", "accounts")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["_principal"] = who.principal
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _september_mail(actor: services.Actor, pid: int) -> float | None:
    results = services.dashboard.indicator_results(actor, pid, month_period(2024, 9))
    return next(r.value for r in results if r.indicator.code == "COURRIEL_5J")


def _cm_september(actor: services.Actor, pid: int) -> str:
    board = services.collection.board(actor, pid, SEPT, SEPT, dt.date(2024, 10, 15))
    return next(r.status for r in board if r.perimetre == "CM")


def test_a_contributor_s_deposit_counts_only_once_the_referente_validates_it(
        demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    contributor, referente, pid = _people(demo_url)
    services.deposits.set_validation(services.Actor(LOCAL_PRINCIPAL, referente.database), pid, True)
    before = _september_mail(referente, pid)
    outcome = services.imports.save_upload(contributor, pid, "cm-septembre-2024.csv", CM_FILE)
    assert outcome.deposit_id is not None

    at = open_import(demo_url, monkeypatch, contributor)  # the service's own page
    assert at.title[0].value == "Vos envois"
    headers = [h.value for h in at.header]
    assert headers[:3] == ["Ce que vos périmètres envoient", "Déposer des fichiers", "Vos dépôts"]
    supplies = next(d.value for d in at.dataframe if "Manquants" in d.value.columns)
    assert set(supplies["Périmètre"]) == {"CM"} and len(supplies) == 3
    assert set(supplies["Attendus"]) == {"COURRIEL_5J, COURRIEL_DELAI_MOYEN"}
    sheets = [b for b in at.get("download_button") if "Télécharger votre tableau — CM" in b.proto.label]
    assert sheets
    mine = next(d.value for d in at.dataframe if "Traité par" in d.value.columns)
    assert list(mine["Statut"]) == ["à valider"] and list(mine["Fichier"]) == ["cm-septembre-2024.csv"]
    assert _september_mail(referente, pid) == before and _cm_september(referente, pid) == "en retard"

    at = open_import(demo_url, monkeypatch, referente)  # the référente's page
    assert at.title[0].value == "Import des tableaux de suivi"
    assert at.header[0].value == "Dépôts à valider (1)"
    at.toggle(key=f"deposit-show-{outcome.deposit_id}").set_value(True).run()
    values = next(d.value for d in at.dataframe if "Numérateur" in d.value.columns)
    assert len(values) == 2
    at.button(key=f"deposit-validate-{outcome.deposit_id}").click().run()
    assert not at.exception, at.exception
    assert any("validé (lot n°" in s.value and "cm44" in s.value for s in at.success)
    assert at.header[0].value == "Dépôts à valider (0)"

    after = _september_mail(referente, pid)
    assert after is not None and before is not None and after != before
    assert _cm_september(referente, pid) == "reçu"


def test_sent_back_the_service_reads_why(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    contributor, referente, pid = _people(demo_url)
    services.deposits.set_validation(referente, pid, True)
    outcome = services.imports.save_upload(contributor, pid, "cm-septembre-2024.csv", CM_FILE)
    at = open_import(demo_url, monkeypatch, referente)
    at.text_area(key=f"deposit-comment-{outcome.deposit_id}").input("Le dénominateur compte aussi août.")
    at.button[[b.label for b in at.button].index("Renvoyer au service")].click().run()
    assert not at.exception, at.exception
    assert any("renvoyé à cm44" in s.value for s in at.success)

    at = open_import(demo_url, monkeypatch, contributor)
    assert any("renvoyé par rq44" in e.value and "Le dénominateur compte aussi août." in e.value for e in at.error)
    assert _cm_september(referente, pid) == "en retard"


def test_the_referente_turns_validation_on_in_parametres(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _, referente, pid = _people(demo_url)
    at = open_import(demo_url, monkeypatch, referente, "pages/parametres.py")
    at.toggle(key=f"validation-{pid}").set_value(True).run()
    assert not at.exception, at.exception
    assert services.deposits.validation(referente, pid) is True
    assert any("Validation des dépôts activée" in s.value for s in at.success)
    history = services.history.change_history(referente, pid)
    assert "validation des dépôts" in set(history["Objet"])
    # turned off elsewhere (another référente, the command line): this open page shows it, and writes nothing back
    services.deposits.set_validation(referente, pid, False)
    lines = len(services.history.change_history(referente, pid))
    at.run()
    assert not at.exception, at.exception
    assert at.toggle(key=f"validation-{pid}").value is False
    assert services.deposits.validation(referente, pid) is False
    assert len(services.history.change_history(referente, pid)) == lines


def test_the_collection_board_shows_what_waits_without_counting_it(demo_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    contributor, referente, pid = _people(demo_url)
    services.deposits.set_validation(referente, pid, True)
    outcome = services.imports.save_upload(contributor, pid, "cm-septembre-2024.csv", CM_FILE)
    at = open_page(demo_url, monkeypatch, referente.principal, annee="2024", au="2024-10-15")
    assert "1 dépôt attend votre validation : il ne compte pas encore comme reçu." in [i.value for i in at.info]
    at.selectbox(key="collecte-month-2024").set_value(SEPT).run()
    table = next(d.value for d in at.dataframe if "Contacts" in d.value.columns).set_index("Périmètre")
    assert table.loc["CM", "Statut"] == "✗ en retard"  # waiting is not received
    assert table.loc["CM", "À valider"] == f"dépôt n° {outcome.deposit_id}"
    assert table.loc["PC", "À valider"] == ""
