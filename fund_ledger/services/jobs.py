"""The job queue: a table (``jobs``) that every app process and every worker process shares, the same on SQLite
and PostgreSQL.

- :func:`enqueue` adds a job for its owner (a request does it; it commits its own small write transaction).
- :func:`claim` gives a worker the oldest job that is queued, or running under a lease that has lapsed (its
  worker was killed). The claim is one transaction: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
  workers never wait for each other or take the same row; on SQLite the write session's ``BEGIN IMMEDIATE``
  lets one claimer in at a time. Each claim counts an attempt; a lapsed job out of attempts is marked failed.
- :func:`heartbeat` extends the lease and records progress; :func:`complete` writes the result and ``done`` in
  one UPDATE; :func:`give_up` records a failure (queued again while attempts remain). All three act only while
  the worker still holds the claim (same worker name and attempt): a worker whose lease lapsed and whose job
  was taken over writes nothing.
- :func:`find` and :func:`result` answer only the job's owner: anyone else gets None, as if it did not exist.
- :func:`purge` deletes finished jobs (and their results) past ``expires_at``.

Every instant comes from :mod:`fund_ledger.clock`, stored as UTC text, which sorts as it compares.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from .. import clock
from ..db import models as m
from .errors import TooBusy

RESULT_KEPT = timedelta(hours=1)
"""How long a finished job and its result wait for their owner before a worker purges them."""
UNFINISHED_PER_USER = 3
"""Jobs one user may have queued or running; one more is refused (429) until one is done."""


_stamp = clock.utc_stamp


def _canonical(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class JobView:
    """A job as its owner sees it (without the result's bytes)."""

    id: str
    kind: str
    arguments: dict[str, Any]
    status: str
    progress_done: int
    progress_total: int | None
    attempts: int
    error: str | None
    created_at: str
    finished_at: str | None
    result_filename: str | None
    result_media_type: str | None

    @property
    def done(self) -> bool:
        """Finished, either way."""
        return self.status in ("done", "failed")

    @property
    def progress(self) -> int:
        """Per cent done (100 once done)."""
        if self.status == "done":
            return 100
        if not self.progress_total:
            return 0
        return min(99, self.progress_done * 100 // self.progress_total)

    @classmethod
    def of(cls, row: m.Job) -> JobView:
        return cls(row.id, row.kind, json.loads(row.arguments), row.status, row.progress_done, row.progress_total,
                   row.attempts, row.error, row.created_at, row.finished_at, row.result_filename,
                   row.result_media_type)


@dataclass(frozen=True)
class Claim:
    """A worker's hold on one job for one attempt."""

    id: str
    kind: str
    arguments: dict[str, Any]
    owner: str
    attempt: int
    worker: str


def enqueue(session: Session, kind: str, arguments: dict[str, Any], owner: str, *,
            ignore: tuple[str, ...] = ()) -> JobView:
    """Queue a job for ``owner``. The same kind and arguments (but for those named in ``ignore``, such as the
    time of asking) already waiting for them (a double click, a reload) is that job again; more than
    :data:`UNFINISHED_PER_USER` waiting is refused (TooBusy)."""
    text = _canonical(arguments)
    waiting = session.scalars(select(m.Job).where(m.Job.owner == owner, m.Job.status.in_(("queued", "running")))
                              .order_by(m.Job.created_at)).all()

    def same(args: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in args.items() if k not in ignore}

    for row in waiting:
        if row.kind == kind and same(json.loads(row.arguments)) == same(arguments):
            return JobView.of(row)
    if len(waiting) >= UNFINISHED_PER_USER:
        raise TooBusy(f"{len(waiting)} jobs are still running for you: wait for one to finish",
                      code="too_many_jobs")
    row = m.Job(id=secrets.token_urlsafe(18), kind=kind, arguments=text, owner=owner, status="queued",
                progress_done=0, attempts=0, created_at=clock.utc_stamp())
    session.add(row)
    session.flush()
    return JobView.of(row)


def find(session: Session, job_id: str, owner: str) -> JobView | None:
    """The job, to its owner only (anyone else, or an unknown or purged id: None)."""
    row = session.get(m.Job, job_id) if isinstance(job_id, str) and len(job_id) <= 32 else None
    if row is None or not secrets.compare_digest(row.owner.encode(), owner.encode()):
        return None
    if row.expires_at is not None and row.expires_at < clock.utc_stamp():  # kept an hour; purged soon
        return None
    return JobView.of(row)


def result(session: Session, job_id: str, owner: str) -> tuple[bytes, str, str] | None:
    """(bytes, filename, media type) of the owner's finished job; None when not theirs or not done."""
    job = find(session, job_id, owner)
    if job is None or job.status != "done":
        return None
    data = session.scalar(select(m.Job.result).where(m.Job.id == job_id))
    return bytes(data), job.result_filename or "result", job.result_media_type or "application/octet-stream"


def _claimable(stamp: str):
    return or_(m.Job.status == "queued", (m.Job.status == "running") & (m.Job.lease_until < stamp))


def any_claimable(session: Session) -> bool:
    """Whether :func:`claim` would find a job: a read, so that idle workers take no write lock to look."""
    return session.scalar(select(m.Job.id).where(_claimable(clock.utc_stamp())).limit(1)) is not None


def claim(session: Session, worker: str, *, lease_seconds: int, max_attempts: int) -> Claim | None:
    """Take the oldest claimable job for ``worker`` (the caller commits), or None when there is none.

    ``session`` is a write session (on SQLite its BEGIN IMMEDIATE serialises claimers)."""
    now = clock.now()
    stamp = _stamp(now)
    claimable = _claimable(stamp)
    while True:
        row = session.execute(select(m.Job.id, m.Job.kind, m.Job.arguments, m.Job.owner, m.Job.attempts,
                                     m.Job.status)
                              .where(claimable).order_by(m.Job.created_at, m.Job.id).limit(1)
                              .with_for_update(skip_locked=True)).first()
        if row is None:
            return None
        if row.attempts >= max_attempts:  # its workers died (or failed) every time: stop trying
            _finish_failed(session, row.id, f"gave up after {row.attempts} attempts (the worker stopped)", now)
            continue
        attempt = row.attempts + 1
        session.execute(update(m.Job).where(m.Job.id == row.id).values(
            status="running", attempts=attempt, worker=worker, started_at=stamp,
            lease_until=_stamp(now + timedelta(seconds=lease_seconds))))
        return Claim(row.id, row.kind, json.loads(row.arguments), row.owner, attempt, worker)


def _held(c: Claim):
    return (m.Job.id == c.id) & (m.Job.status == "running") & (m.Job.worker == c.worker) & (m.Job.attempts == c.attempt)


def heartbeat(session: Session, c: Claim, *, lease_seconds: int, done: int | None = None,
              total: int | None = None) -> bool:
    """Extend the lease (and record progress); False when the claim is no longer this worker's."""
    values: dict[str, Any] = {"lease_until": _stamp(clock.now() + timedelta(seconds=lease_seconds))}
    if done is not None:
        values["progress_done"] = done
    if total is not None:
        values["progress_total"] = total
    return session.execute(update(m.Job).where(_held(c)).values(**values)).rowcount == 1


def complete(session: Session, c: Claim, data: bytes, filename: str, media_type: str, *,
             total: int | None = None) -> bool:
    """The result and ``done`` in one UPDATE (``total``: the units of progress it came to, e.g. pages); False
    (nothing written) when the claim was lost."""
    now = clock.now()
    progress = {"progress_total": total, "progress_done": total} if total is not None else {}
    return session.execute(update(m.Job).where(_held(c)).values(
        status="done", result=data, result_filename=filename, result_media_type=media_type, error=None,
        finished_at=_stamp(now), expires_at=_stamp(now + RESULT_KEPT), lease_until=None, **progress)).rowcount == 1


def give_up(session: Session, c: Claim, error: str, *, max_attempts: int) -> str | None:
    """The attempt failed: queued again while attempts remain, else failed. The status it got, or None when the
    claim was lost."""
    if c.attempt < max_attempts:
        changed = session.execute(update(m.Job).where(_held(c)).values(
            status="queued", error=error[:1000], lease_until=None)).rowcount
        return "queued" if changed else None
    if session.execute(select(m.Job.id).where(_held(c))).first() is None:
        return None
    _finish_failed(session, c.id, error, clock.now())
    return "failed"


def _finish_failed(session: Session, job_id: str, error: str, now: datetime) -> None:
    session.execute(update(m.Job).where(m.Job.id == job_id).values(
        status="failed", error=error[:1000], finished_at=_stamp(now), expires_at=_stamp(now + RESULT_KEPT),
        lease_until=None))


def purge(session: Session) -> int:
    """Delete finished jobs past their time (results included); how many."""
    return session.execute(delete(m.Job).where(m.Job.status.in_(("done", "failed")),
                                               m.Job.expires_at < clock.utc_stamp())).rowcount


def count(session: Session, status: str | None = None) -> int:
    q = select(func.count()).select_from(m.Job)
    if status is not None:
        q = q.where(m.Job.status == status)
    return int(session.scalar(q) or 0)
