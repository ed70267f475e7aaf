"""Backup and restore: a portable archive of every table, restored all or nothing.

On the PostgreSQL run of ``make test`` the test database is PostgreSQL, so the round trips below go
SQLite → PostgreSQL, PostgreSQL → PostgreSQL and PostgreSQL → SQLite; on the SQLite run, SQLite
throughout.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from qep_core.backup import BackupError, backup, open_archive, restore, tables
from qep_core.cli import main
from qep_core.compute import compute_indicators
from qep_core.db import create_schema, get_engine, session_scope
from qep_core.importing import import_file, undo_batch
from qep_core.models import Prefecture
from qep_core.periods import year_period
from qep_core.referentiel import seed_referentiel, set_target
from tests.conftest import make_workbook
from tests.seed_tables import EMAIL_MAILBOXES, EMAIL_MONTHLY, titled
from tests.test_nothing_lost import itemlog_file, long_file

NewDatabase = Callable[..., str]


def fill(engine: Engine, prefecture: Prefecture) -> None:
    """Data in every kind of table: imports (one replacing another, one undone), items of a log,
    a target of the préfecture's own, several périmètres."""
    pid = prefecture.id or 0
    import_file(engine, pid, "courriels-2022.xlsx", make_workbook({"Courriels 2022": titled("Courriels 2022", EMAIL_MONTHLY)}))
    import_file(engine, pid, "boites.xlsx", make_workbook({"Boîtes 2022": titled("Courriels 2022", EMAIL_MAILBOXES)}))
    import_file(engine, pid, "v1.xlsx", long_file(1, range(1, 5)), user="agent")
    import_file(engine, pid, "v2.xlsx", long_file(2, range(3, 7)), user="agent")  # replaces march and april
    undone = import_file(engine, pid, "v3.xlsx", long_file(3, range(8, 10)), user="agent")
    import_file(engine, pid, "journal.xlsx", itemlog_file(), user="agent")
    with session_scope(engine, write=True) as session:
        undo_batch(session, pid, undone.batch.id or 0)  # type: ignore[union-attr]
        set_target(session, pid, "COURRIEL_5J", 2023, 92.5, 85.0)


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, typed by SQLAlchemy, in primary-key order."""
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for table in tables():
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return out


def figures(engine: Engine, pref_id: int, year: int) -> list[tuple]:
    with session_scope(engine) as session:
        return [(r.indicator.code, r.numerator, r.denominator, r.value, r.status)
                for r in compute_indicators(session, pref_id, year_period(year))]


def sqlite_engine(tmp_path: Path, name: str) -> Engine:
    engine = get_engine(f"sqlite:///{tmp_path / name}")
    create_schema(engine)
    with session_scope(engine, write=True) as session:
        seed_referentiel(session)
    return engine


def check_round_trip(source: Engine, target: Engine, pref_id: int, tmp_path: Path) -> dict:
    archive = tmp_path / "sauvegarde.zip"
    summary = backup(source, archive)
    assert summary.rows == sum(len(rows) for rows in dump(source).values())
    restore(target, archive)
    assert dump(target) == dump(source)
    assert figures(target, pref_id, 2022) == figures(source, pref_id, 2022)
    assert figures(target, pref_id, 2023) == figures(source, pref_id, 2023)
    # The restored database goes on: new rows get fresh ids (PostgreSQL's sequences were moved on).
    outcome = import_file(target, pref_id, "apres.xlsx", long_file(5, range(10, 12)), user="agent")
    assert outcome.batch is not None and outcome.batch.id == max(r[0] for r in dump(source)["import_batch"]) + 1
    return json.loads(zipfile.ZipFile(archive).read("manifest.json"))


def test_round_trip_within_the_test_back_end(engine: Engine, prefecture: Prefecture, new_database: NewDatabase,
                                              tmp_path: Path) -> None:
    fill(engine, prefecture)
    target = get_engine(new_database("restored"))
    manifest = check_round_trip(engine, target, prefecture.id or 0, tmp_path)
    rows = {t["name"]: t["rows"] for t in manifest["tables"]}
    assert rows["observation_history"] > 0 and rows["log_item_archive"] > 0 and rows["target"] == 1
    assert rows["import_batch"] == 6  # the undone batch is kept, with its status


def test_round_trip_from_sqlite_into_the_test_back_end(engine: Engine, tmp_path: Path) -> None:
    """SQLite → PostgreSQL in the PostgreSQL run."""
    source = sqlite_engine(tmp_path, "source.db")
    with session_scope(source, write=True) as session:
        from qep_core.prefectures import create_prefecture

        pref = create_prefecture(session, "44", "Préfecture de test", ("M2", "M4"))
    fill(source, pref)
    with engine.begin() as conn:  # the test database as `init` leaves it: the référentiel only
        assert conn.execute(sa.text("SELECT COUNT(*) FROM prefecture")).scalar_one() == 0
    manifest = check_round_trip(source, engine, pref.id or 0, tmp_path)
    assert manifest["source"] == "sqlite"


def test_round_trip_from_the_test_back_end_into_sqlite(engine: Engine, prefecture: Prefecture, tmp_path: Path) -> None:
    """PostgreSQL → SQLite in the PostgreSQL run."""
    fill(engine, prefecture)
    target = get_engine(f"sqlite:///{tmp_path / 'target.db'}")  # not even created: restore creates the schema
    check_round_trip(engine, target, prefecture.id or 0, tmp_path)


def test_every_table_of_the_application_is_in_the_archive(engine: Engine, tmp_path: Path) -> None:
    backup(engine, tmp_path / "b.zip")
    manifest = json.loads(zipfile.ZipFile(tmp_path / "b.zip").read("manifest.json"))
    assert {t["name"] for t in manifest["tables"]} == set(SQLModel.metadata.tables)
    assert manifest["format"] == "qual-e-pref-sauvegarde" and manifest["format_version"] == 1
    for entry in manifest["tables"]:
        data = zipfile.ZipFile(tmp_path / "b.zip").read(f"tables/{entry['name']}.jsonl")
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert data.count(b"\n") == entry["rows"]


def test_a_table_added_later_is_backed_up_and_restored_without_any_change(engine: Engine, new_database: NewDatabase,
                                                                           tmp_path: Path) -> None:
    """A module that registers a new table (as the next features will) needs nothing in backup.py."""
    extra = sa.Table("zz_note_test", SQLModel.metadata,
                     sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("prefecture_id", sa.Integer, sa.ForeignKey("prefecture.id")),
                     sa.Column("texte", sa.Text, nullable=False))
    try:
        extra.create(engine)  # what the new table's migration does
        with engine.begin() as conn:
            pid = conn.execute(sa.text("INSERT INTO prefecture (code, name, whit_monday_worked, created_at) "
                                       "VALUES ('57', 'Moselle', true, CURRENT_TIMESTAMP) RETURNING id")).scalar_one()
            conn.execute(extra.insert(), [{"prefecture_id": pid, "texte": "=HYPERLINK(\"x\")\n« note »"},
                                          {"prefecture_id": pid, "texte": "deuxième"}])
        backup(engine, tmp_path / "b.zip")
        target = get_engine(new_database("target"))
        create_schema(target)  # an empty database: every registered table, the new one included
        restore(target, tmp_path / "b.zip")
        with target.connect() as conn:
            assert conn.execute(sa.select(extra.c.texte).order_by(extra.c.id)).scalars().all() == [
                "=HYPERLINK(\"x\")\n« note »", "deuxième"]
    finally:
        SQLModel.metadata.remove(extra)


def test_restore_refuses_a_database_that_holds_data(engine: Engine, prefecture: Prefecture, snapshot,
                                                    new_database: NewDatabase, tmp_path: Path) -> None:
    other = get_engine(new_database("other"))
    create_schema(other)
    with session_scope(other, write=True) as session:
        seed_referentiel(session)
        from qep_core.prefectures import create_prefecture

        create_prefecture(session, "57", "Préfecture de la Moselle", ())
    backup(other, tmp_path / "moselle.zip")
    fill(engine, prefecture)
    before = snapshot(engine)
    with pytest.raises(BackupError, match=r"la base n'est pas vide .*--force"):
        restore(engine, tmp_path / "moselle.zip")
    assert snapshot(engine) == before
    restore(engine, tmp_path / "moselle.zip", force=True)  # everything replaced, in one transaction
    assert dump(engine) == dump(other)


def rewrite(archive: Path, out: Path, change: Callable[[dict, dict[str, bytes]], None]) -> Path:
    """A copy of *archive* with its manifest and members changed by *change* (digests left as changed)."""
    with zipfile.ZipFile(archive) as src:
        members = {n: src.read(n) for n in src.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    change(manifest, members)
    with zipfile.ZipFile(out, "w") as dst:
        for name, data in members.items():
            dst.writestr(name, data)
        dst.writestr("manifest.json", json.dumps(manifest))
    return out


def entry(manifest: dict, name: str) -> dict:
    return next(t for t in manifest["tables"] if t["name"] == name)


def resign(manifest: dict, members: dict[str, bytes], name: str) -> None:
    """Make the manifest agree with a changed member: only the database can then refuse it."""
    data = members[f"tables/{name}.jsonl"]
    entry(manifest, name).update(sha256=hashlib.sha256(data).hexdigest(), rows=data.count(b"\n"))


def tamper_observation(manifest: dict, members: dict[str, bytes]) -> None:
    """Someone "corrects" one count in the archive by hand."""
    lines = members["tables/observation.jsonl"].splitlines(keepends=True)
    row = json.loads(lines[0])
    column = [c["name"] for c in entry(manifest, "observation")["columns"]].index("numerator")
    row[column] += 1
    lines[0] = (json.dumps(row) + "\n").encode()
    members["tables/observation.jsonl"] = b"".join(lines)


def drop_member(manifest: dict, members: dict[str, bytes]) -> None:
    del members["tables/perimetre.jsonl"]


def future_format(manifest: dict, members: dict[str, bytes]) -> None:
    manifest["format_version"] = 99


def unknown_table(manifest: dict, members: dict[str, bytes]) -> None:
    members["tables/plus_tard.jsonl"] = b""
    manifest["tables"].append({"name": "plus_tard", "rows": 0, "sha256": hashlib.sha256(b"").hexdigest(), "columns": []})


def unknown_column(manifest: dict, members: dict[str, bytes]) -> None:
    entry(manifest, "target")["columns"].append({"name": "commentaire", "type": "TEXT"})


def extra_line(manifest: dict, members: dict[str, bytes]) -> None:
    members["tables/target.jsonl"] += members["tables/target.jsonl"]


def orphan_row_last(manifest: dict, members: dict[str, bytes]) -> None:
    """A consistent archive whose last rows break a foreign key: the database refuses them mid-load."""
    lines = members["tables/log_item_archive.jsonl"].splitlines(keepends=True)
    bad = json.loads(lines[-1])
    bad[0] = 999_999
    bad[2] = 999_999  # batch_id of a batch that does not exist
    members["tables/log_item_archive.jsonl"] += (json.dumps(bad) + "\n").encode()
    resign(manifest, members, "log_item_archive")


BROKEN = [
    (tamper_observation, "empreinte SHA-256 différente"),
    (drop_member, "absent de l'archive"),
    (future_format, "format 99"),
    (unknown_table, "table « plus_tard » inconnue"),
    (unknown_column, "colonne inconnue de cette version : commentaire"),
    (extra_line, "empreinte SHA-256 différente"),
    (orphan_row_last, "restauration interrompue à la table « log_item_archive », rien n'a été modifié"),
]


@pytest.mark.parametrize(("change", "message"), BROKEN, ids=[c.__name__ for c, _ in BROKEN])
def test_a_damaged_archive_is_refused_and_changes_nothing(engine: Engine, prefecture: Prefecture, snapshot,
                                                          new_database: NewDatabase, tmp_path: Path,
                                                          change, message: str) -> None:
    fill(engine, prefecture)
    good = backup(engine, tmp_path / "good.zip").path
    assert good is not None
    bad = rewrite(good, tmp_path / "bad.zip", change)
    target = get_engine(new_database("target", seeded=True))
    create_schema(target)
    with session_scope(target, write=True) as session:
        seed_referentiel(session)
    before = snapshot(target)
    with pytest.raises(BackupError, match=message):
        restore(target, bad)
    assert snapshot(target) == before


@pytest.mark.parametrize(("content", "message"), [
    (b"not a zip at all", "n'est pas une sauvegarde lisible"),
    (b"PK\x03\x04" + b"\x00" * 100, "n'est pas une sauvegarde lisible"),
])
def test_a_file_that_is_not_an_archive_is_refused(content: bytes, message: str) -> None:
    with pytest.raises(BackupError, match=message):
        open_archive(io.BytesIO(content))


def test_a_zip_without_manifest_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as z:
        z.writestr("tables/prefecture.jsonl", "")
    with pytest.raises(BackupError, match=r"pas de manifest\.json"):
        open_archive(tmp_path / "x.zip")


def test_backup_and_restore_from_the_command_line(engine: Engine, prefecture: Prefecture, new_database: NewDatabase,
                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    fill(engine, prefecture)
    monkeypatch.setenv("QEP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    out = tmp_path / "sauvegardes" / "qep.zip"
    assert main(["backup", "-o", str(out)]) == 0
    assert f"sauvegarde écrite : {out} (" in capsys.readouterr().out
    assert not list(out.parent.glob("*.part"))  # written under a temporary name, then renamed
    target = new_database("cli-target")
    monkeypatch.setenv("QEP_DATABASE_URL", target)
    assert main(["restore", str(out)]) == 0
    assert "restaurée" in capsys.readouterr().out
    restored, source = dump(get_engine(target)), dump(engine)
    *kept, line = restored["change_event"]  # the restore writes its own history line, last
    assert line[4] == "restore" and line[5] == "qep.zip"
    assert {**restored, "change_event": kept} == source
    assert main(["restore", str(out)]) == 1  # now it holds data
    assert "la base n'est pas vide" in capsys.readouterr().err
    assert main(["restore", "--force", str(out)]) == 0
    assert main(["restore", str(tmp_path / "absent.zip")]) == 2
