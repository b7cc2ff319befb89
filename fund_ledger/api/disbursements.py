"""Organisations (grantees) and their disbursement requests: submit, approve, reject, cancel, pay, acknowledge."""
from __future__ import annotations

import json

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from ..http.db import db_session
from ..db import models as m
from ..db import repository as repo
from ..ledger.money import fen_to_str
from ..http.security import access, current_actor
from ..services import disbursements as svc
from ..services.errors import NotFound
from ..services.organisations import create_organisation
from . import blp
from ..schemas.fields import Id
from ..schemas.disbursements import AcknowledgeIn, CancelIn, DisbursementIn, OrganisationIn, PayIn, ReasonIn
from .schemas import IDEMPOTENCY_HEADER, PageQuery, idempotent, page_schema

STATUSES = ["submitted", "approved", "rejected", "cancelled", "paid", "acknowledged"]


class OrganisationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()
    contact = fields.String()
    bank_name = fields.String()
    bank_account = fields.String()


class EventOut(Schema):
    at = fields.String()
    actor = fields.String()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    detail = fields.Dict()


class DisbursementOut(Schema):
    id = fields.Integer()
    organisation_id = fields.Integer()
    fund_id = fields.Integer()
    fund_code = fields.String()
    amount = fields.String()
    purpose = fields.String()
    budget = fields.List(fields.Dict())
    status = fields.String()
    approvals_needed = fields.Integer()
    approved_by = fields.List(fields.String(), metadata={"description": "the managers who approved, in order"})
    waiting_for_approval = fields.Boolean(metadata={"description": "approved by some, waiting for another manager"})
    number = fields.String(metadata={"description": "the request's number as people quote it, e.g. BK-000004"})
    submitted_by = fields.String()
    submitted_at = fields.String()
    paid_on = fields.String(allow_none=True)
    payment_reference = fields.String(allow_none=True)
    payment_entry = fields.String(allow_none=True)
    acknowledged_on = fields.String(allow_none=True)
    programme_id = fields.Integer(allow_none=True)
    report = fields.Dict(allow_none=True)
    attachments = fields.List(fields.Dict())
    events = fields.List(fields.Nested(EventOut))


class DisbursementQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(STATUSES))
    organisation_id = Id(strict=False)
    fund_id = Id(strict=False)
    programme_id = Id(strict=False)


def report_json(session, report: m.DisbursementReport | None) -> dict | None:
    if report is None:
        return None
    entry = repo.get_entry(session, report.return_entry_id) if report.return_entry_id else None
    return {"id": report.id, "status": report.status, "spent": fen_to_str(report.spent),
            "returned": fen_to_str(report.returned), "narrative": report.narrative,
            "lines": [{"item": x["item"], "amount": fen_to_str(x["amount"])} for x in json.loads(report.lines)],
            "submitted_by": report.submitted_by, "submitted_at": report.submitted_at,
            "decided_by": report.decided_by, "decided_at": report.decided_at, "decision_note": report.decision_note,
            "returned_on": report.returned_on.isoformat() if report.returned_on else None,
            "return_reference": report.return_reference, "return_entry": entry.number if entry else None}


def disbursement_json(session, row: m.Disbursement) -> dict:
    entry = repo.get_entry(session, row.payment_entry_id) if row.payment_entry_id else None
    approvals = svc.approvals(session, row)
    return {
        "id": row.id, "number": svc.request_number(row.id), "organisation_id": row.organisation_id,
        "approved_by": list(approvals.given), "waiting_for_approval": approvals.waiting,
        "fund_id": session.scalar(select(m.Fund.id).where(m.Fund.code == row.fund_code)), "fund_code": row.fund_code,
        "amount": fen_to_str(row.amount), "purpose": row.purpose,
        "budget": [{"item": x["item"], "amount": fen_to_str(x["amount"])} for x in json.loads(row.budget)],
        "status": row.status, "approvals_needed": row.approvals_needed, "submitted_by": row.submitted_by,
        "submitted_at": row.submitted_at, "paid_on": row.paid_on.isoformat() if row.paid_on else None,
        "payment_reference": row.payment_reference, "payment_entry": entry.number if entry else None,
        "acknowledged_on": row.acknowledged_on.isoformat() if row.acknowledged_on else None,
        "programme_id": row.programme_id, "report": report_json(session, svc.current_report(session, row)),
        "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
                         "sha256": a.sha256, "report_id": a.report_id, "uploaded_by": a.uploaded_by,
                         "uploaded_at": a.uploaded_at}
                        for a in session.scalars(select(m.DisbursementAttachment)
                                                 .where(m.DisbursementAttachment.disbursement_id == row.id)
                                                 .order_by(m.DisbursementAttachment.id))],
        "events": [{"at": e.at, "actor": e.actor, "action": e.action, "from_status": e.from_status,
                    "to_status": e.to_status, "detail": json.loads(e.detail)} for e in svc.events(session, row)],
    }


@blp.route("/organisations", methods=["POST"])
@blp.arguments(OrganisationIn)
@blp.response(201, OrganisationOut)
@access("manager")
def post_organisation(body):
    """Register a grantee organisation; its 统一社会信用代码 check character is verified."""
    session = db_session()
    org = create_organisation(session, current_actor(), **body)
    session.commit()
    return org


@blp.route("/organisations", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_schema(OrganisationOut, "OrganisationPage"))
@access("manager", "auditor")
def list_organisations(args):
    session = db_session()
    total = session.scalar(select(func.count()).select_from(m.Organisation))
    rows = session.scalars(select(m.Organisation).order_by(m.Organisation.id).limit(args["per_page"])
                           .offset((args["page"] - 1) * args["per_page"])).all()
    return {"items": rows, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/organisations/<int:organisation_id>", methods=["GET"])
@blp.response(200, OrganisationOut)
@access("manager", "auditor")
def get_organisation(organisation_id: int):
    org = db_session().get(m.Organisation, organisation_id)
    if org is None:
        raise NotFound(f"no organisation {organisation_id}")
    return org


@blp.route("/disbursements", methods=["POST"])
@blp.arguments(DisbursementIn)
@blp.response(201, DisbursementOut)
@blp.doc(parameters=IDEMPOTENCY_HEADER)
@access("grantee", "manager")
def post_disbursement(body):
    """Request money from a fund for an organisation (a grantee: its own); the request starts submitted."""
    session = db_session()

    def run():
        row = svc.submit(session, current_actor(), fund=body["fund_id"],
                         **{k: v for k, v in body.items() if k != "fund_id"})
        return 201, disbursement_json(session, row)
    return idempotent(run)


@blp.route("/disbursements", methods=["GET"])
@blp.arguments(DisbursementQuery, location="query")
@blp.response(200, page_schema(DisbursementOut, "DisbursementPage"))
@access("grantee", "manager", "auditor")
def list_disbursements(args):
    session = db_session()
    fund_code = None
    if args.get("fund_id") is not None:
        fund_code = session.scalar(select(m.Fund.code).where(m.Fund.id == args["fund_id"])) or ""  # an unknown fund: nothing
    rows, total = svc.list_for(session, current_actor(), status=args.get("status"), page=args["page"],
                               per_page=args["per_page"], organisation_id=args.get("organisation_id"),
                               fund_code=fund_code, programme_id=args.get("programme_id"))
    return {"items": [disbursement_json(session, r) for r in rows], "total": total, "page": args["page"],
            "per_page": args["per_page"]}


@blp.route("/disbursements/<int:disbursement_id>", methods=["GET"])
@blp.response(200, DisbursementOut)
@access("grantee", "manager", "auditor")
def get_disbursement(disbursement_id: int):
    session = db_session()
    return disbursement_json(session, svc.get_disbursement(session, current_actor(), disbursement_id))


def _step(disbursement_id: int, fn):
    session = db_session()

    def run():
        return 200, disbursement_json(session, fn(session, current_actor(), disbursement_id))
    return idempotent(run)


@blp.route("/disbursements/<int:disbursement_id>/approve", methods=["POST"])
@blp.response(200, DisbursementOut)
@blp.doc(parameters=IDEMPOTENCY_HEADER)
@access("manager")
def approve_disbursement(disbursement_id: int):
    """Approve (another manager than the submitter); the last approval needed reserves the amount."""
    return _step(disbursement_id, svc.approve)


@blp.route("/disbursements/<int:disbursement_id>/reject", methods=["POST"])
@blp.arguments(ReasonIn)
@blp.response(200, DisbursementOut)
@access("manager")
def reject_disbursement(body, disbursement_id: int):
    return _step(disbursement_id, lambda s, a, i: svc.reject(s, a, i, body["reason"]))


@blp.route("/disbursements/<int:disbursement_id>/cancel", methods=["POST"])
@blp.arguments(CancelIn)
@blp.response(200, DisbursementOut)
@blp.doc(parameters=IDEMPOTENCY_HEADER)
@access("grantee", "manager")
def cancel_disbursement(body, disbursement_id: int):
    """Cancel a submitted or approved request; an approved one's reservation is released."""
    return _step(disbursement_id, lambda s, a, i: svc.cancel(s, a, i, body["reason"]))


@blp.route("/disbursements/<int:disbursement_id>/pay", methods=["POST"])
@blp.arguments(PayIn)
@blp.response(200, DisbursementOut)
@blp.doc(parameters=IDEMPOTENCY_HEADER)
@access("manager")
def pay_disbursement(body, disbursement_id: int):
    """Post the payment (and the release of the restriction for a restricted fund)."""
    return _step(disbursement_id, lambda s, a, i: svc.pay(s, a, i, paid_on=body["paid_on"], reference=body["reference"]))


@blp.route("/disbursements/<int:disbursement_id>/acknowledge", methods=["POST"])
@blp.arguments(AcknowledgeIn)
@blp.response(200, DisbursementOut)
@access("grantee")
def acknowledge_disbursement(body, disbursement_id: int):
    """The grantee confirms the money arrived."""
    return _step(disbursement_id, lambda s, a, i: svc.acknowledge(s, a, i, received_on=body["received_on"]))
