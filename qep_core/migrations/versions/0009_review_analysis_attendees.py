"""quarterly reviews: the COPIL's general analysis and who attended (for the minutes)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('quarter_review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('analysis', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('attendees', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('quarter_review', schema=None) as batch_op:
        batch_op.drop_column('attendees')
        batch_op.drop_column('analysis')
