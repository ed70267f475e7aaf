"""Services Publics+: the structure's national fields and the national code of each indicator

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sp_plus_structure',
    sa.Column('prefecture_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('typology', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('postal_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['prefecture_id'], ['prefecture.id'], ),
    sa.PrimaryKeyConstraint('prefecture_id')
    )
    op.create_table('sp_plus_indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefecture_id', sa.Integer(), nullable=False),
    sa.Column('indicator_code', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('sp_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['prefecture_id'], ['prefecture.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefecture_id', 'indicator_code', name='uq_sp_plus_indicator')
    )
    with op.batch_alter_table('sp_plus_indicator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sp_plus_indicator_prefecture_id'), ['prefecture_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sp_plus_indicator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sp_plus_indicator_prefecture_id'))
    op.drop_table('sp_plus_indicator')
    op.drop_table('sp_plus_structure')
