"""label mappings: each préfecture's own words for rows, columns, themes, roles and périmètres

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 06:14:09.449030
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('label_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefecture_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['prefecture_id'], ['prefecture.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefecture_id', 'kind', 'key', name='uq_label_mapping')
    )
    with op.batch_alter_table('label_mapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_mapping_prefecture_id'), ['prefecture_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('label_mapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_mapping_prefecture_id'))

    op.drop_table('label_mapping')
