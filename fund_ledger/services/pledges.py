"""Pledges: gifts promised, due in instalments, settled by gifts received against them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db.repository import utc_now_text
from ..ledger.money import MAX_AMOUNT_FEN
from . import audit
from .actor import Actor
from .donations import _require_manager, find_fund, get_donor
from .errors import InvalidInput, NotFound


@dataclass(frozen=True)
class PledgeStatus:
    pledge: m.Pledge
    promised: int
    received: int
    due_by_today: int
    next_due_on: date | None

    @property
    def outstanding(self) -> int:
        return max(self.promised - self.received, 0)

    @property
    def overdue(self) -> int:
        """What was due by today and has not arrived."""
        return max(self.due_by_today - self.received, 0)


def create_pledge(session: Session, actor: Actor, *, donor_id: int, fund, instalments: list[tuple[date, int]],
                  memo: str = "") -> m.Pledge:
    _require_manager(actor)
    donor = get_donor(session, donor_id)
    fund_row = find_fund(session, fund)
    errors: dict[str, list[str]] = {}
    if not instalments or len(instalments) > 120:
        errors["instalments"] = ["1 to 120 instalments"]
    elif len({d for d, _ in instalments}) != len(instalments):
        errors["instalments"] = ["two instalments on the same date"]
    elif any(type(a) is not int or not 0 < a <= MAX_AMOUNT_FEN for _, a in instalments):
        errors["instalments"] = ["each instalment is a positive amount"]
    if len(memo or "") > 500:
        errors["memo"] = ["at most 500 characters"]
    if errors:
        raise InvalidInput("the pledge is not valid: " + "; ".join(v[0] for v in errors.values()), errors)
    pledge = m.Pledge(donor_id=donor.id, fund_code=fund_row.code, memo=memo or "", created_at=utc_now_text(),
                      created_by=actor.username)
    session.add(pledge)
    session.flush()
    session.add_all(m.PledgeInstalment(pledge_id=pledge.id, due_on=d, amount=a) for d, a in sorted(instalments))
    session.flush()
    audit.record(session, actor, "pledge.create", object_type="pledge", object_id=pledge.id,
                 detail={"donor_id": donor.id, "fund": fund_row.code,
                         "instalments": [[d.isoformat(), a] for d, a in sorted(instalments)]})
    return pledge


def pledge_statuses(session: Session, today: date, *, donor_id: int | None = None) -> list[PledgeStatus]:
    """Every pledge (or a donor's) with what was promised, received and is overdue today."""
    q = select(m.Pledge).order_by(m.Pledge.id)
    if donor_id is not None:
        q = q.where(m.Pledge.donor_id == donor_id)
    pledges = list(session.scalars(q))
    if not pledges:
        return []
    ids = [p.id for p in pledges]
    received = dict(session.execute(select(m.Donation.pledge_id, func.sum(m.Donation.amount))
                                    .where(m.Donation.pledge_id.in_(ids)).group_by(m.Donation.pledge_id)).all())
    plan: dict[int, list[m.PledgeInstalment]] = {}
    for inst in session.scalars(select(m.PledgeInstalment).where(m.PledgeInstalment.pledge_id.in_(ids))
                                .order_by(m.PledgeInstalment.due_on)):
        plan.setdefault(inst.pledge_id, []).append(inst)
    out = []
    for p in pledges:
        items = plan.get(p.id, [])
        got = int(received.get(p.id) or 0)
        due = sum(i.amount for i in items if i.due_on <= today)
        cumulative, next_due = 0, None
        for i in items:
            cumulative += i.amount
            if cumulative > got:
                next_due = i.due_on
                break
        out.append(PledgeStatus(p, sum(i.amount for i in items), got, due, next_due))
    return out


def overdue_pledges(session: Session, today: date) -> list[PledgeStatus]:
    return [s for s in pledge_statuses(session, today) if s.overdue > 0]


def get_pledge(session: Session, pledge_id: int) -> m.Pledge:
    pledge = session.get(m.Pledge, pledge_id)
    if pledge is None:
        raise NotFound(f"no pledge {pledge_id}")
    return pledge
