"""The database guards the ledger itself: whatever the application does, these writes are refused."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fund_ledger.db import repository as repo
from fund_ledger.ledger.chain import entry_hash
from fund_ledger.ledger.entries import Entry, EntryCode, Posting
from fund_ledger.services.verify import verify_ledger
from tests.db.tamper import disable_guards
from tests.factories import gift_draft, make_fund, post


def _raw_entry(session, postings, *, seq=None, prev=None, day=date(2026, 10, 5)) -> Entry:
    """An entry chained correctly but never checked by the application's rules."""
    head_seq, head_hash = repo.chain_head(session)
    seq = head_seq + 1 if seq is None else seq
    e = Entry(seq=seq, year=day.year, year_seq=1000 + seq, accounting_date=day, recorded_at=repo.utc_now_text(),
              code=EntryCode.MANUAL, memo="raw", actor="intruder", postings=tuple(postings),
              prev_hash=head_hash if prev is None else prev)
    names = {c: a.name for c, a in repo.load_accounts(session).items()}
    funds = {c: f.name for c, f in repo.load_funds(session).items()}
    return replace(e, hash=entry_hash(e, names, funds))


def _refused(session, sql_or_fn, match: str):
    with pytest.raises(DBAPIError) as info:
        with session.begin_nested():
            if callable(sql_or_fn):
                sql_or_fn()
            else:
                session.execute(text(sql_or_fn))
    assert match in str(info.value.orig)
    return str(info.value.orig)


def _names_entry_on_postgresql(session, message: str, seq: int) -> None:
    """PostgreSQL's messages name the first entry refused (SQLite's triggers cannot format one)."""
    if session.connection().dialect.name == "postgresql":
        assert f"entry {seq} " in message, message


@pytest.fixture
def posted(session):
    make_fund(session)
    return post(session, gift_draft("AILILIANG", 5_000_00))


@pytest.mark.parametrize("sql", [
    "UPDATE entries SET memo = 'rewritten'",
    "UPDATE entries SET accounting_date = accounting_date",
    "DELETE FROM entries",
])
def test_entries_refuse_update_and_delete(session, posted, sql):
    _refused(session, sql, "entries are append-only")
    assert repo.get_entry(session, posted.seq) == posted


@pytest.mark.parametrize("sql", ["UPDATE postings SET debit = debit + 1 WHERE debit > 0", "DELETE FROM postings"])
def test_postings_refuse_update_and_delete(session, posted, sql):
    _refused(session, sql, "postings are append-only")


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.pg)], indirect=True)
@pytest.mark.parametrize("table", ["entries", "postings", "periods", "accounts", "funds"])
def test_truncate_is_refused_on_postgresql(session, posted, table):
    session.commit()  # TRUNCATE refuses to run beside the deferred key checks of uncommitted inserts
    _refused(session, f"TRUNCATE {table} CASCADE", "TRUNCATE refused")


def test_unbalanced_entry_is_refused(session, posted):
    e = _raw_entry(session, [Posting("1002", "AILILIANG", debit=100), Posting("4101", "AILILIANG", credit=99)])
    _refused(session, lambda: repo.insert_entries(session, [e]), "does not balance")


def test_entry_balanced_in_total_but_not_per_fund_is_refused(session, posted):
    e = _raw_entry(session, [Posting("1002", "AILILIANG", debit=100), Posting("4101", "GENERAL", credit=100)])
    _refused(session, lambda: repo.insert_entries(session, [e]), "does not balance")


def test_single_posting_entry_is_refused(session, posted):
    e = _raw_entry(session, [Posting("1002", "GENERAL", debit=100)])
    _refused(session, lambda: repo.insert_entries(session, [e]), "at least two postings")


def test_posting_added_to_a_posted_entry_is_refused(session, posted):
    _refused(session, f"INSERT INTO postings (entry_id, line_no, account_code, fund_code, debit, credit) "
                      f"VALUES ({posted.seq}, 3, '1002', 'AILILIANG', 1, 0)", "sealed")


@pytest.mark.parametrize("how", ["wrong_prev", "gap", "fork"])
def test_entry_that_does_not_continue_the_chain_is_refused(session, posted, how):
    lines = [Posting("1002", "GENERAL", debit=100), Posting("4101", "GENERAL", credit=100)]
    e = {"wrong_prev": lambda: _raw_entry(session, lines, prev="f" * 64),
         "gap": lambda: _raw_entry(session, lines, seq=posted.seq + 2),
         "fork": lambda: _raw_entry(session, lines, seq=posted.seq + 1, prev=posted.prev_hash)}[how]()
    _refused(session, lambda: repo.insert_entries(session, [e]), "hash chain")


def test_overdraft_is_refused_by_the_database(session, posted):
    e = _raw_entry(session, [Posting("5101", "AILILIANG", debit=5_000_01), Posting("1002", "AILILIANG", credit=5_000_01)])
    _refused(session, lambda: repo.insert_entries(session, [e]), "spend more than it holds")


def test_entry_in_closed_period_is_refused(session, posted):
    session.execute(text("INSERT INTO periods (period, first_day, last_day, closed_at, closed_by, entry_count, head_seq,"
                         " head_hash, seal) VALUES ('2026-10', '2026-10-01', '2026-10-31', 'x', 'x', 0, 0, 'x', 'x')"))
    e = _raw_entry(session, [Posting("1002", "GENERAL", debit=100), Posting("4101", "GENERAL", credit=100)])
    _refused(session, lambda: repo.insert_entries(session, [e]), "closed")
    _refused(session, "DELETE FROM periods", "append-only")


# --- several entries in one statement (PostgreSQL checks a whole INSERT at once: migration 0016) ----------

def _raw_batch(session, lines_per_entry, *, broken_at=None, day=date(2026, 10, 5)) -> list[Entry]:
    """Entries chained one after the other from the head; ``broken_at``: that one names a wrong predecessor."""
    head_seq, head_hash = repo.chain_head(session)
    batch = []
    for k, lines in enumerate(lines_per_entry):
        prev = "f" * 64 if k == broken_at else head_hash
        e = _raw_entry(session, lines, seq=head_seq + 1 + k, prev=prev, day=day)
        batch.append(e)
        head_hash = e.hash
    return batch


def _gift(fund, fen):
    return [Posting("1002", fund, debit=fen), Posting("4101", fund, credit=fen)]


def _spend(fund, fen):
    return [Posting("5101", fund, debit=fen), Posting("1002", fund, credit=fen)]


def _entry_count(session) -> int:
    return session.execute(text("SELECT count(*) FROM entries")).scalar_one()


def test_a_broken_link_in_the_middle_of_a_batch_is_refused(session, posted):
    before = _entry_count(session)
    batch = _raw_batch(session, [_gift("GENERAL", 100)] * 3, broken_at=1)
    message = _refused(session, lambda: repo.insert_entries(session, batch), "does not continue the hash chain")
    _names_entry_on_postgresql(session, message, batch[1].seq)
    assert _entry_count(session) == before


def test_an_entry_without_postings_in_the_middle_of_a_batch_is_refused(session, posted):
    batch = _raw_batch(session, [_gift("GENERAL", 100), [], _gift("GENERAL", 100)])
    _refused(session, lambda: repo.insert_entries(session, batch), "at least two postings")


def test_an_unbalanced_entry_among_balanced_ones_is_refused(session, posted):
    batch = _raw_batch(session, [_gift("GENERAL", 100), _gift("GENERAL", 100),
                                 [Posting("1002", "GENERAL", debit=100), Posting("4101", "GENERAL", credit=99)]])
    message = _refused(session, lambda: repo.insert_entries(session, batch), "does not balance")
    _names_entry_on_postgresql(session, message, batch[2].seq)


def test_a_batch_that_overdraws_midway_is_refused_even_if_it_ends_in_credit(session, posted):
    """Each entry is checked against the money its fund holds after it, in order, as when entries went in one by
    one: 5,000.00 held, spend 3,000.00 (2,000.00 left), spend 3,000.00 (short by 1,000.00), then a gift of 10,000.00
    that would leave 9,000.00 at the end of the statement. The second entry is refused."""
    batch = _raw_batch(session, [_spend("AILILIANG", 3_000_00), _spend("AILILIANG", 3_000_00),
                                 _gift("AILILIANG", 10_000_00)])
    _refused(session, lambda: repo.insert_entries(session, batch), "spend more than it holds")


def test_a_batch_may_spend_what_an_earlier_entry_of_it_brought(session, posted):
    batch = _raw_batch(session, [_gift("AILILIANG", 10_000_00), _spend("AILILIANG", 15_000_00), _gift("GENERAL", 7_00)],
                       day=date(2026, 10, 6))
    repo.insert_entries(session, batch)
    balances = dict(session.execute(text("SELECT account_code, debits_posted - credits_posted FROM account_balances "
                                         "WHERE fund_code = 'AILILIANG'")).all())
    assert balances == {"1002": 0, "4101": -15_000_00, "5101": 15_000_00}
    days = session.execute(text("SELECT day, account_code, fund_code, debits, credits FROM daily_totals "
                                "ORDER BY day, account_code, fund_code")).all()
    assert [tuple(r[1:]) for r in days if str(r[0]) == "2026-10-06"] == [
        ("1002", "AILILIANG", 10_000_00, 15_000_00), ("1002", "GENERAL", 7_00, 0),
        ("4101", "AILILIANG", 0, 10_000_00), ("4101", "GENERAL", 0, 7_00), ("5101", "AILILIANG", 15_000_00, 0)]
    assert verify_ledger(session).ok


def test_postings_for_a_posted_entry_inside_a_multi_row_insert_are_refused(session, posted):
    """One statement adds lines for a future entry and one for the posted entry: the whole statement is refused."""
    head_seq, _ = repo.chain_head(session)
    message = _refused(session, "INSERT INTO postings (entry_id, line_no, account_code, fund_code, debit, credit) VALUES "
                                f"({head_seq + 1}, 1, '1002', 'GENERAL', 5, 0), ({head_seq + 1}, 2, '4101', 'GENERAL', 0, 5), "
                                f"({posted.seq}, 3, '1002', 'AILILIANG', 1, 0)", "is already posted")
    _names_entry_on_postgresql(session, message, posted.seq)
    assert session.execute(text("SELECT count(*) FROM postings WHERE entry_id > :s"), {"s": head_seq}).scalar_one() == 0


@pytest.mark.parametrize("sql, match", [
    ("UPDATE accounts SET name = '银行存款（改）' WHERE code = '1002'", "never change"),
    ("UPDATE funds SET restricted = false WHERE code = 'AILILIANG'", "never change"),
    ("DELETE FROM funds WHERE code = 'AILILIANG'", "never deleted"),
    ("DELETE FROM accounts WHERE code = '5401'", "never deleted"),
])
def test_accounts_and_funds_keep_their_identity(session, posted, sql, match):
    _refused(session, sql, match)


def test_balances_follow_postings_in_the_same_transaction(session, posted):
    row = session.execute(text("SELECT debits_posted, credits_posted FROM account_balances "
                               "WHERE account_code = '1002' AND fund_code = 'AILILIANG'")).one()
    assert tuple(row) == (5_000_00, 0)
    day = session.execute(text("SELECT debits FROM daily_totals WHERE account_code = '1002' "
                               "AND fund_code = 'AILILIANG'")).scalar_one()
    assert day == 5_000_00


def test_guards_can_only_be_bypassed_by_removing_them(session, posted):
    """The tamper helper used by the property tests really does reach past the guards (or they'd prove nothing)."""
    disable_guards(session)
    session.execute(text("UPDATE postings SET debit = debit + 1 WHERE debit > 0"))
    assert session.execute(text("SELECT sum(debit) FROM postings")).scalar_one() == 5_000_01


def _public_duty_rows(session):
    stamp = repo.utc_now_text()
    session.execute(text("INSERT INTO published_items (kind, title, body, sha256, size, published_at, published_by) "
                         "VALUES ('major_transaction', 'a major gift', 'text', :h, 4, :at, 'manager')"),
                    {"h": "0" * 64, "at": stamp})
    session.execute(text("INSERT INTO report_texts (year, section, body, written_at, written_by) "
                         "VALUES (2026, 'policies', 'accrual basis', :at, 'manager')"), {"at": stamp})
    session.execute(text("INSERT INTO annual_reports (year, figures, audit_reference, pdf, pdf_sha256, xlsx, xlsx_sha256, "
                         "reason, submitted_at, submitted_by) VALUES (2026, '{}', '', :b, :h, :b, :h, '', :at, 'manager')"),
                    {"b": b"%PDF-", "h": "1" * 64, "at": stamp})


@pytest.mark.parametrize("table, sql", [
    ("published_items", "UPDATE published_items SET title = 'rewritten'"),
    ("published_items", "DELETE FROM published_items"),
    ("report_texts", "UPDATE report_texts SET body = 'rewritten'"),
    ("report_texts", "DELETE FROM report_texts"),
    ("annual_reports", "UPDATE annual_reports SET figures = '{\"rewritten\": 1}'"),
    ("annual_reports", "DELETE FROM annual_reports"),
])
def test_what_was_published_written_or_submitted_stays(session, table, sql):
    """Migration 0014 rebuilt published_items (on SQLite) to let it hold major-transaction notices: its guards
    came back with it; the notes' texts and submitted annual reports are guarded the same way."""
    _public_duty_rows(session)
    _refused(session, sql, f"{table} are append-only")


def test_published_items_kinds_are_still_checked(session):
    _refused(session, lambda: session.execute(text(
        "INSERT INTO published_items (kind, title, body, sha256, size, published_at, published_by) "
        "VALUES ('gossip', 't', 'b', :h, 1, 'x', 'm')"), {"h": "2" * 64}), "kind")
