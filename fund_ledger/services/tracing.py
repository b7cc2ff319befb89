"""Tracing restricted money: which gifts paid for which disbursement, first in, first out.

A fund's gifts are its donations in (received_on, id) order, refunded ones left out (a gift is refunded
when its entry was reversed); its grants are the paid (and acknowledged) disbursements in (paid_on, id)
order, each counted net of what its grantee returned (a received use report). ``allocate_fifo`` pairs
them: each grant draws on the oldest gifts not yet drawn on, so money returned flows on to later grants.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db import repository as repo
from ..ledger.disbursements import ACKNOWLEDGED, PAID, Allocation, allocate_fifo
from .errors import NotFound


ANONYMOUS_NAME = "爱心人士"


def shown_name(name: str, display_name: str | None, anonymous: bool) -> str:
    """How anything public names a gift's donor (the acknowledgement, a grant's sources, a disclosure notice, the
    annual work report): the name they chose to be shown under (爱心人士 when none) when the gift is anonymous,
    else ``name``. The one rule; the rest call it."""
    if anonymous:
        return (display_name or "").strip() or ANONYMOUS_NAME
    return name


def public_name(donor: m.Donor, donation: m.Donation) -> str:
    """As the acknowledgement names the donor: :func:`shown_name` of the donor for this gift."""
    return shown_name(donor.name, donor.display_name, donation.anonymous)


@dataclass(frozen=True, slots=True)
class Trace:
    fund_code: str
    gifts: list[m.Donation]
    grants: list[m.Disbursement]
    allocations: list[Allocation]
    net: dict[int, int]
    """Each grant's amount less what its grantee returned."""

    @property
    def total_gifts(self) -> int:
        return sum(g.amount for g in self.gifts)

    @property
    def total_grants(self) -> int:
        return sum(self.net.values())

    def unspent(self, donation_id: int) -> int:
        gift = next(g for g in self.gifts if g.id == donation_id)
        return gift.amount - sum(a.amount for a in self.allocations if a.gift == donation_id)


@dataclass(frozen=True, slots=True)
class Source:
    """A gift behind a disbursement, as a grantee statement names it."""
    donation_id: int
    donor_name: str
    received_on: object
    amount: int


def _gifts(session: Session, fund_code: str) -> list[m.Donation]:
    rows = session.scalars(select(m.Donation).where(m.Donation.fund_code == fund_code)
                           .order_by(m.Donation.received_on, m.Donation.id))
    return [d for d in rows if repo.reversed_by(session, d.entry_id) is None]


def _grants(session: Session, fund_code: str) -> list[m.Disbursement]:
    return list(session.scalars(select(m.Disbursement).where(
        m.Disbursement.fund_code == fund_code, m.Disbursement.status.in_((PAID, ACKNOWLEDGED)))
        .order_by(m.Disbursement.paid_on, m.Disbursement.id)))


def trace_fund(session: Session, fund_code: str) -> Trace:
    """The fund's gifts, grants, and which gift paid for which grant."""
    if session.scalar(select(m.Fund.code).where(m.Fund.code == fund_code)) is None:
        raise NotFound(f"no fund '{fund_code}'")
    gifts, grants = _gifts(session, fund_code), _grants(session, fund_code)
    r = m.DisbursementReport
    returned = dict(session.execute(select(r.disbursement_id, r.returned).join(
        m.Disbursement, m.Disbursement.id == r.disbursement_id).where(
        m.Disbursement.fund_code == fund_code, r.status == "received", r.returned > 0)).all())
    net = {d.id: d.amount - returned.get(d.id, 0) for d in grants}
    allocations = allocate_fifo([(g.id, g.amount) for g in gifts], [(d.id, net[d.id]) for d in grants])
    return Trace(fund_code, gifts, grants, allocations, net)


def grants_for_donation(session: Session, donation_id: int) -> list[tuple[m.Disbursement, int]]:
    """The disbursements a gift paid for, with how much of the gift went to each (empty for a refunded gift)."""
    donation = session.get(m.Donation, donation_id)
    if donation is None:
        raise NotFound(f"no donation {donation_id}")
    trace = trace_fund(session, donation.fund_code)
    by_id = {d.id: d for d in trace.grants}
    return [(by_id[a.grant], a.amount) for a in trace.allocations if a.gift == donation_id]


def donors_for_disbursement(session: Session, disbursement_id: int) -> list[Source]:
    """The gifts (donors by their public name, 爱心人士 for anonymous gifts) behind a paid disbursement."""
    row = session.get(m.Disbursement, disbursement_id)
    if row is None:
        raise NotFound(f"no disbursement {disbursement_id}")
    if row.status not in (PAID, ACKNOWLEDGED):
        return []
    trace = trace_fund(session, row.fund_code)
    gifts = {g.id: g for g in trace.gifts}
    donors = {d.id: d for d in session.scalars(select(m.Donor).where(
        m.Donor.id.in_({g.donor_id for g in trace.gifts})))} if trace.gifts else {}
    out = []
    for a in trace.allocations:
        if a.grant == disbursement_id:
            gift = gifts[a.gift]
            out.append(Source(gift.id, public_name(donors[gift.donor_id], gift), gift.received_on, a.amount))
    return out


__all__ = ["Trace", "Source", "trace_fund", "grants_for_donation", "donors_for_disbursement"]
