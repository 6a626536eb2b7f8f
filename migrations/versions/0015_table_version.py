"""table_version: the version each table got from the last commit that wrote it (nursery_ops.pagecache)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'table_version',
        sa.Column('table_name', sa.String(length=64), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('table_name'),
    )


def downgrade() -> None:
    op.drop_table('table_version')
