"""Closing a month: from then on nothing may be dated in it, and its seal records what it held."""
from __future__ import annotations

import calendar
import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db import repository as repo
from ..db.engine import lock_ledger
from . import audit
from .actor import Actor
from .errors import Conflict, Forbidden, InvalidInput, RuleBroken
from ..clock import local_today
from ..schemas.messages import Message
from .imports import unfinished_imports
from .verify import period_seal

PERIOD_RE = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")  # ASCII digits only: \d would take ２０２６ too


def period_bounds(period: str) -> tuple[date, date]:
    match = PERIOD_RE.match(period or "")
    if not match:
        raise InvalidInput(f"{period!r} is not a month written YYYY-MM", {"period": ["expected YYYY-MM"]})
    year, month = int(match[1]), int(match[2])
    if not 2000 <= year <= 9998:
        raise InvalidInput(f"{period}: the books hold months from 2000-01 on", {"period": ["a month from 2000-01 on"]})
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
    for batch, written in unfinished_imports(session):  # its checked rows may fall in this month
        raise Conflict(Message("import.unfinished", file=batch.filename, batch=batch.id, written=written,
                               rows=batch.rows), code="import_unfinished")
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


YEAR_RE = re.compile(r"^([0-9]{4})$")


def close_year(session: Session, actor: Actor, year: str, *, today: date | None = None) -> list[m.Period]:
    """Close every month of ``year`` still open, in order (each gets its own seal); one way, like a month."""
    if actor.role not in {"manager", "system"}:
        raise Forbidden("only a fund manager closes periods")
    match = YEAR_RE.match(year or "")
    if not match or int(year) < 2000:
        raise InvalidInput(f"{year!r} is not a year written YYYY", {"period": ["expected YYYY-MM or YYYY"]})
    if date(int(year), 12, 31) >= (today or local_today()):
        raise RuleBroken(f"{year} has not ended yet", code="period_not_ended")
    lock_ledger(session)
    closed = set(session.scalars(select(m.Period.period).where(m.Period.period.like(f"{year}-%"))))
    months = [f"{year}-{n:02d}" for n in range(1, 13) if f"{year}-{n:02d}" not in closed]
    if not months:
        raise Conflict(f"every month of {year} is already closed", code="already_closed")
    return [close_period(session, actor, month, today=today) for month in months]


def close(session: Session, actor: Actor, period: str, *, today: date | None = None) -> list[m.Period]:
    """Close a month (``YYYY-MM``) or the open months of a year (``YYYY``)."""
    if YEAR_RE.match(period or ""):
        return close_year(session, actor, period, today=today)
    return [close_period(session, actor, period, today=today)]


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    out = []
    while f"{year:04d}-{month:02d}" <= last and year <= 9999:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def list_months(session: Session, *, today: date | None = None) -> list[dict]:
    """Every month from the first entry (or the first closed month) to this one, newest first: closed months
    with their seal, open ones with the entries dated in them so far and whether they may be closed yet."""
    today = today or local_today()
    periods = {p.period: p for p in session.scalars(select(m.Period))}
    first_day = session.scalar(select(func.min(m.Entry.accounting_date)))
    starts = [month_of(repo.as_date(first_day))] if first_day is not None else []
    starts += [min(periods)] if periods else []
    current = month_of(today)
    months = _months_between(min(starts), max(current, max(periods, default=current))) if starts else [current]
    rows = []
    for name in reversed(months):
        first, last = period_bounds(name)
        p = periods.get(name)
        if p is not None:
            rows.append({"period": name, "status": "closed", "first_day": first, "last_day": last, "ended": True,
                         "entry_count": p.entry_count, "closed_at": p.closed_at, "closed_by": p.closed_by,
                         "head_seq": p.head_seq, "head_hash": p.head_hash, "seal": p.seal})
        else:
            count = session.scalar(select(func.count()).select_from(m.Entry)
                                   .where(m.Entry.accounting_date.between(first, last))) or 0
            rows.append({"period": name, "status": "open", "first_day": first, "last_day": last,
                         "ended": last < today, "entry_count": count, "closed_at": None, "closed_by": None,
                         "head_seq": None, "head_hash": None, "seal": None})
    return rows
