"""tablet corrections: who called the family, absences closed by an arrival, PIN failures per person, outdoor voids

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import nursery_ops.db

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family_called_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', nursery_ops.db.UtcDateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_absence_family_called_by_id_person'), 'person', ['family_called_by_id'], ['id'])

    with op.batch_alter_table('pin_failure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_pin_failure_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_pin_failure_person_id_person'), 'person', ['person_id'], ['id'])

    with op.batch_alter_table('outdoor_time', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outdoor_time_voided_by_id_person'), 'person', ['voided_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('outdoor_time', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outdoor_time_voided_by_id_person'), type_='foreignkey')
        batch_op.drop_column('voided_by_id')

    with op.batch_alter_table('pin_failure', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_pin_failure_person_id_person'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_pin_failure_person_id'))
        batch_op.drop_column('person_id')

    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_absence_family_called_by_id_person'), type_='foreignkey')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('family_called_by_id')
