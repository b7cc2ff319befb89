"""The trial balance (科目余额表): totals per account, and each fund's money, as of a date.

Current figures come from the running balances the database keeps; figures as of a past date sum the
per-day totals up to that date. Neither scans the journal, so both stay fast at any journal size.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import local_today
from ..db import models as m
from ..db import repository as repo
from ..ledger.balances import Balance, fund_positions
from ..ledger.money import fen_to_str


@dataclass(frozen=True)
class AccountRow:
    code: str
    name: str
    name_en: str
    type: str
    debit: int
    credit: int
    balance: int
    """On the account's normal side: positive when the account stands where it should."""


@dataclass(frozen=True)
class FundRow:
    code: str
    name: str
    restricted: bool
    balance: int
    reserved: int

    @property
    def available(self) -> int:
        return self.balance - self.reserved


@dataclass(frozen=True)
class TrialBalance:
    as_of: date
    accounts: tuple[AccountRow, ...]
    funds: tuple[FundRow, ...]
    entries: int
    head_hash: str

    @property
    def total_debit(self) -> int:
        return sum(r.debit for r in self.accounts)

    @property
    def total_credit(self) -> int:
        return sum(r.credit for r in self.accounts)

    def as_json(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "accounts": [{"code": r.code, "name": r.name, "name_en": r.name_en, "type": r.type,
                          "debit": fen_to_str(r.debit), "credit": fen_to_str(r.credit),
                          "balance": fen_to_str(r.balance)} for r in self.accounts],
            "total_debit": fen_to_str(self.total_debit),
            "total_credit": fen_to_str(self.total_credit),
            "funds": [{"code": f.code, "name": f.name, "restricted": f.restricted, "balance": fen_to_str(f.balance),
                       "reserved": fen_to_str(f.reserved), "available": fen_to_str(f.available)} for f in self.funds],
            "ledger": {"entries": self.entries, "head_hash": self.head_hash},
        }


def _totals_as_of(session: Session, as_of: date) -> dict[tuple[str, str], Balance]:
    t = m.DailyTotal
    rows = session.execute(select(t.account_code, t.fund_code, func.sum(t.debits), func.sum(t.credits))
                           .where(t.day <= as_of).group_by(t.account_code, t.fund_code))
    return {(a, f): Balance(int(d), int(c)) for a, f, d, c in rows}


def build_trial_balance(session: Session, as_of: date | None = None, *, today: date | None = None) -> TrialBalance:
    """Reservations exist only now: as of a past date ``reserved`` is reported as zero."""

    today = today or local_today()
    current = as_of is None or as_of >= today
    as_of = as_of or today
    accounts = repo.load_accounts(session)
    funds = repo.load_funds(session)
    balances = repo.stored_balances(session) if current else _totals_as_of(session, as_of)

    per_account: dict[str, list[int]] = {}
    for (code, _fund), b in balances.items():
        t = per_account.setdefault(code, [0, 0])
        t[0] += b.debits_posted
        t[1] += b.credits_posted
    rows = tuple(
        AccountRow(code, accounts[code].name, accounts[code].name_en, accounts[code].type.value, d, c,
                   accounts[code].signed_balance(d, c))
        for code, (d, c) in sorted(per_account.items()) if d or c
    )
    positions = fund_positions(balances, accounts)
    fund_rows = tuple(
        FundRow(f.code, f.name, f.restricted, positions[f.code].balance if f.code in positions else 0,
                positions[f.code].reserved if current and f.code in positions else 0)
        for f in funds.values()
    )
    seq, head = repo.chain_head(session)
    return TrialBalance(as_of, rows, fund_rows, seq, head)
