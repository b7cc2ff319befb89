"""Grant programmes, organisations' bank accounts, attachments, use reports (and the money returned).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 04:10:00

Attachments are evidence: append-only. A use report's figures and text never change once submitted; a
manager only decides on it (received or sent back) and, for money returned, records the entry that put
it back into the fund. A request's programme, like its amount and fund, is fixed once submitted.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_DISBURSEMENT_FIXED = ["id", "organisation_id", "fund_code", "amount", "purpose", "budget", "submitted_by",
                       "submitted_at", "approvals_needed", "programme_id"]
_OLD_DISBURSEMENT_FIXED = _DISBURSEMENT_FIXED[:-1]
_REPORT_FIXED = ["id", "disbursement_id", "spent", "returned", "narrative", "lines", "submitted_by", "submitted_at"]
_APPEND_ONLY = ("disbursement_attachments", "programme_organisations")


def _sqlite_fixed(columns: list[str]) -> str:
    return ("CREATE TRIGGER disbursements_fixed BEFORE UPDATE ON disbursements WHEN "
            + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
            + " BEGIN SELECT RAISE(ABORT, 'fund_ledger: a request''s amount, fund and purpose never change'); END")


SQLITE_GUARDS = [
    "DROP TRIGGER IF EXISTS disbursements_fixed",
    _sqlite_fixed(_DISBURSEMENT_FIXED),
    "CREATE TRIGGER disbursement_reports_fixed BEFORE UPDATE ON disbursement_reports WHEN OLD.status <> 'submitted' OR "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _REPORT_FIXED)
    + " BEGIN SELECT RAISE(ABORT, 'fund_ledger: a use report is never edited; a manager decides on it once'); END",
    "CREATE TRIGGER disbursement_reports_no_delete BEFORE DELETE ON disbursement_reports "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: use reports are never deleted'); END",
    *[f"CREATE TRIGGER {t}_no_{v.lower()} BEFORE {v} ON {t} "
      f"BEGIN SELECT RAISE(ABORT, 'fund_ledger: {t} are append-only: {v} refused'); END"
      for t in _APPEND_ONLY for v in ("UPDATE", "DELETE")],
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS disbursements_fixed", _sqlite_fixed(_OLD_DISBURSEMENT_FIXED),
               "DROP TRIGGER IF EXISTS disbursement_reports_fixed", "DROP TRIGGER IF EXISTS disbursement_reports_no_delete",
               *[f"DROP TRIGGER IF EXISTS {t}_no_{v}" for t in _APPEND_ONLY for v in ("update", "delete")]]


def _pg_fixed(columns: list[str]) -> str:
    return f"""CREATE OR REPLACE FUNCTION fund_ledger_disbursement_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'fund_ledger: disbursements are never deleted' USING ERRCODE = 'restrict_violation';
      END IF;
      IF ({", ".join("NEW." + c for c in columns)}) IS DISTINCT FROM ({", ".join("OLD." + c for c in columns)}) THEN
        RAISE EXCEPTION 'fund_ledger: a request''s amount, fund and purpose never change' USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$"""


POSTGRESQL_GUARDS = [
    _pg_fixed(_DISBURSEMENT_FIXED),
    f"""CREATE FUNCTION fund_ledger_report_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'fund_ledger: use reports are never deleted' USING ERRCODE = 'restrict_violation';
      END IF;
      IF OLD.status <> 'submitted'
         OR ({", ".join("NEW." + c for c in _REPORT_FIXED)}) IS DISTINCT FROM ({", ".join("OLD." + c for c in _REPORT_FIXED)}) THEN
        RAISE EXCEPTION 'fund_ledger: a use report is never edited; a manager decides on it once'
          USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER disbursement_reports_fixed BEFORE UPDATE OR DELETE ON disbursement_reports "
    "FOR EACH ROW EXECUTE FUNCTION fund_ledger_report_fixed()",
    *[f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION fund_ledger_append_only()"
      for t in _APPEND_ONLY],
    *[f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION fund_ledger_append_only()"
      for t in ("disbursement_reports", *_APPEND_ONLY)],
]
POSTGRESQL_DROP = [_pg_fixed(_OLD_DISBURSEMENT_FIXED),
                   "DROP FUNCTION IF EXISTS fund_ledger_report_fixed() CASCADE",
                   *[f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in _APPEND_ONLY],
                   *[f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}" for t in ("disbursement_reports", *_APPEND_ONLY)]]


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bank_name', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('bank_account', sa.String(length=40), nullable=False, server_default=''))

    op.create_table('grant_programmes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('fund_code', sa.String(length=32), nullable=False),
    sa.Column('budget', sa.BigInteger(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint('budget > 0', name=op.f('ck_grant_programmes_positive')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_grant_programmes_dates')),
    sa.ForeignKeyConstraint(['fund_code'], ['funds.code'], name=op.f('fk_grant_programmes_fund_code_funds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_programmes')),
    sa.UniqueConstraint('name', name=op.f('uq_grant_programmes_name'))
    )
    op.create_table('programme_organisations',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('added_by', sa.String(length=64), nullable=False),
    sa.Column('added_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_programme_organisations_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['programme_id'], ['grant_programmes.id'], name=op.f('fk_programme_organisations_programme_id_grant_programmes')),
    sa.PrimaryKeyConstraint('programme_id', 'organisation_id', name=op.f('pk_programme_organisations'))
    )
    with op.batch_alter_table('disbursements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_disbursements_programme_id'), ['programme_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":  # SQLite cannot add a key to a table without rebuilding it
        op.create_foreign_key(op.f('fk_disbursements_programme_id_grant_programmes'), 'disbursements',
                              'grant_programmes', ['programme_id'], ['id'])

    op.create_table('disbursement_reports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('disbursement_id', sa.Integer(), nullable=False),
    sa.Column('spent', sa.BigInteger(), nullable=False),
    sa.Column('returned', sa.BigInteger(), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('lines', sa.Text(), nullable=False),
    sa.Column('submitted_by', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.String(length=32), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False, server_default=''),
    sa.Column('return_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('return_reference', sa.String(length=64), nullable=True),
    sa.CheckConstraint('spent >= 0 AND returned >= 0', name=op.f('ck_disbursement_reports_not_negative')),
    sa.CheckConstraint("status IN ('submitted','received','sent_back')", name=op.f('ck_disbursement_reports_status')),
    sa.ForeignKeyConstraint(['disbursement_id'], ['disbursements.id'], name=op.f('fk_disbursement_reports_disbursement_id_disbursements')),
    sa.ForeignKeyConstraint(['return_entry_id'], ['entries.id'], name=op.f('fk_disbursement_reports_return_entry_id_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disbursement_reports'))
    )
    with op.batch_alter_table('disbursement_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disbursement_reports_disbursement_id'), ['disbursement_id'], unique=False)

    op.create_table('disbursement_attachments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('disbursement_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("content_type IN ('application/pdf','image/png','image/jpeg')", name=op.f('ck_disbursement_attachments_type')),
    sa.ForeignKeyConstraint(['disbursement_id'], ['disbursements.id'], name=op.f('fk_disbursement_attachments_disbursement_id_disbursements')),
    sa.ForeignKeyConstraint(['report_id'], ['disbursement_reports.id'], name=op.f('fk_disbursement_attachments_report_id_disbursement_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disbursement_attachments'))
    )
    with op.batch_alter_table('disbursement_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disbursement_attachments_disbursement_id'), ['disbursement_id'], unique=False)

    for statement in (POSTGRESQL_GUARDS if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARDS):
        op.execute(statement)


def downgrade() -> None:
    for statement in (POSTGRESQL_DROP if op.get_bind().dialect.name == "postgresql" else SQLITE_DROP):
        op.execute(statement)
    op.drop_table('disbursement_attachments')
    op.drop_table('disbursement_reports')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f('fk_disbursements_programme_id_grant_programmes'), 'disbursements', type_='foreignkey')
    with op.batch_alter_table('disbursements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disbursements_programme_id'))
        batch_op.drop_column('programme_id')
    op.drop_table('programme_organisations')
    op.drop_table('grant_programmes')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('bank_account')
        batch_op.drop_column('bank_name')
