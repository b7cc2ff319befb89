"""Audit reports: the PDF bundles issued for closed periods, kept as issued (append-only).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 04:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# An issued report is history: its bytes are what was handed to the auditors, so the database refuses
# to change or remove one. A reissue is a new row that names the report it replaces.
SQLITE_GUARDS = [
    "CREATE TRIGGER audit_reports_no_update BEFORE UPDATE ON audit_reports "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: audit_reports are append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_reports_no_delete BEFORE DELETE ON audit_reports "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: audit_reports are append-only: DELETE refused'); END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_reports_no_update", "DROP TRIGGER IF EXISTS audit_reports_no_delete"]

POSTGRESQL_GUARDS = [
    "CREATE TRIGGER audit_reports_append_only BEFORE UPDATE OR DELETE ON audit_reports "
    "FOR EACH ROW EXECUTE FUNCTION fund_ledger_append_only()",
    "CREATE TRIGGER audit_reports_no_truncate BEFORE TRUNCATE ON audit_reports "
    "FOR EACH STATEMENT EXECUTE FUNCTION fund_ledger_append_only()",
]
POSTGRESQL_DROP = ["DROP TRIGGER IF EXISTS audit_reports_append_only ON audit_reports",
                   "DROP TRIGGER IF EXISTS audit_reports_no_truncate ON audit_reports"]


def upgrade() -> None:
    op.create_table('audit_reports',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('head_seq', sa.BigInteger(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('seal', sa.String(length=64), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('sections', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.String(length=32), nullable=False),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('gifts_root', sa.String(length=64), nullable=True),
    sa.Column('gifts_tree_size', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['period'], ['periods.period'], name=op.f('fk_audit_reports_period_periods')),
    sa.ForeignKeyConstraint(['replaces_id'], ['audit_reports.id'], name=op.f('fk_audit_reports_replaces_id_audit_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_reports')),
    sa.UniqueConstraint('replaces_id', name=op.f('uq_audit_reports_replaces_id')),
    sa.UniqueConstraint('sha256', name=op.f('uq_audit_reports_sha256'))
    )
    with op.batch_alter_table('audit_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_reports_period'), ['period'], unique=False)

    bind = op.get_bind()
    for statement in (POSTGRESQL_GUARDS if bind.dialect.name == "postgresql" else SQLITE_GUARDS):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in (POSTGRESQL_DROP if bind.dialect.name == "postgresql" else SQLITE_DROP):
        op.execute(statement)
    with op.batch_alter_table('audit_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_reports_period'))

    op.drop_table('audit_reports')
