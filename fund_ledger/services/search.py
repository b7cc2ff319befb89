"""One search box over the books' people and papers, for fund managers and auditors: donors and organisations
by name, gifts by verification code, acknowledgement number, bank reference or donor name, and disbursement
requests by purpose or organisation. Each kind is one query cut to :data:`LIMIT` rows; a grantee (or anyone
else) is refused, since the answers name other organisations and donors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..db import models as m
from .actor import Actor
from .donations import GiftRow, donation_by_code
from .errors import Forbidden
from .lists import GiftFilter, gift_query, gift_row_from

LIMIT = 20
"""Rows of each kind shown; a kind with more says so and links to its own list."""
SEARCHERS = ("manager", "auditor")
RECEIPT = re.compile(r"^JZ(?P<year>[0-9]{4})-?(?P<seq>[0-9]{1,6})$", re.I)


@dataclass(frozen=True)
class Found:
    """What a search found, by kind; ``more`` names the kinds that had more than :data:`LIMIT`."""

    q: str
    donors: list[m.Donor] = field(default_factory=list)
    organisations: list[m.Organisation] = field(default_factory=list)
    gifts: list[GiftRow] = field(default_factory=list)
    disbursements: list[tuple[m.Disbursement, str]] = field(default_factory=list)
    more: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.donors or self.organisations or self.gifts or self.disbursements)


def _cut(rows: list, kind: str, more: set) -> list:
    if len(rows) > LIMIT:
        more.add(kind)
    return rows[:LIMIT]


def search(session: Session, actor: Actor, q: str) -> Found:
    if actor.role not in SEARCHERS:
        raise Forbidden("only fund managers and auditors search the books")
    q = (q or "").strip()
    if not q:
        return Found(q)
    more: set[str] = set()
    donors = _cut(list(session.scalars(select(m.Donor).where(or_(
        m.Donor.name.contains(q, autoescape=True), m.Donor.display_name.contains(q, autoescape=True)))
        .order_by(m.Donor.id.desc()).limit(LIMIT + 1))), "donors", more)
    organisations = _cut(list(session.scalars(select(m.Organisation).where(or_(
        m.Organisation.name.contains(q, autoescape=True), m.Organisation.credit_code == q.upper()))
        .order_by(m.Organisation.name).limit(LIMIT + 1))), "organisations", more)
    gifts = _gifts(session, q, more)
    disbursements = _cut([tuple(r) for r in session.execute(
        select(m.Disbursement, m.Organisation.name).join(m.Organisation, m.Organisation.id == m.Disbursement.organisation_id)
        .where(or_(m.Disbursement.purpose.contains(q, autoescape=True), m.Organisation.name.contains(q, autoescape=True)))
        .order_by(m.Disbursement.id.desc()).limit(LIMIT + 1))], "disbursements", more)
    return Found(q, donors, organisations, gifts, disbursements, frozenset(more))


def _gifts(session: Session, q: str, more: set) -> list[GiftRow]:
    """A gift named exactly (its verification code or acknowledgement number) first; then gifts whose bank
    reference holds ``q`` or whose donor's name does."""
    exact = []
    by_code = donation_by_code(session, q)
    if by_code is not None:
        exact.append(m.Donation.id == by_code.id)
    number = RECEIPT.match(q.replace(" ", ""))
    if number:
        exact.append((m.Donation.receipt_year == int(number["year"])) & (m.Donation.receipt_seq == int(number["seq"])))
    query = gift_query(GiftFilter())
    rows = [gift_row_from(*r) for r in session.execute(query.where(or_(*exact)).limit(2))] if exact else []
    seen = {r.donation.id for r in rows}
    loose = session.execute(query.where(or_(m.Donation.reference.contains(q, autoescape=True),
                                            m.Donor.name.contains(q, autoescape=True)))
                            .order_by(m.Donation.id.desc()).limit(LIMIT + 1))
    rows += [row for row in (gift_row_from(*r) for r in loose) if row.donation.id not in seen]
    return _cut(rows, "gifts", more)


__all__ = ["Found", "search", "LIMIT"]
