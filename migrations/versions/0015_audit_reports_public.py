"""Audit reports say whether the public may download them: those issued before the journal named gifts by
acknowledgement number (and not by donor) stay with managers and auditors until reissued.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild on SQLite, so the append-only triggers stay); every report issued so
    # far gets false, whatever its journal says: a manager reissues the ones the public should have.
    op.add_column('audit_reports', sa.Column('for_public', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.execute("ALTER TABLE audit_reports DROP COLUMN for_public")  # SQLite 3.35+: no rebuild, triggers kept
