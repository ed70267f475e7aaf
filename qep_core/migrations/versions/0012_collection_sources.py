"""collection sources: who supplies what, by when

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:15:00.981579
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('collection_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefecture_id', sa.Integer(), nullable=False),
    sa.Column('perimetre_id', sa.Integer(), nullable=False),
    sa.Column('indicator_codes', sa.Text(), nullable=False),
    sa.Column('contacts_json', sa.Text(), nullable=False),
    sa.Column('due_day', sa.Integer(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['perimetre_id'], ['perimetre.id'], ),
    sa.ForeignKeyConstraint(['prefecture_id'], ['prefecture.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefecture_id', 'perimetre_id', name='uq_collection_source')
    )
    with op.batch_alter_table('collection_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_source_prefecture_id'), ['prefecture_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('collection_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_source_prefecture_id'))

    op.drop_table('collection_source')
