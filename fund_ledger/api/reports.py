"""Statements for the books' readers: ``GET /api/v1/reports/{name}?as_of=&from=&to=&fund_id=&format=``.

``name`` is one of :data:`fund_ledger.reports.catalogue.REPORTS`; ``format`` is ``json`` (default),
``csv`` or ``pdf``. A report refuses a parameter it does not take (400 naming it), an unknown fund or
account is a 404 naming the field, a period that ends before it starts a 400 naming ``from``.
"""
from __future__ import annotations


from flask import Response, jsonify, make_response, stream_with_context
from marshmallow import Schema, fields, validate

from .. import clock
from ..http.db import db_session
from ..reports import statement_render as render
from ..reports import statements as st
from ..reports.catalogue import REPORTS, Query, build, check_query
from ..http.security import access, current_actor
from ..services.errors import NotFound
from ..clock import local_today
from . import blp
from ..schemas.fields import Id, StrictDate

BOOK_READERS = ("manager", "auditor")
FORMATS = ("json", "csv", "pdf")


class StatementQuery(Schema):
    as_of = StrictDate(metadata={"description": "the date of a point-in-time report (default today)"})
    from_ = StrictDate(data_key="from", metadata={"description": "first day of the period (default 1 January)"})
    to = StrictDate(metadata={"description": "last day of the period (default today)"})
    fund_id = Id(strict=False, metadata={"description": "one fund (required by fund-statement)"})
    account = fields.String(validate=validate.Length(min=1, max=16),
                            metadata={"description": "account-ledger: the account's code, e.g. 1002"})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


def _query(args: dict) -> Query:
    return Query(as_of=args.get("as_of"), start=args.get("from_"), end=args.get("to"), fund_id=args.get("fund_id"),
                 account=args.get("account"))


def download(data: str | bytes, filename: str, mimetype: str) -> Response:
    response = make_response(data)
    response.mimetype = mimetype
    if mimetype.startswith("text/"):
        response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def report_response(name: str, q: Query, fmt: str, generated_by: str) -> Response:
    """The report as JSON, CSV or PDF; the general journal's CSV streams, whatever its length."""
    if name not in REPORTS:
        raise NotFound(f"no report {name!r} (one of {', '.join(REPORTS)})", {"name": [f"no report {name!r}"]})
    kind = REPORTS[name]
    session = db_session()
    today = local_today()
    stem = f"{name}-{(q.as_of or q.end or today).isoformat()}"
    if name == "general-journal" and fmt == "csv":
        check_query(kind, q)
        end = q.end or today
        start = q.start or end.replace(month=1, day=1)
        st.check_period(start, end)
        fund = st.find_fund_ref(session, q.fund_id)
        chunks = render.iter_general_journal_csv(st.iter_journal(session, start, end, fund))
        response = Response(stream_with_context(chunks), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
    report = build(session, name, q, today=today, fmt=fmt)
    if fmt == "csv":
        return download(kind.to_csv(report), f"{stem}.csv", "text/csv")
    if fmt == "pdf":
        pdf = kind.to_pdf(report, generated_by=generated_by, generated_at=clock.now())
        return download(pdf, f"{stem}.pdf", "application/pdf")
    return jsonify({"report": name, **kind.to_json(report)})


@blp.route("/reports/<name>", methods=["GET"])
@blp.arguments(StatementQuery, location="query")
@blp.doc(summary="A financial statement as JSON, CSV or PDF",
         description="name: " + ", ".join(REPORTS) + ". Point-in-time reports take as_of; the others from and to.",
         responses={"200": {"description": "the report", "content": {
             "application/json": {}, "text/csv": {}, "application/pdf": {}}}})
@access(*BOOK_READERS)
def statement_report(args, name: str):
    return report_response(name, _query(args), args["format"], current_actor().username)
