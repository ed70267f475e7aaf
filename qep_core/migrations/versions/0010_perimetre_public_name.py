"""périmètres: the public name shown in public documents (CLU deck, poster, Services Publics+)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('perimetre', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_name', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('perimetre', schema=None) as batch_op:
        batch_op.drop_column('public_name')
