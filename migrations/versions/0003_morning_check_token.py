"""morning check token

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('morning_check', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_morning_check_form_token'), ['form_token'])


def downgrade() -> None:
    with op.batch_alter_table('morning_check', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_morning_check_form_token'), type_='unique')
        batch_op.drop_column('form_token')
