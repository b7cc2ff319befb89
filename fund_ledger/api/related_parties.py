"""The register of related parties (关联方) over the API: a manager keeps it, an auditor reads it; grantees and the
public never see it. Also the major-transaction threshold (重大交易), a setting the disclosure calendar reads."""
from __future__ import annotations

from dataclasses import asdict

from marshmallow import Schema, fields

from ..clock import local_today
from ..db import models as m
from ..http.db import db_session
from ..http.security import access, current_actor
from ..ledger.money import fen_to_str
from ..schemas.disclosures import MajorTransactionIn
from ..schemas.fields import MoneyOut
from ..schemas.related_parties import EndRelationIn, RelatedPartyIn, TransactionsQuery
from ..services import related_parties as svc
from ..services import settings
from ..services.paging import page_of
from . import blp
from .schemas import PageQuery, page_schema

BOOK_READERS = ("manager", "auditor")


class RelatedPartyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    relation = fields.String()
    donor_id = fields.Integer(allow_none=True)
    organisation_id = fields.Integer(allow_none=True)
    since = fields.String(allow_none=True, metadata={"description": "from when (null: from the start of the books)"})
    until = fields.String(allow_none=True, metadata={"description": "until when (null: still related)"})
    current = fields.Boolean()
    note = fields.String()
    transactions = fields.Integer(metadata={"description": "related-party transactions with it, all dates"})
    total = MoneyOut(metadata={"description": "the money they moved, each counted whichever way it went"})
    created_at = fields.String()
    created_by = fields.String()


class RelatedTransactionOut(Schema):
    party_id = fields.Integer()
    party = fields.String()
    relation = fields.String()
    kind = fields.String(metadata={"enum": ["gift", "refund", "grant", "return"]})
    on = fields.String()
    amount = MoneyOut(metadata={"description": "as the money moved: negative out of the fund (refund, grant)"})
    fund_code = fields.String()
    entry_id = fields.Integer()
    donation_id = fields.Integer(allow_none=True)
    disbursement_id = fields.Integer(allow_none=True)
    counterparty = fields.String()


class MajorTransactionOut(Schema):
    amount = fields.String(allow_none=True, metadata={
        "description": "a single gift or grant of at least this is a major transaction; null: not set"})
    updated_at = fields.String(allow_none=True)
    updated_by = fields.String(allow_none=True)


def party_json(p: m.RelatedParty, totals: dict[int, tuple[int, int]], today) -> dict:
    n, total = totals.get(p.id, (0, 0))
    return {"id": p.id, "name": p.name, "kind": p.kind, "relation": p.relation, "donor_id": p.donor_id,
            "organisation_id": p.organisation_id, "since": p.since.isoformat() if p.since else None,
            "until": p.until.isoformat() if p.until else None, "current": p.until is None or p.until >= today,
            "note": p.note, "transactions": n, "total": total, "created_at": p.created_at,
            "created_by": p.created_by}


def _one(session, party: m.RelatedParty) -> dict:
    return party_json(party, svc.party_totals(svc.transactions(session)), local_today())


@blp.route("/related-parties", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_schema(RelatedPartyOut, "RelatedPartyPage"))
@access(*BOOK_READERS)
def list_related_parties(args):
    """The register: current relations first, then by name, each with its transactions' count and total."""
    session = db_session()
    totals, today = svc.party_totals(svc.transactions(session)), local_today()
    return page_of(svc.parties(session), page=args["page"], per_page=args["per_page"]).as_dict(
        lambda p: party_json(p, totals, today))


@blp.route("/related-parties", methods=["POST"])
@blp.arguments(RelatedPartyIn)
@blp.response(201, RelatedPartyOut)
@access("manager")
def post_related_party(body):
    """Enter a party in the register, linked (optionally) to a donor and/or a grantee organisation."""
    session = db_session()
    party = svc.register(session, current_actor(), **body)
    session.commit()
    return _one(session, party)


@blp.route("/related-parties/<int:party_id>/end", methods=["POST"])
@blp.arguments(EndRelationIn)
@blp.response(200, RelatedPartyOut)
@access("manager")
def end_related_party(body, party_id: int):
    """The relation ended on ``until``: transactions after it are no longer related-party ones."""
    session = db_session()
    party = svc.end_relation(session, current_actor(), party_id, until=body["until"])
    session.commit()
    return _one(session, party)


@blp.route("/related-parties/transactions", methods=["GET"])
@blp.arguments(TransactionsQuery, location="query")
@blp.response(200, page_schema(RelatedTransactionOut, "RelatedTransactionPage"))
@access(*BOOK_READERS)
def related_transactions(args):
    """Every related-party transaction dated ``from``..``to`` (both included; either may be left out), by date:
    gifts from a registered donor and their refunds, grants paid to a registered organisation and money it
    returned, each dated within the relation."""
    found = svc.transactions(db_session(), args.get("first"), args.get("last"))
    return page_of(found, page=args["page"], per_page=args["per_page"]).as_dict(
        lambda t: {**asdict(t), "on": t.on.isoformat()})


def _threshold_json(session) -> dict:
    row = session.get(m.Setting, settings.MAJOR_TRANSACTION)
    fen = settings.major_transaction_fen(session)
    return {"amount": fen_to_str(fen) if fen is not None else None, "updated_at": row.updated_at if row else None,
            "updated_by": row.updated_by if row else None}


@blp.route("/settings/major-transaction", methods=["GET"])
@blp.response(200, MajorTransactionOut)
@access(*BOOK_READERS)
def get_major_transaction():
    """The major-transaction threshold (重大交易): a single gift received or grant paid of at least ``amount`` is
    disclosed within 30 days. ``null``: not set, and then no transaction is major."""
    return _threshold_json(db_session())


@blp.route("/settings/major-transaction", methods=["PUT"])
@blp.arguments(MajorTransactionIn)
@blp.response(200, MajorTransactionOut)
@access("manager")
def put_major_transaction(body):
    """Set the threshold (``{"amount": "50000.00"}``) or unset it (``{"amount": null}``); the change is audited."""
    session = db_session()
    settings.set_major_transaction_fen(session, current_actor(), body["amount"])
    session.commit()
    return _threshold_json(session)
