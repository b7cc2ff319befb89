"""What every statement shares: the ledger digest it names, the fund it is about, the checks on its dates, and
the per-day totals the figures are summed from."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...db import models as m
from ...db import repository as repo
from ...ledger.accounts import Account
from ...ledger.entries import EntryCode
from ...ledger.statements import Totals
from ...schemas.messages import Message
from ...services.errors import InvalidInput, NotFound, RuleBroken

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
            errors[name] = [Message("date.range", min=EARLIEST.isoformat(), max=LATEST.isoformat())]
    if not errors and start > end:
        errors["from"] = [Message("period.order", start=start.isoformat(), end=end.isoformat())]
    if errors:
        raise InvalidInput("; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)


def check_as_of(as_of: date) -> None:
    if not EARLIEST <= as_of <= LATEST:
        raise InvalidInput(f"as_of: a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}",
                           {"as_of": [Message("date.range", min=EARLIEST.isoformat(), max=LATEST.isoformat())]})


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
