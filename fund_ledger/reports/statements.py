"""The financial statements of issue 6, computed in the database: one function per report, each
returning a frozen dataclass that the page, the CSV, the JSON and the PDF are all rendered from.

==================== ================================== ===========================================
report               function                           figures come from
==================== ================================== ===========================================
trial-balance        :func:`trial_balance`              running balances / daily totals
general-journal      :func:`general_journal`            entries and postings in the period (streamed)
account-ledger       :func:`account_ledger`             daily totals (opening) + the account's postings
fund-statement       :func:`fund_statement`             daily totals (opening, closing) + postings
activities           :func:`activities`                 daily totals in the period (less closing entries)
financial-position   :func:`financial_position`         daily totals up to the date and to the year start
donor-list           :func:`donor_list`                 donations, grouped by donor
grant-register       :func:`grant_register`             disbursement requests and their events
spending-ratio       :func:`spending_ratio`             daily totals of last year and this year
==================== ================================== ===========================================

Sums are SQL aggregates (``GROUP BY`` account and fund), never Python loops over postings, except in
the two reports that list postings (journal, account ledger), which stream them. The arithmetic of
the statements lives in :mod:`fund_ledger.ledger.statements` (pure). Each report carries the ledger
digest (entries, head hash) read in the same snapshot, so a printed statement names the books it
was built from.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from ..clock import local_today
from ..config import settings
from ..db import models as m
from ..db import repository as repo
from ..ledger import statements as ls
from ..ledger.accounts import Account, AccountType
from ..ledger.entries import ENTRY_CODE_LABELS_ZH, EntryCode, format_number
from ..ledger.statements import Columns, Totals
from ..services.errors import InvalidInput, NotFound, RuleBroken
from .trial_balance import TrialBalance, build_trial_balance

EARLIEST = date(1900, 1, 1)
LATEST = date(9999, 12, 30)


NOT_ACTIVITY = (EntryCode.CLOSING.value,)
"""Year-end closing moves income and expenses into net assets: it is not activity of the period."""
NOT_RELEASE = (EntryCode.CLOSING.value, EntryCode.OPENING.value)
"""Opening balances put net assets on the books directly: they release no restriction."""


class ReportTooLarge(RuleBroken):
    """More lines than one document of this format may hold: narrow the period or take the CSV."""

    def __init__(self, lines: int, limit: int, what: str):
        super().__init__(f"the {what} has {lines} lines, more than {limit} that one document may hold: "
                         f"choose a shorter period or a fund, or download the CSV", {"to": ["period too long"]},
                         code="report_too_large")


# --- shared pieces ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Digest:
    """The ledger a report was built from: entries in the chain and the hash of the newest."""

    entries: int
    head_hash: str

    def as_json(self) -> dict:
        return {"entries": self.entries, "head_hash": self.head_hash}


@dataclass(frozen=True)
class FundRef:
    id: int
    code: str
    name: str
    restricted: bool

    def as_json(self) -> dict:
        return {"id": self.id, "code": self.code, "name": self.name, "restricted": self.restricted}


def digest(session: Session) -> Digest:
    return Digest(*repo.chain_head(session))


def find_fund_ref(session: Session, fund_id: int | None) -> FundRef | None:
    """The fund with this id; NotFound naming ``fund_id`` when there is none."""
    if fund_id is None:
        return None
    row = session.get(m.Fund, fund_id) if isinstance(fund_id, int) and 0 < fund_id < 2**31 else None
    if row is None:
        raise NotFound(f"no fund {fund_id}", {"fund_id": [f"no fund {fund_id}"]})
    return FundRef(row.id, row.code, row.name, bool(row.restricted))


def check_period(start: date, end: date) -> None:
    errors = {}
    for name, value in (("from", start), ("to", end)):
        if not EARLIEST <= value <= LATEST:
            errors[name] = [f"a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}"]
    if not errors and start > end:
        errors["from"] = [f"the period starts ({start.isoformat()}) after it ends ({end.isoformat()})"]
    if errors:
        raise InvalidInput("; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)


def check_as_of(as_of: date) -> None:
    if not EARLIEST <= as_of <= LATEST:
        raise InvalidInput(f"as_of: a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}",
                           {"as_of": [f"a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}"]})


def _restricted_funds(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(m.Fund.code).where(m.Fund.restricted.is_(True))))


def _daily(session: Session, *, upto: date | None = None, start: date | None = None, fund: str | None = None
           ) -> dict[tuple[str, str], Totals]:
    """Debits and credits per (account, fund) from the per-day totals: up to ``upto``, from ``start``."""
    t = m.DailyTotal
    q = select(t.account_code, t.fund_code, func.sum(t.debits), func.sum(t.credits)).group_by(t.account_code, t.fund_code)
    if upto is not None:
        q = q.where(t.day <= upto)
    if start is not None:
        q = q.where(t.day >= start)
    if fund is not None:
        q = q.where(t.fund_code == fund)
    return {(a, f): Totals(int(d or 0), int(c or 0)) for a, f, d, c in session.execute(q)}


def _by_entry_code(session: Session, start: date | None, end: date, codes: tuple[str, ...], fund: str | None
                   ) -> dict[tuple[str, str], Totals]:
    """Debits and credits per (account, fund) of the entries coded ``codes`` dated in the period (few rows)."""
    p, e = m.Posting, m.Entry
    q = (select(p.account_code, p.fund_code, func.sum(p.debit), func.sum(p.credit))
         .join(e, e.id == p.entry_id).where(e.code.in_(codes), e.accounting_date <= end)
         .group_by(p.account_code, p.fund_code))
    if start is not None:
        q = q.where(e.accounting_date >= start)
    if fund is not None:
        q = q.where(p.fund_code == fund)
    return {(a, f): Totals(int(d or 0), int(c or 0)) for a, f, d, c in session.execute(q)}


def _minus(a: dict[tuple[str, str], Totals], b: dict[tuple[str, str], Totals]) -> dict[tuple[str, str], Totals]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, Totals()) - v
    return out


def _accounts(session: Session) -> dict[str, Account]:
    return repo.load_accounts(session)


def _fund_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(m.Fund.code, m.Fund.name)).all())


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


# --- fund statement --------------------------------------------------------------------------------

@dataclass(frozen=True)
class FundStatement:
    """A fund's money over a period: opening, each kind of movement, closing; checked to add up."""

    fund: FundRef
    start: date
    end: date
    opening: int
    movements: tuple[tuple[str, str, str, int], ...]
    """(key, 中文, English, signed change of the fund's money) in the order of ls.FUND_MOVEMENTS."""
    closing: int
    """The money held at the end, summed from the balances (not from the movements)."""
    reserved: int
    """Approved but unpaid now (only meaningful for a period ending today or later)."""
    digest: Digest

    @property
    def movement(self) -> dict[str, int]:
        return {k: v for k, _zh, _en, v in self.movements}

    @property
    def computed_closing(self) -> int:
        return self.opening + sum(v for *_x, v in self.movements)

    @property
    def balanced(self) -> bool:
        return self.computed_closing == self.closing


def _money(session: Session, accounts: dict[str, Account], fund: str, upto: date) -> int:
    monetary = [c for c, a in accounts.items() if a.monetary]
    t = m.DailyTotal
    d, c = session.execute(select(func.sum(t.debits), func.sum(t.credits))
                           .where(t.fund_code == fund, t.account_code.in_(monetary), t.day <= upto)).one()
    return int(d or 0) - int(c or 0)


def fund_statement(session: Session, fund_id: int | None, start: date, end: date, *,
                   today: date | None = None) -> FundStatement:
    """Opening money + gifts − disbursements + returns ± the rest = closing money; raises if it does not."""

    check_period(start, end)
    if fund_id is None:
        raise InvalidInput("fund_id: the fund statement is of one fund", {"fund_id": ["required"]})
    fund = find_fund_ref(session, fund_id)
    accounts = _accounts(session)
    opening = _money(session, accounts, fund.code, start - timedelta(days=1))
    closing = _money(session, accounts, fund.code, end)
    p, e = m.Posting, m.Entry
    is_reversal = case((e.code == EntryCode.REVERSAL.value, literal(1)), else_=literal(0))
    q = (select(p.account_code, is_reversal, func.sum(p.debit), func.sum(p.credit))
         .join(e, e.id == p.entry_id)
         .where(p.fund_code == fund.code, e.accounting_date >= start, e.accounting_date <= end)
         .group_by(p.account_code, is_reversal))
    effects = {key: 0 for key, _zh, _en in ls.FUND_MOVEMENTS}
    for code, reversal, debits, credits in session.execute(q):
        debits, credits = int(debits or 0), int(credits or 0)
        account = accounts.get(code)
        # Split by side: a line's debits and credits may belong to different movements (payments, returns).
        for amount_d, amount_c, debit_side in ((debits, 0, True), (0, credits, False)):
            if not (amount_d or amount_c):
                continue
            key = ls.fund_movement_key(account, code, debit_side, bool(reversal))
            if key is not None:
                effects[key] += ls.money_effect(key, amount_d, amount_c)
    reserved = 0
    if end >= (today or local_today()):
        reserved = repo.money_by_fund(session).get(fund.code, None)
        reserved = reserved.reserved if reserved else 0
    statement = FundStatement(fund, start, end, opening,
                              tuple((k, zh, en, effects[k]) for k, zh, en in ls.FUND_MOVEMENTS),
                              closing, reserved, digest(session))
    if not statement.balanced:
        raise ls.StatementImbalance(f"fund {fund.code}: opening {opening} + movements differ from closing {closing}")
    return statement


# --- 业务活动表 ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Activities:
    """业务活动表 (会民非02表) over a period, with 非限定性 / 限定性 / 合计 columns."""

    start: date
    end: date
    fund: FundRef | None
    figures: ls.ActivityFigures
    other_changes: Columns
    """Changes of net assets that are not activity (opening balances; a closing that crossed columns):
    the position's change in net assets = net_change + other_changes."""
    digest: Digest

    @property
    def income(self):
        return [(s, self.figures.income[s.key]) for s in ls.ACTIVITY_INCOME]

    @property
    def expenses(self):
        return [(s, self.figures.expenses[s.key]) for s in ls.ACTIVITY_EXPENSES]

    @property
    def income_total(self) -> Columns:
        return self.figures.income_total

    @property
    def expense_total(self) -> Columns:
        return self.figures.expense_total

    @property
    def release(self) -> Columns:
        return self.figures.release

    @property
    def net_change(self) -> Columns:
        return self.figures.net_change


def activities(session: Session, start: date, end: date, fund_id: int | None = None) -> Activities:
    check_period(start, end)
    fund = find_fund_ref(session, fund_id)
    code = fund.code if fund else None
    accounts = _accounts(session)
    restricted = _restricted_funds(session)
    moved = _daily(session, start=start, upto=end, fund=code)
    closing = _by_entry_code(session, start, end, NOT_ACTIVITY, code)
    not_release = _by_entry_code(session, start, end, NOT_RELEASE, code)
    activity = _minus(moved, closing)
    releases = _minus(moved, not_release)
    released = sum(t.debit_balance for (acc, _f), t in releases.items()
                   if ls.top_code(acc) == ls.RESTRICTED_NET_ASSETS)
    figures = ls.activity_figures(activity, accounts, restricted, released)
    # What the balance sheet will see: every movement of the period, closing and opening entries included.
    na = ls.net_assets(moved, accounts, restricted)
    other = Columns(na.unrestricted, na.restricted) - figures.net_change
    return Activities(start, end, fund, figures, other, digest(session))


# --- 资产负债表 ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PositionLine:
    spec: ls.LineSpec
    begin: int | None
    end: int | None


@dataclass(frozen=True)
class FinancialPosition:
    """资产负债表 (会民非01表): 年初数 (at the end of the previous year) and 期末数 (at ``as_of``)."""

    as_of: date
    year_start: date
    fund: FundRef | None
    begin: ls.PositionFigures
    end_: ls.PositionFigures
    digest: Digest

    def _lines(self, specs) -> list[PositionLine]:
        return [PositionLine(s, None if s.kind == "heading" else self.begin.lines[s.key],
                             None if s.kind == "heading" else self.end_.lines[s.key]) for s in specs]

    @property
    def asset_lines(self) -> list[PositionLine]:
        return self._lines(ls.POSITION_ASSETS)

    @property
    def liability_lines(self) -> list[PositionLine]:
        return self._lines(ls.POSITION_LIABILITIES)


def financial_position(session: Session, as_of: date | None = None, fund_id: int | None = None, *,
                       today: date | None = None) -> FinancialPosition:
    """Asserts net assets = assets − liabilities at both dates (StatementImbalance otherwise)."""

    as_of = as_of or today or local_today()
    check_as_of(as_of)
    fund = find_fund_ref(session, fund_id)
    code = fund.code if fund else None
    accounts = _accounts(session)
    restricted = _restricted_funds(session)
    year_start = date(as_of.year, 1, 1)
    begin = ls.position_figures(_daily(session, upto=year_start - timedelta(days=1), fund=code), accounts, restricted)
    end = ls.position_figures(_daily(session, upto=as_of, fund=code), accounts, restricted)
    return FinancialPosition(as_of, year_start, fund, begin, end, digest(session))


# --- donor list ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DonorRow:
    id: int
    name: str
    kind: str
    related_party: bool
    gifts: int
    received: int
    refunded: int

    @property
    def net(self) -> int:
        return self.received - self.refunded


@dataclass(frozen=True)
class DonorList:
    start: date
    end: date
    fund: FundRef | None
    donors: tuple[DonorRow, ...]
    digest: Digest

    @property
    def received(self) -> int:
        return sum(d.received for d in self.donors)

    @property
    def refunded(self) -> int:
        return sum(d.refunded for d in self.donors)

    @property
    def net(self) -> int:
        return self.received - self.refunded

    @property
    def gifts(self) -> int:
        return sum(d.gifts for d in self.donors)


def donor_list(session: Session, start: date, end: date, fund_id: int | None = None) -> DonorList:
    """Donors who gave in the period (received date), with their gifts' totals; a refund is a reversed gift."""
    check_period(start, end)
    fund = find_fund_ref(session, fund_id)
    d, dn, rev = m.Donation, m.Donor, aliased(m.Entry)
    refunded = case((rev.id.is_not(None), d.amount), else_=literal(0))
    q = (select(dn.id, dn.name, dn.kind, dn.related_party, func.count(d.id), func.sum(d.amount), func.sum(refunded))
         .join(d, d.donor_id == dn.id).outerjoin(rev, rev.reverses_id == d.entry_id)
         .where(d.received_on >= start, d.received_on <= end)
         .group_by(dn.id, dn.name, dn.kind, dn.related_party))
    if fund is not None:
        q = q.where(d.fund_code == fund.code)
    rows = [DonorRow(i, n, k, bool(rp), int(c), int(s or 0), int(r or 0)) for i, n, k, rp, c, s, r in session.execute(q)]
    rows.sort(key=lambda r: (-r.net, r.name, r.id))
    return DonorList(start, end, fund, tuple(rows), digest(session))


# --- grant register --------------------------------------------------------------------------------

@dataclass(frozen=True)
class GrantRow:
    id: int
    organisation: str
    fund: str
    fund_name: str
    purpose: str
    status: str
    requested_on: date
    requested: int
    approved_on: date | None
    approved: int
    paid_on: date | None
    paid: int
    payment_entry: str | None
    acknowledged_on: date | None
    reported_on: date | None = None
    """When a manager received the grantee's use report."""
    returned: int = 0
    """What the grantee returned to the fund with that report."""


@dataclass(frozen=True)
class GrantRegister:
    start: date
    end: date
    fund: FundRef | None
    grants: tuple[GrantRow, ...]
    digest: Digest

    @property
    def requested(self) -> int:
        return sum(g.requested for g in self.grants)

    @property
    def approved(self) -> int:
        return sum(g.approved for g in self.grants)

    @property
    def paid(self) -> int:
        return sum(g.paid for g in self.grants)

    @property
    def returned(self) -> int:
        return sum(g.returned for g in self.grants)


APPROVED_OR_LATER = ("approved", "paid", "acknowledged")
PAID_OR_LATER = ("paid", "acknowledged")


LOCAL_OFFSET = timedelta(hours=8)
"""Asia/Shanghai (no daylight saving): the register's days are the fund's days, its moments are kept in UTC."""


def _local_day(utc_text: str) -> date:
    """The fund's calendar day of a moment recorded as ISO 8601 UTC text (``2026-12-31T17:00:00.000000Z``)."""
    return (datetime.fromisoformat(utc_text[:19]) + LOCAL_OFFSET).date()


def _utc_start(day: date) -> str:
    """The UTC text at which the fund's ``day`` begins (the day before, 16:00), to compare recorded moments with."""
    return (datetime.combine(day, datetime.min.time()) - LOCAL_OFFSET).strftime("%Y-%m-%dT%H:%M:%S")


def grant_register(session: Session, start: date, end: date, fund_id: int | None = None) -> GrantRegister:
    """Disbursement requests submitted in the period or paid in it, with the date of each step."""
    check_period(start, end)
    fund = find_fund_ref(session, fund_id)
    g, o, f, ev, pe = m.Disbursement, m.Organisation, m.Fund, m.DisbursementEvent, aliased(m.Entry)
    approved_at = (select(func.max(ev.at)).where(ev.disbursement_id == g.id, ev.to_status == "approved")
                   .correlate(g).scalar_subquery())
    r = m.DisbursementReport
    reported_at = (select(func.max(r.decided_at)).where(r.disbursement_id == g.id, r.status == "received")
                   .correlate(g).scalar_subquery())
    returned = (select(func.coalesce(func.sum(r.returned), 0)).where(r.disbursement_id == g.id, r.status == "received")
                .correlate(g).scalar_subquery())
    q = (select(g.id, o.name, g.fund_code, f.name, g.purpose, g.status, g.submitted_at, g.amount, approved_at,
                g.paid_on, pe.year, pe.year_seq, g.acknowledged_on, reported_at, returned)
         .join(o, o.id == g.organisation_id).join(f, f.code == g.fund_code)
         .outerjoin(pe, pe.id == g.payment_entry_id)
         .where(((g.submitted_at >= _utc_start(start)) & (g.submitted_at < _utc_start(end + timedelta(days=1))))
                | (and_(g.paid_on >= start, g.paid_on <= end)))
         .order_by(g.submitted_at, g.id))
    if fund is not None:
        q = q.where(g.fund_code == fund.code)
    rows = []
    for (i, org, fcode, fname, purpose, status, submitted_at, amount, approved, paid_on, pyear, pseq, ack,
         reported, back) in session.execute(q):
        rows.append(GrantRow(
            i, org, fcode, fname, purpose, status, _local_day(submitted_at), int(amount),
            _local_day(approved) if approved and status in APPROVED_OR_LATER else None,
            int(amount) if status in APPROVED_OR_LATER else 0,
            repo.as_date(paid_on) if paid_on else None, int(amount) if status in PAID_OR_LATER else 0,
            format_number(pyear, pseq) if pyear is not None else None, repo.as_date(ack) if ack else None,
            _local_day(reported) if reported else None, int(back or 0)))
    return GrantRegister(start, end, fund, tuple(rows), digest(session))


# --- spending ratio --------------------------------------------------------------------------------

def spending_thresholds() -> tuple[Fraction, Fraction]:
    """(minimum charitable spending, maximum management costs), in percent (settings)."""
    s = settings()
    return s.spending_ratio_min, s.management_ratio_max


@dataclass(frozen=True)
class SpendingRatio:
    """The spending rule of DOMAIN.md for the year of ``as_of`` (this year: 1 January to ``as_of``)."""

    as_of: date
    year: int
    last_year_income: int
    charitable_spending: int
    management_costs: int
    total_spending: int
    spending: ls.RatioCheck
    management: ls.RatioCheck
    digest: Digest


def spending_ratio(session: Session, as_of: date | None = None, *, today: date | None = None) -> SpendingRatio:

    as_of = as_of or today or local_today()
    check_as_of(as_of)
    if as_of.year <= EARLIEST.year:
        raise InvalidInput("as_of: a year after 1900", {"as_of": ["a year after 1900"]})
    accounts = _accounts(session)
    last_start, last_end = date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31)
    this_start = date(as_of.year, 1, 1)
    last = _minus(_daily(session, start=last_start, upto=last_end),
                  _by_entry_code(session, last_start, last_end, NOT_ACTIVITY, None))
    this = _minus(_daily(session, start=this_start, upto=as_of),
                  _by_entry_code(session, this_start, as_of, NOT_ACTIVITY, None))
    income = sum(t.credit_balance for (c, _f), t in last.items()
                 if c in accounts and accounts[c].type is AccountType.INCOME)
    spent = {c: 0 for c in ("all", ls.GRANT_EXPENSE, ls.MANAGEMENT_EXPENSE)}
    for (c, _f), t in this.items():
        if c in accounts and accounts[c].type is AccountType.EXPENSE:
            spent["all"] += t.debit_balance
            if ls.top_code(c) in spent:
                spent[ls.top_code(c)] += t.debit_balance
    min_pct, max_pct = spending_thresholds()
    check_spending, check_management = ls.spending_checks(income, spent[ls.GRANT_EXPENSE], spent[ls.MANAGEMENT_EXPENSE],
                                                          spent["all"], min_pct, max_pct)
    return SpendingRatio(as_of, as_of.year, income, spent[ls.GRANT_EXPENSE], spent[ls.MANAGEMENT_EXPENSE],
                         spent["all"], check_spending, check_management, digest(session))


__all__ = [
    "Digest", "FundRef", "ReportTooLarge", "trial_balance", "general_journal", "iter_journal", "journal_line_count",
    "GeneralJournal", "JournalEntry", "JournalLine", "account_ledger", "AccountLedger", "LedgerLine",
    "fund_statement", "FundStatement", "activities", "Activities", "financial_position", "FinancialPosition",
    "donor_list", "DonorList", "DonorRow", "grant_register", "GrantRegister", "GrantRow", "spending_ratio",
    "SpendingRatio", "spending_thresholds", "find_fund_ref", "check_period", "check_as_of",
]
