"""parent invitations: one-time codes with which a guardian makes their own sign-in

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import nursery_ops.db

revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('parent_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guardian_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', nursery_ops.db.UtcDateTime(), nullable=False),
    sa.Column('expires_at', nursery_ops.db.UtcDateTime(), nullable=False),
    sa.Column('used_at', nursery_ops.db.UtcDateTime(), nullable=True),
    sa.Column('used_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', nursery_ops.db.UtcDateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_parent_invitation_created_by_id_person')),
    sa.ForeignKeyConstraint(['guardian_id'], ['guardian.id'], name=op.f('fk_parent_invitation_guardian_id_guardian')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['person.id'], name=op.f('fk_parent_invitation_revoked_by_id_person')),
    sa.ForeignKeyConstraint(['used_by_id'], ['person.id'], name=op.f('fk_parent_invitation_used_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parent_invitation')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_parent_invitation_code_hash'))
    )
    with op.batch_alter_table('parent_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parent_invitation_guardian_id'), ['guardian_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('parent_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parent_invitation_guardian_id'))

    op.drop_table('parent_invitation')
