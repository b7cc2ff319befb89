"""Rows to ledger records and back. The hot paths (posting, verifying) use Core statements."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from .. import clock
from ..ledger import accounts as la
from ..ledger.balances import Balance, FundPosition, fund_positions
from ..ledger.chain import GENESIS_HASH
from ..ledger.entries import Entry, EntryCode, Posting
from . import models as m


MAX_ID = 2**31 - 1
"""Row ids are 32-bit integer columns: a larger number names nothing and must not reach the database."""


def is_row_id(value) -> bool:
    """A row id that could exist: an int (not a bool) from 1 to MAX_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def utc_now_text() -> str:
    """The moment, as entries record it: ISO 8601 UTC with microseconds."""
    return clock.utc_stamp()


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def to_account(row: m.Account) -> la.Account:
    return la.Account(row.code, row.name, row.name_en, la.AccountType(row.type), la.Side(row.normal_side),
                      bool(row.monetary), row.parent_code)


def to_fund(row: m.Fund) -> la.Fund:
    return la.Fund(row.code, row.name, bool(row.restricted), row.purpose or "", row.name_en or "", row.end_date)


def load_accounts(session: Session) -> dict[str, la.Account]:
    return {r.code: to_account(r) for r in session.scalars(select(m.Account).order_by(m.Account.code))}


def load_funds(session: Session) -> dict[str, la.Fund]:
    return {r.code: to_fund(r) for r in session.scalars(select(m.Fund).order_by(m.Fund.id))}


def closed_fund_codes(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(m.Fund.code).where(m.Fund.closed_on.is_not(None))))


def parent_account_codes(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(m.Account.parent_code).where(m.Account.parent_code.is_not(None)).distinct()))


def closed_periods(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(m.Period.period)))


def stored_balances(session: Session) -> dict[tuple[str, str], Balance]:
    rows = session.execute(select(m.AccountBalance))
    return {(b.account_code, b.fund_code): Balance(b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending)
            for (b,) in rows}


def load_fund_positions(session: Session, accounts: dict[str, la.Account] | None = None) -> dict[str, FundPosition]:
    return fund_positions(stored_balances(session), accounts if accounts is not None else load_accounts(session))


@dataclass(frozen=True)
class Chart:
    """The accounts, funds and closed periods, as of ``version``: what every posting is checked against."""

    version: tuple
    accounts: dict[str, la.Account]
    funds: dict[str, la.Fund]
    parents: frozenset[str]
    closed_funds: frozenset[str]
    closed_periods: frozenset[str]

    @property
    def account_names(self) -> dict[str, str]:
        return {c: a.name for c, a in self.accounts.items()}

    @property
    def fund_names(self) -> dict[str, str]:
        return {c: f.name for c, f in self.funds.items()}


# One cheap query tells whether anything the chart holds has changed: accounts and funds keep their
# identity (triggers), so additions, closings and new period seals are all that can change it, and the
# newest creation times tell one database's chart from another's at the same URL.
_CHART_VERSION = text(
    "SELECT (SELECT count(*) FROM accounts), (SELECT max(created_at) FROM accounts),"
    " (SELECT count(*) FROM funds), (SELECT max(created_at) FROM funds),"
    " (SELECT count(closed_on) FROM funds), (SELECT coalesce(sum(id), 0) FROM funds WHERE closed_on IS NOT NULL),"
    " (SELECT count(*) FROM periods), (SELECT max(closed_at) FROM periods)")
_charts: dict[str, Chart] = {}


def current_chart(session: Session, version: tuple | None = None) -> Chart:
    """The chart, from a per-database cache checked against the database in this transaction (``version``: the
    check's answer when the caller read it already, as :func:`ledger_state` does)."""
    conn = session.connection()
    version = tuple(conn.execute(_CHART_VERSION).one()) if version is None else version
    key = conn.engine.url.render_as_string(hide_password=False)
    cached = _charts.get(key)
    if cached is not None and cached.version == version:
        return cached
    chart = Chart(version, load_accounts(session), load_funds(session), parent_account_codes(session),
                  closed_fund_codes(session), closed_periods(session))
    _charts[key] = chart
    return chart


_MONEY_BY_FUND = text(
    "SELECT b.fund_code AS fund_code, sum(b.debits_posted - b.credits_posted) AS held,"
    " sum(b.credits_pending - b.debits_pending) AS reserved FROM account_balances b JOIN accounts a ON a.code = b.account_code WHERE a.monetary GROUP BY b.fund_code")


def money_by_fund(session: Session) -> dict[str, FundPosition]:
    """Each fund's money held and reserved, straight from the running balances."""
    return {f: FundPosition(int(held), int(reserved)) for f, held, reserved in session.connection().execute(_MONEY_BY_FUND)}


_POSTED_TOTAL = text("SELECT coalesce(sum(debits_posted), 0) FROM account_balances")


def posted_total(session: Session) -> int:
    """Every debit posted so far, from the running balances (a row per account and fund, not the journal)."""
    return int(session.connection().execute(_POSTED_TOTAL).scalar_one())


_HEAD = text("SELECT id, hash FROM entries ORDER BY id DESC LIMIT 1")
_LAST_YEAR_SEQ = text("SELECT max(year_seq) FROM entries WHERE year = :year")


def chain_head(session: Session) -> tuple[int, str]:
    """(position, hash) of the newest entry, or (0, genesis) for an empty ledger."""
    row = session.connection().execute(_HEAD).first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def last_year_seq(session: Session, year: int) -> int:
    return session.connection().execute(_LAST_YEAR_SEQ, {"year": year}).scalar() or 0


@dataclass(frozen=True)
class LedgerState:
    """What posting reads under the ledger's lock, in one round trip (:func:`ledger_state`)."""

    chart: Chart
    head_seq: int
    head_hash: str
    posted_total: int
    positions: dict[str, FundPosition]
    year: int
    last_year_seq: int


# The chart's version, the chain's head, every debit posted, the year's last number and each fund's money, in one
# statement: the state columns repeat on each fund's row (one row with NULL money when no fund holds any yet).
_STATE = text(
    "SELECT v.*, mf.fund_code, mf.held, mf.reserved FROM (SELECT "
    + _CHART_VERSION.text.removeprefix("SELECT ") +
    ", (SELECT id FROM entries ORDER BY id DESC LIMIT 1), (SELECT hash FROM entries ORDER BY id DESC LIMIT 1),"
    " (SELECT coalesce(sum(debits_posted), 0) FROM account_balances),"
    " (SELECT max(year_seq) FROM entries WHERE year = :year)) v"
    " LEFT JOIN (" + _MONEY_BY_FUND.text + ") mf ON 1 = 1")
_VERSION_COLUMNS = 8


def ledger_state(session: Session, year: int) -> LedgerState:
    """The chart, the chain's head, the posted total, ``year``'s last entry number and the funds' money: what
    ``services.ledger`` reads under the lock before it posts, in one statement instead of five."""
    rows = session.connection().execute(_STATE, {"year": year}).all()
    first = rows[0]
    n = _VERSION_COLUMNS
    head_seq, head_hash = (first[n], first[n + 1]) if first[n] is not None else (0, GENESIS_HASH)
    positions = {r[-3]: FundPosition(int(r[-2]), int(r[-1])) for r in rows if r[-3] is not None}
    return LedgerState(current_chart(session, tuple(first[:n])), head_seq, head_hash, int(first[n + 2]), positions,
                       year, first[n + 3] or 0)


_INSERT_POSTING = insert(m.Posting)
_INSERT_ENTRY = insert(m.Entry)


# PostgreSQL checks and books a whole INSERT statement at once (migration 0016): the rows go in as arrays,
# one statement per table for each chunk of entries, instead of psycopg's one single-row INSERT per row.
_POSTINGS_FROM_ARRAYS = text(
    "INSERT INTO postings (entry_id, line_no, account_code, fund_code, debit, credit)"
    " SELECT * FROM unnest(CAST(:entry_id AS bigint[]), CAST(:line_no AS smallint[]), CAST(:account_code AS text[]),"
    " CAST(:fund_code AS text[]), CAST(:debit AS bigint[]), CAST(:credit AS bigint[]))")
_ENTRIES_FROM_ARRAYS = text(
    "INSERT INTO entries (id, year, year_seq, accounting_date, recorded_at, code, memo, actor, source, reverses_id,"
    " prev_hash, hash, hash_version)"
    " SELECT * FROM unnest(CAST(:id AS bigint[]), CAST(:year AS smallint[]), CAST(:year_seq AS integer[]),"
    " CAST(:accounting_date AS date[]), CAST(:recorded_at AS text[]), CAST(:code AS text[]), CAST(:memo AS text[]),"
    " CAST(:actor AS text[]), CAST(:source AS text[]), CAST(:reverses_id AS bigint[]), CAST(:prev_hash AS text[]),"
    " CAST(:hash AS text[]), CAST(:hash_version AS smallint[]))")
ENTRIES_PER_STATEMENT = 1000


def insert_entries(session: Session, entries: list[Entry]) -> None:
    """Postings first, then entries: the entries' insert checks and seals their postings (see the migrations)."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        insert_each(conn, entries)
        return
    for lo in range(0, len(entries), ENTRIES_PER_STATEMENT):
        chunk = entries[lo:lo + ENTRIES_PER_STATEMENT]
        lines = [(e.seq, i, p) for e in chunk for i, p in enumerate(e.postings, start=1)]
        conn.execute(_POSTINGS_FROM_ARRAYS, {
            "entry_id": [seq for seq, _, _ in lines], "line_no": [i for _, i, _ in lines],
            "account_code": [p.account for _, _, p in lines], "fund_code": [p.fund for _, _, p in lines],
            "debit": [p.debit for _, _, p in lines], "credit": [p.credit for _, _, p in lines]})
        conn.execute(_ENTRIES_FROM_ARRAYS, {
            "id": [e.seq for e in chunk], "year": [e.year for e in chunk], "year_seq": [e.year_seq for e in chunk],
            "accounting_date": [e.accounting_date for e in chunk], "recorded_at": [e.recorded_at for e in chunk],
            "code": [e.code.value for e in chunk], "memo": [e.memo for e in chunk], "actor": [e.actor for e in chunk],
            "source": [e.source for e in chunk], "reverses_id": [e.reverses for e in chunk],
            "prev_hash": [e.prev_hash for e in chunk], "hash": [e.hash for e in chunk],
            "hash_version": [e.hash_version for e in chunk]})


def insert_each(conn, entries: list[Entry]) -> None:
    """The rows through the driver's executemany (psycopg sends one single-row INSERT per row)."""
    conn.execute(_INSERT_POSTING, [
        {"entry_id": e.seq, "line_no": i, "account_code": p.account, "fund_code": p.fund,
         "debit": p.debit, "credit": p.credit}
        for e in entries for i, p in enumerate(e.postings, start=1)
    ])
    conn.execute(_INSERT_ENTRY, [
        {"id": e.seq, "year": e.year, "year_seq": e.year_seq, "accounting_date": e.accounting_date,
         "recorded_at": e.recorded_at, "code": e.code.value, "memo": e.memo, "actor": e.actor,
         "source": e.source, "reverses_id": e.reverses, "prev_hash": e.prev_hash, "hash": e.hash,
         "hash_version": e.hash_version}
        for e in entries
    ])


def _entry_from_row(row, postings: tuple[Posting, ...]) -> Entry:
    code = row.code
    try:
        code = EntryCode(code)
    except ValueError:
        pass  # a tampered or future code: keep the text so verify can still hash it and report
    return Entry(seq=row.id, year=row.year, year_seq=row.year_seq, accounting_date=as_date(row.accounting_date),
                 recorded_at=row.recorded_at, code=code, memo=row.memo, actor=row.actor, postings=postings,
                 source=row.source, reverses=row.reverses_id, prev_hash=row.prev_hash, hash=row.hash,
                 hash_version=row.hash_version)


_ENTRY_COLUMNS = (m.Entry.id, m.Entry.year, m.Entry.year_seq, m.Entry.accounting_date, m.Entry.recorded_at,
                  m.Entry.code, m.Entry.memo, m.Entry.actor, m.Entry.source, m.Entry.reverses_id,
                  m.Entry.prev_hash, m.Entry.hash, m.Entry.hash_version)
_POSTING_COLUMNS = (m.Posting.entry_id, m.Posting.account_code, m.Posting.fund_code, m.Posting.debit, m.Posting.credit)


def iter_entries(session: Session, *, where=None, chunk: int | None = 5000) -> Iterator[Entry]:
    """Entries in chain order with their postings, streamed (bounded memory at any journal size).

    ``chunk=None`` reads a small selection in one go instead of through server-side cursors.
    """
    for entry, _lines in iter_entries_with_lines(session, where=where, chunk=chunk):
        yield entry


def iter_entries_with_lines(session: Session, *, where=None, chunk: int | None = 5000) -> Iterator[tuple[Entry, tuple[int, ...]]]:
    """Each entry with the stored line numbers of its postings (verify checks they run 1, 2, ...).

    Two ordered cursors are merged, so an entry whose postings were removed behind the triggers'
    back still comes out (with fewer postings) and verify can name it.
    """
    conn = session.connection()
    eq = select(*_ENTRY_COLUMNS).order_by(m.Entry.id)
    pq = select(*_POSTING_COLUMNS, m.Posting.line_no).order_by(m.Posting.entry_id, m.Posting.line_no)
    if where is not None:
        eq = eq.where(where)
        pq = pq.join(m.Entry, m.Entry.id == m.Posting.entry_id).where(where)
    if chunk:  # on the statements, not the connection: Connection.execution_options() changes it in place
        eq, pq = eq.execution_options(yield_per=chunk), pq.execution_options(yield_per=chunk)
    entry_result = conn.execute(eq)
    posting_result = conn.execute(pq)
    try:
        yield from _merge(entry_result, iter(posting_result))
    finally:  # an abandoned iteration must not leave server-side cursors open
        entry_result.close()
        posting_result.close()


def _merge(entry_rows, posting_rows) -> Iterator[tuple[Entry, tuple[int, ...]]]:
    pending = next(posting_rows, None)
    for row in entry_rows:
        lines, numbers = [], []
        while pending is not None and pending[0] < row.id:
            pending = next(posting_rows, None)  # orphans: counted separately by verify
        while pending is not None and pending[0] == row.id:
            lines.append(Posting(pending[1], pending[2], pending[3], pending[4]))
            numbers.append(pending[5])
            pending = next(posting_rows, None)
        yield _entry_from_row(row, tuple(lines)), tuple(numbers)


def get_entry(session: Session, seq: int) -> Entry | None:
    return next(iter(list(iter_entries(session, where=m.Entry.id == seq, chunk=None))), None)


def entry_seq_by_number(session: Session, year: int, year_seq: int) -> int | None:
    return session.scalar(select(m.Entry.id).where(m.Entry.year == year, m.Entry.year_seq == year_seq))


def reversed_by(session: Session, seq: int) -> int | None:
    """Position of the entry that reverses entry ``seq``, if any."""
    return session.scalar(select(m.Entry.id).where(m.Entry.reverses_id == seq))
