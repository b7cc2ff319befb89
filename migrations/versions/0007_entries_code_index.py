"""An index on entries (code, accounting_date): the statements pick a period's opening, closing and
release entries by their code without reading the whole journal.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 04:40:00
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_entries_code_accounting_date', 'entries', ['code', 'accounting_date'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_entries_code_accounting_date', table_name='entries')
