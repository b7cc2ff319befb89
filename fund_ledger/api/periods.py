"""Accounting periods: which months are closed (with their seals) and closing a month or a year."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields

from ..http.db import db_session
from ..http.security import access, current_actor
from ..schemas.ledger import PeriodCloseIn
from ..services import periods as svc
from ..services.errors import from_validation
from . import blp
from .schemas import PageQuery, page_schema

BOOK_READERS = ("manager", "auditor")


class PeriodOut(Schema):
    period = fields.String(metadata={"example": "2026-10"})
    status = fields.String(metadata={"description": "open or closed"})
    first_day = fields.String()
    last_day = fields.String()
    ended = fields.Boolean()
    entry_count = fields.Integer(metadata={"description": "entries dated in the month"})
    closed_at = fields.String(allow_none=True)
    closed_by = fields.String(allow_none=True)
    head_seq = fields.Integer(allow_none=True, metadata={"description": "chain position of the head at closing"})
    head_hash = fields.String(allow_none=True)
    seal = fields.String(allow_none=True)


class ClosedOut(Schema):
    items = fields.List(fields.Nested(PeriodOut))


def period_json(row: dict) -> dict:
    return {**row, "first_day": row["first_day"].isoformat(), "last_day": row["last_day"].isoformat()}


@blp.route("/periods", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_schema(PeriodOut, "PeriodPage"))
@access(*BOOK_READERS)
def list_periods(args):
    """Every month from the first entry to this one, newest first: closed months with who closed them, when,
    their entry count, seal and chain head; open months with the entries dated in them so far."""
    months = svc.list_months(db_session())
    start = (args["page"] - 1) * args["per_page"]
    return {"items": [period_json(r) for r in months[start:start + args["per_page"]]], "total": len(months),
            "page": args["page"], "per_page": args["per_page"]}


@blp.route("/periods/<period>/close", methods=["POST"])
@blp.response(201, ClosedOut)
@access("manager")
def close_period(period: str):
    """Close a month (``2026-10``) or every open month of a year (``2025``). One way: from then on nothing can
    be dated in it, and its seal records what it held. A mistake found later is corrected in an open period."""
    session = db_session()
    try:
        period = PeriodCloseIn().load({"period": period})["period"]
    except ValidationError as err:
        raise from_validation(err, "period") from None
    closed = svc.close(session, current_actor(), period)
    session.commit()
    names = {p.period for p in closed}
    return {"items": [period_json(r) for r in svc.list_months(session) if r["period"] in names][::-1]}
