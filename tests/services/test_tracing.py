"""Tracing restricted money, first in, first out: allocations never exceed a gift or a grant and add up to
what was granted; the demo's 30,000 yuan grant traces to the first 100,000 yuan gift."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fund_ledger.db import models as m
from fund_ledger.ledger.disbursements import allocate_fifo
from fund_ledger.services import tracing

amounts = st.lists(st.integers(min_value=0, max_value=10**9), max_size=12)


@settings(max_examples=300, deadline=None)
@given(amounts, amounts)
def test_allocations_never_exceed_gifts_or_grants_and_sum_to_the_smaller_total(gift_amounts, grant_amounts):
    gifts = list(enumerate(gift_amounts, start=1))
    grants = list(enumerate(grant_amounts, start=101))
    allocations = allocate_fifo(gifts, grants)
    for gid, amount in gifts:
        assert sum(a.amount for a in allocations if a.gift == gid) <= amount
    for gid, amount in grants:
        assert sum(a.amount for a in allocations if a.grant == gid) <= amount
    assert all(a.amount > 0 for a in allocations)
    assert sum(a.amount for a in allocations) == min(sum(gift_amounts), sum(grant_amounts))
    # first in, first out: a later gift is drawn on only when every earlier one is used up
    drawn = {gid: sum(a.amount for a in allocations if a.gift == gid) for gid, _ in gifts}
    used = [gid for gid, amount in gifts if amount > 0 and drawn[gid] > 0]
    for gid in used[:-1]:
        assert drawn[gid] == dict(gifts)[gid]


def _session(engine):
    from fund_ledger.db.engine import write_session

    return write_session(engine)


def test_the_demo_grant_traces_to_the_first_gift(demo_db, engine):
    with _session(engine) as s, s.begin():
        grant = s.scalar(select(m.Disbursement).where(m.Disbursement.fund_code == "AILILIANG",
                                                     m.Disbursement.status == "acknowledged"))
        sources = tracing.donors_for_disbursement(s, grant.id)
        assert [(x.donor_name, x.amount) for x in sources] == [("张店区女企业家协会", 3_000_000)]
        first = s.get(m.Donation, sources[0].donation_id)
        assert first.amount == 10_000_000
        assert [(d.id, amount) for d, amount in tracing.grants_for_donation(s, first.id)] == [(grant.id, 3_000_000)]
        trace = tracing.trace_fund(s, "AILILIANG")
        assert trace.total_gifts == 10_800_000 and trace.total_grants == 3_000_000
        assert trace.unspent(first.id) == 7_000_000
        # the submitted (unpaid) second instalment draws on nothing
        waiting = s.scalar(select(m.Disbursement).where(m.Disbursement.status == "submitted"))
        assert tracing.donors_for_disbursement(s, waiting.id) == []
        # a later gift to the same fund paid for nothing yet
        later = s.scalar(select(m.Donation).where(m.Donation.fund_code == "AILILIANG", m.Donation.id != first.id))
        assert tracing.grants_for_donation(s, later.id) == []


def test_a_refunded_gift_pays_for_nothing_and_anonymous_donors_are_not_named(demo_db, engine):
    from datetime import date

    from fund_ledger.ledger.money import parse_amount
    from fund_ledger.services import disbursements as grants
    from fund_ledger.services.actor import Actor
    from fund_ledger.services.donations import Gift, record_donation, refund_donation

    manager, system = Actor("manager", "manager"), Actor("system", "system")
    today = date(2026, 11, 27)
    with _session(engine) as s, s.begin():
        donors = {d.name: d.id for d in s.scalars(select(m.Donor))}
        # a gift recorded and refunded comes before any grant date-wise, but pays for nothing
        refunded = record_donation(s, manager, Gift(donor_id=donors["王秀兰"], fund="JIAXUEYUAN",
                                                    amount=parse_amount("4000"), received_on=date(2026, 10, 1),
                                                    channel="bank"), today=today)
        refund_donation(s, manager, refunded.id, "退回", on=date(2026, 10, 2), today=today)
        anon = record_donation(s, manager, Gift(donor_id=donors["孙丽"], fund="JIAXUEYUAN",
                                                amount=parse_amount("500"), received_on=date(2026, 10, 16),
                                                channel="bank", anonymous=True), today=today)
        org = s.scalar(select(m.Organisation.id).where(m.Organisation.name == "喜悦绘"))
        row = grants.submit(s, Actor("manager2", "manager"), organisation_id=org, fund="JIAXUEYUAN",
                            amount=parse_amount("15200"), purpose="家学苑课程")
        grants.approve(s, manager, row.id)
        grants.pay(s, manager, row.id, paid_on=date(2026, 11, 20), reference="P-1", today=today)
        sources = tracing.donors_for_disbursement(s, row.id)
        assert [(x.donor_name, x.amount) for x in sources] == [("张店区家庭教育志愿者", 1_500_000), ("爱心人士", 20_000)]
        assert tracing.grants_for_donation(s, refunded.id) == []
        assert tracing.trace_fund(s, "JIAXUEYUAN").unspent(anon.id) == 30_000
