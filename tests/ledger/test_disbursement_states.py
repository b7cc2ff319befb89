from hypothesis import given
from hypothesis import strategies as st

from fund_ledger.ledger.disbursements import Allocation, allocate_fifo, next_state


def test_the_states_a_request_moves_through():
    assert next_state("submitted", "approve") == "approved"
    assert next_state("approved", "pay") == "paid"
    assert next_state("paid", "acknowledge") == "acknowledged"
    for state, action in [("submitted", "pay"), ("approved", "approve"), ("paid", "cancel"), ("rejected", "approve"),
                          ("acknowledged", "pay"), ("cancelled", "approve"), ("submitted", "acknowledge")]:
        assert next_state(state, action) is None


def test_fifo_draws_on_the_oldest_gift_first():
    assert allocate_fifo([(1, 100_000_00), (2, 8_000_00)], [(10, 30_000_00), (11, 75_000_00)]) == [
        Allocation(1, 10, 30_000_00), Allocation(1, 11, 70_000_00), Allocation(2, 11, 5_000_00)]


amounts = st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 10**9)), max_size=20, unique_by=lambda t: t[0])


@given(gifts=amounts, grants=amounts)
def test_fifo_never_creates_or_loses_money(gifts, grants):
    out = allocate_fifo(gifts, grants)
    for gid, amount in gifts:
        assert sum(a.amount for a in out if a.gift == gid) <= amount
    for gid, amount in grants:
        assert sum(a.amount for a in out if a.grant == gid) <= amount
    assert sum(a.amount for a in out) == min(sum(a for _, a in gifts), sum(a for _, a in grants))
