"""Background jobs: long work (a PDF of thousands of lines) asked for in a request and done by any worker
process (``fund-ledger worker``, or the demo's worker thread), so that any app process can answer for it.

A row is the queue's item, its state and, once done, its result, kept for its owner for an hour. A worker
claims a row by setting ``status='running'``, its ``worker`` name and a lease (``lease_until``) that it
extends while it works; a lease that runs out (the worker was killed) lets another worker claim the job
again, up to the most attempts allowed. The result is written in the same UPDATE that sets ``done``.
"""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .base import Base

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(Base):
    """One piece of background work for one user."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Random (URL-safe, 24 characters): an id reveals nothing and cannot be guessed."""
    kind: Mapped[str] = mapped_column(String(32))
    """What to do: a name in :data:`fund_ledger.reports.jobs.KINDS` (``report-pdf``, ``probe``)."""
    arguments: Mapped[str] = mapped_column(Text)
    """The kind's arguments as canonical JSON (sorted keys)."""
    owner: Mapped[str] = mapped_column(String(64))
    """The username of who asked: nobody else sees the job or its result."""
    status: Mapped[str] = mapped_column(String(8), default="queued")
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Claims so far (the first run is attempt 1)."""
    worker: Mapped[str | None] = mapped_column(String(100))
    """Who holds (or last held) the job: host, process and thread."""
    lease_until: Mapped[str | None] = mapped_column(String(32))
    """While running: the worker's claim lapses at this UTC instant unless it extends it."""
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[str | None] = mapped_column(String(32))
    finished_at: Mapped[str | None] = mapped_column(String(32))
    expires_at: Mapped[str | None] = mapped_column(String(32))
    """A finished job (and its result) is purged by the workers after this instant."""
    result: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    result_filename: Mapped[str | None] = mapped_column(String(200))
    result_media_type: Mapped[str | None] = mapped_column(String(100))
    __table_args__ = (
        CheckConstraint("status IN ('queued','running','done','failed')", name="status"),
        CheckConstraint("status <> 'done' OR result IS NOT NULL", name="done_has_result"),
        Index("ix_jobs_status_created_at", "status", "created_at"),
        Index("ix_jobs_owner_status", "owner", "status"),
    )
