"""现金流量表 (会民非03表) over a period, direct method: the database nets each entry's counter-postings per
class of :data:`fund_ledger.ledger.statements.cash_flow.CASH_FLOW_CLASSES` and sums the nets by class and
sign (a few rows, whatever the size of the journal); the pure core routes them to the form's lines.

The net increase is checked against the cash balances (1001, 1002, 1009) from the per-day totals: closing
cash less opening cash (the day before ``from``), the 货币资金 line of the 资产负债表 at those two dates.
A difference raises :class:`~fund_ledger.ledger.statements.StatementImbalance`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, aliased

from ...db import models as m
from ...ledger import statements as ls
from ...ledger.statements import cash_flow as cf
from .common import Digest, FundRef, _accounts, check_period, digest, find_fund_ref


@dataclass(frozen=True)
class CashFlowPeriod:
    """One column of the statement: the figures over ``start``..``end`` and the cash either side."""

    start: date
    end: date
    opening_cash: int
    """Cash (1001, 1002, 1009) at the end of the day before ``start``."""
    closing_cash: int
    figures: ls.CashFlowFigures

    @property
    def net_change(self) -> int:
        return self.closing_cash - self.opening_cash


@dataclass(frozen=True)
class CashFlow:
    """现金流量表: 本年金额 (the period asked for) and 上年金额 (the same dates a year earlier)."""

    start: date
    end: date
    fund: FundRef | None
    current: CashFlowPeriod
    previous: CashFlowPeriod
    digest: Digest

    @property
    def opening_cash(self) -> int:
        return self.current.opening_cash

    @property
    def closing_cash(self) -> int:
        return self.current.closing_cash

    @property
    def net_change(self) -> int:
        return self.current.net_change

    @property
    def lines(self) -> list[tuple[ls.FlowLine, int | None, int | None]]:
        """(line, 本年金额, 上年金额); headings have no figures, the opening-balance line only when not zero."""
        out = []
        for line in ls.CASH_FLOW_LINES:
            now, before = self.current.figures.lines.get(line.key), self.previous.figures.lines.get(line.key)
            if line.kind == "opening" and not (now or before):
                continue
            out.append((line, now, before))
        return out


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _cash(session: Session, cash_codes: list[str], upto: date, fund: str | None) -> int:
    t = m.DailyTotal
    q = select(func.sum(t.debits), func.sum(t.credits)).where(t.account_code.in_(cash_codes), t.day <= upto)
    if fund is not None:
        q = q.where(t.fund_code == fund)
    d, c = session.execute(q).one()
    return int(d or 0) - int(c or 0)


CASH = "cash"
"""The class the query gives cash postings themselves (not a class of the table: their entry moved cash)."""


def class_sums(session: Session, start: date, end: date, fund: str | None, codes: list[str]) -> list[ls.ClassSum]:
    """Per class of counter-account and kind of entry: the cash brought in and paid out, netted per entry.

    One pass over the period's entries (``ix_entries_accounting_date``) and their postings (the postings'
    primary key begins with the entry): each entry's postings are netted per class, cash postings being a
    class of their own, and a window over the entry keeps only entries that moved cash. The kind of entry
    is decided by :func:`~fund_ledger.ledger.statements.cash_flow.entry_kind` from its code and, for a
    reversal, the reversed entry's code: the query groups by both codes, Python maps them."""
    p, e, original = m.Posting, m.Entry, aliased(m.Entry)
    by_class: dict[str, list[str]] = {}
    for code in codes:
        by_class.setdefault(CASH if ls.is_cash(code) else cf.flow_class(code), []).append(code)
    flow_class = case(*((p.account_code.in_(members), literal(key)) for key, members in sorted(by_class.items())),
                      else_=literal(cf.OTHER))
    moved_cash = func.max(case((flow_class == CASH, 1), else_=0)).over(partition_by=p.entry_id)
    # The period's entries lie between two positions of the chain (close together: a month is closed weeks
    # after it ends, and nothing is dated into a closed month), found through the date's index; their postings
    # are read in that range of the postings' primary key (entry first). Without it PostgreSQL, lacking
    # statistics, hashed every posting of the journal. ("+ 0": PostgreSQL would find min(id) by walking
    # the primary key from its start, filtering each entry by date.)
    dated = (m.Entry.accounting_date >= start, m.Entry.accounting_date <= end)
    first, last = (select(agg(m.Entry.id + 0)).where(*dated).scalar_subquery() for agg in (func.min, func.max))
    per_entry = (select(p.entry_id, e.code.label("code"), original.code.label("reversed_code"),
                        flow_class.label("flow_class"), func.sum(p.credit - p.debit).label("amount"),
                        moved_cash.label("moved_cash"))
                 .select_from(e).join(p, p.entry_id == e.id).outerjoin(original, original.id == e.reverses_id)
                 .where(e.accounting_date >= start, e.accounting_date <= end, p.entry_id.between(first, last))
                 .group_by(p.entry_id, e.code, original.code, flow_class))
    if fund is not None:
        per_entry = per_entry.where(p.fund_code == fund)
    sub = per_entry.subquery()
    q = (select(sub.c.code, sub.c.reversed_code, sub.c.flow_class,
                func.sum(case((sub.c.amount > 0, sub.c.amount), else_=literal(0))),
                func.sum(case((sub.c.amount < 0, -sub.c.amount), else_=literal(0))))
         .where(sub.c.moved_cash == 1, sub.c.flow_class != CASH)
         .group_by(sub.c.code, sub.c.reversed_code, sub.c.flow_class))
    sums: dict[tuple[str, str], list[int]] = {}
    for code, reversed_code, flow, received, paid in session.execute(q):
        got = sums.setdefault((flow, cf.entry_kind(code, reversed_code)), [0, 0])
        got[0] += int(received or 0)
        got[1] += int(paid or 0)
    return [ls.ClassSum(flow, kind, received, paid) for (flow, kind), (received, paid) in sums.items()]


def _period(session: Session, start: date, end: date, fund: str | None, codes: list[str]) -> CashFlowPeriod:
    cash_codes = [c for c in codes if ls.is_cash(c)]
    opening = _cash(session, cash_codes, start - timedelta(days=1), fund)
    closing = _cash(session, cash_codes, end, fund)
    figures = ls.cash_flow_figures(class_sums(session, start, end, fund, codes))
    if figures.net_change != closing - opening:
        raise ls.StatementImbalance(f"cash flows {start}..{end}: the lines add up to {figures.net_change} fen, "
                                    f"cash moved {closing - opening} fen ({opening} to {closing})")
    return CashFlowPeriod(start, end, opening, closing, figures)


def cash_flow(session: Session, start: date, end: date, fund_id: int | None = None) -> CashFlow:
    """The statement of cash flows; raises StatementImbalance when its lines do not explain the change in cash."""
    check_period(start, end)
    fund = find_fund_ref(session, fund_id)
    code = fund.code if fund else None
    codes = sorted(_accounts(session))
    current = _period(session, start, end, code, codes)
    previous = _period(session, _year_earlier(start), _year_earlier(end), code, codes)
    return CashFlow(start, end, fund, current, previous, digest(session))


__all__ = ["CashFlow", "CashFlowPeriod", "cash_flow", "class_sums"]
