"""PostgreSQL guards the ledger per statement, not per row: the same rules and the same refusals, checked and
the running balances kept for a whole multi-row INSERT at once (statement-level triggers over transition
tables), so posting a thousand entries costs a few set-based statements instead of thousands of per-row ones.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 13:30:00

SQLite keeps its per-row triggers (in-process, they cost little: docs/benchmarks.md, bench/trigger_cost.py).

What each trigger guarantees, as 0001's did:
- ``postings_sealed`` (after each INSERT into postings): no posting for an entry that is already posted.
  The statement cannot itself create entries, so "already posted when the statement ends" is "already
  posted when the row went in", as the per-row BEFORE trigger had it.
- ``entries_guard`` (after each INSERT into entries), for every new entry: it continues the hash chain
  (its prev_hash is the hash of entry id - 1, which may be one of the same statement's rows, or the genesis
  for id 1), its date is in no closed period, it has at least two postings, each fund balances in it; then
  it adds the statement's postings to ``account_balances`` and ``daily_totals`` (one upsert per account
  and fund, and per account, fund and day, instead of one per entry), and refuses an entry after which a
  fund it takes money from would hold less than nothing. That last check is per entry, in id order, as
  before: a fund's money after entry k is its money before the statement plus its monetary movements in
  the statement's entries up to k (a running sum), so a batch that dips below zero midway is refused even
  if a later entry of the same batch would bring it back.
- The first problem, in id order (and for one entry in the order chain, period, count, balance, overdraft),
  is reported with 0001's message; tests match them.

The statements run through EXECUTE, planned at each call with the tables' real sizes: a plan cached by
PL/pgSQL while the journal was young would read the whole journal for every statement later (the reason
0001 set ``plan_cache_mode = force_custom_plan``, which re-planned every query of every row).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

GENESIS = "0" * 64

_SEAL = """CREATE FUNCTION fund_ledger_seal_postings() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE posted bigint;
    BEGIN
      EXECUTE 'SELECT min(p.entry_id) FROM new_postings p WHERE EXISTS (SELECT 1 FROM entries e WHERE e.id = p.entry_id)'
        INTO posted;
      IF posted IS NOT NULL THEN
        RAISE EXCEPTION 'fund_ledger: entry % is already posted; its postings are sealed', posted
          USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NULL;
    END $$"""

# One statement: the new entries' postings read once (by primary key, within the statement's id range, $1..$2),
# every check, both upserts and the running overdraft check. The predecessors are looked up in that range too:
# joined on id alone, PostgreSQL hashed a sequential scan of the whole journal for 500 new entries. Its sub-statements share one snapshot, so ``held`` is
# each fund's money before this statement, whatever the upserts beside it write.
_PROBLEM = f"""
WITH lines AS MATERIALIZED (
  SELECT p.entry_id, p.account_code, p.fund_code, p.debit, p.credit, a.monetary
  FROM postings p JOIN accounts a ON a.code = p.account_code
  WHERE p.entry_id BETWEEN $1 AND $2 AND p.entry_id IN (SELECT id FROM new_entries)),
counts AS (SELECT entry_id, count(*) AS n FROM lines GROUP BY entry_id),
balances AS (
  INSERT INTO account_balances AS b (account_code, fund_code, debits_posted, credits_posted, debits_pending, credits_pending)
  SELECT account_code, fund_code, sum(debit), sum(credit), 0, 0 FROM lines GROUP BY account_code, fund_code
  ON CONFLICT (account_code, fund_code) DO UPDATE SET
    debits_posted = b.debits_posted + EXCLUDED.debits_posted,
    credits_posted = b.credits_posted + EXCLUDED.credits_posted),
days AS (
  INSERT INTO daily_totals AS t (account_code, fund_code, day, debits, credits)
  SELECT l.account_code, l.fund_code, n.accounting_date, sum(l.debit), sum(l.credit)
  FROM lines l JOIN new_entries n ON n.id = l.entry_id GROUP BY l.account_code, l.fund_code, n.accounting_date
  ON CONFLICT (account_code, fund_code, day) DO UPDATE SET
    debits = t.debits + EXCLUDED.debits, credits = t.credits + EXCLUDED.credits),
moves AS (SELECT entry_id, fund_code, sum(debit) - sum(credit) AS net FROM lines WHERE monetary
          GROUP BY entry_id, fund_code),
held AS (
  SELECT b.fund_code, sum(b.debits_posted - b.credits_posted - b.credits_pending + b.debits_pending) AS money
  FROM account_balances b JOIN accounts a ON a.code = b.account_code AND a.monetary
  WHERE b.fund_code IN (SELECT fund_code FROM moves WHERE net < 0) GROUP BY b.fund_code),
problems AS (
  SELECT n.id, 1 AS kind FROM new_entries n LEFT JOIN entries e ON e.id = n.id - 1 AND e.id BETWEEN $1 - 1 AND $2
  WHERE n.prev_hash IS DISTINCT FROM (CASE WHEN n.id = 1 THEN '{GENESIS}' ELSE e.hash END)
  UNION ALL
  SELECT n.id, 2 FROM new_entries n
  WHERE EXISTS (SELECT 1 FROM periods WHERE n.accounting_date BETWEEN first_day AND last_day)
  UNION ALL
  SELECT n.id, 3 FROM new_entries n LEFT JOIN counts c ON c.entry_id = n.id WHERE coalesce(c.n, 0) < 2
  UNION ALL
  SELECT entry_id, 4 FROM lines GROUP BY entry_id, fund_code HAVING sum(debit) <> sum(credit)
  UNION ALL
  SELECT r.entry_id, 5 FROM (
    SELECT entry_id, fund_code, net, sum(net) OVER (PARTITION BY fund_code ORDER BY entry_id) AS upto FROM moves) r
    LEFT JOIN held h ON h.fund_code = r.fund_code
  WHERE r.net < 0 AND coalesce(h.money, 0) + r.upto < 0)
SELECT id, kind FROM problems ORDER BY id, kind LIMIT 1"""

_POST = f"""CREATE FUNCTION fund_ledger_post_entries() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE lo bigint; hi bigint; bad bigint; kind int; day date;
    BEGIN
      SELECT min(id), max(id) INTO lo, hi FROM new_entries;
      IF lo IS NULL THEN RETURN NULL; END IF;
      EXECUTE $q${_PROBLEM}$q$ INTO bad, kind USING lo, hi;
      IF kind = 1 THEN
        RAISE EXCEPTION 'fund_ledger: entry % does not continue the hash chain', bad USING ERRCODE = 'check_violation';
      ELSIF kind = 2 THEN
        SELECT accounting_date INTO day FROM new_entries WHERE id = bad;
        RAISE EXCEPTION 'fund_ledger: the period of % is closed', day USING ERRCODE = 'check_violation';
      ELSIF kind = 3 THEN
        RAISE EXCEPTION 'fund_ledger: an entry needs at least two postings' USING ERRCODE = 'check_violation';
      ELSIF kind = 4 THEN
        RAISE EXCEPTION 'fund_ledger: entry % does not balance within each fund', bad USING ERRCODE = 'check_violation';
      ELSIF kind = 5 THEN
        RAISE EXCEPTION 'fund_ledger: a fund would spend more than it holds' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$"""

POSTGRESQL_UPGRADE = [
    "DROP TRIGGER postings_sealed ON postings",
    "DROP TRIGGER entries_check ON entries",
    "DROP TRIGGER entries_post ON entries",
    "DROP FUNCTION fund_ledger_posting_sealed()",
    "DROP FUNCTION fund_ledger_entry_check()",
    "DROP FUNCTION fund_ledger_entry_post()",
    _SEAL,
    "CREATE TRIGGER postings_sealed AFTER INSERT ON postings REFERENCING NEW TABLE AS new_postings "
    "FOR EACH STATEMENT EXECUTE FUNCTION fund_ledger_seal_postings()",
    _POST,
    "CREATE TRIGGER entries_guard AFTER INSERT ON entries REFERENCING NEW TABLE AS new_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION fund_ledger_post_entries()",
]


def _per_row_guards() -> list[str]:
    """0001's per-row functions and triggers for postings and entries, as that migration wrote them."""
    path = Path(__file__).with_name("0001_ledger_tables.py")
    spec = importlib.util.spec_from_file_location("fund_ledger_migration_0001", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = ("fund_ledger_posting_sealed", "fund_ledger_entry_check", "fund_ledger_entry_post")
    return [s for s in module.POSTGRESQL_GUARDS if any(n in s for n in names)]


POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER postings_sealed ON postings",
    "DROP TRIGGER entries_guard ON entries",
    "DROP FUNCTION fund_ledger_seal_postings()",
    "DROP FUNCTION fund_ledger_post_entries()",
    *_per_row_guards(),
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
