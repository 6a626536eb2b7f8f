"""money corrections: supplementary hourly bills, bill line details, the days a refund covers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import nursery_ops.db  # noqa: F401

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('bill', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supplements_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_bill_supplements_id_bill'), 'bill', ['supplements_id'], ['id'])

    with op.batch_alter_table('bill_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail', sa.JSON(), nullable=True))

    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('days', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_column('days')

    with op.batch_alter_table('bill_line', schema=None) as batch_op:
        batch_op.drop_column('detail')

    with op.batch_alter_table('bill', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bill_supplements_id_bill'), type_='foreignkey')
        batch_op.drop_column('supplements_id')
