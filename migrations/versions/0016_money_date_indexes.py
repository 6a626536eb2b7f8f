"""Indexes on bill.period_start, refund.period_start and refund.due_on: the dashboard's month sums and late
refunds read a few months, not every bill and refund since the nursery opened

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0016'
down_revision: str | Sequence[str] | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_bill_period_start', 'bill', ['period_start'], unique=False)
    op.create_index('ix_refund_period_start', 'refund', ['period_start'], unique=False)
    op.create_index('ix_refund_due_on', 'refund', ['due_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_refund_due_on', table_name='refund')
    op.drop_index('ix_refund_period_start', table_name='refund')
    op.drop_index('ix_bill_period_start', table_name='bill')
