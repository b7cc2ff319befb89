"""Disbursements and their events; the database refuses a reservation a fund cannot cover.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 02:06:39.443409
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Reservations (pending amounts) are checked by the database as postings are: a fund may never promise
# more money than it holds. Events are history: append-only. A request's amount, fund and purpose are fixed.
_RESERVE_CHECK = (
    "NEW.credits_pending > {old} AND (SELECT sum(b.debits_posted - b.credits_posted - b.credits_pending"
    " + b.debits_pending) FROM account_balances b JOIN accounts a ON a.code = b.account_code AND a.monetary"
    " WHERE b.fund_code = NEW.fund_code) < 0")
_FIXED = ["id", "organisation_id", "fund_code", "amount", "purpose", "budget", "submitted_by", "submitted_at",
          "approvals_needed"]

SQLITE_GUARDS = [
    "CREATE TRIGGER account_balances_reserve_update AFTER UPDATE OF credits_pending ON account_balances WHEN "
    + _RESERVE_CHECK.format(old="OLD.credits_pending")
    + " BEGIN SELECT RAISE(ABORT, 'fund_ledger: a fund would promise more than it holds'); END",
    "CREATE TRIGGER account_balances_reserve_insert AFTER INSERT ON account_balances WHEN "
    + _RESERVE_CHECK.format(old="0")
    + " BEGIN SELECT RAISE(ABORT, 'fund_ledger: a fund would promise more than it holds'); END",
    "CREATE TRIGGER disbursement_events_no_update BEFORE UPDATE ON disbursement_events "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: disbursement_events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER disbursement_events_no_delete BEFORE DELETE ON disbursement_events "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: disbursement_events are append-only: DELETE refused'); END",
    "CREATE TRIGGER disbursements_no_delete BEFORE DELETE ON disbursements "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: disbursements are never deleted'); END",
    "CREATE TRIGGER disbursements_fixed BEFORE UPDATE ON disbursements WHEN "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED)
    + " BEGIN SELECT RAISE(ABORT, 'fund_ledger: a request''s amount, fund and purpose never change'); END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {n}" for n in
               ("account_balances_reserve_update", "account_balances_reserve_insert", "disbursement_events_no_update",
                "disbursement_events_no_delete", "disbursements_no_delete", "disbursements_fixed")]

POSTGRESQL_GUARDS = [
    f"""CREATE FUNCTION fund_ledger_reserve_check() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan AS $$
    BEGIN
      IF {_RESERVE_CHECK.format(old="(CASE WHEN TG_OP = 'UPDATE' THEN OLD.credits_pending ELSE 0 END)")} THEN
        RAISE EXCEPTION 'fund_ledger: a fund would promise more than it holds' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER account_balances_reserve AFTER INSERT OR UPDATE OF credits_pending ON account_balances "
    "FOR EACH ROW EXECUTE FUNCTION fund_ledger_reserve_check()",
    "CREATE TRIGGER disbursement_events_append_only BEFORE UPDATE OR DELETE ON disbursement_events "
    "FOR EACH ROW EXECUTE FUNCTION fund_ledger_append_only()",
    f"""CREATE FUNCTION fund_ledger_disbursement_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'fund_ledger: disbursements are never deleted' USING ERRCODE = 'restrict_violation';
      END IF;
      IF ({", ".join("NEW." + c for c in _FIXED)}) IS DISTINCT FROM ({", ".join("OLD." + c for c in _FIXED)}) THEN
        RAISE EXCEPTION 'fund_ledger: a request''s amount, fund and purpose never change' USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER disbursements_fixed BEFORE UPDATE OR DELETE ON disbursements "
    "FOR EACH ROW EXECUTE FUNCTION fund_ledger_disbursement_fixed()",
]
POSTGRESQL_DROP = ["DROP FUNCTION IF EXISTS fund_ledger_reserve_check() CASCADE",
                   "DROP FUNCTION IF EXISTS fund_ledger_disbursement_fixed() CASCADE",
                   "DROP TRIGGER IF EXISTS disbursement_events_append_only ON disbursement_events"]


def upgrade() -> None:
    op.create_table('disbursements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('fund_code', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('budget', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('approvals_needed', sa.SmallInteger(), nullable=False),
    sa.Column('submitted_by', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', sa.String(length=32), nullable=False),
    sa.Column('payment_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('payment_reference', sa.String(length=64), nullable=True),
    sa.Column('acknowledged_on', sa.Date(), nullable=True),
    sa.CheckConstraint("status IN ('submitted','approved','rejected','cancelled','paid','acknowledged')", name=op.f('ck_disbursements_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_disbursements_positive')),
    sa.ForeignKeyConstraint(['fund_code'], ['funds.code'], name=op.f('fk_disbursements_fund_code_funds')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_disbursements_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['payment_entry_id'], ['entries.id'], name=op.f('fk_disbursements_payment_entry_id_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disbursements'))
    )
    with op.batch_alter_table('disbursements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disbursements_fund_code'), ['fund_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_disbursements_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disbursements_status'), ['status'], unique=False)

    op.create_table('disbursement_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('disbursement_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['disbursement_id'], ['disbursements.id'], name=op.f('fk_disbursement_events_disbursement_id_disbursements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disbursement_events'))
    )
    with op.batch_alter_table('disbursement_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disbursement_events_disbursement_id'), ['disbursement_id'], unique=False)

    bind = op.get_bind()
    for statement in (POSTGRESQL_GUARDS if bind.dialect.name == "postgresql" else SQLITE_GUARDS):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in (POSTGRESQL_DROP if bind.dialect.name == "postgresql" else SQLITE_DROP):
        op.execute(statement)
    with op.batch_alter_table('disbursement_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disbursement_events_disbursement_id'))

    op.drop_table('disbursement_events')
    with op.batch_alter_table('disbursements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disbursements_status'))
        batch_op.drop_index(batch_op.f('ix_disbursements_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_disbursements_fund_code'))

    op.drop_table('disbursements')
