"""A fund's statement: which line a posting's money belongs to, and running balances for the 明细账."""
from __future__ import annotations

from collections.abc import Iterable

from ..accounts import Account, AccountType
from .common import DONATION_INCOME, GRANT_EXPENSE, top_code


FUND_MOVEMENTS: tuple[tuple[str, str, str], ...] = (
    ("gifts", "捐赠收入", "Gifts received (net of refunds)"),
    ("other_income", "其他收入", "Other income"),
    ("disbursements", "拨付", "Disbursements paid"),
    ("returns", "退回拨款", "Grant money returned"),
    ("other_expenses", "其他费用", "Other expenses"),
    ("other", "其他变动", "Other movements"),
)


def fund_movement_key(account: Account | None, code: str, side_is_debit: bool, in_reversal: bool) -> str | None:
    """Which line of the fund statement a posting's money effect belongs to (None: it *is* money).

    A payment debits 5101, a return of grant money credits it; a reversal undoes the line it reverses
    (a reversed payment lowers disbursements, not raises returns).
    """
    if account is None:
        return "other"
    if account.monetary:
        return None
    top = top_code(code)
    if top == GRANT_EXPENSE:
        return "disbursements" if side_is_debit != in_reversal else "returns"
    if account.type is AccountType.INCOME:
        return "gifts" if top == DONATION_INCOME else "other_income"
    if account.type is AccountType.EXPENSE:
        return "other_expenses"
    return "other"


def money_effect(key: str, debits: int, credits: int) -> int:
    """How a line's postings change the fund's money: money moves opposite to the other side of the entry."""
    return credits - debits


def running_balances(opening: int, amounts: Iterable[tuple[int, int]], debit_normal: bool) -> list[int]:
    """The balance after each (debit, credit), on the account's normal side."""
    out, balance = [], opening
    for debit, credit in amounts:
        balance += (debit - credit) if debit_normal else (credit - debit)
        out.append(balance)
    return out
