"""committee and disclosure: the parent committee (members, meetings, opinions, activities and surveys)
and the versioned sections of the public disclosure page

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import nursery_ops.db

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('committee_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('attendee_member_ids', sa.JSON(), nullable=False),
    sa.Column('staff_attendees', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('agenda', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('minutes', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', nursery_ops.db.UtcDateTime(), nullable=False),
    sa.Column('voided_at', nursery_ops.db.UtcDateTime(), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_committee_meeting_created_by_id_person')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['person.id'], name=op.f('fk_committee_meeting_voided_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_meeting'))
    )
    with op.batch_alter_table('committee_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committee_meeting_held_on'), ['held_on'], unique=False)

    op.create_table('committee_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guardian_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('chair', 'vice_chair', 'member', name='committeerole', native_enum=False, length=24), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=False),
    sa.Column('to_date', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', nursery_ops.db.UtcDateTime(), nullable=False),
    sa.Column('voided_at', nursery_ops.db.UtcDateTime(), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_committee_member_created_by_id_person')),
    sa.ForeignKeyConstraint(['guardian_id'], ['guardian.id'], name=op.f('fk_committee_member_guardian_id_guardian')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['person.id'], name=op.f('fk_committee_member_voided_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_member'))
    )
    with op.batch_alter_table('committee_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committee_member_guardian_id'), ['guardian_id'], unique=False)

    op.create_table('committee_opinion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('response', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.Column('responded_on', sa.Date(), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', nursery_ops.db.UtcDateTime(), nullable=False),
    sa.Column('voided_at', nursery_ops.db.UtcDateTime(), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_committee_opinion_created_by_id_person')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['person.id'], name=op.f('fk_committee_opinion_responded_by_id_person')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['person.id'], name=op.f('fk_committee_opinion_voided_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_opinion'))
    )
    with op.batch_alter_table('committee_opinion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committee_opinion_given_on'), ['given_on'], unique=False)

    op.create_table('disclosure_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section', sa.Enum('about', 'fees', 'refunds', 'routine', 'menu', 'health_safety', 'filing', 'complaints', name='section', native_enum=False, length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', nursery_ops.db.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['person.id'], name=op.f('fk_disclosure_text_changed_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_text')),
    sa.UniqueConstraint('section', 'version', name=op.f('uq_disclosure_text_section_version'))
    )
    with op.batch_alter_table('disclosure_text', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_text_section'), ['section'], unique=False)

    op.create_table('parent_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('activity', 'survey', name='activitykind', native_enum=False, length=24), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('results', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('satisfaction_percent', sa.Integer(), nullable=True),
    sa.Column('satisfied_count', sa.Integer(), nullable=True),
    sa.Column('surveyed_count', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', nursery_ops.db.UtcDateTime(), nullable=False),
    sa.Column('voided_at', nursery_ops.db.UtcDateTime(), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_parent_activity_created_by_id_person')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['person.id'], name=op.f('fk_parent_activity_voided_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parent_activity'))
    )
    with op.batch_alter_table('parent_activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parent_activity_held_on'), ['held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_parent_activity_kind'), ['kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('parent_activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parent_activity_kind'))
        batch_op.drop_index(batch_op.f('ix_parent_activity_held_on'))

    op.drop_table('parent_activity')
    with op.batch_alter_table('disclosure_text', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_text_section'))

    op.drop_table('disclosure_text')
    with op.batch_alter_table('committee_opinion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_committee_opinion_given_on'))

    op.drop_table('committee_opinion')
    with op.batch_alter_table('committee_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_committee_member_guardian_id'))

    op.drop_table('committee_member')
    with op.batch_alter_table('committee_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_committee_meeting_held_on'))

    op.drop_table('committee_meeting')
