"""What background jobs do, and the worker that does them (``fund-ledger worker``, or a thread of the demo app).

The queue itself is :mod:`fund_ledger.services.jobs` (a table). A worker loops: claim the oldest job, run its
kind's function while a heartbeat thread extends the lease and records progress, then write the result and
``done`` in one transaction (or the failure). Killed mid-job (``kill -9``, a lost machine), it writes nothing
more; its lease lapses and another worker runs the job again, up to the most attempts allowed.

Kinds (:data:`KINDS`):
- ``report-pdf``: a 序时账 or 明细账 PDF too long to lay out inside a request. The worker reads the report in one
  snapshot of the ledger as it is when the job runs (the PDF's digest names that state: entries and head hash),
  for the user who asked and with the generation time of their request, so its bytes are those the synchronous
  download gives for the same ledger, user and time.
- ``probe``: waits a number of seconds, or until a file exists, and answers which worker ran it. Nothing a
  user can ask for: operators and tests use it to see that workers take jobs (and survive a killed one).
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ..db.engine import read_session, write_session
from ..services import jobs as queue
from .catalogue import REPORTS, Query, build

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Output:
    data: bytes
    filename: str
    media_type: str


@dataclass
class Context:
    """What a kind's function gets besides its arguments."""

    engine: Engine
    owner: str
    worker: str
    progress: Callable[[int, int], None]


# --- kinds ------------------------------------------------------------------------------------------

def report_pdf_arguments(name: str, q: Query, *, today: date, generated_at: datetime, filename: str) -> dict:
    """The arguments of a ``report-pdf`` job (JSON): enough to build the same report again in any process."""
    return {"report": name, "filename": filename, "today": today.isoformat(),
            "generated_at": generated_at.isoformat(),
            "query": {"as_of": q.as_of and q.as_of.isoformat(), "from": q.start and q.start.isoformat(),
                      "to": q.end and q.end.isoformat(), "fund_id": q.fund_id, "account": q.account}}


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _report_pdf(args: dict[str, Any], ctx: Context) -> Output:
    kind = REPORTS[args["report"]]
    qa = args["query"]
    q = Query(as_of=_day(qa.get("as_of")), start=_day(qa.get("from")), end=_day(qa.get("to")),
              fund_id=qa.get("fund_id"), account=qa.get("account"))
    with read_session(ctx.engine) as session, session.begin():
        report = build(session, kind.name, q, today=date.fromisoformat(args["today"]), fmt="pdf")
    pdf = kind.to_pdf(report, generated_by=ctx.owner, generated_at=datetime.fromisoformat(args["generated_at"]),
                      progress=ctx.progress)
    return Output(pdf, args["filename"], "application/pdf")


def _probe(args: dict[str, Any], ctx: Context) -> Output:
    seconds = float(args.get("seconds", 0))
    until = args.get("until_file")
    started = time.monotonic()
    steps = 0
    while True:
        waited = time.monotonic() - started
        if (until and Path(until).exists()) or ((not until or seconds) and waited >= seconds):
            break
        steps += 1
        ctx.progress(min(steps, 99), 100)
        time.sleep(0.05)
    if args.get("fail"):
        raise RuntimeError("the probe was asked to fail")
    return Output(f"probe {args.get('label', '')} done by {ctx.worker}".encode(), "probe.txt", "text/plain")


KINDS: dict[str, Callable[[dict[str, Any], Context], Output]] = {
    "report-pdf": _report_pdf,
    "probe": _probe,
}


# --- the worker -------------------------------------------------------------------------------------

def worker_name() -> str:
    """Host, process and thread, and a few random characters (a restarted process may reuse a pid)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{threading.get_ident() % 100000}:{secrets.token_hex(3)}"


class Worker:
    """Runs jobs from the queue in the database; any number of them, in any processes, on any machines."""

    PURGE_EVERY = 60.0
    """Seconds between two purges of expired results."""

    def __init__(self, engine: Engine, *, lease_seconds: int, max_attempts: int, poll_seconds: float = 1.0,
                 name: str | None = None):
        self.engine = engine
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.name = name or worker_name()
        self.stop = threading.Event()
        self._last_purge = float("-inf")

    def run(self, *, max_jobs: int | None = None, once: bool = False) -> int:
        """Run jobs until :attr:`stop` is set (``once``: until the queue is empty; ``max_jobs``: that many)."""
        ran = 0
        while not self.stop.is_set() and (max_jobs is None or ran < max_jobs):
            try:
                did = self.run_one()
            except Exception:  # noqa: BLE001 - the database went away for a moment: keep the worker alive
                logger.exception("worker %s: the queue could not be read", self.name)
                did = False
            if did:
                ran += 1
            elif once:
                break
            else:
                self.stop.wait(self.poll_seconds)
        return ran

    def run_one(self) -> bool:
        """Claim and run one job; False when there was none to take."""
        self._purge()
        with read_session(self.engine) as session, session.begin():
            if not queue.any_claimable(session):
                return False
        with write_session(self.engine) as session, session.begin():
            claim = queue.claim(session, self.name, lease_seconds=self.lease_seconds, max_attempts=self.max_attempts)
        if claim is None:
            return False
        beat = _Heartbeat(self, claim)
        beat.start()
        try:
            output = KINDS[claim.kind](claim.arguments, Context(self.engine, claim.owner, self.name, beat.progress))
        except Exception as exc:  # noqa: BLE001 - recorded on the job; its owner sees that it failed
            beat.finish()
            logger.exception("job %s (%s) failed, attempt %s", claim.id, claim.kind, claim.attempt)
            with write_session(self.engine) as session, session.begin():
                queue.give_up(session, claim, f"{type(exc).__name__}: {exc}", max_attempts=self.max_attempts)
            return True
        beat.finish()
        with write_session(self.engine) as session, session.begin():
            if not queue.complete(session, claim, output.data, output.filename, output.media_type,
                                  total=beat.total):
                logger.warning("job %s: the lease lapsed and another worker took it; this result is dropped", claim.id)
        return True

    def _purge(self) -> None:
        if time.monotonic() - self._last_purge < self.PURGE_EVERY:
            return
        self._last_purge = time.monotonic()
        with write_session(self.engine) as session, session.begin():
            queue.purge(session)


class _Heartbeat:
    """A thread that extends the running job's lease (a third of the lease apart) and records its progress."""

    def __init__(self, worker: Worker, claim: queue.Claim):
        self.worker, self.claim = worker, claim
        self.interval = max(0.1, min(worker.lease_seconds / 3, 2.0))
        self._done: int | None = None
        self._total: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"job-heartbeat-{claim.id[:6]}", daemon=True)

    def progress(self, done: int, total: int) -> None:
        self._done, self._total = done, total

    @property
    def total(self) -> int | None:
        return self._total

    def start(self) -> None:
        self._thread.start()

    def finish(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with write_session(self.worker.engine) as session, session.begin():
                    held = queue.heartbeat(session, self.claim, lease_seconds=self.worker.lease_seconds,
                                           done=self._done, total=self._total)
            except Exception:  # noqa: BLE001 - a missed beat only shortens the lease
                logger.exception("job %s: heartbeat failed", self.claim.id)
                continue
            if not held:
                logger.warning("job %s: no longer held by %s", self.claim.id, self.worker.name)
                return


def start_worker_thread(engine: Engine, *, lease_seconds: int, max_attempts: int,
                        poll_seconds: float = 1.0) -> tuple[Worker, threading.Thread]:
    """A worker in a daemon thread of this process (the embedded demo's single process)."""
    worker = Worker(engine, lease_seconds=lease_seconds, max_attempts=max_attempts, poll_seconds=poll_seconds)
    thread = threading.Thread(target=worker.run, name="job-worker", daemon=True)
    thread.start()
    return worker, thread
