"""Audit reports: issued for a closed period, downloaded as the same bytes every time, verified by anyone."""
from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, fields, validate

from ..http.db import db_session, engine
from ..http.downloads import audit_report_response
from ..reports.audit_reports import issue_report_apart
from ..db.engine import read_session
from ..http.security import PUBLIC, access, current_actor
from ..services import audit_reports as svc
from . import blp
from ..schemas.fields import Id
from .schemas import PageQuery, page_schema

BOOK_READERS = ("manager", "auditor")


class ReportIn(Schema):
    period = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])$", error="expected YYYY-MM"))
    replaces = Id(load_default=None, allow_none=True, metadata={"description": "the report this one reissues"})
    reason = fields.String(load_default="", validate=validate.Length(max=svc.MAX_REASON))


class ReportOut(Schema):
    id = fields.Integer()
    period = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    head_seq = fields.Integer()
    head_hash = fields.String()
    seal = fields.String()
    entry_count = fields.Integer()
    sections = fields.List(fields.String())
    issued_at = fields.String()
    issued_by = fields.String()
    replaces = fields.Integer(allow_none=True)
    replaced_by = fields.Integer(allow_none=True)
    reason = fields.String()
    gifts_root = fields.String(allow_none=True, metadata={
        "description": "RFC 6962 Merkle root (hex) over the period's gifts, one leaf each (see /proof)"})
    gifts_tree_size = fields.Integer(allow_none=True, metadata={"description": "how many gifts the tree holds"})
    for_public = fields.Boolean(metadata={
        "description": "anyone may download it: its journal names gifts by acknowledgement number, never the donor "
                       "(false for reports issued before that: reissue one to publish it)"})


class ReportQuery(PageQuery):
    period = fields.String(validate=validate.Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])$", error="expected YYYY-MM"))


class VerifyOut(Schema):
    genuine = fields.Boolean(metadata={"description": "the file is, byte for byte, a report this ledger issued"})
    report_id = fields.Integer(allow_none=True)
    ledger_matches = fields.Boolean(metadata={"description": "the ledger today still gives the digest it prints"})
    sha256 = fields.String()
    first_bad_entry = fields.String(allow_none=True)
    ledger_verifies = fields.Boolean(allow_none=True)
    head_matches = fields.Boolean(allow_none=True)
    seal_matches = fields.Boolean(allow_none=True)
    problems = fields.List(fields.String())
    claimed = fields.Dict(allow_none=True, metadata={"description": "the digest embedded in the file, if any"})
    period = fields.String()
    head_seq = fields.Integer()
    head_hash = fields.String()
    seal = fields.String()
    entry_count = fields.Integer()
    issued_at = fields.String()
    issued_by = fields.String()
    replaces = fields.Integer(allow_none=True)
    replaced_by = fields.Integer(allow_none=True)
    issued_sha256 = fields.String()
    gifts_root = fields.String(allow_none=True)
    gifts_tree_size = fields.Integer(allow_none=True)
    gifts_match = fields.Boolean(allow_none=True, metadata={
        "description": "the period's gifts today still give the printed Merkle root (null for a report without one)"})


class ProofQuery(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40),
                         metadata={"description": "the verification code printed on the gift's acknowledgement"})


class ProofGift(Schema):
    receipt_number = fields.String()
    amount = fields.Integer(metadata={"description": "fen"})
    received_on = fields.String()
    fund = fields.String()
    entry = fields.String()


class ProofOut(Schema):
    report_id = fields.Integer()
    period = fields.String()
    replaced_by = fields.Integer(allow_none=True)
    report_sha256 = fields.String()
    issued_at = fields.String()
    root = fields.String(metadata={"description": "the gifts' Merkle root the report prints (hex)"})
    tree_size = fields.Integer()
    leaf_index = fields.Integer(metadata={"description": "0-based position of the gift's leaf"})
    leaf = fields.String(metadata={"description": "the leaf: canonical JSON of the gift (leaf hash = SHA-256(0x00 || leaf))"})
    leaf_hash = fields.String()
    path = fields.List(fields.String(), metadata={"description": "the audit path, sibling hashes from the leaf up"})
    computed_root = fields.String(allow_none=True, metadata={"description": "the root the path leads to"})
    leaf_formula = fields.String()
    proof_verifies = fields.Boolean(metadata={"description": "the path leads from the leaf to the stored root"})
    entry_intact = fields.Boolean(metadata={"description": "the gift's journal entry still gives its stored hash"})
    matches = fields.Boolean(metadata={"description": "both: the gift is in the report as issued, unaltered"})
    problems = fields.List(fields.String())
    gift = fields.Nested(ProofGift)


@blp.route("/audit-reports", methods=["POST"])
@blp.arguments(ReportIn)
@blp.response(201, ReportOut)
@access("manager")
def issue_audit_report(body):
    """Issue the audit report of a closed period: a PDF of its statements, stored with its SHA-256 and never
    regenerated. To reissue, name the report it replaces (``replaces``) and give a ``reason``."""
    db_session().commit()  # the request's own transaction (reading the token) ends: the issue takes its own
    row = issue_report_apart(engine(), current_actor(), body["period"], replaces=body["replaces"],
                             reason=body["reason"])
    return svc.report_json(row)


@blp.route("/audit-reports", methods=["GET"])
@blp.arguments(ReportQuery, location="query")
@blp.response(200, page_schema(ReportOut, "AuditReportPage"))
@access(*BOOK_READERS)
def list_audit_reports(args):
    items, total = svc.list_reports(db_session(), page=args["page"], per_page=args["per_page"], period=args.get("period"))
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/audit-reports/<int:report_id>", methods=["GET"])
@blp.response(200, ReportOut)
@access(*BOOK_READERS)
def get_audit_report(report_id: int):
    session = db_session()
    return svc.report_json(svc.get_report(session, report_id), svc.replaced_by(session, report_id))


@blp.route("/audit-reports/<int:report_id>.pdf", methods=["GET"])
@blp.doc(summary="An audit report's PDF, the same bytes on every download",
         responses={"200": {"description": "PDF", "content": {"application/pdf": {}}}})
@access(*BOOK_READERS)
def audit_report_pdf(report_id: int):
    return audit_report_response(db_session(), report_id)


def uploaded_pdf() -> bytes:
    """The multipart ``file``, size-limited, or a 400/413 naming it."""
    svc.check_upload(b"%PDF-", request.content_length)  # refuse an oversized body before reading it
    upload = request.files.get("file")
    data = upload.stream.read(svc.MAX_UPLOAD + 1) if upload is not None else None
    return svc.check_upload(data)


@blp.route("/audit-reports/verify", methods=["POST"])
@blp.doc(summary="Check an audit report PDF: is it ours, and does the ledger still match it? (anyone)",
         requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
             "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}})
@blp.response(200, VerifyOut)
@access(PUBLIC)
def verify_audit_report():
    """``genuine``: the file's SHA-256 is that of a report this ledger issued. ``ledger_matches``: the ledger
    today still verifies, entry ``head_seq`` still has the printed head hash and the period's entries still give
    the printed seal; when not, ``first_bad_entry`` names the first entry that does not hold."""
    from ..http.security import client_address
    from ..http.throttle import verify_guard

    data = uploaded_pdf()
    with verify_guard().run(client_address()):  # it re-reads the whole ledger: a few per address, one at a time
        session = read_session(current_app.extensions["fund_ledger.engine"])  # a snapshot, never the write lock
        try:
            return svc.verify_upload(session, data)
        finally:
            session.close()


@blp.route("/audit-reports/<int:report_id>/proof", methods=["GET"])
@blp.arguments(ProofQuery, location="query")
@blp.response(200, ProofOut)
@access(PUBLIC)
def audit_report_gift_proof(args, report_id: int):
    """A donor's Merkle inclusion proof (anyone with the gift's verification code): the gift's leaf, its index
    and the audit path up to the gifts' root the report prints, checked here against the stored root. Check it
    yourself with RFC 6962 against the root in the PDF. A wrong code, or a gift not in this report, is a 404
    that says nothing more."""
    return svc.gift_proof(db_session(), report_id, args["code"])
