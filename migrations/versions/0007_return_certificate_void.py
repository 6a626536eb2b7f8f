"""health: a return certificate requirement can be voided (its illness was recorded in error)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import nursery_ops.db

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('return_certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_at', nursery_ops.db.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_return_certificate_voided_by_id_person'), 'person', ['voided_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('return_certificate', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_return_certificate_voided_by_id_person'), type_='foreignkey')
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by_id')
        batch_op.drop_column('voided_at')
