"""An index on donations (import_batch_id): an import is written a chunk at a time (issue 11), and each chunk
counts the gifts of its batch already in the books to know where to go on; so does "is this file finished".

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:30:00
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_donations_import_batch_id', 'donations', ['import_batch_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_donations_import_batch_id', table_name='donations')
