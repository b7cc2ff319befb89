"""What the public front door shows, as plain data: each fund's money, the grants paid, the audit reports issued.

Every figure comes from the ledger. A fund's gifts received are its donation income (4101 捐赠收入 and the
accounts under it, credits less debits: a refund's reversing entry takes its gift back out); its grants are
its business activity costs (5101 业务活动成本, debits less credits: a grant paid, less what the grantee
returned); both leave out year-end closing entries, which move income and costs into net assets and are no
activity. What it holds and has reserved are the trial balance's; available is held less reserved; what else
moved the money held (a bank's fee, interest, an opening balance) is shown as one line, so each fund adds up.
The running balances give these figures without scanning the journal; only the closing entries, a few a
year, are summed apart.

Nothing here names a donor: no personal data leaves through the front door. Grantees are organisations,
named with what they were paid for.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import LOCAL_TZ, local_today
from ..db import models as m
from ..db import repository as repo
from ..ledger.entries import EntryCode
from .trial_balance import build_trial_balance

GIFTS_ACCOUNT = "4101"
"""捐赠收入: a fund's gifts received."""
GRANTS_ACCOUNT = "5101"
"""业务活动成本: what a fund paid to grantees (returns credit it back)."""
PAID = ("paid", "acknowledged")
"""Disbursement states in which the money has left the fund."""
MAX_GRANTS = 200
"""The newest grants the page lists (the totals count every one)."""
MAX_REPORTS = 50


@dataclass(frozen=True)
class FundTotals:
    code: str
    name: str
    name_en: str
    purpose: str
    restricted: bool
    received: int
    """Gifts received, in fen, less refunds."""
    granted: int
    """Paid to grantees, in fen, less what they returned."""
    held: int
    """Money the fund holds, in fen (its cash and bank accounts)."""
    reserved: int
    """Held for approved requests not yet paid, in fen."""

    @property
    def available(self) -> int:
        """Held and not reserved for an approved request, in fen."""
        return self.held - self.reserved

    @property
    def other(self) -> int:
        """What else moved the money held, in fen: other income less other costs (a bank's fee, interest,
        opening balances). With it the card adds up: received - granted + other - reserved = available."""
        return self.held - self.received + self.granted


@dataclass(frozen=True)
class GrantPaid:
    organisation: str
    fund: str
    purpose: str
    amount: int
    paid_on: date


@dataclass(frozen=True)
class IssuedReport:
    id: int
    period: str
    issued_on: date
    """The Beijing date it was issued."""
    sha256: str
    size: int
    replaced_by: int | None


@dataclass(frozen=True)
class FrontDoor:
    as_of: date
    funds: tuple[FundTotals, ...]
    grants: tuple[GrantPaid, ...]
    grants_count: int
    reports: tuple[IssuedReport, ...]
    entries: int
    """Entries in the hash chain."""
    head_hash: str

    @property
    def total_received(self) -> int:
        return sum(f.received for f in self.funds)

    @property
    def total_granted(self) -> int:
        return sum(f.granted for f in self.funds)

    @property
    def total_other(self) -> int:
        return sum(f.other for f in self.funds)

    @property
    def total_reserved(self) -> int:
        return sum(f.reserved for f in self.funds)

    @property
    def total_available(self) -> int:
        return sum(f.available for f in self.funds)


def _under(code: str, root: str) -> bool:
    return code == root or code.startswith(root + ".")


def _activity_by_fund(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    """(gifts received, grants paid) per fund code: running balances less the closing entries' postings."""
    received: dict[str, int] = {}
    granted: dict[str, int] = {}

    def add(account: str, fund: str, debit: int, credit: int, sign: int) -> None:
        if _under(account, GIFTS_ACCOUNT):
            received[fund] = received.get(fund, 0) + sign * (credit - debit)
        elif _under(account, GRANTS_ACCOUNT):
            granted[fund] = granted.get(fund, 0) + sign * (debit - credit)

    for (account, fund), b in repo.stored_balances(session).items():
        add(account, fund, b.debits_posted, b.credits_posted, 1)
    p, e = m.Posting, m.Entry
    closing = session.execute(
        select(p.account_code, p.fund_code, func.sum(p.debit), func.sum(p.credit))
        .join(e, e.id == p.entry_id).where(e.code == EntryCode.CLOSING.value)
        .group_by(p.account_code, p.fund_code))
    for account, fund, debit, credit in closing:
        add(account, fund, int(debit or 0), int(credit or 0), -1)
    return received, granted


def _grants(session: Session) -> tuple[tuple[GrantPaid, ...], int]:
    d, o, f = m.Disbursement, m.Organisation, m.Fund
    paid = d.status.in_(PAID)
    rows = session.execute(
        select(o.name, f.name, d.purpose, d.amount, d.paid_on)
        .join(o, o.id == d.organisation_id).join(f, f.code == d.fund_code)
        .where(paid).order_by(d.paid_on.desc(), d.id.desc()).limit(MAX_GRANTS))
    grants = tuple(GrantPaid(org, fund, purpose, int(amount), repo.as_date(paid_on))
                   for org, fund, purpose, amount, paid_on in rows)
    return grants, session.scalar(select(func.count()).select_from(d).where(paid)) or 0


def _local_day(stamp: str) -> date:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment.astimezone(LOCAL_TZ).date() if moment.tzinfo else moment.date()


def _reports(session: Session) -> tuple[IssuedReport, ...]:
    r = m.AuditReport
    rows = list(session.execute(select(r.id, r.period, r.issued_at, r.sha256, r.size).where(r.for_public)
                                .order_by(r.period.desc(), r.id.desc()).limit(MAX_REPORTS)))
    newer = dict(session.execute(select(r.replaces_id, r.id).where(r.replaces_id.in_([row.id for row in rows]))
                                 ).all()) if rows else {}
    return tuple(IssuedReport(row.id, row.period, _local_day(row.issued_at), row.sha256, row.size, newer.get(row.id))
                 for row in rows)


def front_door(session: Session, *, today: date | None = None) -> FrontDoor:
    """The figures of the public front door, as the ledger holds them now."""
    today = today or local_today()
    tb = build_trial_balance(session, today=today)
    funds = repo.load_funds(session)
    received, granted = _activity_by_fund(session)
    totals = tuple(
        FundTotals(row.code, row.name, funds[row.code].name_en, funds[row.code].purpose, row.restricted,
                   received.get(row.code, 0), granted.get(row.code, 0), row.balance, row.reserved)
        for row in tb.funds)
    grants, count = _grants(session)
    return FrontDoor(today, totals, grants, count, _reports(session), tb.entries, tb.head_hash)


__all__ = ["FrontDoor", "FundTotals", "GrantPaid", "IssuedReport", "front_door"]
