"""Counts every app process shares (issue 11): the public audit-report check's requests per address and the
checks running at once, which lived in one process's memory and so did not hold with several workers.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_counts',
                    sa.Column('scope', sa.String(length=16), nullable=False),
                    sa.Column('key', sa.String(length=140), nullable=False),
                    sa.Column('window_start', sa.String(length=32), nullable=False),
                    sa.Column('count', sa.Integer(), nullable=False),
                    sa.Column('newest_at', sa.String(length=32), nullable=False),
                    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_rate_counts')))
    op.create_index(op.f('ix_rate_counts_newest_at'), 'rate_counts', ['newest_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_rate_counts_newest_at'), table_name='rate_counts')
    op.drop_table('rate_counts')
