"""Funds: the general fund and restricted funds with their purpose, balance, reserved and available."""
from __future__ import annotations

from marshmallow import Schema, fields
from sqlalchemy import func, select

from ..http.db import db_session
from ..db import models as m
from ..db import repository as repo
from ..ledger.balances import FundPosition
from ..http.security import access, current_actor
from ..services.donations import find_fund
from ..services.funds import close_fund, create_fund
from . import blp
from ..schemas.donations import CloseFundIn, FundIn
from ..schemas.fields import MoneyOut
from .schemas import PageQuery, page_schema

READERS = ("manager", "auditor", "grantee")


class FundOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    name_en = fields.String()
    restricted = fields.Boolean()
    purpose = fields.String()
    end_date = fields.Date(allow_none=True)
    closed = fields.Boolean()
    closed_on = fields.Date(allow_none=True)
    balance = MoneyOut()
    reserved = MoneyOut()
    available = MoneyOut()


def fund_json(row: m.Fund, pos: FundPosition | None) -> dict:
    pos = pos or FundPosition(0, 0)
    return {"id": row.id, "code": row.code, "name": row.name, "name_en": row.name_en, "restricted": row.restricted,
            "purpose": row.purpose, "end_date": row.end_date, "closed": row.closed_on is not None,
            "closed_on": row.closed_on,
            "balance": pos.balance, "reserved": pos.reserved, "available": pos.available}


@blp.route("/funds", methods=["POST"])
@blp.arguments(FundIn)
@blp.response(201, FundOut)
@access("manager")
def post_fund(body):
    """Create a fund; a restricted fund needs the purpose its donors set."""
    session = db_session()
    fund = create_fund(session, current_actor(), **body)
    row = session.scalar(select(m.Fund).where(m.Fund.code == fund.code))
    session.commit()
    return fund_json(row, None)


@blp.route("/funds", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_schema(FundOut, "FundPage"))
@access(*READERS)
def list_funds(args):
    """Every fund with its balance, reserved and available amounts."""
    session = db_session()
    total = session.scalar(select(func.count()).select_from(m.Fund))
    rows = session.scalars(select(m.Fund).order_by(m.Fund.id).limit(args["per_page"])
                           .offset((args["page"] - 1) * args["per_page"])).all()
    positions = repo.money_by_fund(session)
    return {"items": [fund_json(r, positions.get(r.code)) for r in rows], "total": total,
            "page": args["page"], "per_page": args["per_page"]}


@blp.route("/funds/<int:fund_id>", methods=["GET"])
@blp.response(200, FundOut)
@access(*READERS)
def get_fund(fund_id: int):
    session = db_session()
    row = find_fund(session, fund_id)
    return fund_json(row, repo.money_by_fund(session).get(row.code))


@blp.route("/funds/<int:fund_id>/close", methods=["POST"])
@blp.arguments(CloseFundIn)
@blp.response(200, FundOut)
@access("manager")
def close_fund_api(body, fund_id: int):
    """Close an empty fund (nothing held, owed or reserved; no grant request waiting) on ``closed_on``: nothing is
    posted to it after. Final; the general fund never closes."""
    session = db_session()
    row = close_fund(session, current_actor(), fund_id, closed_on=body["closed_on"])
    session.commit()
    return fund_json(row, repo.money_by_fund(session).get(row.code))
