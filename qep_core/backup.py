"""Backups that any installation can restore: ``python -m qep_core backup -o FILE`` / ``restore FILE``.

The archive is a zip holding one JSON-lines file per table (``tables/<table>.jsonl``, one JSON array
per row, in primary-key order) and a ``manifest.json``: format version, application version, the
source back-end, the Alembic revision when the database has one, and for every table its columns
with their types, its row count and the SHA-256 of its file. It is not a copy of a SQLite file: a
SQLite database restores into PostgreSQL and back.

Why these choices:

* **Every table, including those added later.** Tables are taken from ``SQLModel.metadata``, which
  holds every table registered in ``qep_core.db``: a module that adds a table is backed up and
  restored with no change here.
* **A consistent picture.** All tables are read in one transaction (a snapshot on SQLite's WAL,
  ``REPEATABLE READ`` on PostgreSQL), so an import running meanwhile is either wholly in the
  archive or not at all. The archive is written under a temporary name and renamed at the end:
  an interrupted backup never leaves a half archive under the expected name.
* **Checked before anything is written.** Restore reads the whole archive first (manifest, every
  table's SHA-256 and row count, columns known to this version); then it loads everything in one
  transaction, so a failure half-way — or a killed process — leaves the database as it was.
* **Never over someone's data by accident.** A database counts as empty when it holds nothing but
  the default référentiel (which ``init`` and the app's first start load): anything else is
  refused unless ``force`` is given, and then replaced in that same transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import qep_core
from qep_core.db import create_schema
from qep_core.frenchforms import count_text, plural
from qep_core.importing.ledger import file_kind_of

FORMAT = "qual-e-pref-sauvegarde"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
READ_BATCH = 5_000
INSERT_BATCH = 2_000
# The default référentiel, loaded by `init` and by the app's first start: a database holding only
# these rows (and no préfecture) counts as empty.
REFERENCE_TABLES = frozenset({"module", "channel", "engagement", "indicator"})
# Archives written before the one import ledger (revision 0006) hold the pilotage files' ledger in
# a table of its own: its lines join ``import_batch`` on restore, after the batches (ids offset by
# the largest batch id, as the migration does), and the rows pointing to them follow.
LEGACY_LEDGER = "pilotage_import"
LEDGER_CHILDREN = frozenset({"pilotage_action", "pilotage_plan_snapshot", "pilotage_audit"})


class BackupError(Exception):
    """The archive cannot be read or restored here; nothing was written. French message."""


@dataclass
class TableSummary:
    name: str
    rows: int
    sha256: str
    columns: list[dict[str, str]] = field(default_factory=list)


@dataclass
class BackupSummary:
    path: Path | None
    tables: list[TableSummary]
    created_at: str
    source: str

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def describe(self) -> str:
        size = f", {self.path.stat().st_size / 2**20:.1f} Mo" if self.path and self.path.exists() else ""
        return f"{len(self.tables)} tables, {self.rows} lignes{size}"


def tables() -> list[sa.Table]:
    """Every table the application knows, parents before children (the order to insert in)."""
    return list(SQLModel.metadata.sorted_tables)


# --- values <-> JSON ---------------------------------------------------------------------------

def _base_type(column: sa.Column) -> sa.types.TypeEngine:
    """The SQL type under a decorator (sqlmodel's UTCDateTime is a DateTime with time zone)."""
    kind = column.type
    return kind.impl_instance if isinstance(kind, sa.types.TypeDecorator) else kind


def _encoder(column: sa.Column) -> Callable[[Any], Any]:
    kind = _base_type(column)
    if isinstance(kind, sa.DateTime):
        return lambda v: v.isoformat()
    if isinstance(kind, sa.Date):
        return lambda v: v.isoformat()
    if isinstance(kind, sa.Time):
        return lambda v: v.isoformat()
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float) and kind.asdecimal:
        return lambda v: str(v)
    if isinstance(kind, sa.LargeBinary):
        return lambda v: base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(kind, sa.Interval):
        return lambda v: v.total_seconds()
    return _plain


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column: sa.Column) -> Callable[[Any], Any]:
    kind = _base_type(column)
    if isinstance(kind, sa.DateTime):
        return dt.datetime.fromisoformat
    if isinstance(kind, sa.Date):
        return lambda v: dt.date.fromisoformat(v[:10])
    if isinstance(kind, sa.Time):
        return dt.time.fromisoformat
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float) and kind.asdecimal:
        return decimal.Decimal
    if isinstance(kind, sa.Float):
        return float
    if isinstance(kind, sa.Boolean):
        return bool
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode
    if isinstance(kind, sa.Interval):
        return lambda v: dt.timedelta(seconds=v)
    return lambda v: v


def _type_name(column: sa.Column) -> str:
    """The column's type as PostgreSQL names it, the same from either back-end (for people and diffs)."""
    try:
        return str(column.type.compile(dialect=postgresql.dialect()))
    except Exception:  # a type PostgreSQL cannot name: its class name is enough to compare
        return column.type.__class__.__name__


# --- writing -------------------------------------------------------------------------------------

def _alembic_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _snapshot_connection(engine: Engine) -> Connection:
    """A connection whose reads all see one moment of the database."""
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(isolation_level="REPEATABLE READ")
    return engine.connect()  # SQLite: BEGIN (deferred) keeps one WAL snapshot from the first read


def write_backup(engine: Engine, out: IO[bytes]) -> BackupSummary:
    """Write the archive of every table to the binary stream *out*."""
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    summaries: list[TableSummary] = []
    with _snapshot_connection(engine) as conn, conn.begin(), \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        existing = set(sa.inspect(conn).get_table_names())
        revision = _alembic_revision(conn)
        for table in tables():
            columns = list(table.columns)
            encoders = [_encoder(c) for c in columns]
            digest = hashlib.sha256()
            count = 0
            with archive.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as member:
                if table.name in existing:  # a table this version adds, not yet created: backed up empty
                    order = list(table.primary_key.columns) or columns
                    result = conn.execute(sa.select(*columns).order_by(*order),
                                          execution_options={"stream_results": True, "yield_per": READ_BATCH})
                    for chunk in result.partitions():
                        lines = []
                        for row in chunk:
                            values = [None if v is None else enc(v) for enc, v in zip(encoders, row, strict=True)]
                            lines.append(json.dumps(values, ensure_ascii=False, separators=(",", ":")))
                        data = ("\n".join(lines) + "\n").encode("utf-8")
                        digest.update(data)
                        member.write(data)
                        count += len(chunk)
            summaries.append(TableSummary(table.name, count, digest.hexdigest(),
                                          [{"name": c.name, "type": _type_name(c)} for c in columns]))
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "application_version": qep_core.__version__,
            "created_at": created, "source": engine.dialect.name, "alembic_revision": revision,
            "tables": [{"name": s.name, "rows": s.rows, "sha256": s.sha256, "columns": s.columns} for s in summaries],
        }
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    return BackupSummary(None, summaries, created, engine.dialect.name)


def backup(engine: Engine, path: Path) -> BackupSummary:
    """The archive of every table, written to *path* (under a temporary name until complete)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            summary = write_backup(engine, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    summary.path = path
    return summary


# --- reading and checking ------------------------------------------------------------------------

@dataclass
class Archive:
    """An archive read and checked: nothing in it disagrees with its manifest or with this version."""

    zip: zipfile.ZipFile
    manifest: dict[str, Any]
    entries: dict[str, dict[str, Any]]

    def rows(self, name: str) -> Iterator[list[Any]]:
        with self.zip.open(f"tables/{name}.jsonl") as member:
            for line in io.TextIOWrapper(member, encoding="utf-8"):
                if line.strip():
                    yield json.loads(line)


def open_archive(source: Path | IO[bytes]) -> Archive:
    """Open and verify an archive (SHA-256 and row count of every table). Raises BackupError."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError("ce fichier n'est pas une sauvegarde lisible (archive zip abîmée ou d'un autre format)") from exc
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except KeyError as exc:
        raise BackupError("ce zip n'est pas une sauvegarde Qual-e-Pref : il n'a pas de manifest.json") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError("le manifeste de la sauvegarde est illisible") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("ce zip n'est pas une sauvegarde Qual-e-Pref (format inconnu)")
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise BackupError(f"sauvegarde au format {manifest.get('format_version')} : cette version de l'application "
                          f"lit le format {FORMAT_VERSION} ; mettez l'application à jour")
    entries = {t["name"]: t for t in manifest.get("tables", [])}
    known = {t.name: t for t in tables()}
    problems: list[str] = []
    for name, entry in entries.items():
        table = known.get(name if name != LEGACY_LEDGER else "import_batch")
        if table is None:
            problems.append(f"table « {name} » inconnue de cette version de l'application")
            continue
        unknown = [c["name"] for c in entry["columns"] if c["name"] not in table.columns]
        if unknown:
            problems.append(f"table « {name} » : {plural(len(unknown), 'colonne inconnue', 'colonnes inconnues')} de cette version : "
                            f"{', '.join(unknown)}")
        given = {c["name"] for c in entry["columns"]}
        needed = [c.name for c in table.columns if c.name not in given and not c.nullable
                  and c.default is None and c.server_default is None and name != LEGACY_LEDGER]
        if needed:
            problems.append(f"table « {name} » : {plural(len(needed), 'colonne obligatoire absente', 'colonnes obligatoires absentes')} "
                            "de la sauvegarde : "
                            f"{', '.join(needed)}")
        member = f"tables/{name}.jsonl"
        digest, count = hashlib.sha256(), 0
        try:
            with archive.open(member) as stream:
                while block := stream.read(1 << 20):
                    digest.update(block)
                    count += block.count(b"\n")
        except KeyError:
            problems.append(f"table « {name} » : fichier {member} absent de l'archive")
            continue
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            problems.append(f"table « {name} » : fichier abîmé ({exc.__class__.__name__})")
            continue
        if digest.hexdigest() != entry.get("sha256"):
            problems.append(f"table « {name} » : empreinte SHA-256 différente du manifeste (fichier modifié ou abîmé)")
        elif count != entry.get("rows"):
            problems.append(f"table « {name} » : {count} lignes au lieu des {entry.get('rows')} annoncées")
    if problems:
        raise BackupError("sauvegarde refusée, rien n'a été modifié :\n  - " + "\n  - ".join(problems))
    return Archive(archive, manifest, entries)


# --- restoring -----------------------------------------------------------------------------------

def data_counts(conn: Connection) -> dict[str, int]:
    """Rows per existing table of the application."""
    existing = set(sa.inspect(conn).get_table_names())
    return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in tables() if t.name in existing}


def holds_data(counts: dict[str, int]) -> list[str]:
    """Tables holding more than the default référentiel (empty list: the database counts as empty).

    A préfecture's own indicators and engagements live in référentiel tables too, but they cannot
    exist without a row in ``prefecture``, which is not one of them."""
    return [name for name, n in counts.items() if n and name not in REFERENCE_TABLES]


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: the next generated id follows the restored ones (SQLite takes max(id) + 1 itself)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer) or pk[0].autoincrement not in (True, "auto"):
            continue
        seq = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}).scalar()
        if seq:
            conn.execute(sa.text(f"SELECT setval(:s, COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"),
                         {"s": seq})


Row = dict[str, Any]


def _load_table(conn: Connection, table: sa.Table, entry: dict[str, Any], archive: Archive,
                member: str | None = None, adapt: Callable[[Row], Row] | None = None) -> None:
    """Insert the archive's rows of *table* (read from *member*'s lines, the table's by default),
    each through *adapt* when given (an older archive's row made this version's)."""
    names = [c["name"] for c in entry["columns"]]
    decoders = [_decoder(table.columns[n]) for n in names]
    batch: list[dict[str, Any]] = []
    for values in archive.rows(member or table.name):
        if len(values) != len(names):
            raise ValueError(f"{len(values)} valeurs pour {len(names)} colonnes")
        row = {n: None if v is None else dec(v) for n, dec, v in zip(names, decoders, values, strict=True)}
        batch.append(adapt(row) if adapt else row)
        if len(batch) >= INSERT_BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)


def _adapter(name: str, entry: dict[str, Any], offset: int) -> Callable[[Row], Row] | None:
    """How an older archive's rows of *name* become this version's (None: as they are)."""
    if name == "import_batch" and "file_kind" not in {c["name"] for c in entry["columns"]}:
        return lambda row: {**row, "file_kind": file_kind_of(row["kind"])}
    if name in LEDGER_CHILDREN and offset:
        return lambda row: {**row, "import_id": None if row.get("import_id") is None else row["import_id"] + offset}
    return None


def _legacy_ledger_row(offset: int) -> Callable[[Row], Row]:
    def adapt(row: Row) -> Row:
        return {**row, "id": row["id"] + offset, "file_kind": file_kind_of(row["kind"]), "rows": 0, "replaced": 0,
                "status": "imported"}
    return adapt


def restore(engine: Engine, source: Path | IO[bytes], force: bool = False,
            on_table: Callable[[str, int], None] | None = None,
            on_loaded: Callable[[Connection], None] | None = None) -> BackupSummary:
    """Load an archive into *engine*'s database, in one transaction. Raises BackupError.

    The database must be empty (nothing but the default référentiel) unless *force*: then what
    it holds is replaced. *on_table* is told each table as it is loaded (progress); *on_loaded*
    runs last in the same transaction (the restore's history line).
    """
    archive = open_archive(source)
    create_schema(engine)
    summaries: list[TableSummary] = []
    with engine.connect().execution_options(qep_write=True) as conn, conn.begin():
        counts = data_counts(conn)
        busy = holds_data(counts)
        if busy and not force:
            raise BackupError("la base n'est pas vide (" + ", ".join(f"{name} : {count_text(counts[name], 'ligne')}" for name in busy)
                              + ") : restaurez dans une base vide, ou ajoutez --force pour la remplacer entièrement")
        for table in reversed(tables()):
            if counts.get(table.name):
                conn.execute(table.delete())
        offset = 0  # what the legacy ledger's ids become in import_batch
        for table in tables():
            entry = archive.entries.get(table.name)
            if entry is None:
                continue
            try:
                _load_table(conn, table, entry, archive, adapt=_adapter(table.name, entry, offset))
                if table.name == "import_batch" and LEGACY_LEDGER in archive.entries:
                    offset = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
                    _load_table(conn, table, archive.entries[LEGACY_LEDGER], archive, LEGACY_LEDGER,
                                _legacy_ledger_row(offset))
            except sa.exc.DBAPIError as exc:
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else exc.__class__.__name__
                raise BackupError(f"restauration interrompue à la table « {table.name} », rien n'a été modifié : "
                                  f"{reason}") from exc
            except (ValueError, TypeError) as exc:
                raise BackupError(f"restauration interrompue à la table « {table.name} », rien n'a été modifié : "
                                  f"valeur illisible ({exc})") from exc
            summaries.append(TableSummary(table.name, entry["rows"], entry["sha256"]))
            if on_table:
                on_table(table.name, entry["rows"])
        _reset_sequences(conn)
        if on_loaded:
            on_loaded(conn)
    return BackupSummary(None, summaries, archive.manifest.get("created_at", ""), archive.manifest.get("source", ""))
