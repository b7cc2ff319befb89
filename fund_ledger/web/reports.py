"""Report pages (报表): an index with a form per report, each report as a page with CSV and PDF downloads.

Routes register on the shared ``web`` blueprint. The reports themselves, and what each takes, are in
:mod:`fund_ledger.reports.catalogue`; the downloads answer exactly what ``/api/v1/reports/<name>`` does.

A long PDF (a 序时账 or 明细账 of more than :data:`BACKGROUND_LINES` posting lines, up to the catalogue's
limit) is not laid out inside the request: the request reads the report (one snapshot, as the
synchronous download would), hands the layout to a worker thread of this process and sends the browser
to a page that shows how many pages are done, refreshes itself (``<meta http-equiv="refresh">``: the
CSP allows no script) and offers the file when it is ready. The job is kept in memory under a random id
and the username of who asked; nobody else can see it or fetch the file (404, so the id reveals
nothing). The bytes are those the synchronous path gives for the same report, user and generation time.
Jobs live in this process only (a deployment with several worker processes would need sticky sessions
or a table); a finished one is dropped after :data:`JOB_KEPT`.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import clock
from ..http.downloads import download, report_response
from ..schemas.fields import ISO_DATE
from ..http.db import db_session
from ..db import models as m
from ..ledger.statements import format_percent
from ..reports import statement_render as render
from ..reports.catalogue import REPORTS, Query, build
from ..http.security import access, current_actor
from ..services.errors import InvalidInput
from ..clock import local_today
from . import BOOK_READERS, bp

logger = logging.getLogger(__name__)

FIELDS = ("as_of", "from", "to", "fund_id", "account")

BACKGROUND_LINES = 2_000
"""A journal or account-ledger PDF of more posting lines than this is prepared in the background
(about 3 s of layout on this machine; 10,000 lines take ~15 s)."""
JOB_KEPT = 3600
"""Seconds a prepared PDF waits to be fetched (from when it was asked for)."""
JOBS_PER_USER = 3
"""Unfinished PDFs one user may have waiting; one more is refused (429) until one is done."""


def _date(name: str) -> date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        if not ISO_DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}: a date written YYYY-MM-DD", {name: ["a date written YYYY-MM-DD"]}) from None


def _query() -> Query:
    fund = (request.args.get("fund_id") or "").strip()
    if fund and (not fund.isascii() or not fund.isdigit() or len(fund) > 10):
        raise InvalidInput("fund_id: a fund's number", {"fund_id": ["a fund's number"]})
    return Query(as_of=_date("as_of"), start=_date("from"), end=_date("to"), fund_id=int(fund) if fund else None,
                 account=(request.args.get("account") or "").strip() or None)


def _kind(name: str):
    if name not in REPORTS:
        abort(404)
    return REPORTS[name]


def _choices():
    session = db_session()
    funds = session.execute(select(m.Fund.id, m.Fund.name, m.Fund.restricted).order_by(m.Fund.id)).all()
    accounts = session.execute(select(m.Account.code, m.Account.name).order_by(m.Account.code)).all()
    return funds, accounts


def _args() -> dict[str, str]:
    """The query as the page received it, for the form and the download links (empty fields dropped)."""
    return {k: request.args[k] for k in FIELDS if request.args.get(k)}


@bp.get("/reports")
@access(*BOOK_READERS)
def reports():
    funds, accounts = _choices()
    return render_template("web/reports/index.html", reports=REPORTS.values(), funds=funds, accounts=accounts,
                           today=local_today())


@bp.get("/reports/<name>")
@access(*BOOK_READERS)
def report(name: str):
    kind = _kind(name)
    today = local_today()
    data = build(db_session(), name, _query(), today=today, fmt="html")
    funds, accounts = _choices()
    return render_template("web/reports/report.html", kind=kind, report=data, args=_args(), funds=funds,
                           accounts=accounts, today=today, render=render, format_percent=format_percent)


@bp.get("/reports/<name>.<fmt>")
@access(*BOOK_READERS)
def report_download(name: str, fmt: str):
    kind = _kind(name)
    if fmt not in ("csv", "pdf"):
        abort(404)
    if fmt == "pdf" and kind.long:
        return _long_pdf(kind, _query())
    return report_response(name, _query(), fmt, current_actor().username)


def _lines(report) -> int:
    return report.lines if isinstance(report.lines, int) else len(report.lines)


def _long_pdf(kind, q: Query):
    """A 序时账 or 明细账 as PDF: at once when short, else prepared in the background."""
    today = local_today()
    report = build(db_session(), kind.name, q, today=today, fmt="pdf")  # refuses more than the PDF limit
    user = current_actor().username
    generated_at = clock.now()
    filename = f"{kind.name}-{(q.as_of or q.end or today).isoformat()}.pdf"
    if _lines(report) <= BACKGROUND_LINES:
        return download(kind.to_pdf(report, generated_by=user, generated_at=generated_at), filename, "application/pdf")
    job = jobs().submit(user, kind, filename, _args(), generated_at,
                        lambda progress: kind.to_pdf(report, generated_by=user, generated_at=generated_at,
                                                     progress=progress))
    return redirect(url_for("web.report_job", job_id=job.id), 303)


@dataclass
class PdfJob:
    """One PDF being prepared for one user."""

    id: str
    owner: str
    kind_name: str
    filename: str
    args: dict[str, str]
    generated_at: datetime
    asked: float = field(default_factory=time.monotonic)
    pages_done: int = 0
    total_pages: int | None = None
    pdf: bytes | None = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def done(self) -> bool:
        return self.finished.is_set()


class PdfJobs:
    """The PDFs being prepared in this process: one worker thread (layout is CPU-bound and holds the
    GIL, so a second would only slow both), jobs in a dict under a lock."""

    def __init__(self, workers: int = 1) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report-pdf")
        self._jobs: dict[str, PdfJob] = {}
        self._lock = threading.Lock()

    def submit(self, owner: str, kind, filename: str, args: dict[str, str], generated_at: datetime, render) -> PdfJob:
        with self._lock:
            self._forget_old()
            waiting = [j for j in self._jobs.values() if j.owner == owner and not j.done]
            for j in waiting:  # the same report asked again (a double click, a reload): the same job
                if j.kind_name == kind.name and j.args == args:
                    return j
            if len(waiting) >= JOBS_PER_USER:
                abort(429, description=f"{len(waiting)} PDFs are still being prepared for you: wait for one")
            job = PdfJob(secrets.token_urlsafe(18), owner, kind.name, filename, args, generated_at)
            self._jobs[job.id] = job
        self._executor.submit(self._run, job, render)
        return job

    def get(self, job_id: str, owner: str) -> PdfJob | None:
        with self._lock:
            self._forget_old()
            job = self._jobs.get(job_id)
        return job if job is not None and secrets.compare_digest(job.owner, owner) else None

    def _forget_old(self) -> None:
        """Drop finished jobs after JOB_KEPT, and beyond the newest JOBS_PER_USER finished ones of each user,
        so finished PDFs cannot pile up in memory however many are asked for."""
        now = time.monotonic()
        for key in [k for k, j in self._jobs.items() if j.done and now - j.asked > JOB_KEPT]:
            del self._jobs[key]
        finished: dict[str, list[PdfJob]] = {}
        for j in sorted(self._jobs.values(), key=lambda j: j.asked, reverse=True):
            if j.done:
                finished.setdefault(j.owner, []).append(j)
        for owned in finished.values():
            for j in owned[JOBS_PER_USER:]:
                del self._jobs[j.id]

    @staticmethod
    def _run(job: PdfJob, render) -> None:
        def progress(done: int, total: int) -> None:
            job.total_pages, job.pages_done = total, done

        try:
            job.pdf = render(progress)
        except Exception as exc:  # shown on the job's page; the request that asked is long gone
            logger.exception("preparing %s for %s failed", job.filename, job.owner)
            job.error = type(exc).__name__
        finally:
            job.finished.set()


_jobs_lock = threading.Lock()


def jobs() -> PdfJobs:
    """This app's :class:`PdfJobs` (made at the first long PDF)."""
    with _jobs_lock:
        if "fund_ledger.report_jobs" not in current_app.extensions:
            current_app.extensions["fund_ledger.report_jobs"] = PdfJobs()
        return current_app.extensions["fund_ledger.report_jobs"]


def _job(job_id: str) -> PdfJob:
    job = jobs().get(job_id, current_actor().username)
    if job is None:
        abort(404)
    return job


@bp.get("/reports/jobs/<job_id>")
@access(*BOOK_READERS)
def report_job(job_id: str):
    job = _job(job_id)
    response = current_app.make_response(render_template("web/reports/job.html", job=job, kind=REPORTS[job.kind_name]))
    if not job.done:
        response.headers["Refresh"] = "2"  # the same as the page's <meta http-equiv="refresh">
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/reports/jobs/<job_id>/file")
@access(*BOOK_READERS)
def report_job_file(job_id: str):
    job = _job(job_id)
    if job.pdf is None:
        abort(404 if job.error else 409)
    return download(job.pdf, job.filename, "application/pdf")
