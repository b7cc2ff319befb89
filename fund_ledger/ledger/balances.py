"""Balances: what postings add up to, per account and fund, and what a fund holds and has promised."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .accounts import Account
from .entries import Posting


@dataclass(frozen=True, slots=True)
class Balance:
    """Totals of one account within one fund, in fen (TigerBeetle's words)."""

    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    """Reservations to come (an approved disbursement not yet paid)."""
    credits_pending: int = 0


@dataclass(frozen=True, slots=True)
class FundPosition:
    """The money a fund holds, what is already promised from it, and what it can still promise."""

    balance: int
    reserved: int

    @property
    def available(self) -> int:
        return self.balance - self.reserved


def posting_totals(postings: Iterable[Posting]) -> dict[tuple[str, str], tuple[int, int]]:
    """(debits, credits) per (account, fund)."""
    totals: dict[tuple[str, str], tuple[int, int]] = {}
    for p in postings:
        d, c = totals.get((p.account, p.fund), (0, 0))
        totals[(p.account, p.fund)] = (d + p.debit, c + p.credit)
    return totals


def money_delta(postings: Iterable[Posting], accounts: Mapping[str, Account]) -> dict[str, int]:
    """How much each fund's money (its monetary accounts) changes by; negative when money leaves."""
    delta: dict[str, int] = {}
    for p in postings:
        account = accounts.get(p.account)
        if account is not None and account.monetary:
            delta[p.fund] = delta.get(p.fund, 0) + p.debit - p.credit
    return delta


def fund_positions(balances: Mapping[tuple[str, str], Balance], accounts: Mapping[str, Account]) -> dict[str, FundPosition]:
    """Each fund's money held (monetary debits less credits) and reserved (pending credits less debits)."""
    held: dict[str, int] = {}
    reserved: dict[str, int] = {}
    for (code, fund), b in balances.items():
        account = accounts.get(code)
        if account is not None and account.monetary:
            held[fund] = held.get(fund, 0) + b.debits_posted - b.credits_posted
            reserved[fund] = reserved.get(fund, 0) + b.credits_pending - b.debits_pending
    return {fund: FundPosition(held[fund], reserved[fund]) for fund in held}


def apply_postings(balances: dict[tuple[str, str], Balance], postings: Iterable[Posting]) -> None:
    """Add posted amounts to ``balances`` in place (a running total, as the database keeps it)."""
    for key, (d, c) in posting_totals(postings).items():
        b = balances.get(key, Balance())
        balances[key] = Balance(b.debits_posted + d, b.credits_posted + c, b.debits_pending, b.credits_pending)
