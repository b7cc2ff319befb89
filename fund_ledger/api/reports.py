"""Statements for the books' readers: ``GET /api/v1/reports/{name}?as_of=&from=&to=&fund_id=&format=``.

``name`` is one of :data:`fund_ledger.reports.catalogue.REPORTS`; ``format`` is ``json`` (default),
``csv`` or ``pdf``. A journal or account-ledger PDF of more than 2,000 lines is prepared by a worker: ``202``
with ``Location: /api/v1/jobs/{id}`` (see :mod:`.jobs`). A report refuses a parameter it does not take (400 naming it), an unknown fund or
account is a 404 naming the field, a period that ends before it starts a 400 naming ``from``.
"""
from __future__ import annotations


from marshmallow import Schema, fields, validate

from ..http.downloads import report_response
from ..http.jobs import long_pdf
from ..services.jobs import JobView
from ..reports.catalogue import REPORTS, Query
from ..http.security import access, current_actor
from . import blp
from .jobs import job_accepted
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


@blp.route("/reports/<name>", methods=["GET"])
@blp.arguments(StatementQuery, location="query")
@blp.doc(summary="A financial statement as JSON, CSV or PDF",
         description="name: " + ", ".join(REPORTS) + ". Point-in-time reports take as_of; the others from and to.",
         responses={"200": {"description": "the report", "content": {
             "application/json": {}, "text/csv": {}, "application/pdf": {}}},
             "202": {"description": "a long PDF, being prepared: poll the job at Location"}})
@access(*BOOK_READERS)
def statement_report(args, name: str):
    user = current_actor().username
    if args["format"] == "pdf" and name in REPORTS and REPORTS[name].long:
        answer = long_pdf(name, _query(args), user)
        if isinstance(answer, JobView):
            return job_accepted(answer)
        return answer
    return report_response(name, _query(args), args["format"], user)
