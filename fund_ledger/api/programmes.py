"""Attachments, use reports (and money returned), grant programmes and organisations' bank accounts."""
from __future__ import annotations

import re

from flask import request
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from ..http.db import db_session
from ..http.downloads import attachment_response
from ..db import models as m
from ..ledger.money import fen_to_str
from ..http.security import access, current_actor
from ..services import attachments as att
from ..services import disbursements as svc
from ..services import programmes as prog
from ..services.errors import InvalidInput
from ..services.organisations import update_bank_account
from . import blp
from .disbursements import DisbursementOut, OrganisationOut, disbursement_json
from ..schemas.fields import Id
from ..schemas.disbursements import ProgrammeIn, ReasonIn as SendBackIn, ReceiveReportIn as ReceiveIn, UseReportIn
from .schemas import IDEMPOTENCY_HEADER, PageQuery, idempotent, page_schema


class AttachmentOut(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    report_id = fields.Integer(allow_none=True)
    uploaded_by = fields.String()
    uploaded_at = fields.String()


class BankAccountIn(Schema):
    bank_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    bank_account = fields.String(required=True, validate=validate.Length(min=1, max=40))


class MemberIn(Schema):
    organisation_id = Id(required=True)


class ProgrammeOut(Schema):
    id = fields.Integer()
    name = fields.String()
    fund_code = fields.String()
    budget = fields.String()
    committed = fields.String()
    requested = fields.String()
    available = fields.String()
    starts_on = fields.String()
    ends_on = fields.String()
    description = fields.String()
    organisation_ids = fields.List(fields.Integer())


def _programme_json(session, row: m.GrantProgramme) -> dict:
    usage = prog.usage(session, row.id)
    return {"id": row.id, "name": row.name, "fund_code": row.fund_code, "budget": fen_to_str(row.budget),
            "committed": fen_to_str(usage.committed), "requested": fen_to_str(usage.requested),
            "available": fen_to_str(usage.room), "starts_on": row.starts_on.isoformat(),
            "ends_on": row.ends_on.isoformat(), "description": row.description,
            "organisation_ids": [o.id for o in prog.members(session, row.id)]}


@blp.route("/disbursements/<int:disbursement_id>/attachments", methods=["POST"])
@blp.response(201, AttachmentOut)
@access("grantee", "manager")
def post_attachment(disbursement_id: int):
    """Attach a PDF, PNG or JPEG (multipart field ``file``; ``report_id`` to attach it to the use report)."""
    session = db_session()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("send the file as the multipart field 'file'", {"file": ["required"]})
    report_id = request.form.get("report_id")
    if report_id is not None and not (re.fullmatch(r"[0-9]{1,10}", report_id) and 0 < int(report_id) < 2**31):
        raise InvalidInput("report_id is a report's number", {"report_id": ["not a valid id"]})
    row = att.add_attachment(session, current_actor(), disbursement_id, filename=upload.filename, data=upload.read(),
                             declared_type=upload.mimetype, report_id=int(report_id) if report_id else None)
    session.commit()
    return row


@blp.route("/disbursements/<int:disbursement_id>/attachments/<int:attachment_id>", methods=["GET"])
@blp.response(200, description="the file, as a download")
@access("grantee", "manager", "auditor")
def get_attachment(disbursement_id: int, attachment_id: int):
    return attachment_response(att.get_attachment(db_session(), current_actor(), disbursement_id, attachment_id))


@blp.route("/disbursements/<int:disbursement_id>/report", methods=["POST"])
@blp.arguments(UseReportIn)
@blp.response(201, DisbursementOut)
@blp.doc(parameters=IDEMPOTENCY_HEADER)
@access("grantee", "manager")
def post_use_report(body, disbursement_id: int):
    """The use report: spent + returned = the amount paid; what is returned goes back when a manager receives it."""
    session = db_session()

    def run():
        svc.submit_report(session, current_actor(), disbursement_id, spent=body["spent"], returned=body["returned"],
                          narrative=body["narrative"], lines=body["lines"])
        return 201, disbursement_json(session, svc.get_disbursement(session, current_actor(), disbursement_id))
    return idempotent(run)


@blp.route("/disbursements/<int:disbursement_id>/report/receive", methods=["POST"])
@blp.arguments(ReceiveIn)
@blp.response(200, DisbursementOut)
@blp.doc(parameters=IDEMPOTENCY_HEADER)
@access("manager")
def receive_use_report(body, disbursement_id: int):
    """Mark the use report received; money returned is posted back into the fund (returned_on, return_reference)."""
    session = db_session()

    def run():
        svc.receive_report(session, current_actor(), disbursement_id, **body)
        return 200, disbursement_json(session, svc.get_disbursement(session, current_actor(), disbursement_id))
    return idempotent(run)


@blp.route("/disbursements/<int:disbursement_id>/report/send-back", methods=["POST"])
@blp.arguments(SendBackIn)
@blp.response(200, DisbursementOut)
@access("manager")
def send_back_use_report(body, disbursement_id: int):
    session = db_session()
    svc.send_back_report(session, current_actor(), disbursement_id, body["reason"])
    session.commit()
    return disbursement_json(session, svc.get_disbursement(session, current_actor(), disbursement_id))


@blp.route("/organisations/<int:organisation_id>/bank-account", methods=["POST"])
@blp.arguments(BankAccountIn)
@blp.response(200, OrganisationOut)
@access("manager")
def post_bank_account(body, organisation_id: int):
    """Where the organisation's grants are paid (visible to managers and auditors only)."""
    session = db_session()
    org = update_bank_account(session, current_actor(), organisation_id, **body)
    session.commit()
    return org


@blp.route("/programmes", methods=["POST"])
@blp.arguments(ProgrammeIn)
@blp.response(201, ProgrammeOut)
@access("manager")
def post_programme(body):
    session = db_session()
    row = prog.create_programme(session, current_actor(), fund=body["fund_id"],
                                **{k: v for k, v in body.items() if k != "fund_id"})
    session.commit()
    return _programme_json(session, row)


@blp.route("/programmes", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_schema(ProgrammeOut, "ProgrammePage"))
@access("manager", "auditor")
def list_programmes(args):
    session = db_session()
    total = session.scalar(select(func.count()).select_from(m.GrantProgramme))
    rows = session.scalars(select(m.GrantProgramme).order_by(m.GrantProgramme.id).limit(args["per_page"])
                           .offset((args["page"] - 1) * args["per_page"])).all()
    return {"items": [_programme_json(session, r) for r in rows], "total": total, "page": args["page"],
            "per_page": args["per_page"]}


@blp.route("/programmes/<int:programme_id>", methods=["GET"])
@blp.response(200, ProgrammeOut)
@access("manager", "auditor")
def get_programme(programme_id: int):
    session = db_session()
    return _programme_json(session, prog.get_programme(session, programme_id))


@blp.route("/programmes/<int:programme_id>/organisations", methods=["POST"])
@blp.arguments(MemberIn)
@blp.response(201, ProgrammeOut)
@access("manager")
def post_programme_member(body, programme_id: int):
    session = db_session()
    prog.add_organisation(session, current_actor(), programme_id, body["organisation_id"])
    session.commit()
    return _programme_json(session, prog.get_programme(session, programme_id))
