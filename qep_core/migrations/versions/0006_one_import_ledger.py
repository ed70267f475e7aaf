"""one import ledger: pilotage_import joins import_batch

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00.000000

``import_batch`` gains ``file_kind`` (the kind of file: suivi, journal, saisie, enquete, mystere,
plan, bilan, audit, formations) and ``summary``; the lines of ``pilotage_import`` move into it
with new ids (old id + the largest batch id, so none collides), and the actions, completion
tables and audits that pointed to them point to the same lines in ``import_batch``.

SQLite checks foreign keys inside the migration's transaction and cannot alter a foreign key in
place: the three tables are rebuilt from their own ``CREATE TABLE`` (only the referenced table
changes), their rows put back after the rebuild so every reference still resolves.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: tables whose ``import_id`` pointed to ``pilotage_import.id``
CHILDREN = ('pilotage_action', 'pilotage_plan_snapshot', 'pilotage_audit')
PILOTAGE_FILE_KINDS = ('plan', 'bilan', 'audit', 'formations')


def _repoint(table: str, old_parent: str, new_parent: str, offset: int) -> None:
    """Make ``table.import_id`` reference *new_parent*, adding *offset* to every import_id."""
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        create = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                              {'t': table}).scalar_one()
        indexes = [r[0] for r in bind.execute(sa.text(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"), {'t': table})]
        create, found = re.subn(rf'REFERENCES\s+"?{old_parent}"?\s*\(', f'REFERENCES {new_parent} (', create)
        assert found == 1, f'{table}: {found} references to {old_parent}'
        bind.exec_driver_sql('PRAGMA defer_foreign_keys = ON')  # until the rows are back (reset at commit)
        bind.exec_driver_sql(f'CREATE TEMP TABLE _hold_{table} AS SELECT * FROM {table}')
        bind.exec_driver_sql(f'UPDATE _hold_{table} SET import_id = import_id + {int(offset)} '
                             'WHERE import_id IS NOT NULL')
        bind.exec_driver_sql(f'DROP TABLE {table}')
        bind.exec_driver_sql(create)
        for index in indexes:
            bind.exec_driver_sql(index)
        bind.exec_driver_sql(f'INSERT INTO {table} SELECT * FROM _hold_{table}')  # re-inserted: references resolve
        bind.exec_driver_sql(f'DROP TABLE _hold_{table}')
        return
    for fk in sa.inspect(bind).get_foreign_keys(table):
        if fk['referred_table'] == old_parent and fk['constrained_columns'] == ['import_id']:
            op.drop_constraint(fk['name'], table, type_='foreignkey')
    op.execute(sa.text(f'UPDATE {table} SET import_id = import_id + {int(offset)} WHERE import_id IS NOT NULL'))
    op.create_foreign_key(f'{table}_import_id_fkey', table, new_parent, ['import_id'], ['id'])


def _follow_sequence(table: str) -> None:
    """PostgreSQL: the next generated id follows the ids written here (SQLite takes max(id) + 1)."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


def upgrade() -> None:
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                      server_default='suivi'))
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=False, server_default=''))
    op.execute(sa.text(
        "UPDATE import_batch SET file_kind = CASE WHEN kind LIKE 'journal%' THEN 'journal' "
        "WHEN kind IN ('saisie', 'enquete', 'mystere') THEN kind ELSE 'suivi' END"))
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.create_index('ix_import_batch_file', ['prefecture_id', 'file_kind', 'sha256'], unique=False)

    bind = op.get_bind()
    offset = int(bind.execute(sa.text('SELECT COALESCE(MAX(id), 0) FROM import_batch')).scalar_one())
    op.execute(sa.text(
        'INSERT INTO import_batch (id, prefecture_id, file_name, sha256, kind, file_kind, imported_by, imported_at, '
        'rows, replaced, summary, warnings_json, status) '
        f"SELECT id + {offset}, prefecture_id, file_name, sha256, kind, "
        "CASE WHEN kind = 'actions' THEN 'plan' ELSE kind END, imported_by, imported_at, 0, 0, summary, "
        "warnings_json, 'imported' FROM pilotage_import"))
    for table in CHILDREN:
        _repoint(table, 'pilotage_import', 'import_batch', offset)
    _follow_sequence('import_batch')
    with op.batch_alter_table('pilotage_import', schema=None) as batch_op:
        batch_op.drop_index('ix_pilotage_import_hash')
    op.drop_table('pilotage_import')


def downgrade() -> None:
    op.create_table('pilotage_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefecture_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('imported_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('warnings_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['prefecture_id'], ['prefecture.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pilotage_import', schema=None) as batch_op:
        batch_op.create_index('ix_pilotage_import_hash', ['prefecture_id', 'kind', 'sha256'], unique=False)
    kinds = ', '.join(f"'{k}'" for k in PILOTAGE_FILE_KINDS)
    op.execute(sa.text(
        'INSERT INTO pilotage_import (id, prefecture_id, kind, file_name, sha256, imported_by, imported_at, summary, '
        f'warnings_json) SELECT id, prefecture_id, SUBSTR(kind, 1, 20), file_name, sha256, imported_by, imported_at, '
        f'summary, warnings_json FROM import_batch WHERE file_kind IN ({kinds})'))
    for table in CHILDREN:
        _repoint(table, 'import_batch', 'pilotage_import', 0)
    op.execute(sa.text(f'DELETE FROM import_batch WHERE file_kind IN ({kinds})'))
    _follow_sequence('pilotage_import')
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_index('ix_import_batch_file')
    if op.get_bind().dialect.name == 'sqlite':  # in place: rebuilding import_batch would orphan its rows' references
        op.execute(sa.text('ALTER TABLE import_batch DROP COLUMN summary'))
        op.execute(sa.text('ALTER TABLE import_batch DROP COLUMN file_kind'))
    else:
        op.drop_column('import_batch', 'summary')
        op.drop_column('import_batch', 'file_kind')
