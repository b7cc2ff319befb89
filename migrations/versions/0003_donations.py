"""Donors, donations, pledges, import batches and idempotency keys, with the guards that keep gifts unedited.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 01:35:21.894192
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# A donation is never edited nor deleted: a refund reverses its entry. The only later write is the
# number of the official 公益事业捐赠票据, set once. Import batches and idempotency answers are history too.
_DONATION_FIXED = ["id", "donor_id", "fund_code", "amount", "received_on", "channel", "reference", "memo",
                   "anonymous", "entry_id", "receipt_year", "receipt_seq", "verification_code", "pledge_id",
                   "import_batch_id", "created_at", "created_by"]
_APPEND_ONLY = ("import_batches", "idempotency_keys", "pledges", "pledge_instalments")

SQLITE_GUARDS = [
    "CREATE TRIGGER donations_fixed BEFORE UPDATE ON donations WHEN OLD.official_receipt_number IS NOT NULL OR "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _DONATION_FIXED)
    + " BEGIN SELECT RAISE(ABORT, 'fund_ledger: a donation is never edited (refund it by reversal); "
      "only the official receipt number is set, once'); END",
    "CREATE TRIGGER donations_no_delete BEFORE DELETE ON donations "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: donations are never deleted'); END",
    *[f"CREATE TRIGGER {t}_no_{v.lower()} BEFORE {v} ON {t} "
      f"BEGIN SELECT RAISE(ABORT, 'fund_ledger: {t} are append-only: {v} refused'); END"
      for t in _APPEND_ONLY for v in ("UPDATE", "DELETE")],
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS donations_fixed", "DROP TRIGGER IF EXISTS donations_no_delete",
               *[f"DROP TRIGGER IF EXISTS {t}_no_{v}" for t in _APPEND_ONLY for v in ("update", "delete")]]

POSTGRESQL_GUARDS = [
    f"""CREATE FUNCTION fund_ledger_donation_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'fund_ledger: donations are never deleted' USING ERRCODE = 'restrict_violation';
      END IF;
      IF OLD.official_receipt_number IS NOT NULL
         OR ({", ".join("NEW." + c for c in _DONATION_FIXED)}) IS DISTINCT FROM ({", ".join("OLD." + c for c in _DONATION_FIXED)}) THEN
        RAISE EXCEPTION 'fund_ledger: a donation is never edited (refund it by reversal); only the official receipt number is set, once'
          USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER donations_fixed BEFORE UPDATE OR DELETE ON donations FOR EACH ROW EXECUTE FUNCTION fund_ledger_donation_fixed()",
    *[f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION fund_ledger_append_only()"
      for t in _APPEND_ONLY],
    *[f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION fund_ledger_append_only()"
      for t in ("donations", *_APPEND_ONLY)],
]
POSTGRESQL_DROP = ["DROP FUNCTION IF EXISTS fund_ledger_donation_fixed() CASCADE",
                   *[f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in _APPEND_ONLY],
                   *[f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}" for t in ("donations", *_APPEND_ONLY)]]


def upgrade() -> None:
    op.create_table('donors',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=120), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('related_party', sa.Boolean(), nullable=False),
    sa.Column('related_note', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("kind IN ('person','organisation')", name=op.f('ck_donors_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donors'))
    )
    with op.batch_alter_table('donors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donors_name'), ['name'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('actor', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches')),
    sa.UniqueConstraint('file_sha256', name=op.f('uq_import_batches_file_sha256'))
    )
    op.create_table('pledges',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('fund_code', sa.String(length=32), nullable=False),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['donor_id'], ['donors.id'], name=op.f('fk_pledges_donor_id_donors')),
    sa.ForeignKeyConstraint(['fund_code'], ['funds.code'], name=op.f('fk_pledges_fund_code_funds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledges'))
    )
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledges_donor_id'), ['donor_id'], unique=False)

    op.create_table('donations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('fund_code', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('entry_id', sa.BigInteger(), nullable=False),
    sa.Column('receipt_year', sa.SmallInteger(), nullable=False),
    sa.Column('receipt_seq', sa.Integer(), nullable=False),
    sa.Column('verification_code', sa.String(length=16), nullable=False),
    sa.Column('official_receipt_number', sa.String(length=64), nullable=True),
    sa.Column('pledge_id', sa.Integer(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint("channel IN ('bank','cash','wechat','alipay','other')", name=op.f('ck_donations_channel')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_donations_positive')),
    sa.ForeignKeyConstraint(['donor_id'], ['donors.id'], name=op.f('fk_donations_donor_id_donors')),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_donations_entry_id_entries')),
    sa.ForeignKeyConstraint(['fund_code'], ['funds.code'], name=op.f('fk_donations_fund_code_funds')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_donations_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_donations_pledge_id_pledges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donations')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_donations_entry_id')),
    sa.UniqueConstraint('receipt_year', 'receipt_seq', name='uq_donations_receipt'),
    sa.UniqueConstraint('verification_code', name=op.f('uq_donations_verification_code'))
    )
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donations_donor_id'), ['donor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_donations_fund_code'), ['fund_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_donations_pledge_id'), ['pledge_id'], unique=False)

    op.create_table('pledge_instalments',
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_pledge_instalments_positive')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_pledge_instalments_pledge_id_pledges')),
    sa.PrimaryKeyConstraint('pledge_id', 'due_on', name=op.f('pk_pledge_instalments'))
    )
    bind = op.get_bind()
    for statement in (POSTGRESQL_GUARDS if bind.dialect.name == "postgresql" else SQLITE_GUARDS):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in (POSTGRESQL_DROP if bind.dialect.name == "postgresql" else SQLITE_DROP):
        op.execute(statement)
    op.drop_table('pledge_instalments')
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donations_pledge_id'))
        batch_op.drop_index(batch_op.f('ix_donations_fund_code'))
        batch_op.drop_index(batch_op.f('ix_donations_donor_id'))

    op.drop_table('donations')
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledges_donor_id'))

    op.drop_table('pledges')
    op.drop_table('import_batches')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('donors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donors_name'))

    op.drop_table('donors')
