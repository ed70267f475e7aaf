"""deposits: a service's file waiting for the référente's validation

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN (SQLite too): a batch copy of ``prefecture`` would trip the keys pointing at it
    op.add_column('prefecture', sa.Column('deposits_need_validation', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.create_table('deposit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefecture_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('log_kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('perimetres_json', sa.Text(), nullable=False),
    sa.Column('months_json', sa.Text(), nullable=False),
    sa.Column('cells_json', sa.Text(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('deposited_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('deposited_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('reviewed_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], ),
    sa.ForeignKeyConstraint(['prefecture_id'], ['prefecture.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deposit', schema=None) as batch_op:
        batch_op.create_index('ix_deposit_prefecture_status', ['prefecture_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deposit', schema=None) as batch_op:
        batch_op.drop_index('ix_deposit_prefecture_status')
    op.drop_table('deposit')
    op.drop_column('prefecture', 'deposits_need_validation')  # native DROP COLUMN (SQLite ≥ 3.35), no table copy
