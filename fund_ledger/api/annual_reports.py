"""The annual work report (年度工作报告) over the API: the years and their state, a year's figures (the draft read
from the books, or the current submission's), submitting, the PDF and XLSX, and publishing to 信息公开."""
from __future__ import annotations

from flask import request
from marshmallow import Schema, ValidationError, fields

from ..http.db import db_session
from ..http.downloads import annual_report_response, annual_year
from ..http.security import access, current_actor
from ..reports.annual_report import submit_annual_report, year_figures
from ..schemas.annual_reports import AnnualSubmitIn
from ..schemas.base import load_json
from ..services import annual_reports as svc
from ..services.errors import from_validation
from . import blp
from .disclosures import PublishedOut, published_json
from .schemas import PageQuery, page_schema

BOOK_READERS = ("manager", "auditor")


class SubmittedOut(Schema):
    id = fields.Integer()
    year = fields.Integer()
    audit_reference = fields.String()
    pdf_sha256 = fields.String()
    xlsx_sha256 = fields.String()
    replaces = fields.Integer(allow_none=True)
    replaced_by = fields.Integer(allow_none=True)
    reason = fields.String()
    submitted_at = fields.String()
    submitted_by = fields.String()
    published_item = fields.Integer(allow_none=True, metadata={"description": "the published item holding its PDF"})


class YearOut(Schema):
    year = fields.Integer()
    state = fields.String(metadata={"enum": ["draft", "submitted"]})
    current = fields.Nested(SubmittedOut, allow_none=True)
    history = fields.List(fields.Nested(SubmittedOut), metadata={"description": "earlier submissions it replaced"})


class FiguresOut(Schema):
    year = fields.Integer()
    state = fields.String(metadata={"enum": ["draft", "submitted"]})
    report = fields.Nested(SubmittedOut, allow_none=True)
    figures = fields.Dict(metadata={"description": "income, spending, ratios, net assets, grants, related-party "
                                                   "transactions; money as text with two decimals"})


class SubmitBody(Schema):
    audit_reference = fields.String(metadata={"maxLength": 200})
    reason = fields.String(metadata={"maxLength": 300, "description": "required to submit a year again"})


_FILE = {"200": {"description": "the file", "content": {"application/pdf": {}, svc.FORMATS["xlsx"]: {}}}}


@blp.route("/annual-reports", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_schema(YearOut, "AnnualReportPage"))
@access(*BOOK_READERS)
def list_annual_reports(args):
    """Every year that has ended, from the books' first, newest first: ``draft`` or ``submitted``."""
    years = svc.list_years(db_session())
    start = (args["page"] - 1) * args["per_page"]
    return {"items": years[start:start + args["per_page"]], "total": len(years), "page": args["page"],
            "per_page": args["per_page"]}


@blp.route("/annual-reports/<year>", methods=["GET"])
@blp.response(200, FiguresOut)
@access(*BOOK_READERS)
def get_annual_report(year: str):
    """A year's figures: the current submission's, as submitted, or the draft read from the books now."""
    return year_figures(db_session(), annual_year(year))


@blp.route("/annual-reports/<year>/submit", methods=["POST"])
@blp.doc(requestBody={"required": False, "content": {"application/json": {"schema": SubmitBody}}})
@blp.response(201, SubmittedOut)
@access("manager")
def submit_annual_report_api(year: str):
    """Submit a year that has ended: the figures, the PDF and the XLSX are stored with their SHA-256. A year
    submitted before is submitted again only with a ``reason``; the new submission replaces the old, which stays."""
    session = db_session()
    try:
        body = load_json(AnnualSubmitIn, {**(request.get_json(silent=True) or {}), "year": year})
    except ValidationError as err:
        raise from_validation(err, "annual report") from None
    row = submit_annual_report(session, current_actor(), body["year"], audit_reference=body["audit_reference"],
                               reason=body["reason"])
    session.commit()
    return svc.report_json(row)


@blp.route("/annual-reports/<year>/publish", methods=["POST"])
@blp.response(201, PublishedOut)
@access("manager")
def publish_annual_report(year: str):
    """Publish the year's current submission (its stored PDF, byte for byte) to 信息公开, answering the disclosure
    calendar's ``annual_report:Y`` duty."""
    session = db_session()
    row = svc.publish_submitted(session, current_actor(), annual_year(year))
    session.commit()
    return published_json(row)


@blp.route("/annual-reports/<year>.pdf", methods=["GET"])
@blp.doc(summary="A year's annual report as PDF: the submitted bytes, or a draft marked 草稿 DRAFT", responses=_FILE)
@access(*BOOK_READERS)
def annual_report_pdf(year: str):
    return annual_report_response(db_session(), year, "pdf")


@blp.route("/annual-reports/<year>.xlsx", methods=["GET"])
@blp.doc(summary="A year's annual report as XLSX, for re-keying into the national platform", responses=_FILE)
@access(*BOOK_READERS)
def annual_report_xlsx(year: str):
    return annual_report_response(db_session(), year, "xlsx")
