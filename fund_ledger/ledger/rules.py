"""The rules every entry obeys, as plain functions that return errors instead of raising.

Each check takes the draft and a :class:`PostingContext` and returns a list of
:class:`~fund_ledger.ledger.entries.LedgerError`; :func:`validate_draft` runs them all. The database
enforces the same invariants again with triggers; these give the person a clear message first.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from .accounts import Account, Fund
from .balances import FundPosition, money_delta
from .entries import EntryCode, EntryDraft, LedgerError
from .money import MAX_AMOUNT_FEN, MAX_LEDGER_TOTAL_FEN, format_yuan

MAX_MEMO_LENGTH = 500
MAX_POSTINGS = 1000


@dataclass(frozen=True)
class PostingContext:
    """What the rules need to know about the ledger's current state."""

    accounts: Mapping[str, Account]
    funds: Mapping[str, Fund]
    earliest_date: date
    latest_date: date
    closed_periods: frozenset[str] = frozenset()
    """Closed months as ``YYYY-MM``."""
    closed_funds: frozenset[str] = frozenset()
    parent_accounts: frozenset[str] = frozenset()
    """Accounts that have sub-accounts: post to the sub-accounts instead."""
    positions: Mapping[str, FundPosition] = field(default_factory=dict)
    posted_total: int = 0
    """The sum of every debit posted so far (see ``money.MAX_LEDGER_TOTAL_FEN``)."""
    max_total: int = MAX_LEDGER_TOTAL_FEN


def check_shape(draft: EntryDraft, ctx: PostingContext) -> list[LedgerError]:
    errors = []
    if not isinstance(draft.code, EntryCode):
        errors.append(LedgerError("code", f"unknown entry code {draft.code!r}"))
    if not isinstance(draft.memo, str) or not draft.memo.strip():
        errors.append(LedgerError("memo", "a memo (摘要) is required"))
    elif len(draft.memo) > MAX_MEMO_LENGTH:
        errors.append(LedgerError("memo", f"memo is longer than {MAX_MEMO_LENGTH} characters"))
    elif any(ord(ch) < 32 and ch not in "\n\t" for ch in draft.memo):
        errors.append(LedgerError("memo", "memo contains control characters"))
    if not 2 <= len(draft.postings) <= MAX_POSTINGS:
        errors.append(LedgerError("postings", f"an entry has 2 to {MAX_POSTINGS} postings"))
    return errors


def check_amounts(draft: EntryDraft, ctx: PostingContext) -> list[LedgerError]:
    errors = []
    for i, p in enumerate(draft.postings):
        where = f"postings[{i}]"
        if any(type(v) is not int for v in (p.debit, p.credit)):
            errors.append(LedgerError(where, "amounts are whole numbers of fen"))
        elif p.debit < 0 or p.credit < 0:
            errors.append(LedgerError(where, "amounts must not be negative"))
        elif (p.debit > 0) == (p.credit > 0):
            errors.append(LedgerError(where, "a posting has either a debit or a credit, greater than zero"))
        elif max(p.debit, p.credit) > MAX_AMOUNT_FEN:
            errors.append(LedgerError(where, f"amount is larger than {format_yuan(MAX_AMOUNT_FEN)}"))
    return errors


def check_balanced(draft: EntryDraft, ctx: PostingContext) -> list[LedgerError]:
    """Debits equal credits in total and within every fund: each fund balances on its own."""
    per_fund: dict[str, int] = {}
    for p in draft.postings:
        if type(p.debit) is int and type(p.credit) is int:
            per_fund[p.fund] = per_fund.get(p.fund, 0) + p.debit - p.credit
    return [
        LedgerError("postings", f"fund {fund} does not balance: debits exceed credits by {format_yuan(diff)}"
                    if diff > 0 else f"fund {fund} does not balance: credits exceed debits by {format_yuan(-diff)}",
                    "unbalanced")
        for fund, diff in sorted(per_fund.items()) if diff != 0
    ]


def check_accounts_and_funds(draft: EntryDraft, ctx: PostingContext) -> list[LedgerError]:
    errors = []
    for i, p in enumerate(draft.postings):
        if p.account not in ctx.accounts:
            errors.append(LedgerError(f"postings[{i}].account", f"no account {p.account!r} in the chart"))
        elif p.account in ctx.parent_accounts:
            errors.append(LedgerError(f"postings[{i}].account", f"account {p.account} has sub-accounts: post to one of them"))
        if p.fund not in ctx.funds:
            errors.append(LedgerError(f"postings[{i}].fund", f"no fund {p.fund!r}"))
        elif p.fund in ctx.closed_funds:
            errors.append(LedgerError(f"postings[{i}].fund", f"fund {p.fund} is closed", "closed_fund"))
    return errors


def check_date(draft: EntryDraft, ctx: PostingContext) -> list[LedgerError]:
    d = draft.accounting_date
    if type(d) is not date:
        return [LedgerError("accounting_date", "accounting date must be a date")]
    if d < ctx.earliest_date:
        return [LedgerError("accounting_date", f"{d.isoformat()} is before the books begin ({ctx.earliest_date.isoformat()})")]
    if d > ctx.latest_date:
        return [LedgerError("accounting_date", f"{d.isoformat()} is in the future (latest allowed {ctx.latest_date.isoformat()})")]
    if d.strftime("%Y-%m") in ctx.closed_periods:
        return [LedgerError("accounting_date", f"period {d.strftime('%Y-%m')} is closed: date the correction in an open period", "closed_period")]
    return []


def check_funds_cover(draft: EntryDraft, ctx: PostingContext) -> list[LedgerError]:
    """Money may leave a fund only while the fund holds it beyond what it has already promised."""
    errors = []
    for fund, delta in sorted(money_delta(draft.postings, ctx.accounts).items()):
        if delta >= 0:
            continue
        pos = ctx.positions.get(fund, FundPosition(0, 0))
        if pos.available + delta < 0:
            name = ctx.funds[fund].name if fund in ctx.funds else fund
            errors.append(LedgerError(
                "postings",
                f"fund {name} ({fund}) has {format_yuan(max(pos.available, 0))} available"
                f" ({format_yuan(pos.balance)} held, {format_yuan(pos.reserved)} reserved);"
                f" this entry takes {format_yuan(-delta)}",
                "insufficient_funds",
            ))
    return errors


BASIC_CHECKS = (check_shape, check_amounts, check_balanced, check_accounts_and_funds, check_date)


def check_capacity(draft: EntryDraft, ctx: PostingContext) -> list[LedgerError]:
    """The ledger's postings in all stay within what every report can print (``MAX_LEDGER_TOTAL_FEN``)."""
    debits = sum(p.debit for p in draft.postings)
    if ctx.posted_total + debits > ctx.max_total:
        return [LedgerError("postings", f"the ledger would hold more than {format_yuan(ctx.max_total)} of postings "
                                        f"in all ({format_yuan(ctx.posted_total)} so far; this entry adds "
                                        f"{format_yuan(debits)})", "ledger_full")]
    return []


def validate_draft(draft: EntryDraft, ctx: PostingContext) -> list[LedgerError]:
    """Every error in ``draft``; the balance and capacity checks run only on an otherwise valid draft."""
    errors = [e for check in BASIC_CHECKS for e in check(draft, ctx)]
    return errors or check_funds_cover(draft, ctx) + check_capacity(draft, ctx)
