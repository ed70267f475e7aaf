"""``python -m qep_core survey FILE --import``: the same import as the page, with French errors and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from qep_core.change_history import ChangeEvent
from qep_core.db import get_engine, session_scope
from qep_core.surveys.service import active_surveys
from qep_core.users import add_user
from tests import survey_files as files

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qep_core", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_import_through_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'qep.db'}"
    env = {**os.environ, "QEP_DATABASE_URL": url}
    assert run("init", "--prefecture", "44", "--name", "Préfecture de test", env=env).returncode == 0
    path = tmp_path / "accueil-2023.xlsx"
    path.write_bytes(files.accueil_xlsx_title_row())
    missing = run("survey", str(path), "--import", env=env)
    assert missing.returncode == 2 and "--channel est obligatoire" in missing.stderr
    wrong = run("survey", str(path), "--import", "--channel", "fax", env=env)
    assert wrong.returncode == 2 and "canal inconnu" in wrong.stderr
    outside = run("survey", str(path), "--import", "--channel", "accueil", "--year", "2022", env=env)
    assert outside.returncode == 1 and "hors de la période indiquée" in outside.stderr
    dry = run("survey", str(path), "--import", "--channel", "accueil", "--dry-run", env=env)
    assert dry.returncode == 0 and "[essai, rien n'est enregistré]" in dry.stdout
    done = run("survey", str(path), "--import", "--channel", "accueil physique", "--user", "rq", env=env)
    assert done.returncode == 0, done.stderr
    assert "✓ accueil-2023.xlsx : enquête « Accueil physique » 2023, 30 répondants" in done.stdout
    assert "question générale : Q3 « Globalement, êtes-vous satisfait(e) de l'accueil ? » : 22 / 28 (78,6 %)" \
        in done.stdout
    assert "indicateur alimenté : ACCUEIL_SATISFACTION" in done.stdout
    again = run("survey", str(path), "--import", "--channel", "accueil", env=env)
    assert again.returncode == 0 and "déjà importé" in again.stdout
    report = run("report", "--year", "2023", "--indicator", "ACCUEIL_SATISFACTION", "--format", "csv", env=env)
    assert ";78.6;22.0;28.0;" in report.stdout
    with session_scope(get_engine(url)) as session:
        assert len(active_surveys(session, 1)) == 1


def test_the_cli_imports_as_an_account_and_only_if_it_may(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'qep.db'}"
    env = {**os.environ, "QEP_DATABASE_URL": url}
    assert run("init", "--prefecture", "44", "--name", "Préfecture de test", env=env).returncode == 0
    with session_scope(get_engine(url), write=True) as session:
        add_user(session, "sg44", "copil", password="mot de passe solide 44", prefecture_id=1)
        add_user(session, "rq44", "admin", password="mot de passe solide 44", prefecture_id=1)
    path = tmp_path / "accueil-2023.xlsx"
    path.write_bytes(files.accueil_xlsx_title_row())
    refused = run("--as", "sg44", "survey", str(path), "--import", "--channel", "accueil", env=env)
    assert refused.returncode == 3 and "Accès refusé" in refused.stderr
    done = run("--as", "rq44", "survey", str(path), "--import", "--channel", "accueil", env=env)
    assert done.returncode == 0, done.stderr
    with session_scope(get_engine(url)) as session:
        assert len(active_surveys(session, 1)) == 1
        events = session.exec(select(ChangeEvent).where(ChangeEvent.action == "import")).all()
    assert [e.user for e in events] == ["rq44"]  # the import's line, under the account it acted as
