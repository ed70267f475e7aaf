"""The template re-imports exactly; the command line gives the documented records and exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from qep_core.cli import main
from qep_core.compute import compute_indicators
from qep_core.db import session_scope
from qep_core.importing import import_file
from qep_core.periods import month_period, quarter_period, year_period
from tests.conftest import make_workbook
from tests.databases import database
from tests.seed_tables import EMAIL_MONTHLY, titled

ROOT = Path(__file__).resolve().parent.parent


def fill_template(data: bytes) -> tuple[bytes, dict[tuple[str, str, int], float]]:
    """Put a distinct, consistent count in every input cell; returns what was written."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    written: dict[tuple[str, str, int], float] = {}
    for ws in wb.worksheets[1:]:
        header = [c.value for c in ws[6]]
        n_periods = len([h for h in header[1:] if h and h != "Total"])
        for row in ws.iter_rows(min_row=7):
            label = row[0].value
            if not label:
                continue
            code, role = label.split(" · ")[0], label.split(" · ")[1]
            for i in range(n_periods):
                base = 100 + 10 * i + len(code)
                value = {"dénominateur": base, "numérateur": base - 3 - i % 4, "complément": 3 + i % 4,
                         "effectif": base, "valeur": 2 + i % 5}[role]
                row[1 + i].value = value
                written[(code, role, i)] = value
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), written


def test_template_round_trip_is_exact(engine, prefecture, tmp_path, monkeypatch):
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    out = tmp_path / "modele.xlsx"
    assert main(["template", "--year", "2023", "-o", str(out)]) == 0
    data, written = fill_template(out.read_bytes())
    outcome = import_file(engine, prefecture.id, "modele-rempli.xlsx", data)
    assert not [w for w in outcome.plan.warnings if "non reconnue" in w.message]
    assert len(outcome.plan.indicators) == 20
    with session_scope(engine) as session:
        jan = {r.indicator.code: r for r in compute_indicators(session, prefecture.id, month_period(2023, 1))}
        q1 = {r.indicator.code: r for r in compute_indicators(session, prefecture.id, quarter_period(2023, 1))}
        year = {r.indicator.code: r for r in compute_indicators(session, prefecture.id, year_period(2023))}
    tel = jan["TEL_ABOUTIS"]  # denominator and "lost calls" complement in the template
    assert tel.denominator == written[("TEL_ABOUTIS", "dénominateur", 0)]
    assert tel.numerator == tel.denominator - written[("TEL_ABOUTIS", "complément", 0)]
    assert jan["COURRIEL_5J"].numerator == written[("COURRIEL_5J", "numérateur", 0)]
    assert jan["COURRIEL_DELAI_MOYEN"].value == written[("COURRIEL_DELAI_MOYEN", "valeur", 0)]
    assert jan["PAN_USAGERS"].value == written[("PAN_USAGERS", "valeur", 0)]
    assert q1["SITE_CONNEXION"].denominator == written[("SITE_CONNEXION", "dénominateur", 0)]
    assert year["ACCUEIL_SATISFACTION"].numerator == written[("ACCUEIL_SATISFACTION", "numérateur", 0)]
    assert all(r.value is not None for r in year.values())


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    with database(tmp_path, "cli") as url:
        monkeypatch.setenv("QEP_DATABASE_URL", url)
        assert main(["init", "--prefecture", "44", "--name", "Préfecture de la Loire-Atlantique", "--modules", "2,4"]) == 0
        sheet = tmp_path / "courriels-2022.xlsx"
        sheet.write_bytes(make_workbook({"Courriels 2022": titled("Courriels 2022", EMAIL_MONTHLY)}))
        yield tmp_path, sheet


def test_cli_import_then_report_json(cli_db, capsys):
    tmp_path, sheet = cli_db
    assert main(["import", str(sheet)]) == 0
    printed = capsys.readouterr().out
    assert "20 valeurs" in printed and "COURRIEL_5J" in printed and "94,0 %" in printed
    assert main(["import", str(sheet)]) == 0
    assert "déjà importé" in capsys.readouterr().out
    out = tmp_path / "r.json"
    assert main(["report", "--period", "2022-01..2022-10", "--format", "json", "-o", str(out)]) == 0
    records = {r["indicator"]: r for r in json.loads(out.read_text(encoding="utf-8"))["indicators"]}
    mail = records["COURRIEL_5J"]
    assert mail["value"] == 91.5 and (mail["numerator"], mail["denominator"]) == (719, 786)
    assert (mail["unit"], mail["target"], mail["direction"], mail["status"]) == ("%", 90, ">=", "atteint")
    assert mail["engagement"] == "17" and mail["label"].startswith("Taux de réponse aux courriels")
    assert records["TEL_ABOUTIS"]["value"] is None and records["TEL_ABOUTIS"]["status"] == "pas de donnée"
    assert set(mail) >= {"indicator", "label", "engagement", "period", "value", "numerator", "denominator", "unit",
                         "target", "direction", "status", "previous_value"}


def test_cli_report_formats_and_month(cli_db, capsys):
    _, sheet = cli_db
    main(["import", str(sheet)])
    capsys.readouterr()
    assert main(["report", "--month", "2022-07", "--format", "csv"]) == 0
    csv_text = capsys.readouterr().out
    line = next(x for x in csv_text.splitlines() if x.startswith("COURRIEL_5J;"))
    assert ";2022-07;" in line and ";73.6;" in line
    assert main(["report", "--year", "2022", "--quarter", "2"]) == 0
    table = capsys.readouterr().out
    assert "2e trimestre 2022" in table and "COURRIEL_5J" in table


def test_cli_dry_run_writes_nothing(cli_db, capsys):
    _, sheet = cli_db
    assert main(["import", "--dry-run", str(sheet)]) == 0
    assert "essai" in capsys.readouterr().out
    assert main(["report", "--year", "2022", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)["indicators"]
    assert all(r["value"] is None for r in records)


def test_cli_exit_codes(cli_db, capsys):
    tmp_path, _ = cli_db
    bad = tmp_path / "faux.xlsx"
    bad.write_bytes(b"ceci n'est pas un classeur")
    assert main(["import", str(bad)]) == 1
    assert "refusé" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "absent.xlsx")]) == 1
    assert main(["init", "--prefecture", "974", "--name", "La Réunion"]) == 0
    assert main(["report", "--year", "2022"]) == 2  # two préfectures and none named
    assert "plusieurs préfectures" in capsys.readouterr().err
    assert main(["report", "--year", "2022", "--prefecture", "44", "--perimetre", "Inconnu"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["report", "--format", "pdf"])
    assert exc.value.code == 2


def test_cli_init_twice_changes_nothing(cli_db):
    from sqlalchemy import text

    from qep_core.db import get_engine

    engine = get_engine()
    with engine.connect() as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM indicator")).scalar(), conn.execute(
            text("SELECT COUNT(*) FROM prefecture")).scalar()
    assert main(["init", "--prefecture", "44"]) == 0
    with engine.connect() as conn:
        after = conn.execute(text("SELECT COUNT(*) FROM indicator")).scalar(), conn.execute(
            text("SELECT COUNT(*) FROM prefecture")).scalar()
    assert before == after


def test_python_dash_m_entry_point(new_database):
    url = new_database("sub")
    env = {**os.environ, "QEP_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "qep_core", "init", "--prefecture", "44"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-m", "qep_core", "report", "--format", "nope"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2


def test_cli_targets_per_year(cli_db, capsys):
    assert main(["target", "--year", "2023", "--indicator", "TEL_ABOUTIS", "--value", "75", "--alert", "60"]) == 0
    capsys.readouterr()
    assert main(["target", "--year", "2024"]) == 0
    listing = capsys.readouterr().out
    assert "TEL_ABOUTIS                  ≥ 75,0 % (alerte 60,0 %)  [2023]" in listing
    assert main(["target", "--year", "2022"]) == 0
    assert "TEL_ABOUTIS                  ≥ 90,0 % (alerte 80,0 %)  [référentiel]" in capsys.readouterr().out
    assert main(["target", "--year", "2023", "--indicator", "PAN_SATISFACTION", "--none"]) == 0
    assert "PAN_SATISFACTION             pas d'objectif  [2023]" in capsys.readouterr().out
    assert main(["target", "--year", "2023", "--indicator", "NOPE", "--value", "1"]) == 2
