"""Statements for the books' readers: ``GET /api/v1/reports/{name}?as_of=&from=&to=&fund_id=&format=``.

``name`` is one of :data:`fund_ledger.reports.catalogue.REPORTS`; ``format`` is ``json`` (default),
``csv`` or ``pdf``. A report refuses a parameter it does not take (400 naming it), an unknown fund or
account is a 404 naming the field, a period that ends before it starts a 400 naming ``from``.
"""
from __future__ import annotations


from marshmallow import Schema, fields, validate

from ..http.downloads import report_response
from ..reports.catalogue import REPORTS, Query
from ..http.security import access, current_actor
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


@blp.route("/reports/<name>", methods=["GET"])
@blp.arguments(StatementQuery, location="query")
@blp.doc(summary="A financial statement as JSON, CSV or PDF",
         description="name: " + ", ".join(REPORTS) + ". Point-in-time reports take as_of; the others from and to.",
         responses={"200": {"description": "the report", "content": {
             "application/json": {}, "text/csv": {}, "application/pdf": {}}}})
@access(*BOOK_READERS)
def statement_report(args, name: str):
    return report_response(name, _query(args), args["format"], current_actor().username)
