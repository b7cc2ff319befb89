"""Donors and donations: recording gifts (idempotent), listing them, and their acknowledgements."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..http.db import db_session
from ..db import models as m
from ..ledger.money import fen_to_str
from ..http.security import access, current_actor
from ..services import donations as svc
from . import blp
from ..schemas.donations import DonorIn, DonationIn, OfficialReceiptIn, RefundIn
from ..schemas.fields import Id, MoneyOut
from .schemas import PageQuery, idempotent as _idempotent, page_schema

BOOK_READERS = ("manager", "auditor")


class DonorOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    phone = fields.String()
    email = fields.String()
    address = fields.String()
    related_party = fields.Boolean()
    related_note = fields.String()
    display_name = fields.String()
    gifts = fields.Integer()
    total = MoneyOut()


class DonorQuery(PageQuery):
    q = fields.String(validate=validate.Length(max=100))


class DonationOut(Schema):
    id = fields.Integer()
    donor_id = Id()
    fund_id = Id()
    fund_code = fields.String()
    amount = fields.String()
    received_on = fields.String()
    channel = fields.String()
    reference = fields.String()
    memo = fields.String()
    anonymous = fields.Boolean()
    entry_number = fields.String()
    receipt_number = fields.String()
    verification_code = fields.String()
    official_receipt_number = fields.String(allow_none=True)
    pledge_id = fields.Integer(allow_none=True)
    refunded = fields.Boolean()
    refund_entry = fields.String(allow_none=True)


class DonationQuery(PageQuery):
    donor_id = Id(strict=False)
    fund_id = Id(strict=False)


def gift_json(row: svc.GiftRow) -> dict:
    """Plain JSON (stored as is for idempotent replays)."""
    d = row.donation
    return {"id": d.id, "donor_id": d.donor_id, "fund_id": row.fund_id, "fund_code": d.fund_code,
            "amount": fen_to_str(d.amount), "received_on": d.received_on.isoformat(), "channel": d.channel,
            "reference": d.reference, "memo": d.memo, "anonymous": d.anonymous, "entry_number": row.entry_number,
            "receipt_number": row.receipt_number, "verification_code": d.verification_code,
            "official_receipt_number": d.official_receipt_number, "pledge_id": d.pledge_id,
            "refunded": row.refunded, "refund_entry": row.refund_entry}


def donation_json(session, d: m.Donation) -> dict:
    return gift_json(svc.gift_row(session, d.id))


@blp.route("/donors", methods=["POST"])
@blp.arguments(DonorIn)
@blp.response(201, DonorOut)
@access("manager")
def post_donor(body):
    session = db_session()
    donor = svc.create_donor(session, current_actor(), **body)
    session.commit()
    return _donor_json(svc.donor_summary(session, donor.id))


def _donor_json(summary: svc.DonorSummary) -> dict:
    d = summary.donor
    return {**{c: getattr(d, c) for c in ("id", "name", "kind", "phone", "email", "address", "related_party",
                                         "related_note", "display_name")}, "gifts": summary.gifts,
            "total": summary.total}


@blp.route("/donors", methods=["GET"])
@blp.arguments(DonorQuery, location="query")
@blp.response(200, page_schema(DonorOut, "DonorPage"))
@access(*BOOK_READERS)
def list_donors(args):
    """Donors, searched by name (``q``), each with the gifts recorded and the total given net of refunds."""
    page = svc.donor_page(db_session(), q=args.get("q", ""), page=args["page"], per_page=args["per_page"],
                          newest_first=False)
    return page.as_dict(_donor_json)


@blp.route("/donors/<int:donor_id>", methods=["GET"])
@blp.response(200, DonorOut)
@access(*BOOK_READERS)
def get_donor(donor_id: int):
    return _donor_json(svc.donor_summary(db_session(), donor_id))


@blp.route("/donations", methods=["POST"])
@blp.arguments(DonationIn)
@blp.response(201, DonationOut)
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}, "required": False}])
@access("manager")
def post_donation(body):
    """Record a gift: posts its entry and gives its acknowledgement number. Send an Idempotency-Key."""
    session = db_session()

    def run():
        gift = svc.Gift(fund=body["fund_id"], **{k: v for k, v in body.items() if k != "fund_id"})
        return 201, gift_json(svc.record_gift(session, current_actor(), gift))
    return _idempotent(run)


@blp.route("/donations", methods=["GET"])
@blp.arguments(DonationQuery, location="query")
@blp.response(200, page_schema(DonationOut, "DonationPage"))
@access(*BOOK_READERS)
def list_donations(args):
    found, _amount = svc.donation_page(db_session(), donor_id=args.get("donor_id"), fund_id=args.get("fund_id"),
                                       page=args["page"], per_page=args["per_page"])
    return found.as_dict(gift_json)


@blp.route("/donations/<int:donation_id>", methods=["GET"])
@blp.response(200, DonationOut)
@access(*BOOK_READERS)
def get_donation(donation_id: int):
    return gift_json(svc.gift_row(db_session(), donation_id))


@blp.route("/donations/<int:donation_id>/refund", methods=["POST"])
@blp.arguments(RefundIn)
@blp.response(201, DonationOut)
@access("manager")
def refund_donation(body, donation_id: int):
    """Refund or correct a gift by reversing its entry; the reason is shown in the books."""
    session = db_session()

    def run():
        svc.refund_donation(session, current_actor(), donation_id, body["reason"], on=body["on"])
        return 201, donation_json(session, svc.get_donation(session, donation_id))
    return _idempotent(run)


@blp.route("/donations/<int:donation_id>/official-receipt", methods=["POST"])
@blp.arguments(OfficialReceiptIn)
@blp.response(200, DonationOut)
@access("manager")
def official_receipt(body, donation_id: int):
    """Record the number of the official 公益事业捐赠票据 issued for this gift (once)."""
    session = db_session()
    donation = svc.set_official_receipt(session, current_actor(), donation_id, body["number"])
    session.commit()
    return donation_json(session, donation)
