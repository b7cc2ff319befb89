"""The books themselves: 科目余额表 (trial balance), 序时账 (general journal, streamed) and 明细账 (account ledger)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ...db import models as m
from ...db import repository as repo
from ...ledger import statements as ls
from ...ledger.accounts import Account
from ...ledger.entries import ENTRY_CODE_LABELS_ZH, EntryCode, format_number
from ...services.errors import InvalidInput, NotFound
from ..trial_balance import TrialBalance, build_trial_balance
from .common import (Digest, FundRef, ReportTooLarge, _accounts, _fund_names, check_as_of, check_period, digest,
                     find_fund_ref)


# --- trial balance ---------------------------------------------------------------------------------

def trial_balance(session: Session, as_of: date | None = None, *, today: date | None = None) -> TrialBalance:
    """科目余额表 (see :mod:`fund_ledger.reports.trial_balance`)."""
    if as_of is not None:
        check_as_of(as_of)
    return build_trial_balance(session, as_of, today=today)


# --- general journal -------------------------------------------------------------------------------

@dataclass(frozen=True)
class JournalLine:
    account: str
    account_name: str
    fund: str
    fund_name: str
    debit: int
    credit: int


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    number: str
    accounting_date: date
    code: str
    memo: str
    actor: str
    recorded_at: str
    reverses: str | None
    lines: tuple[JournalLine, ...]

    @property
    def code_label(self) -> str:
        try:
            return ENTRY_CODE_LABELS_ZH[EntryCode(self.code)]
        except ValueError:
            return self.code


@dataclass(frozen=True)
class GeneralJournal:
    """序时账: entries dated in the period in date order, with their postings (of one fund, if chosen)."""

    start: date
    end: date
    fund: FundRef | None
    entries: tuple[JournalEntry, ...]
    digest: Digest

    @property
    def lines(self) -> int:
        return sum(len(e.lines) for e in self.entries)

    @property
    def total_debit(self) -> int:
        return sum(line.debit for e in self.entries for line in e.lines)

    @property
    def total_credit(self) -> int:
        return sum(line.credit for e in self.entries for line in e.lines)


def journal_line_count(session: Session, start: date, end: date, fund: FundRef | None = None) -> int:
    p, e = m.Posting, m.Entry
    q = select(func.count()).select_from(p).join(e, e.id == p.entry_id).where(
        e.accounting_date >= start, e.accounting_date <= end)
    if fund is not None:
        q = q.where(p.fund_code == fund.code)
    return int(session.scalar(q) or 0)


def iter_journal(session: Session, start: date, end: date, fund: FundRef | None = None, *,
                 chunk: int = 5000) -> Iterator[JournalEntry]:
    """Entries dated from ``start`` to ``end`` in (date, chain position) order, streamed from one cursor."""
    check_period(start, end)
    p, e = m.Posting, m.Entry
    original = aliased(m.Entry)
    accounts = _accounts(session)
    funds = _fund_names(session)
    q = (select(e.id, e.year, e.year_seq, e.accounting_date, e.code, e.memo, e.actor, e.recorded_at,
                original.year, original.year_seq, p.account_code, p.fund_code, p.debit, p.credit)
         .join(p, p.entry_id == e.id).outerjoin(original, original.id == e.reverses_id)
         .where(e.accounting_date >= start, e.accounting_date <= end)
         .order_by(e.accounting_date, e.id, p.line_no))
    if fund is not None:
        q = q.where(p.fund_code == fund.code)
    current, lines = None, []
    with session.connection().execute(q.execution_options(yield_per=chunk)) as rows:
        for row in rows:
            if current is None or current[0] != row[0]:
                if current is not None:
                     yield _journal_entry(current, lines)
                current, lines = row, []
            account = accounts.get(row[10])
            lines.append(JournalLine(row[10], account.name if account else row[10], row[11], funds.get(row[11], row[11]),
                                     int(row[12]), int(row[13])))
    if current is not None:
        yield _journal_entry(current, lines)


def _journal_entry(row, lines: list[JournalLine]) -> JournalEntry:
    accounting_date = repo.as_date(row[3])
    reverses = format_number(row[8], row[9]) if row[8] is not None else None
    return JournalEntry(int(row[0]), format_number(row[1], row[2]), accounting_date, row[4], row[5], row[6], row[7],
                        reverses, tuple(lines))


def general_journal(session: Session, start: date, end: date, fund_id: int | None = None, *,
                     limit: int | None = None) -> GeneralJournal:
    """序时账 of the period; ``limit`` (posting lines) refuses with ReportTooLarge before reading them."""
    check_period(start, end)
    fund = find_fund_ref(session, fund_id)
    if limit is not None:
        count = journal_line_count(session, start, end, fund)
        if count > limit:
            raise ReportTooLarge(count, limit, "general journal")
    return GeneralJournal(start, end, fund, tuple(iter_journal(session, start, end, fund)), digest(session))


# --- account ledger --------------------------------------------------------------------------------

@dataclass(frozen=True)
class LedgerLine:
    accounting_date: date
    number: str
    memo: str
    fund: str
    debit: int
    credit: int
    balance: int


@dataclass(frozen=True)
class AccountLedger:
    """明细账: one account (with its sub-accounts), optionally within one fund, over a period."""

    account: Account
    start: date
    end: date
    fund: FundRef | None
    opening: int
    lines: tuple[LedgerLine, ...]
    digest: Digest

    @property
    def total_debit(self) -> int:
        return sum(x.debit for x in self.lines)

    @property
    def total_credit(self) -> int:
        return sum(x.credit for x in self.lines)

    @property
    def closing(self) -> int:
        return self.opening + self.account.signed_balance(self.total_debit, self.total_credit)

    @property
    def debit_normal(self) -> bool:
        return self.account.signed_balance(1, 0) == 1


def _account_filter(column, code: str):
    return (column == code) | column.like(code.replace("%", "").replace("_", "") + ".%")


def account_ledger(session: Session, account: str | None, start: date, end: date, fund_id: int | None = None, *,
                   limit: int | None = None) -> AccountLedger:
    check_period(start, end)
    accounts = _accounts(session)
    if not account:
        raise InvalidInput("account: the code of the account, e.g. 1002", {"account": ["required"]})
    if account not in accounts:
        raise NotFound(f"no account {account!r}", {"account": [f"no account {account!r}"]})
    acc = accounts[account]
    fund = find_fund_ref(session, fund_id)
    t, p, e = m.DailyTotal, m.Posting, m.Entry
    q = select(func.sum(t.debits), func.sum(t.credits)).where(_account_filter(t.account_code, account), t.day < start)
    if fund is not None:
        q = q.where(t.fund_code == fund.code)
    d, c = session.execute(q).one()
    opening = acc.signed_balance(int(d or 0), int(c or 0))
    lq = (select(e.accounting_date, e.year, e.year_seq, e.memo, p.fund_code, p.debit, p.credit)
          .join(e, e.id == p.entry_id)
          .where(_account_filter(p.account_code, account), e.accounting_date >= start, e.accounting_date <= end)
          .order_by(e.accounting_date, e.id, p.line_no))
    if fund is not None:
        lq = lq.where(p.fund_code == fund.code)
    if limit is not None:
        count = session.scalar(select(func.count()).select_from(lq.order_by(None).subquery()))
        if count > limit:
            raise ReportTooLarge(count, limit, "account ledger")
    rows = session.execute(lq).all()
    balances = ls.running_balances(opening, ((int(r[5]), int(r[6])) for r in rows), acc.signed_balance(1, 0) == 1)
    lines = tuple(LedgerLine(repo.as_date(r[0]), format_number(r[1], r[2]), r[3], r[4], int(r[5]), int(r[6]), b)
                  for r, b in zip(rows, balances, strict=True))
    return AccountLedger(acc, start, end, fund, opening, lines, digest(session))
