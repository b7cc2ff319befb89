"""Failed log-ins counted per window (reserved: the log-in throttle's tables land here).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 08:00:00
"""


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
