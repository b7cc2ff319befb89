"""Disbursement requests as a state machine, and tracing restricted gifts to the grants they paid for.

Pure functions over plain values: the service layer applies them inside a transaction.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SUBMITTED, APPROVED, REJECTED, CANCELLED, PAID, ACKNOWLEDGED = (
    "submitted", "approved", "rejected", "cancelled", "paid", "acknowledged")

TRANSITIONS: dict[tuple[str, str], str] = {
    # (state, action): next state. "approve" from submitted may leave it submitted until enough managers approve.
    (SUBMITTED, "approve"): APPROVED,
    (SUBMITTED, "reject"): REJECTED,
    (SUBMITTED, "cancel"): CANCELLED,
    (APPROVED, "cancel"): CANCELLED,
    (APPROVED, "pay"): PAID,
    (PAID, "acknowledge"): ACKNOWLEDGED,
}

STATUS_NAMES_ZH = {SUBMITTED: "已提交", APPROVED: "已批准", REJECTED: "已驳回", CANCELLED: "已撤销",
                   PAID: "已拨付", ACKNOWLEDGED: "已确认到账"}


def next_state(state: str, action: str) -> str | None:
    """The state ``action`` leads to from ``state``, or None when it is not allowed there."""
    return TRANSITIONS.get((state, action))


@dataclass(frozen=True, slots=True)
class Allocation:
    gift: int
    """The gift (donation id) the money came from."""
    grant: int
    """The disbursement it paid for."""
    amount: int


def allocate_fifo(gifts: Iterable[tuple[int, int]], grants: Iterable[tuple[int, int]]) -> list[Allocation]:
    """First in, first out: each grant (in order of payment) draws on the oldest gifts not yet drawn on.

    ``gifts`` and ``grants`` are (id, amount in fen) in date order. Money not yet granted stays with its
    gift; a grant larger than the gifts (impossible in a balanced restricted fund) is drawn as far as they go.
    """
    remaining = [[gid, amount] for gid, amount in gifts if amount > 0]
    out: list[Allocation] = []
    i = 0
    for grant_id, need in grants:
        while need > 0 and i < len(remaining):
            take = min(need, remaining[i][1])
            out.append(Allocation(remaining[i][0], grant_id, take))
            remaining[i][1] -= take
            need -= take
            if remaining[i][1] == 0:
                i += 1
    return out
