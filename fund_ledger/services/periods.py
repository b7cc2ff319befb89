"""Closing a month: from then on nothing may be dated in it, and its seal records what it held."""
from __future__ import annotations

import calendar
import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db import repository as repo
from ..db.engine import lock_ledger
from . import audit
from .actor import Actor
from .errors import Conflict, Forbidden, InvalidInput, RuleBroken
from .ledger import local_today
from .verify import period_seal

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def period_bounds(period: str) -> tuple[date, date]:
    match = PERIOD_RE.match(period or "")
    if not match:
        raise InvalidInput(f"{period!r} is not a month written YYYY-MM", {"period": ["expected YYYY-MM"]})
    year, month = int(match[1]), int(match[2])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def close_period(session: Session, actor: Actor, period: str, *, today: date | None = None) -> m.Period:
    """Close and seal ``period``; one way: a later correction goes into an open period as a new entry."""
    if actor.role not in {"manager", "system"}:
        raise Forbidden("only a fund manager closes periods")
    first, last = period_bounds(period)
    if last >= (today or local_today()):
        raise RuleBroken(f"{period} has not ended yet", code="period_not_ended")
    lock_ledger(session)
    if session.get(m.Period, period) is not None:
        raise Conflict(f"{period} is already closed", code="already_closed")
    head_seq, head_hash = repo.chain_head(session)
    hashes = list(session.scalars(select(m.Entry.hash).where(m.Entry.accounting_date.between(first, last))
                                  .order_by(m.Entry.id)))
    row = m.Period(period=period, first_day=first, last_day=last, closed_at=repo.utc_now_text(),
                   closed_by=actor.username, entry_count=len(hashes), head_seq=head_seq, head_hash=head_hash,
                   seal=period_seal(hashes, head_hash))
    session.add(row)
    session.flush()
    audit.record(session, actor, "period.close", object_type="period", object_id=period,
                 detail={"seal": row.seal, "entries": row.entry_count, "head_seq": head_seq})
    return row
