"""A fund's money (fund statement) and the statements of 会民非: 业务活动表 (activities), 资产负债表 (financial position)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from ...clock import local_today
from ...db import models as m
from ...db import repository as repo
from ...ledger import statements as ls
from ...ledger.accounts import Account
from ...ledger.entries import EntryCode
from ...ledger.statements import Columns
from ...services.errors import InvalidInput
from .common import (NOT_ACTIVITY, NOT_RELEASE, Digest, FundRef, _accounts, _by_entry_code, _daily, _minus,
                     _restricted_funds, check_as_of, check_period, digest, find_fund_ref)


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
