"""What each role sees first: the figures of the three dashboards, as plain frozen dataclasses.

Every figure is an SQL aggregate over the running balances, the per-day totals or the (few) open requests;
nothing here loads the journal's postings into Python, so a dashboard costs the same on a ledger of ten
entries and of ten million. The rules are the ones the statements use: income and spending are the income
and expense accounts' movements less the year-end closing entries (as in 业务活动表), a fund's money is its
monetary accounts (as in the trial balance), months and years are Beijing dates (the one clock).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..clock import LOCAL_TZ, from_stamp, local_today
from ..db import models as m
from ..db import repository as repo
from ..ledger.disbursements import ACKNOWLEDGED, APPROVED, PAID, SUBMITTED
from ..ledger.statements.common import RESTRICTED_NET_ASSETS
from ..services.periods import month_of as month_key
from ..services.pledges import pledge_statuses
from .statements import SpendingRatio, spending_ratio
from .statements.common import NOT_ACTIVITY

MONTHS_SHOWN = 12
REPORT_DUE_DAYS = 90
"""A use report is overdue this many days after the payment (DOMAIN.md: what happened to the money within
three months)."""
DEADLINE_DAYS = 90
"""Fund and programme end dates, and pledge instalments, this many days ahead count as upcoming."""
RECENT = 10
VERIFY_INLINE_MAX = 20_000
"""Up to this many entries and audit records together, the auditor's page re-checks the chains on every
visit (a few hundred milliseconds at most); above it, the page offers the check as a button instead."""
WAITING_STATUSES = (SUBMITTED, APPROVED, PAID)


# --- dates --------------------------------------------------------------------------------------------

def months_ending(today: date, count: int = MONTHS_SHOWN) -> list[str]:
    """The ``count`` months up to and including today's, oldest first (``2026-11``)."""
    return [month_key(today - relativedelta(months=back)) for back in reversed(range(count))]


def _local_day(stamp: str | None) -> date | None:
    return from_stamp(stamp).astimezone(LOCAL_TZ).date() if stamp else None


def _month_expr(session: Session, column):
    """``YYYY-MM`` of a date column, in SQL (SQLite keeps dates as ISO text)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7)


# --- income and spending per month ------------------------------------------------------------------

@dataclass(frozen=True)
class MonthFlow:
    month: str
    """``2026-11``."""
    income: int
    spending: int


def monthly_flows(session: Session, start: date, end: date) -> dict[str, MonthFlow]:
    """Income (credits less debits of income accounts) and spending (debits less credits of expense accounts)
    per month from ``start`` to ``end``, closing entries left out; a reversal nets out in its own month."""
    t, a, p, e = m.DailyTotal, m.Account, m.Posting, m.Entry
    month = _month_expr(session, t.day).label("month")
    daily = (select(a.type, month, func.sum(t.debits), func.sum(t.credits))
             .join(a, a.code == t.account_code)
             .where(a.type.in_(("income", "expense")), t.day >= start, t.day <= end)
             .group_by(a.type, month))
    emonth = _month_expr(session, e.accounting_date).label("month")
    closing = (select(a.type, emonth, func.sum(p.debit), func.sum(p.credit))
               .join(e, e.id == p.entry_id).join(a, a.code == p.account_code)
               .where(e.code.in_(NOT_ACTIVITY), a.type.in_(("income", "expense")),
                      e.accounting_date >= start, e.accounting_date <= end)
               .group_by(a.type, emonth))
    sums: dict[tuple[str, str], list[int]] = {}
    for sign, query in ((1, daily), (-1, closing)):
        for kind, mo, debits, credits in session.execute(query):
            s = sums.setdefault((kind, mo), [0, 0])
            s[0] += sign * int(debits or 0)
            s[1] += sign * int(credits or 0)
    months = {mo for _k, mo in sums}
    return {mo: MonthFlow(mo, sums.get(("income", mo), [0, 0])[1] - sums.get(("income", mo), [0, 0])[0],
                          sums.get(("expense", mo), [0, 0])[0] - sums.get(("expense", mo), [0, 0])[1])
            for mo in months}


# --- each fund's money over time --------------------------------------------------------------------

@dataclass(frozen=True)
class FundHistory:
    code: str
    name: str
    restricted: bool
    balances: tuple[int, ...]
    """The fund's money at the end of each month shown (the last: today)."""


def fund_histories(session: Session, months: list[str], funds: dict) -> tuple[FundHistory, ...]:
    """Each fund's money (its monetary accounts) at each month's end: what it held before the first month,
    plus each month's movements, both summed from the per-day totals in SQL."""
    t, a = m.DailyTotal, m.Account
    first = date.fromisoformat(months[0] + "-01")
    opening = dict(session.execute(
        select(t.fund_code, func.sum(t.debits - t.credits)).join(a, a.code == t.account_code)
        .where(a.monetary.is_(True), t.day < first).group_by(t.fund_code)).all())
    month = _month_expr(session, t.day).label("month")
    moves: dict[tuple[str, str], int] = {}
    for fund, mo, amount in session.execute(
            select(t.fund_code, month, func.sum(t.debits - t.credits)).join(a, a.code == t.account_code)
            .where(a.monetary.is_(True), t.day >= first).group_by(t.fund_code, month)):
        moves[(fund, mo)] = int(amount or 0)
    out = []
    for code, fund in funds.items():
        running, points = int(opening.get(code) or 0), []
        for mo in months:
            running += moves.get((code, mo), 0)
            points.append(running)
        if fund.closed_on is None or any(points):
            out.append(FundHistory(code, fund.name, bool(fund.restricted), tuple(points)))
    return tuple(out)


# --- disbursement requests and what each waits for --------------------------------------------------

@dataclass(frozen=True)
class Request:
    id: int
    organisation_id: int
    organisation: str
    fund_code: str
    fund_name: str
    amount: int
    purpose: str
    status: str
    approvals: int
    approvals_needed: int
    submitted_on: date
    last_step_on: date
    """The day of its latest step (submitted, an approval, paid...)."""
    paid_on: date | None
    acknowledged_on: date | None
    report_status: str | None
    """Its latest use report's status (submitted, received, sent_back), or None."""

    @property
    def stage(self) -> str:
        return next_step(self.status, self.approvals, self.approvals_needed, self.report_status)[0]

    @property
    def waits_on(self) -> str | None:
        return next_step(self.status, self.approvals, self.approvals_needed, self.report_status)[1]

    def age(self, today: date) -> int:
        """Days since the step it now waits after."""
        since = self.paid_on if self.status == PAID and self.paid_on else self.last_step_on
        return max((today - since).days, 0)


def next_step(status: str, approvals: int, needed: int, report_status: str | None) -> tuple[str, str | None]:
    """(what a request waits for, from whom: "manager", "grantee" or None when nothing waits).

    submitted → approval (a second one when two are needed and one is in); approved → payment; paid → the
    grantee confirms receipt; acknowledged → the grantee's use report, then the manager's review of it.
    """
    if status == SUBMITTED:
        return ("second_approval", "manager") if 0 < approvals < needed else ("approval", "manager")
    if status == APPROVED:
        return "payment", "manager"
    if status == PAID:
        return "acknowledge", "grantee"
    if status == ACKNOWLEDGED:
        if report_status == "received":
            return "done", None
        if report_status == "submitted":
            return "report_review", "manager"
        return ("report_again" if report_status == "sent_back" else "report"), "grantee"
    return status, None  # rejected, cancelled: nothing waits


def _requests_query():
    g, o, f, ev, r = m.Disbursement, m.Organisation, m.Fund, m.DisbursementEvent, m.DisbursementReport
    approvals = (select(func.count()).where(ev.disbursement_id == g.id, ev.action == "approve")
                 .correlate(g).scalar_subquery())
    last_step = select(func.max(ev.at)).where(ev.disbursement_id == g.id).correlate(g).scalar_subquery()
    report = (select(r.status).where(r.disbursement_id == g.id).order_by(r.id.desc()).limit(1)
              .correlate(g).scalar_subquery())
    return (select(g.id, g.organisation_id, o.name, g.fund_code, f.name, g.amount, g.purpose, g.status, approvals,
                   g.approvals_needed, g.submitted_at, last_step, g.paid_on, g.acknowledged_on, report)
            .join(o, o.id == g.organisation_id).join(f, f.code == g.fund_code))


def _requests(session: Session, query) -> list[Request]:
    out = []
    for (i, org_id, org, fcode, fname, amount, purpose, status, approvals, needed, submitted_at, last_step, paid_on,
         ack, report) in session.execute(query):
        submitted = _local_day(submitted_at)
        out.append(Request(i, org_id, org, fcode, fname, int(amount), purpose, status, int(approvals or 0),
                           int(needed or 1), submitted, _local_day(last_step) or submitted,
                           repo.as_date(paid_on) if paid_on else None, repo.as_date(ack) if ack else None, report))
    return out


# --- the manager's dashboard ------------------------------------------------------------------------

@dataclass(frozen=True)
class FundMoney:
    code: str
    name: str
    restricted: bool
    balance: int
    reserved: int
    end_date: date | None

    @property
    def available(self) -> int:
        return self.balance - self.reserved


@dataclass(frozen=True)
class Deadline:
    day: date
    kind: str
    """fund_end, programme_end, pledge_due."""
    name: str
    amount: int | None = None


@dataclass(frozen=True)
class PledgeLine:
    id: int
    donor: str
    fund_code: str
    promised: int
    received: int
    overdue: int
    next_due_on: date | None


@dataclass(frozen=True)
class ManagerDashboard:
    today: date
    month: MonthFlow
    year: MonthFlow
    """Income and spending from 1 January to today (``month`` holds the year, ``2026``)."""
    flows: tuple[MonthFlow, ...]
    """The last twelve months, oldest first."""
    funds: tuple[FundMoney, ...]
    histories: tuple[FundHistory, ...]
    months: tuple[str, ...]
    waiting_approval: tuple[Request, ...]
    waiting_second: tuple[Request, ...]
    approved_unpaid: tuple[Request, ...]
    paid_unacknowledged: tuple[Request, ...]
    reports_overdue: tuple[Request, ...]
    reports_to_review: tuple[Request, ...]
    pledges_overdue: tuple[PledgeLine, ...]
    deadlines: tuple[Deadline, ...]
    ratio: SpendingRatio
    negative_accounts: tuple[tuple[str, str, str, int], ...]
    """(code, name, name_en, balance on its normal side) of accounts standing below zero."""
    restricted_net_assets: str = RESTRICTED_NET_ASSETS


def manager_dashboard(session: Session, today: date | None = None) -> ManagerDashboard:
    today = today or local_today()
    months = months_ending(today)
    year_start = date(today.year, 1, 1)
    window_start = date.fromisoformat(months[0] + "-01")
    flows = monthly_flows(session, min(window_start, year_start), today)
    this_month = flows.get(month_key(today), MonthFlow(month_key(today), 0, 0))
    this_year = MonthFlow(str(today.year), sum(f.income for k, f in flows.items() if k >= month_key(year_start)),
                          sum(f.spending for k, f in flows.items() if k >= month_key(year_start)))

    fund_rows = {f.code: f for f in session.scalars(select(m.Fund).order_by(m.Fund.id))}
    money = repo.money_by_fund(session)
    funds = tuple(FundMoney(c, f.name, bool(f.restricted), money[c].balance if c in money else 0,
                            money[c].reserved if c in money else 0, repo.as_date(f.end_date) if f.end_date else None)
                  for c, f in fund_rows.items() if f.closed_on is None or (c in money and money[c].balance))

    g = m.Disbursement
    open_requests = _requests(session, _requests_query().where(g.status.in_(WAITING_STATUSES)).order_by(g.id))
    r = m.DisbursementReport
    reported = exists().where(r.disbursement_id == g.id, r.status.in_(("submitted", "received")))
    overdue = _requests(session, _requests_query().where(
        g.status.in_((PAID, ACKNOWLEDGED)), g.paid_on < today - timedelta(days=REPORT_DUE_DAYS), ~reported)
        .order_by(g.paid_on, g.id))
    to_review = _requests(session, _requests_query().where(
        exists().where(r.disbursement_id == g.id, r.status == "submitted")).order_by(g.id))

    def stage(name: str) -> tuple[Request, ...]:
        return tuple(sorted((q for q in open_requests if q.stage == name), key=lambda q: -q.age(today)))

    statuses = pledge_statuses(session, today)
    donors = dict(session.execute(select(m.Donor.id, m.Donor.name).where(
        m.Donor.id.in_({s.pledge.donor_id for s in statuses}))).all()) if statuses else {}
    pledges = [PledgeLine(s.pledge.id, donors.get(s.pledge.donor_id, ""), s.pledge.fund_code, s.promised, s.received,
                          s.overdue, s.next_due_on) for s in statuses]

    horizon = today + timedelta(days=DEADLINE_DAYS)
    deadlines = [Deadline(f.end_date, "fund_end", f.name) for f in funds
                 if f.end_date is not None and today <= f.end_date <= horizon]
    deadlines += [Deadline(repo.as_date(p.ends_on), "programme_end", p.name) for p in session.scalars(
        select(m.GrantProgramme).where(m.GrantProgramme.ends_on >= today, m.GrantProgramme.ends_on <= horizon))]
    deadlines += [Deadline(p.next_due_on, "pledge_due", p.donor, p.promised - p.received) for p in pledges
                  if p.next_due_on is not None and today <= p.next_due_on <= horizon and not p.overdue]
    deadlines.sort(key=lambda d: (d.day, d.kind, d.name))

    accounts = repo.load_accounts(session)
    per_account: dict[str, list[int]] = {}
    for code, debits, credits in session.execute(
            select(m.AccountBalance.account_code, func.sum(m.AccountBalance.debits_posted),
                   func.sum(m.AccountBalance.credits_posted)).group_by(m.AccountBalance.account_code)):
        per_account[code] = [int(debits or 0), int(credits or 0)]
    negative = tuple((c, accounts[c].name, accounts[c].name_en, bal) for c, (d, cr) in sorted(per_account.items())
                     if c in accounts and (bal := accounts[c].signed_balance(d, cr)) < 0)

    return ManagerDashboard(
        today, this_month, this_year, tuple(flows.get(mo, MonthFlow(mo, 0, 0)) for mo in months), funds,
        fund_histories(session, months, fund_rows), tuple(months),
        stage("approval"), stage("second_approval"), stage("payment"), stage("acknowledge"), tuple(overdue),
        tuple(to_review), tuple(p for p in pledges if p.overdue > 0), tuple(deadlines),
        spending_ratio(session, today), negative)


# --- the auditor's dashboard ------------------------------------------------------------------------

@dataclass(frozen=True)
class SealedPeriod:
    period: str
    closed_at: str
    closed_by: str
    entry_count: int
    head_seq: int
    head_hash: str
    seal: str


@dataclass(frozen=True)
class IssuedReport:
    id: int
    period: str
    issued_at: str
    issued_by: str
    sha256: str
    replaces_id: int | None


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    at: str
    actor: str | None
    role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str


@dataclass(frozen=True)
class AuditorDashboard:
    today: date
    entries: int
    head_hash: str
    audit_records: int
    periods_closed: int
    periods: tuple[SealedPeriod, ...]
    reports: tuple[IssuedReport, ...]
    reports_issued: int
    events: tuple[AuditEvent, ...]

    @property
    def verify_inline(self) -> bool:
        """Whether re-checking the chains on every visit is cheap enough (see VERIFY_INLINE_MAX)."""
        return self.entries + self.audit_records <= VERIFY_INLINE_MAX


def auditor_dashboard(session: Session, today: date | None = None) -> AuditorDashboard:
    today = today or local_today()
    entries, head = repo.chain_head(session)
    p, ar, al = m.Period, m.AuditReport, m.AuditLog
    periods = tuple(SealedPeriod(x.period, x.closed_at, x.closed_by, x.entry_count, x.head_seq, x.head_hash, x.seal)
                    for x in session.scalars(select(p).order_by(p.period.desc()).limit(RECENT)))
    reports = tuple(IssuedReport(*row) for row in session.execute(
        select(ar.id, ar.period, ar.issued_at, ar.issued_by, ar.sha256, ar.replaces_id)
        .order_by(ar.id.desc()).limit(RECENT)))
    events = tuple(AuditEvent(*row) for row in session.execute(
        select(al.id, al.at, al.actor, al.role, al.action, al.object_type, al.object_id, al.outcome)
        .order_by(al.id.desc()).limit(RECENT)))
    return AuditorDashboard(
        today, entries, head, int(session.scalar(select(func.max(al.id))) or 0),
        int(session.scalar(select(func.count()).select_from(p)) or 0), periods, reports,
        int(session.scalar(select(func.count()).select_from(ar)) or 0), events)


# --- the grantee's dashboard ------------------------------------------------------------------------

@dataclass(frozen=True)
class GranteeDashboard:
    today: date
    organisation_id: int
    organisation: str
    requests: tuple[Request, ...]
    """Its own requests, newest first."""
    received_this_year: int
    """Paid to it with a payment dated this year (Beijing dates)."""
    paid_this_year: int
    """How many payments that is."""

    @property
    def for_you(self) -> tuple[Request, ...]:
        return tuple(r for r in self.requests if r.waits_on == "grantee")

    @property
    def with_managers(self) -> tuple[Request, ...]:
        return tuple(r for r in self.requests if r.waits_on == "manager")


def grantee_dashboard(session: Session, organisation_id: int, today: date | None = None,
                      limit: int = 100) -> GranteeDashboard:
    """One organisation's requests and money: never another's (every query is filtered by it)."""
    today = today or local_today()
    g = m.Disbursement
    org = session.get(m.Organisation, organisation_id)
    requests = _requests(session, _requests_query().where(g.organisation_id == organisation_id)
                         .order_by(g.id.desc()).limit(limit))
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(g.amount), 0)).where(
            g.organisation_id == organisation_id, g.status.in_((PAID, ACKNOWLEDGED)),
            g.paid_on >= date(today.year, 1, 1), g.paid_on <= today)).one()
    return GranteeDashboard(today, organisation_id, org.name if org else "", tuple(requests), int(total or 0),
                            int(count or 0))


__all__ = ["ManagerDashboard", "AuditorDashboard", "GranteeDashboard", "manager_dashboard", "auditor_dashboard",
           "grantee_dashboard", "next_step", "months_ending", "monthly_flows", "fund_histories"]
