"""Long report PDFs, the same way from the pages and from the API: laid out at once when short, else queued as a
background job (:mod:`fund_ledger.services.jobs`) that any worker process runs and any app process answers for.
"""
from __future__ import annotations

from flask import Response

from .. import clock
from ..reports.catalogue import REPORTS, Query, build
from ..reports.jobs import report_pdf_arguments
from ..services import jobs as queue
from ..db.engine import write_session
from .db import db_session, engine
from .downloads import download

BACKGROUND_LINES = 2_000
"""A journal or account-ledger PDF of more posting lines than this is prepared in the background
(about 3 s of layout on this machine; 10,000 lines take ~15 s)."""


def _lines(report) -> int:
    return report.lines if isinstance(report.lines, int) else len(report.lines)


def long_pdf(name: str, q: Query, user: str) -> Response | queue.JobView:
    """A 序时账 or 明细账 as PDF: the download when short, else the queued job (the same one again when the user
    already waits for this report)."""
    kind = REPORTS[name]
    today = clock.local_today()
    report = build(db_session(), name, q, today=today, fmt="pdf")  # refuses more than the PDF limit
    generated_at = clock.now()
    filename = f"{name}-{(q.as_of or q.end or today).isoformat()}.pdf"
    if _lines(report) <= BACKGROUND_LINES:
        return download(kind.to_pdf(report, generated_by=user, generated_at=generated_at), filename, "application/pdf")
    arguments = report_pdf_arguments(name, q, today=today, generated_at=generated_at, filename=filename)
    with write_session(engine()) as session, session.begin():  # the request's own session is read-only
        return queue.enqueue(session, "report-pdf", arguments, user, ignore=("generated_at",))


def job_result(job_id: str, user: str) -> Response | None:
    """The owner's finished job's file as a download; None when it is not theirs or not done."""
    found = queue.result(db_session(), job_id, user)
    if found is None:
        return None
    data, filename, media_type = found
    return download(data, filename, media_type)
