"""Files handed to the browser, the same way from the pages and from the API: statements as CSV or PDF,
grantees' attachments, issued audit reports. Every one is a download (``Content-Disposition:
attachment``) that no cache keeps for anyone else."""
from __future__ import annotations

import io

from flask import Response, jsonify, make_response, send_file, stream_with_context

from .. import clock
from ..db import models as m
from ..reports import statement_render as render
from ..reports import statements as st
from ..reports.catalogue import REPORTS, Query, build, check_query
from ..services import audit_reports as audit_reports_svc
from ..services.errors import NotFound
from .db import db_session


def download(data: str | bytes, filename: str, mimetype: str) -> Response:
    response = make_response(data)
    response.mimetype = mimetype
    if mimetype.startswith("text/"):
        response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def streamed_csv(chunks, filename: str) -> Response:
    """A CSV written as it is read, whatever its length."""
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def report_response(name: str, q: Query, fmt: str, generated_by: str) -> Response:
    """The report as JSON, CSV or PDF; the general journal's CSV streams, whatever its length."""
    if name not in REPORTS:
        raise NotFound(f"no report {name!r} (one of {', '.join(REPORTS)})", {"name": [f"no report {name!r}"]})
    kind = REPORTS[name]
    session = db_session()
    today = clock.local_today()
    stem = f"{name}-{(q.as_of or q.end or today).isoformat()}"
    if name == "general-journal" and fmt == "csv":
        check_query(kind, q)
        end = q.end or today
        start = q.start or end.replace(month=1, day=1)
        st.check_period(start, end)
        fund = st.find_fund_ref(session, q.fund_id)
        return streamed_csv(render.iter_general_journal_csv(st.iter_journal(session, start, end, fund)), f"{stem}.csv")
    report = build(session, name, q, today=today, fmt=fmt)
    if fmt == "csv":
        return download(kind.to_csv(report), f"{stem}.csv", "text/csv")
    if fmt == "pdf":
        pdf = kind.to_pdf(report, generated_by=generated_by, generated_at=clock.now())
        return download(pdf, f"{stem}.pdf", "application/pdf")
    return jsonify({"report": name, **kind.to_json(report)})


def attachment_response(a: m.DisbursementAttachment) -> Response:
    """An attachment as a download, never shown by the browser as a page."""
    response = send_file(io.BytesIO(bytes(a.data)), mimetype=a.content_type, as_attachment=True,
                         download_name=a.filename, etag=a.sha256, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def audit_report_response(session, report_id: int, *, public: bool = False) -> Response:
    """An issued audit report's stored bytes as a download, with their SHA-256 in the headers. ``public``: the
    anonymous download, which knows only reports issued for the public (``AuditReport.for_public``)."""
    row = audit_reports_svc.get_report(session, report_id)
    if public and not row.for_public:
        raise NotFound(f"no audit report {report_id}")
    response = make_response(audit_reports_svc.report_pdf(session, report_id))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="audit-report-{row.period}-{row.id}.pdf"'
    response.headers["ETag"] = f'"{row.sha256}"'
    response.headers["X-Content-SHA256"] = row.sha256
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def published_item_response(session, item_id: int) -> Response:
    """A published item's bytes (its PDF, or its text as UTF-8) as a download, with their SHA-256."""
    from ..services import disclosures

    data, mimetype, filename, sha256 = disclosures.item_file(session, item_id)
    response = make_response(data)
    response.mimetype = mimetype
    if mimetype.startswith("text/"):
        response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["ETag"] = f'"{sha256}"'
    response.headers["X-Content-SHA256"] = sha256
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def annual_year(text: str) -> int:
    """The year in an annual report's address, loaded as both edges load it (a 400 naming ``year``)."""
    from marshmallow import ValidationError

    from ..schemas.annual_reports import AnnualYearIn
    from ..schemas.base import load_json
    from ..services.errors import from_validation

    try:
        return load_json(AnnualYearIn, {"year": text})["year"]
    except ValidationError as err:
        raise from_validation(err, "year") from None


def annual_report_response(session, year: str, fmt: str, *, report_id: int | None = None) -> Response:
    """A year's annual report as a download: the current submission's stored bytes (or ``report_id``'s), with
    their SHA-256 in the headers, else the draft laid out now from the books, marked 草稿 DRAFT."""
    from ..http.security import current_actor
    from ..reports.annual_report import annual_file
    from ..services.annual_reports import FORMATS

    number = annual_year(year) if report_id is None else 0
    data, sha256, state = annual_file(session, number, fmt, generated_by=current_actor().username,
                                      report_id=report_id)
    stem = f"annual-report-{number}-draft" if state == "draft" else f"annual-report-{report_id or number}"
    response = download(data, f"{stem}.{fmt}", FORMATS[fmt])
    response.headers["X-Annual-Report-State"] = state
    if sha256:
        response.headers["ETag"] = f'"{sha256}"'
        response.headers["X-Content-SHA256"] = sha256
    return response
