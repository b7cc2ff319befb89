"""An index on donations (received_on): the gifts list filters by the date a gift was received (from, to),
and its CSV export with it, over every gift the fund has had.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 11:00:00
"""
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_donations_received_on', 'donations', ['received_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_donations_received_on', table_name='donations')
