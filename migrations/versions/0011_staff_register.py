"""staff register: posts (岗位) and sign-in-less staff, qualification names, training, barring

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import nursery_ops.db

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staff_profile',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('job', sa.Enum('director', 'caregiver', 'health', 'security', 'kitchen', 'other', name='job', native_enum=False, length=24), nullable=False),
    sa.Column('employment', sa.Enum('full_time', 'part_time', name='employment', native_enum=False, length=24), nullable=False),
    sa.Column('barred_at', nursery_ops.db.UtcDateTime(), nullable=True),
    sa.Column('barred_by_id', sa.Integer(), nullable=True),
    sa.Column('barred_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['barred_by_id'], ['person.id'], name=op.f('fk_staff_profile_barred_by_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_staff_profile_person_id_person')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_staff_profile'))
    )
    op.create_table('staff_training',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('hours_tenths', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('pre_service', 'ethics', 'other', name='trainingkind', native_enum=False, length=24), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', nursery_ops.db.UtcDateTime(), nullable=False),
    sa.Column('voided_at', nursery_ops.db.UtcDateTime(), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_staff_training_person_id_person')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'], name=op.f('fk_staff_training_recorded_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_training'))
    )
    with op.batch_alter_table('staff_training', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_training_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('staff_certificate', schema=None) as batch_op:
        # The default fills the rows already there; the model gives new rows theirs.
        batch_op.add_column(sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default=''))
    with op.batch_alter_table('staff_certificate', schema=None) as batch_op:
        batch_op.alter_column('name', existing_type=sqlmodel.sql.sqltypes.AutoString(length=100), server_default=None)
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.alter_column('username', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.alter_column('username', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
    with op.batch_alter_table('staff_certificate', schema=None) as batch_op:
        batch_op.drop_column('name')
    with op.batch_alter_table('staff_training', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_training_person_id'))
    op.drop_table('staff_training')
    op.drop_table('staff_profile')
