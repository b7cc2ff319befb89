"""Registers and checks: donors and their gifts, disbursement requests, and the spending ratio."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from ...clock import local_today
from ...config import settings
from ...db import models as m
from ...db import repository as repo
from ...ledger import statements as ls
from ...ledger.accounts import AccountType
from ...ledger.entries import format_number
from ...services.errors import InvalidInput
from .common import (EARLIEST, NOT_ACTIVITY, Digest, FundRef, _accounts, _by_entry_code, _daily, _minus, check_as_of,
                     check_period, digest, find_fund_ref)


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
    programme: str = ""
    """The grant programme it was made in (its name), if any."""


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
    g, o, f, ev, pe, gp = m.Disbursement, m.Organisation, m.Fund, m.DisbursementEvent, aliased(m.Entry), m.GrantProgramme
    approved_at = (select(func.max(ev.at)).where(ev.disbursement_id == g.id, ev.to_status == "approved")
                   .correlate(g).scalar_subquery())
    r = m.DisbursementReport
    reported_at = (select(func.max(r.decided_at)).where(r.disbursement_id == g.id, r.status == "received")
                   .correlate(g).scalar_subquery())
    returned = (select(func.coalesce(func.sum(r.returned), 0)).where(r.disbursement_id == g.id, r.status == "received")
                .correlate(g).scalar_subquery())
    q = (select(g.id, o.name, g.fund_code, f.name, g.purpose, g.status, g.submitted_at, g.amount, approved_at,
                g.paid_on, pe.year, pe.year_seq, g.acknowledged_on, reported_at, returned, gp.name)
         .join(o, o.id == g.organisation_id).join(f, f.code == g.fund_code)
         .outerjoin(pe, pe.id == g.payment_entry_id).outerjoin(gp, gp.id == g.programme_id)
         .where(((g.submitted_at >= _utc_start(start)) & (g.submitted_at < _utc_start(end + timedelta(days=1))))
                | (and_(g.paid_on >= start, g.paid_on <= end)))
         .order_by(g.submitted_at, g.id))
    if fund is not None:
        q = q.where(g.fund_code == fund.code)
    rows = []
    for (i, org, fcode, fname, purpose, status, submitted_at, amount, approved, paid_on, pyear, pseq, ack,
         reported, back, programme) in session.execute(q):
        rows.append(GrantRow(
            i, org, fcode, fname, purpose, status, _local_day(submitted_at), int(amount),
            _local_day(approved) if approved and status in APPROVED_OR_LATER else None,
            int(amount) if status in APPROVED_OR_LATER else 0,
            repo.as_date(paid_on) if paid_on else None, int(amount) if status in PAID_OR_LATER else 0,
            format_number(pyear, pseq) if pyear is not None else None, repo.as_date(ack) if ack else None,
            _local_day(reported) if reported else None, int(back or 0), programme or ""))
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
