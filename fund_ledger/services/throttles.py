"""Limits that every app process shares, kept in the database (``rate_counts``), so that they hold however many
workers serve the app (issue 11): a fixed-window count per key, and slots for work that may run only so many
at once. Each call is one atomic statement (an upsert the database serialises per row), so parallel requests
in any number of processes are counted one after the other. The caller commits, at once: these are meant
for a short transaction of their own, before the costly work they guard.

Timestamps are UTC text from the one clock (:mod:`fund_ledger.clock`), which compare as text."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, text, tuple_, update
from sqlalchemy.orm import Session

from .. import clock
from ..db import models as m

FORGET_AFTER = timedelta(days=1)

_COUNT = text("""
INSERT INTO rate_counts (scope, key, window_start, count, newest_at)
VALUES (:scope, :key, :now, 1, :now)
ON CONFLICT (scope, key) DO UPDATE SET
    count = CASE WHEN rate_counts.window_start <= :stale THEN 1 ELSE rate_counts.count + 1 END,
    window_start = CASE WHEN rate_counts.window_start <= :stale THEN :now ELSE rate_counts.window_start END,
    newest_at = :now
WHERE rate_counts.window_start <= :stale OR rate_counts.count < :limit
RETURNING count
""")

_TAKE = text("""
INSERT INTO rate_counts (scope, key, window_start, count, newest_at)
VALUES ('slot', :key, :now, 1, :now)
ON CONFLICT (scope, key) DO UPDATE SET
    count = CASE WHEN rate_counts.count <= 0 OR rate_counts.newest_at <= :lapsed THEN 1 ELSE rate_counts.count + 1 END,
    newest_at = :now
WHERE rate_counts.count < :slots OR rate_counts.newest_at <= :lapsed
RETURNING count
""")


def count(session: Session, scope: str, key: str, limit: int, window: timedelta) -> bool:
    """Count one request for ``key`` in its window and say whether it is within ``limit``; a refused request
    is not counted (so a client that keeps trying is let in again when its window ends)."""
    now = clock.now()
    counted = session.execute(_COUNT, {"scope": scope, "key": key[:140], "now": clock.utc_stamp(now),
                                       "stale": clock.utc_stamp(now - window), "limit": limit}).scalar()
    if counted == 1:  # a new key or a new window: the moment to forget old ones
        _purge(session)
    return counted is not None


def take_slot(session: Session, name: str, slots: int, lease: timedelta) -> bool:
    """Take one of ``slots`` for work named ``name``, or say there is none free. A slot whose holder never
    gave it back (a killed worker) frees all of them once ``lease`` has passed since the newest was taken."""
    now = clock.now()
    return session.execute(_TAKE, {"key": name, "now": clock.utc_stamp(now), "slots": slots,
                                   "lapsed": clock.utc_stamp(now - lease)}).scalar() is not None


def give_back_slot(session: Session, name: str) -> None:
    rc = m.RateCount
    session.execute(update(rc).where(rc.scope == "slot", rc.key == name, rc.count > 0).values(count=rc.count - 1))


def _purge(session: Session) -> None:
    """Forget keys quiet for a day, a hundred at a time; rows another transaction holds are skipped."""
    rc = m.RateCount
    old = (select(rc.scope, rc.key).where(rc.scope != "slot", rc.newest_at < clock.utc_stamp(clock.now() - FORGET_AFTER))
           .limit(100).with_for_update(skip_locked=True))
    session.execute(delete(rc).where(tuple_(rc.scope, rc.key).in_(old)))
