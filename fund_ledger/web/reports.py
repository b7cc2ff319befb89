"""Report pages (报表): an index with a form per report, each report as a page with CSV and PDF downloads.

Routes register on the shared ``web`` blueprint. The reports themselves, and what each takes, are in
:mod:`fund_ledger.reports.catalogue`; the downloads answer exactly what ``/api/v1/reports/<name>`` does.

A long PDF (a 序时账 or 明细账 of more than :data:`fund_ledger.http.jobs.BACKGROUND_LINES` posting lines, up to
the catalogue's limit) is not laid out inside the request: the request checks the report and queues a job in the
database (:mod:`fund_ledger.services.jobs`), which any worker process runs (``fund-ledger worker``, or the demo's
worker thread), and sends the browser to a page, answered by any app process from the same table, that shows
how many pages are done, refreshes itself (``<meta http-equiv="refresh">``: the CSP allows no script) and offers
the file when it is ready. The job has a random id and the username of who asked; nobody else can see it or
fetch the file (404, so the id reveals nothing). The file is kept for an hour.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from ..http.downloads import report_response
from ..http.jobs import job_result, long_pdf
from ..schemas.fields import ISO_DATE
from ..http.db import db_session
from ..db import models as m
from ..ledger.statements import format_percent
from ..reports import statement_render as render
from ..reports.catalogue import REPORTS, Query, build
from ..http.security import access, current_actor
from ..services import jobs as jobs_svc
from ..services.errors import InvalidInput
from ..services.jobs import JobView
from ..clock import local_today
from . import BOOK_READERS, bp
from .report_texts import notes_context

FIELDS = ("as_of", "from", "to", "fund_id", "account")


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
    funds, accounts = _choices()
    try:
        data = build(db_session(), name, _query(), today=today, fmt="html")
    except InvalidInput as err:  # a period the report does not take: the form again, the words beside it
        from .donations import _refused_here

        return render_template("web/reports/report.html", kind=kind, report=None, args=_args(), funds=funds,
                               accounts=accounts, today=today, **_refused_here(err, FIELDS)), err.status
    extra = notes_context(data) if name == "notes" else {}
    return render_template("web/reports/report.html", kind=kind, report=data, args=_args(), funds=funds,
                           accounts=accounts, today=today, render=render, format_percent=format_percent, **extra)


@bp.get("/reports/<name>.<fmt>")
@access(*BOOK_READERS)
def report_download(name: str, fmt: str):
    kind = _kind(name)
    if fmt not in ("csv", "pdf"):
        abort(404)
    if fmt == "pdf" and kind.long:
        return _long_pdf(kind, _query())
    return report_response(name, _query(), fmt, current_actor().username)


def _long_pdf(kind, q: Query):
    """A 序时账 or 明细账 as PDF: at once when short, else queued (see :mod:`fund_ledger.http.jobs`)."""
    answer = long_pdf(kind.name, q, current_actor().username)
    if isinstance(answer, JobView):
        return redirect(url_for("web.report_job", job_id=answer.id), 303)
    return answer


def _job(job_id: str) -> JobView:
    job = jobs_svc.find(db_session(), job_id, current_actor().username)
    if job is None or job.kind != "report-pdf":
        abort(404)
    return job


@bp.get("/reports/jobs/<job_id>")
@access(*BOOK_READERS)
def report_job(job_id: str):
    job = _job(job_id)
    args = {k: v for k, v in job.arguments["query"].items() if v is not None}
    response = current_app.make_response(render_template(
        "web/reports/job.html", job=job, kind=REPORTS[job.arguments["report"]], args=args,
        filename=job.arguments["filename"], generated_at=datetime.fromisoformat(job.arguments["generated_at"])))
    if not job.done:
        response.headers["Refresh"] = "2"  # the same as the page's <meta http-equiv="refresh">
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/reports/jobs/<job_id>/file")
@access(*BOOK_READERS)
def report_job_file(job_id: str):
    job = _job(job_id)
    if job.status != "done":
        abort(404 if job.status == "failed" else 409)
    response = job_result(job.id, current_actor().username)
    if response is None:  # purged a moment ago
        abort(404)
    return response
