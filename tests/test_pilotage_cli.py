"""The pilotage's command line (exit codes 0 / 1 / 2, French output) and the demo's pilotage."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from qep_core.cli import main
from qep_core.db import session_scope
from qep_core.demo import DEMO_CODE, load_demo
from qep_core.demo.pilotage import DEMO_AS_OF, PILOTAGE_DEMO_DIR, write_pilotage_demo_files
from qep_core.models import Prefecture
from qep_core.pilotage.summary import action_plan_summary, last_audit_per_module, training_summary
from tests.conftest import make_workbook
from tests.seed_pilotage import ACTION_PLAN_COMPLETION_2022, TG_AUDIT_MODULE_1, audit_sheet


@pytest.fixture
def cli_db(engine, prefecture, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QEP_DATABASE_URL", str(engine.url))
    return engine


def write(tmp_path: Path, name: str, sheets: dict) -> str:  # type: ignore[type-arg]
    path = tmp_path / name
    path.write_bytes(make_workbook(sheets))
    return str(path)


def test_actions_import_summary_and_export(cli_db, tmp_path, capsys):
    bilan = write(tmp_path, "bilan-2022.xlsx", {"Plan": ACTION_PLAN_COMPLETION_2022})
    assert main(["actions", "import", bilan, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("· [essai, rien n'est enregistré] bilan-2022.xlsx : tableau de réalisation par module")
    assert main(["actions", "import", bilan]) == 0
    out = capsys.readouterr().out
    assert "taux de réalisation 70 %" in out
    assert "colonne « En cours » : le total imprimé (15) diffère de la somme des modules (18)" in out
    assert "colonne « Non fait » : le total imprimé (25) diffère de la somme des modules (22)" in out
    assert main(["actions", "import", bilan]) == 0 and "rien n'a changé" in capsys.readouterr().out
    assert main(["actions", "summary", "--as-of", "31/12/2022", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["basis"] == "tableau de réalisation importé (31/12/2022)"
    assert [(m["label"], m["fait"], m["fait"] + m["en_cours"] + m["a_faire"], m["rate"]) for m in payload["by_module"]] \
        == [("Module 1", 65, 93, 69.9), ("Module 2", 4, 4, 100.0), ("Module 4", 1, 4, 25.0), ("Pilotage", 25, 34, 73.5)]
    assert payload["overall"]["rate"] == 70.4
    assert main(["actions", "summary", "--as-of", "2022-12-31"]) == 0
    table = capsys.readouterr().out
    assert "Module 1                        65        14       14          0    70 %" in table
    out_file = tmp_path / "plan.xlsx"
    assert main(["actions", "export", "-o", str(out_file)]) == 0 and out_file.stat().st_size > 0


def test_rejected_files_and_usage_errors(cli_db, tmp_path, capsys):
    bad = write(tmp_path, "faux.xlsx", {"Plan": [["Action", "Statut"], ["Une action", "Presque"]]})
    assert main(["actions", "import", bad]) == 1
    err = capsys.readouterr().err
    assert "✗ faux.xlsx : refusé, rien n'a été enregistré" in err and "statut inconnu « Presque »" in err
    assert main(["actions", "import", str(tmp_path / "absent.xlsx")]) == 2
    assert "fichier introuvable" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["training", "compliance", "--as-of", "2024-13-01"])
    assert usage.value.code == 2
    assert main(["actions", "summary", "--prefecture", "75"]) == 2
    with cli_db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM pilotage_action")).scalar_one() == 0


def test_audit_import_and_list(cli_db, tmp_path, capsys):
    report = write(tmp_path, "audit.xlsx", {"Rapport": audit_sheet(TG_AUDIT_MODULE_1, title=False)})
    assert main(["audit", "import", report]) == 1
    assert "type d'audit inconnu" in capsys.readouterr().err
    assert main(["audit", "import", report, "--type", "suivi", "--date", "05/07/2022", "--auditor", "A. R."]) == 0
    assert "audit de suivi du 05/07/2022, 20 constats, 0 non-conformité, 6 PF, 1 PS, 9 PP" in \
        capsys.readouterr().out
    assert main(["audit", "list", "--format", "json"]) == 0
    audits = json.loads(capsys.readouterr().out)["audits"]
    assert [(a["title"], a["findings"], a["C"], a["NA"], a["PS"], a["PP"]) for a in audits] == [
        ("Audit de suivi du 05/07/2022", 20, 19, 1, 1, 9)]


def test_training_import_and_compliance(cli_db, tmp_path, capsys):
    book = write(tmp_path, "formations.xlsx", {"Agents": [
        ["Nom", "Rôle", "Prise de poste"], ["Agent A", "Accueil physique", "15/07/2023"],
        ["Agent B", "Accueil physique", "15/05/2023"], ["Agent C", "RQ", "01/01/2020"]]})
    assert main(["training", "import", book]) == 0
    capsys.readouterr()
    assert main(["training", "compliance", "--as-of", "2024-06-15", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {a["name"]: (a["status"], a["deadline"]) for a in payload["agents"]} == {
        "Agent A": ("a_former", "2024-07-15"), "Agent B": ("en_retard", "2024-05-15"),
        "Agent C": ("en_retard", "2021-01-01")}
    assert payload["total"]["concerned"] == 3 and payload["total"]["due_this_year"] == 3
    assert main(["training", "compliance", "--as-of", "2024-06-15", "--due"]) == 0
    assert "Agent B" in capsys.readouterr().out


# ------------------------------------------------------------------ the demo


def test_the_demo_has_an_action_plan_an_audit_and_trainings_loaded_once(engine):
    summary = load_demo(engine)
    assert "Pilotage : 3 fichiers chargés" in summary
    with session_scope(engine) as session:
        pid = session.exec(text("SELECT id FROM prefecture WHERE code = :c").bindparams(c=DEMO_CODE)).one()[0]
        plan = action_plan_summary(session, pid, DEMO_AS_OF)
        audits = last_audit_per_module(session, pid)
        trainings = training_summary(session, pid, dt.date(2024, 12, 31))
        assert session.get(Prefecture, pid) is not None
    assert plan.overall.total == 42 + 3 and plan.late_count >= 5  # + the 3 decisions of the demo COPIL reviews
    assert len(plan.by_source) == 9 and {c.key for c in plan.by_module} == {"M1", "M2", "M4", "PIL", "LAB"}
    assert {c.key for c in plan.by_module} <= {"M1", "M2", "M4", "PIL", "LAB"}
    assert {a.module_code for a in audits} == {"M1", "M4", "PIL", "LAB"}
    assert audits[0].audit_kind == "suivi" and audits[0].nc_mineure == 1
    assert trainings.total.concerned == 25 and trainings.total.a_former > 0 and trainings.total.en_retard > 0
    with engine.connect() as conn:
        before = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                  for t in ("pilotage_action", "pilotage_action_status", "pilotage_audit_remark", "pilotage_agent")}
    assert "Pilotage : plan d'actions, audit et formations déjà chargés, rien n'a changé" in load_demo(engine)
    with engine.connect() as conn:
        after = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in before}
    assert after == before


def test_committed_pilotage_demo_files_are_what_the_generator_writes(tmp_path):
    import python_calamine

    def cells(path: Path) -> object:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}

    written = write_pilotage_demo_files(tmp_path)
    assert [p.name for p in written] == sorted(p.name for p in PILOTAGE_DEMO_DIR.iterdir())
    for path in written:
        assert path.read_bytes() == (PILOTAGE_DEMO_DIR / path.name).read_bytes(), path.name
        assert cells(path) == cells(PILOTAGE_DEMO_DIR / path.name)
