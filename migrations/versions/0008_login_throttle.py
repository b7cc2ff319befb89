"""Failed log-ins counted per key (account+address, address) in a small mutable table, not in the audit chain.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 08:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failures',
                    sa.Column('scope', sa.String(length=8), nullable=False),
                    sa.Column('key', sa.String(length=140), nullable=False),
                    sa.Column('window_start', sa.String(length=32), nullable=False),
                    sa.Column('failures', sa.Integer(), nullable=False),
                    sa.Column('newest_at', sa.String(length=32), nullable=False),
                    sa.CheckConstraint("scope IN ('account','address')", name=op.f('ck_login_failures_scope')),
                    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_login_failures')))
    op.create_index(op.f('ix_login_failures_newest_at'), 'login_failures', ['newest_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_login_failures_newest_at'), table_name='login_failures')
    op.drop_table('login_failures')
