"""signals: events on the curves, alert subscriptions, alerts, e-mails sent

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:04:45.047975
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alert_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefecture_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('indicator_code', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('module_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['prefecture_id'], ['prefecture.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefecture_id', 'email', 'indicator_code', 'module_code', name='uq_alert_subscription')
    )
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_subscription_prefecture_id'), ['prefecture_id'], unique=False)

    op.create_table('sent_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefecture_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('attachments', sa.Text(), nullable=False),
    sa.Column('sent_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['prefecture_id'], ['prefecture.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefecture_id', 'kind', 'key', name='uq_sent_mail')
    )
    with op.batch_alter_table('sent_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_mail_prefecture_id'), ['prefecture_id'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefecture_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('indicator_code', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('perimetre_id', sa.Integer(), nullable=True),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], ),
    sa.ForeignKeyConstraint(['perimetre_id'], ['perimetre.id'], ),
    sa.ForeignKeyConstraint(['prefecture_id'], ['prefecture.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prefecture_id', 'key', name='uq_alert_key')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_prefecture_id'), ['prefecture_id'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefecture_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('indicator_code', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('perimetre_id', sa.Integer(), nullable=True),
    sa.Column('process_change', sa.Boolean(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['perimetre_id'], ['perimetre.id'], ),
    sa.ForeignKeyConstraint(['prefecture_id'], ['prefecture.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_prefecture_id'), ['prefecture_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_prefecture_id'))

    op.drop_table('event')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_prefecture_id'))

    op.drop_table('alert')
    with op.batch_alter_table('sent_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sent_mail_prefecture_id'))

    op.drop_table('sent_mail')
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_subscription_prefecture_id'))

    op.drop_table('alert_subscription')
