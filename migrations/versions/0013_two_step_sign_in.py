"""two-step sign-in: staff members' TOTP secrets (encrypted) and the half-signed-in state between password and code

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import nursery_ops.db

revision: str = '0013'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('totp_credential',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('secret_encrypted', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('created_at', nursery_ops.db.UtcDateTime(), nullable=False),
    sa.Column('confirmed_at', nursery_ops.db.UtcDateTime(), nullable=True),
    sa.Column('last_step', sa.Integer(), nullable=True),
    sa.Column('revoked_at', nursery_ops.db.UtcDateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_totp_credential_person_id_person')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['person.id'], name=op.f('fk_totp_credential_revoked_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_totp_credential'))
    )
    with op.batch_alter_table('totp_credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_totp_credential_person_id'), ['person_id'], unique=False)

    op.create_table('login_challenge',
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', nursery_ops.db.UtcDateTime(), nullable=False),
    sa.Column('expires_at', nursery_ops.db.UtcDateTime(), nullable=False),
    sa.Column('used_at', nursery_ops.db.UtcDateTime(), nullable=True),
    sa.Column('next_path', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_login_challenge_person_id_person')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_login_challenge'))
    )
    with op.batch_alter_table('login_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_challenge_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_challenge_person_id'))

    op.drop_table('login_challenge')
    with op.batch_alter_table('totp_credential', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_totp_credential_person_id'))

    op.drop_table('totp_credential')
