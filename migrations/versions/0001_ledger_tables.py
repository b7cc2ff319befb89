"""Ledger tables, and the triggers by which the database guards them itself.

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 00:47:31.485108
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

GENESIS = "0" * 64

# --- SQLite -------------------------------------------------------------------------------------
# SQLite has no deferred triggers. The same guarantee comes from ordering: an entry's postings are
# inserted first (their key to the entry is deferred to commit), and inserting the entry checks that
# they balance and seals them: a posting for an entry that already exists is refused.
_SQLITE_APPEND_ONLY = [
    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, 'fund_ledger: {table} are append-only: {verb} refused'); END"
    for table in ("entries", "postings", "periods")
    for verb in ("UPDATE", "DELETE")
]
SQLITE_GUARDS = _SQLITE_APPEND_ONLY + [
    """CREATE TRIGGER postings_sealed BEFORE INSERT ON postings
    WHEN EXISTS (SELECT 1 FROM entries WHERE id = NEW.entry_id)
    BEGIN SELECT RAISE(ABORT, 'fund_ledger: entry is already posted; its postings are sealed'); END""",
    f"""CREATE TRIGGER entries_check BEFORE INSERT ON entries
    BEGIN
      SELECT RAISE(ABORT, 'fund_ledger: entry does not continue the hash chain')
      WHERE NEW.prev_hash IS NOT (CASE WHEN NEW.id = 1 THEN '{GENESIS}'
                                  ELSE (SELECT hash FROM entries WHERE id = NEW.id - 1) END);
      SELECT RAISE(ABORT, 'fund_ledger: the period of the accounting date is closed')
      WHERE EXISTS (SELECT 1 FROM periods WHERE NEW.accounting_date BETWEEN first_day AND last_day);
      SELECT RAISE(ABORT, 'fund_ledger: an entry needs at least two postings')
      WHERE (SELECT count(*) FROM postings WHERE entry_id = NEW.id) < 2;
      SELECT RAISE(ABORT, 'fund_ledger: entry does not balance within each fund')
      WHERE EXISTS (SELECT 1 FROM postings WHERE entry_id = NEW.id
                    GROUP BY fund_code HAVING sum(debit) <> sum(credit));
    END""",
    """CREATE TRIGGER entries_post AFTER INSERT ON entries
    BEGIN
      INSERT INTO account_balances (account_code, fund_code, debits_posted, credits_posted, debits_pending, credits_pending)
      SELECT account_code, fund_code, sum(debit), sum(credit), 0, 0 FROM postings
      WHERE entry_id = NEW.id GROUP BY account_code, fund_code
      ON CONFLICT (account_code, fund_code) DO UPDATE SET
        debits_posted = debits_posted + excluded.debits_posted,
        credits_posted = credits_posted + excluded.credits_posted;
      INSERT INTO daily_totals (account_code, fund_code, day, debits, credits)
      SELECT account_code, fund_code, NEW.accounting_date, sum(debit), sum(credit) FROM postings
      WHERE entry_id = NEW.id GROUP BY account_code, fund_code
      ON CONFLICT (account_code, fund_code, day) DO UPDATE SET
        debits = debits + excluded.debits, credits = credits + excluded.credits;
      SELECT RAISE(ABORT, 'fund_ledger: a fund would spend more than it holds')
      WHERE EXISTS (
        SELECT 1 FROM postings p JOIN accounts a ON a.code = p.account_code AND a.monetary
        WHERE p.entry_id = NEW.id GROUP BY p.fund_code
        HAVING sum(p.debit) < sum(p.credit) AND (
          SELECT sum(b.debits_posted - b.credits_posted - b.credits_pending + b.debits_pending)
          FROM account_balances b JOIN accounts a2 ON a2.code = b.account_code AND a2.monetary
          WHERE b.fund_code = p.fund_code) < 0);
    END""",
    """CREATE TRIGGER accounts_fixed BEFORE UPDATE ON accounts
    WHEN NEW.code IS NOT OLD.code OR NEW.name IS NOT OLD.name OR NEW.type IS NOT OLD.type
      OR NEW.normal_side IS NOT OLD.normal_side OR NEW.monetary IS NOT OLD.monetary
      OR NEW.parent_code IS NOT OLD.parent_code
    BEGIN SELECT RAISE(ABORT, 'fund_ledger: an account''s code, name and kind never change'); END""",
    "CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: accounts are never deleted'); END",
    """CREATE TRIGGER funds_fixed BEFORE UPDATE ON funds
    WHEN NEW.code IS NOT OLD.code OR NEW.name IS NOT OLD.name OR NEW.restricted IS NOT OLD.restricted
    BEGIN SELECT RAISE(ABORT, 'fund_ledger: a fund''s code, name and restriction never change'); END""",
    "CREATE TRIGGER funds_no_delete BEFORE DELETE ON funds "
    "BEGIN SELECT RAISE(ABORT, 'fund_ledger: funds are never deleted'); END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}" for name in
    ["postings_sealed", "entries_check", "entries_post", "accounts_fixed", "accounts_no_delete",
     "funds_fixed", "funds_no_delete"]
    + [f"{t}_no_{v}" for t in ("entries", "postings", "periods") for v in ("update", "delete")]
]

# --- PostgreSQL ---------------------------------------------------------------------------------
# The checking functions plan every call afresh (plan_cache_mode = force_custom_plan): PL/pgSQL would
# otherwise keep a generic plan made while the journal was tiny (a sequential scan of entries) for the
# whole life of a connection, and each entry would read the whole journal (docs/benchmarks.md).
# The same rules as plpgsql triggers, with the same ordering: postings first, then the entry, whose
# insert checks and seals them. The key from postings to entries is deferred to commit.
POSTGRESQL_GUARDS = [
    """CREATE FUNCTION fund_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'fund_ledger: % are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
    END $$""",
    *[
        f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
        f"FOR EACH ROW EXECUTE FUNCTION fund_ledger_append_only()"
        for t in ("entries", "postings", "periods")
    ],
    *[
        f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION fund_ledger_append_only()"
        for t in ("entries", "postings", "periods", "accounts", "funds")
    ],
    """CREATE FUNCTION fund_ledger_posting_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM entries WHERE id = NEW.entry_id) THEN
        RAISE EXCEPTION 'fund_ledger: entry % is already posted; its postings are sealed', NEW.entry_id
          USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER postings_sealed BEFORE INSERT ON postings "
    "FOR EACH ROW EXECUTE FUNCTION fund_ledger_posting_sealed()",
    f"""CREATE FUNCTION fund_ledger_entry_check() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan AS $$
    DECLARE expected text;
    BEGIN
      IF NEW.id = 1 THEN expected := '{GENESIS}';
      ELSE SELECT hash INTO expected FROM entries WHERE id = NEW.id - 1;
      END IF;
      IF expected IS NULL OR NEW.prev_hash IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'fund_ledger: entry % does not continue the hash chain', NEW.id USING ERRCODE = 'check_violation';
      END IF;
      IF EXISTS (SELECT 1 FROM periods WHERE NEW.accounting_date BETWEEN first_day AND last_day) THEN
        RAISE EXCEPTION 'fund_ledger: the period of % is closed', NEW.accounting_date USING ERRCODE = 'check_violation';
      END IF;
      -- The entry's own postings are read once through the primary key (MATERIALIZED): without it, and
      -- before statistics exist, the planner may walk a fund's whole history for every new entry.
      IF (WITH lines AS MATERIALIZED (SELECT 1 FROM postings WHERE entry_id = NEW.id) SELECT count(*) FROM lines) < 2 THEN
        RAISE EXCEPTION 'fund_ledger: an entry needs at least two postings' USING ERRCODE = 'check_violation';
      END IF;
      IF EXISTS (WITH lines AS MATERIALIZED (SELECT fund_code, debit, credit FROM postings WHERE entry_id = NEW.id)
                 SELECT 1 FROM lines GROUP BY fund_code HAVING sum(debit) <> sum(credit)) THEN
        RAISE EXCEPTION 'fund_ledger: entry % does not balance within each fund', NEW.id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER entries_check BEFORE INSERT ON entries FOR EACH ROW EXECUTE FUNCTION fund_ledger_entry_check()",
    """CREATE FUNCTION fund_ledger_entry_post() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan AS $$
    BEGIN
      INSERT INTO account_balances AS b (account_code, fund_code, debits_posted, credits_posted, debits_pending, credits_pending)
      WITH lines AS MATERIALIZED (SELECT account_code, fund_code, debit, credit FROM postings WHERE entry_id = NEW.id)
      SELECT account_code, fund_code, sum(debit), sum(credit), 0, 0 FROM lines GROUP BY account_code, fund_code
      ON CONFLICT (account_code, fund_code) DO UPDATE SET
        debits_posted = b.debits_posted + EXCLUDED.debits_posted,
        credits_posted = b.credits_posted + EXCLUDED.credits_posted;
      INSERT INTO daily_totals AS t (account_code, fund_code, day, debits, credits)
      WITH lines AS MATERIALIZED (SELECT account_code, fund_code, debit, credit FROM postings WHERE entry_id = NEW.id)
      SELECT account_code, fund_code, NEW.accounting_date, sum(debit), sum(credit) FROM lines GROUP BY account_code, fund_code
      ON CONFLICT (account_code, fund_code, day) DO UPDATE SET
        debits = t.debits + EXCLUDED.debits, credits = t.credits + EXCLUDED.credits;
      IF EXISTS (
        WITH lines AS MATERIALIZED (SELECT account_code, fund_code, debit, credit FROM postings WHERE entry_id = NEW.id)
        SELECT 1 FROM lines p JOIN accounts a ON a.code = p.account_code AND a.monetary
        GROUP BY p.fund_code
        HAVING sum(p.debit) < sum(p.credit) AND (
          SELECT sum(b.debits_posted - b.credits_posted - b.credits_pending + b.debits_pending)
          FROM account_balances b JOIN accounts a2 ON a2.code = b.account_code AND a2.monetary
          WHERE b.fund_code = p.fund_code) < 0) THEN
        RAISE EXCEPTION 'fund_ledger: a fund would spend more than it holds' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER entries_post AFTER INSERT ON entries FOR EACH ROW EXECUTE FUNCTION fund_ledger_entry_post()",
    """CREATE FUNCTION fund_ledger_fixed_identity() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'fund_ledger: % are never deleted', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
      END IF;
      -- Nested, not AND-ed: plpgsql may evaluate NEW.type on a funds row, which has no such field.
      IF TG_TABLE_NAME = 'accounts' THEN
        IF (NEW.code, NEW.name, NEW.type, NEW.normal_side, NEW.monetary, NEW.parent_code)
           IS DISTINCT FROM (OLD.code, OLD.name, OLD.type, OLD.normal_side, OLD.monetary, OLD.parent_code) THEN
          RAISE EXCEPTION 'fund_ledger: an account''s code, name and kind never change' USING ERRCODE = 'restrict_violation';
        END IF;
      ELSIF (NEW.code, NEW.name, NEW.restricted) IS DISTINCT FROM (OLD.code, OLD.name, OLD.restricted) THEN
        RAISE EXCEPTION 'fund_ledger: a fund''s code, name and restriction never change' USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER accounts_fixed BEFORE UPDATE OR DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION fund_ledger_fixed_identity()",
    "CREATE TRIGGER funds_fixed BEFORE UPDATE OR DELETE ON funds FOR EACH ROW EXECUTE FUNCTION fund_ledger_fixed_identity()",
]
POSTGRESQL_DROP = [
    f"DROP FUNCTION IF EXISTS {f}() CASCADE" for f in
    ("fund_ledger_append_only", "fund_ledger_posting_sealed", "fund_ledger_entry_check",
     "fund_ledger_entry_post", "fund_ledger_fixed_identity")
]



def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('normal_side', sa.String(length=6), nullable=False),
    sa.Column('monetary', sa.Boolean(), nullable=False),
    sa.Column('parent_code', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("normal_side IN ('debit','credit')", name=op.f('ck_accounts_normal_side')),
    sa.CheckConstraint("type IN ('asset','liability','net_assets','income','expense')", name=op.f('ck_accounts_type')),
    sa.ForeignKeyConstraint(['parent_code'], ['accounts.code'], name=op.f('fk_accounts_parent_code_accounts')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_accounts'))
    )
    op.create_table('entries',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('year_seq', sa.Integer(), nullable=False),
    sa.Column('accounting_date', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('reverses_id', sa.BigInteger(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('hash_version', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['reverses_id'], ['entries.id'], name=op.f('fk_entries_reverses_id_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entries')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_entries_reverses_id')),
    sa.UniqueConstraint('year', 'year_seq', name='uq_entries_number')
    )
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entries_accounting_date'), ['accounting_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_entries_source'), ['source'], unique=False)

    op.create_table('funds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funds')),
    sa.UniqueConstraint('code', name=op.f('uq_funds_code')),
    sa.UniqueConstraint('name', name=op.f('uq_funds_name'))
    )
    op.create_table('periods',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.String(length=32), nullable=False),
    sa.Column('closed_by', sa.String(length=64), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('head_seq', sa.BigInteger(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('seal', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('period', name=op.f('pk_periods'))
    )
    op.create_table('account_balances',
    sa.Column('account_code', sa.String(length=16), nullable=False),
    sa.Column('fund_code', sa.String(length=32), nullable=False),
    sa.Column('debits_posted', sa.BigInteger(), nullable=False),
    sa.Column('credits_posted', sa.BigInteger(), nullable=False),
    sa.Column('debits_pending', sa.BigInteger(), nullable=False),
    sa.Column('credits_pending', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_code'], ['accounts.code'], name=op.f('fk_account_balances_account_code_accounts')),
    sa.ForeignKeyConstraint(['fund_code'], ['funds.code'], name=op.f('fk_account_balances_fund_code_funds')),
    sa.PrimaryKeyConstraint('account_code', 'fund_code', name=op.f('pk_account_balances'))
    )
    op.create_table('daily_totals',
    sa.Column('account_code', sa.String(length=16), nullable=False),
    sa.Column('fund_code', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('debits', sa.BigInteger(), nullable=False),
    sa.Column('credits', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_code'], ['accounts.code'], name=op.f('fk_daily_totals_account_code_accounts')),
    sa.ForeignKeyConstraint(['fund_code'], ['funds.code'], name=op.f('fk_daily_totals_fund_code_funds')),
    sa.PrimaryKeyConstraint('account_code', 'fund_code', 'day', name=op.f('pk_daily_totals'))
    )
    with op.batch_alter_table('daily_totals', schema=None) as batch_op:
        batch_op.create_index('ix_daily_totals_day', ['day'], unique=False)

    op.create_table('postings',
    sa.Column('entry_id', sa.BigInteger(), nullable=False),
    sa.Column('line_no', sa.SmallInteger(), nullable=False),
    sa.Column('account_code', sa.String(length=16), nullable=False),
    sa.Column('fund_code', sa.String(length=32), nullable=False),
    sa.Column('debit', sa.BigInteger(), nullable=False),
    sa.Column('credit', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('debit <= 99999999999999 AND credit <= 99999999999999', name=op.f('ck_postings_not_absurd')),
    sa.CheckConstraint('debit >= 0 AND credit >= 0 AND (debit = 0) <> (credit = 0)', name=op.f('ck_postings_one_side')),
    sa.ForeignKeyConstraint(['account_code'], ['accounts.code'], name=op.f('fk_postings_account_code_accounts')),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name='fk_postings_entry_id_entries', initially='DEFERRED', deferrable=True),
    sa.ForeignKeyConstraint(['fund_code'], ['funds.code'], name=op.f('fk_postings_fund_code_funds')),
    sa.PrimaryKeyConstraint('entry_id', 'line_no', name=op.f('pk_postings')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.create_index('ix_postings_account_entry', ['account_code', 'entry_id'], unique=False)
        batch_op.create_index('ix_postings_fund_entry', ['fund_code', 'entry_id'], unique=False)

    bind = op.get_bind()
    for statement in (POSTGRESQL_GUARDS if bind.dialect.name == "postgresql" else SQLITE_GUARDS):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in (POSTGRESQL_DROP if bind.dialect.name == "postgresql" else SQLITE_DROP):
        op.execute(statement)
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.drop_index('ix_postings_fund_entry')
        batch_op.drop_index('ix_postings_account_entry')

    op.drop_table('postings')
    with op.batch_alter_table('daily_totals', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_totals_day')

    op.drop_table('daily_totals')
    op.drop_table('account_balances')
    op.drop_table('periods')
    op.drop_table('funds')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entries_source'))
        batch_op.drop_index(batch_op.f('ix_entries_accounting_date'))

    op.drop_table('entries')
    op.drop_table('accounts')
