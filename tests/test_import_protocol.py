"""One import protocol for every kind of file, one ledger, one « déjà importé » sentence in Paris time,
and the migration that moves the pilotage files' ledger into ``import_batch``."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text, update
from sqlalchemy.engine import Engine

from qep_core.backup import restore, write_backup
from qep_core.db import get_engine, session_scope
from qep_core.importing import UndoError, list_batches
from qep_core.importing import importers as steps
from qep_core.importing.ledger import INDICATOR_FILE_KINDS, PILOTAGE_FILE_KINDS, file_kind_of, list_ledger
from qep_core.importing.protocol import ImportPlanShape, already_imported_text
from qep_core.migrate import _config, current_revision, head_revision, upgrade
from qep_core.models import ImportBatch, Prefecture
from qep_core.pilotage.tables import already_imported
from tests import survey_files
from tests.conftest import make_workbook
from tests.seed_pilotage import TG_AUDIT_MODULE_1, audit_sheet
from tests.test_import_history import courriels_sheet
from tests.test_itemlog_import import AS_OF as LOG_AS_OF
from tests.test_itemlog_import import JUNE, MAY, log_file
from tests.test_migrations import differences
from tests.test_mystery import CALLS, MAILS
from tests.test_pilotage_actions import SMALL_PLAN, plan_file
from tests.test_pilotage_trainings import workbook as trainings_workbook

PLAN_DAY = dt.date(2024, 10, 15)
TRAININGS_DAY = dt.date(2024, 6, 15)
# kind of file → (file name, its bytes, the importer's own options)
FILES: dict[str, tuple[str, Callable[[], bytes], dict[str, Any]]] = {
    "suivi": ("courriels-2022.xlsx", lambda: make_workbook(
        {"Courriels": courriels_sheet({1: (18, 20), 2: (27, 30)}, "wide")}), {}),
    "journal": ("journal-courriels.xlsx", lambda: log_file(MAY + JUNE), {"as_of": LOG_AS_OF}),
    "enquete": ("accueil-2023.xlsx", survey_files.accueil_xlsx_title_row, {"channel": "accueil"}),
    "mystere": ("mysteres-2023.xlsx", lambda: make_workbook({"Appels mystères": CALLS, "Courriels mystères": MAILS}),
                {}),
    "plan": ("plan-actions.xlsx", lambda: plan_file(SMALL_PLAN), {"today": PLAN_DAY}),
    "audit": ("audit-2022.xlsx", lambda: make_workbook({"Rapport": audit_sheet(TG_AUDIT_MODULE_1)}),
              {"today": PLAN_DAY}),
    "formations": ("formations.xlsx", trainings_workbook, {"today": TRAININGS_DAY}),
}
WINTER_UTC = dt.datetime(2025, 2, 3, 13, 5, tzinfo=dt.UTC)  # 14:05 in Paris (UTC+1)


def import_once(engine: Engine, pid: int, kind: str) -> ImportBatch:
    name, data, options = FILES[kind]
    with session_scope(engine, write=True) as session:
        prefecture = session.get(Prefecture, pid)
        assert prefecture is not None
        plan = steps.analyse(session, prefecture, kind, name, data(), **options)
        assert isinstance(plan, ImportPlanShape)
        assert plan.ok, plan.errors
        assert plan.already_imported is None and plan.file_name == name and len(plan.sha256) == 64
        assert isinstance(plan.summary(), str) and len(plan.replacements) >= 0
        batch = steps.save(session, prefecture, kind, plan, "rq")
        assert batch is not None and batch.id is not None
        session.expunge(batch)
        return batch


# --- the protocol ---

@pytest.mark.parametrize("kind", list(FILES))
def test_every_importer_follows_the_protocol_and_says_the_one_text_the_second_time(
        engine: Engine, prefecture: Prefecture, kind: str) -> None:
    pid = prefecture.id or 0
    batch = import_once(engine, pid, kind)
    assert batch.file_kind == kind and batch.imported_by == "rq" and batch.status == "imported"
    assert file_kind_of(batch.kind) == kind
    with session_scope(engine, write=True) as session:  # imported on a winter afternoon, 13:05 UTC
        session.execute(update(ImportBatch).where(ImportBatch.id == batch.id).values(imported_at=WINTER_UTC))
    name, data, options = FILES[kind]
    with session_scope(engine) as session:
        prefecture_row = session.get(Prefecture, pid)
        assert prefecture_row is not None
        again = steps.analyse(session, prefecture_row, kind, "copie-" + name, data(), **options)
        assert isinstance(again, ImportPlanShape) and again.ok
        assert again.already_imported is not None and again.already_imported.id == batch.id
        assert again.summary() == (f"copie-{name} : déjà importé le 03/02/2025 à 14:05 (lot n° {batch.id}) ; "
                                   "rien n'a changé")
        assert steps.save(session, prefecture_row, kind, again, "rq") is None  # nothing written


def test_the_text_is_in_paris_time_winter_and_summer_and_for_times_stored_without_zone() -> None:
    winter = ImportBatch(id=12, prefecture_id=1, file_name="f", sha256="0" * 64, kind="wide", imported_at=WINTER_UTC)
    assert already_imported_text("fichier.xlsx", winter) == (
        "fichier.xlsx : déjà importé le 03/02/2025 à 14:05 (lot n° 12) ; rien n'a changé")
    summer = ImportBatch(id=3, prefecture_id=1, file_name="f", sha256="0" * 64, kind="audit",
                         imported_at=dt.datetime(2025, 7, 3, 12, 5))  # SQLite gives it back without zone: UTC
    assert already_imported_text("a.xlsx", summer) == "a.xlsx : déjà importé le 03/07/2025 à 14:05 (lot n° 3) ; rien n'a changé"
    late = ImportBatch(id=4, prefecture_id=1, file_name="f", sha256="0" * 64, kind="mystere",
                       imported_at=dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC))
    assert "déjà importé le 01/01/2025 à 00:30" in already_imported_text("m.xlsx", late)  # the Paris day


def test_the_ledger_holds_every_kind_and_only_values_are_undone_from_the_import_page(
        engine: Engine, prefecture: Prefecture) -> None:
    pid = prefecture.id or 0
    batches = {kind: import_once(engine, pid, kind) for kind in FILES}
    with session_scope(engine) as session:
        ledger = list_ledger(session, pid)
        shown = list_batches(session, pid)
    assert {b.file_kind for b in ledger} == set(FILES) and len(ledger) == len(FILES)
    assert {b.file_kind for b in shown} == set(FILES) & INDICATOR_FILE_KINDS
    by_id = {b.id: b for b in ledger}
    assert all(by_id[b.id].summary for b in batches.values() if b.file_kind in PILOTAGE_FILE_KINDS)
    for kind in ("plan", "audit", "formations"):
        with session_scope(engine, write=True) as session, pytest.raises(UndoError, match="ne s'annule pas ici"):
            steps.undo(session, pid, batches[kind].id or 0, "rq")
    with session_scope(engine, write=True) as session:
        steps.undo(session, pid, batches["mystere"].id or 0, "rq")
    again = import_once(engine, pid, "mystere")  # an undone file can be imported again
    assert again.id != batches["mystere"].id
    with session_scope(engine) as session:
        pilotage = {r[0]: r[1] for r in session.execute(text(
            "SELECT file_kind, COUNT(*) FROM import_batch b JOIN pilotage_audit a ON a.import_id = b.id "
            "GROUP BY file_kind"))}
    assert pilotage == {"audit": 1}


@pytest.mark.parametrize(("kind", "file_kind"), [
    ("long", "suivi"), ("wide", "suivi"), ("saisie", "saisie"), ("journal:courriels", "journal"),
    ("enquete", "enquete"), ("mystere", "mystere"), ("actions", "plan"), ("bilan", "bilan"), ("audit", "audit"),
    ("formations", "formations")])
def test_the_kind_of_file_of_each_format(kind: str, file_kind: str) -> None:
    assert file_kind_of(kind) == file_kind


# --- the migration ---

def at_0005_with_pilotage_imports(engine: Engine) -> None:
    assert "0005" in upgrade(engine, "0005")
    stamp = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
    with engine.begin() as conn:
        run = conn.execute
        run(text("INSERT INTO prefecture (id, code, name, whit_monday_worked, created_at) "
                 "VALUES (1, '44', 'Préfecture de test', TRUE, :t)"), {"t": stamp})
        run(text("INSERT INTO module (code, number, kind, title, mandatory) VALUES ('M1', 1, 'module', 'M1', TRUE)"))
        for i, kind in ((1, "wide"), (2, "journal:courriels"), (3, "enquete")):
            run(text("INSERT INTO import_batch (id, prefecture_id, file_name, sha256, kind, imported_by, imported_at, "
                     "rows, replaced, warnings_json, status) VALUES (:i, 1, :f, :s, :k, 'rq', :t, 3, 0, '[]', "
                     "'imported')"), {"i": i, "f": f"valeurs-{i}.xlsx", "s": f"{i:064d}", "k": kind, "t": stamp})
        for i, kind in ((1, "actions"), (2, "audit"), (3, "formations"), (4, "bilan")):
            run(text("INSERT INTO pilotage_import (id, prefecture_id, kind, file_name, sha256, imported_by, "
                     "imported_at, summary, warnings_json) VALUES (:i, 1, :k, :f, :s, 'rq', :t, :r, '[]')"),
                {"i": i, "k": kind, "f": f"{kind}.xlsx", "s": f"{100 + i:064d}", "t": stamp, "r": f"résumé {kind}"})
        run(text("INSERT INTO pilotage_audit (id, prefecture_id, kind, audit_date, auditor, organisation, modules, "
                 "import_id, created_at) VALUES (1, 1, 'suivi', :d, 'A', 'O', 'M1', 2, :t)"),
            {"d": dt.date(2022, 7, 5), "t": stamp})
        run(text("INSERT INTO pilotage_audit_finding (id, audit_id, engagement_key, conformity, note) "
                 "VALUES (1, 1, 'E1', 'C', '')"))
        run(text("INSERT INTO pilotage_action (id, prefecture_id, ref, title, module_code, source, owner, status, "
                 "status_date, created_on, comment, answers, import_id, finding_id, updated_at) VALUES "
                 "(1, 1, 'A-1', 'Boucle magnétique', 'M1', 'audit', 'RQ', 'fait', :d, :d, '', '', 1, 1, :t), "
                 "(2, 1, NULL, 'Saisie à la main', 'M1', 'autre', '', 'a_faire', :d, :d, '', '', NULL, NULL, :t)"),
            {"d": dt.date(2024, 1, 2), "t": stamp})
        run(text("INSERT INTO pilotage_action_status (id, action_id, status, changed_on, recorded_at, recorded_by) "
                 "VALUES (1, 1, 'fait', :d, :t, 'rq')"), {"d": dt.date(2024, 1, 2), "t": stamp})
        run(text("INSERT INTO pilotage_plan_snapshot (id, prefecture_id, as_of, module_code, fait, en_cours, a_faire, "
                 "abandonne, import_id) VALUES (1, 1, :d, 'M1', 3, 1, 1, 0, 4)"), {"d": dt.date(2022, 12, 31)})


def test_the_migration_moves_pilotage_imports_into_the_one_ledger(new_database: Callable[..., str]) -> None:
    engine = get_engine(new_database("ledger"))
    at_0005_with_pilotage_imports(engine)
    assert upgrade(engine) == f"schéma 0005 → {head_revision()}"
    assert differences(engine) == []
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text(
            "SELECT table_name FROM information_schema.tables") if engine.dialect.name == "postgresql" else text(
            "SELECT name FROM sqlite_master WHERE type = 'table'"))}
        rows = {r.id: r for r in conn.execute(text(
            "SELECT id, file_name, kind, file_kind, summary, status, imported_by FROM import_batch ORDER BY id"))}
        action = conn.execute(text("SELECT b.file_name, b.file_kind FROM pilotage_action a "
                                   "JOIN import_batch b ON b.id = a.import_id WHERE a.id = 1")).one()
        audit = conn.execute(text("SELECT b.file_name, b.file_kind FROM pilotage_audit a "
                                  "JOIN import_batch b ON b.id = a.import_id")).one()
        snapshot = conn.execute(text("SELECT b.file_name, b.file_kind FROM pilotage_plan_snapshot s "
                                     "JOIN import_batch b ON b.id = s.import_id")).one()
        typed = conn.execute(text("SELECT import_id FROM pilotage_action WHERE id = 2")).scalar()
        statuses = conn.execute(text("SELECT COUNT(*) FROM pilotage_action_status")).scalar()
    assert "pilotage_import" not in tables
    assert [(r.file_name, r.file_kind) for r in rows.values()] == [
        ("valeurs-1.xlsx", "suivi"), ("valeurs-2.xlsx", "journal"), ("valeurs-3.xlsx", "enquete"),
        ("actions.xlsx", "plan"), ("audit.xlsx", "audit"), ("formations.xlsx", "formations"), ("bilan.xlsx", "bilan")]
    assert sorted(rows) == [1, 2, 3, 4, 5, 6, 7]  # old pilotage ids + 3, the largest batch id: none collides
    assert rows[4].kind == "actions" and rows[4].summary == "résumé actions" and rows[4].status == "imported"
    assert (action, audit, snapshot) == (("actions.xlsx", "plan"), ("audit.xlsx", "audit"), ("bilan.xlsx", "bilan"))
    assert typed is None and statuses == 1
    with session_scope(engine, write=True) as session:  # the next id follows (PostgreSQL's sequence too)
        batch = ImportBatch(prefecture_id=1, file_name="nouveau.xlsx", sha256="9" * 64, kind="audit", file_kind="audit")
        session.add(batch)
        session.flush()
        assert batch.id == 8
        session.rollback()
    with session_scope(engine) as session:  # the importers find the migrated lines
        found = already_imported(session, 1, "actions", f"{101:064d}")
        assert found is not None and found.id == 4 and already_imported(session, 1, "audit", f"{101:064d}") is None
        assert [b.id for b in list_batches(session, 1)] == [3, 2, 1]


def test_the_migration_goes_back_to_0005(new_database: Callable[..., str]) -> None:
    engine = get_engine(new_database("ledger_down"))
    at_0005_with_pilotage_imports(engine)
    upgrade(engine)
    with engine.begin() as connection:
        command.downgrade(_config(connection), "0005")
    assert current_revision(engine) == "0005"
    with engine.connect() as conn:
        pilotage = conn.execute(text("SELECT id, kind, file_name, summary FROM pilotage_import ORDER BY id")).all()
        batches = conn.execute(text("SELECT id, kind FROM import_batch ORDER BY id")).all()
        action = conn.execute(text("SELECT p.file_name FROM pilotage_action a "
                                   "JOIN pilotage_import p ON p.id = a.import_id")).scalar_one()
    assert [tuple(r) for r in pilotage] == [(4, "actions", "actions.xlsx", "résumé actions"),
                                            (5, "audit", "audit.xlsx", "résumé audit"),
                                            (6, "formations", "formations.xlsx", "résumé formations"),
                                            (7, "bilan", "bilan.xlsx", "résumé bilan")]
    assert [tuple(r) for r in batches] == [(1, "wide"), (2, "journal:courriels"), (3, "enquete")]
    assert action == "actions.xlsx"
    upgrade(engine)  # and forth again
    assert differences(engine) == []


# --- backups ---

def as_legacy_archive(archive: bytes) -> bytes:
    """The archive as the version before the one ledger wrote it: the pilotage files' lines in
    ``pilotage_import`` (their own ids, from 1), ``import_batch`` without file_kind and summary."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    manifest = json.loads(source.read("manifest.json"))
    entries = {t["name"]: t for t in manifest["tables"]}

    def rows(name: str) -> list[list[Any]]:
        return [json.loads(line) for line in source.read(f"tables/{name}.jsonl").decode().splitlines() if line]

    batch_columns = [c["name"] for c in entries["import_batch"]["columns"]]
    at = {name: i for i, name in enumerate(batch_columns)}
    legacy_columns = ["id", "prefecture_id", "kind", "file_name", "sha256", "imported_by", "imported_at", "summary",
                      "warnings_json"]
    kept_columns = [c for c in batch_columns if c not in ("file_kind", "summary")]
    values, legacy, new_id = [], [], {}
    for row in rows("import_batch"):
        if row[at["file_kind"]] in PILOTAGE_FILE_KINDS:
            new_id[row[at["id"]]] = len(legacy) + 1
            legacy.append([len(legacy) + 1, *(row[at[c]] for c in legacy_columns[1:])])
        else:
            values.append([row[at[c]] for c in kept_columns])
    tables: dict[str, tuple[list[dict[str, str]], list[list[Any]]]] = {
        "import_batch": ([c for c in entries["import_batch"]["columns"] if c["name"] in kept_columns], values),
        "pilotage_import": ([next(c for c in entries["import_batch"]["columns"] if c["name"] == name)
                             for name in legacy_columns], legacy)}
    for name in ("pilotage_action", "pilotage_plan_snapshot", "pilotage_audit"):
        where = [c["name"] for c in entries[name]["columns"]].index("import_id")
        tables[name] = (entries[name]["columns"], [
            [new_id.get(v, v) if i == where else v for i, v in enumerate(r)] for r in rows(name)])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        listed = []
        for entry in manifest["tables"]:
            columns, data = tables.get(entry["name"], (entry["columns"], rows(entry["name"])))
            listed.append({"name": entry["name"], "columns": columns})
            if entry["name"] == "import_batch":
                listed.append({"name": "pilotage_import", "columns": tables["pilotage_import"][0]})
        for entry in listed:
            data = tables[entry["name"]][1] if entry["name"] in tables else rows(entry["name"])
            body = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in data).encode()
            target.writestr(f"tables/{entry['name']}.jsonl", body)
            entry.update(rows=len(data), sha256=hashlib.sha256(body).hexdigest())
        target.writestr("manifest.json", json.dumps({**manifest, "alembic_revision": "0005", "tables": listed}))
    return out.getvalue()


def test_a_backup_restores_the_whole_ledger_and_an_older_backup_joins_its_pilotage_files(
        engine: Engine, prefecture: Prefecture, new_database: Callable[..., str]) -> None:
    pid = prefecture.id or 0
    for kind in FILES:
        import_once(engine, pid, kind)
    with session_scope(engine) as session:
        before = sorted((b.file_name, b.kind, b.file_kind, b.summary) for b in list_ledger(session, pid))
    buffer = io.BytesIO()
    write_backup(engine, buffer)
    for label, archive in (("same", buffer.getvalue()), ("legacy", as_legacy_archive(buffer.getvalue()))):
        target = get_engine(new_database(label))
        restore(target, io.BytesIO(archive))
        with session_scope(target) as session:
            after = sorted((b.file_name, b.kind, b.file_kind, b.summary) for b in list_ledger(session, pid))
            audit = session.execute(text("SELECT b.file_name FROM pilotage_audit a "
                                         "JOIN import_batch b ON b.id = a.import_id")).scalar_one()
            plan = session.execute(text("SELECT DISTINCT b.file_kind FROM pilotage_action a "
                                        "JOIN import_batch b ON b.id = a.import_id")).scalars().all()
        if label == "legacy":  # the older version kept no summary for batches of values
            before = [(*b[:3], b[3] if b[2] in PILOTAGE_FILE_KINDS else "") for b in before]
        assert after == before, label
        assert audit == FILES["audit"][0] and plan == ["plan"], label
        with session_scope(target, write=True) as session:  # new lines take ids after the restored ones
            session.add(ImportBatch(prefecture_id=pid, file_name="n.xlsx", sha256="9" * 64, kind="audit",
                                    file_kind="audit"))
            session.flush()
            session.rollback()
        target.dispose()
