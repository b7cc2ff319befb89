"""Funds and the chart: restricted funds with a purpose, and sub-accounts under the standard chart."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db.repository import load_accounts, to_fund, utc_now_text
from ..ledger.accounts import FUND_CODE_RE, Fund, sub_account_errors
from . import audit
from .actor import Actor
from .errors import Conflict, Forbidden, InvalidInput

MANAGERS = {"manager", "system"}


def _require_manager(actor: Actor) -> None:
    if actor.role not in MANAGERS:
        raise Forbidden("only a fund manager may change funds and accounts")


def create_fund(session: Session, actor: Actor, *, code: str, name: str, restricted: bool, purpose: str = "",
                name_en: str = "", end_date: date | None = None) -> Fund:
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    code = (code or "").strip()
    name = (name or "").strip()
    if not FUND_CODE_RE.match(code):
        errors["code"] = ["2 to 32 ASCII capitals, digits or _, starting with a letter (e.g. AILILIANG)"]
    if not name or len(name) > 100:
        errors["name"] = ["1 to 100 characters"]
    if restricted and not (purpose or "").strip():
        errors["purpose"] = ["a restricted fund needs the purpose its donors set"]
    if len(purpose or "") > 2000:
        errors["purpose"] = ["at most 2000 characters"]
    if errors:
        raise InvalidInput("the fund is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    if session.scalar(select(m.Fund.id).where((m.Fund.code == code) | (m.Fund.name == name))) is not None:
        raise Conflict(f"a fund with code {code} or name {name} already exists", {"code": ["already exists"]})
    row = m.Fund(code=code, name=name, name_en=name_en or "", restricted=bool(restricted), purpose=purpose or "",
                 end_date=end_date, created_at=utc_now_text())
    session.add(row)
    session.flush()
    audit.record(session, actor, "fund.create", object_type="fund", object_id=code,
                 detail={"name": name, "restricted": bool(restricted), "purpose": purpose or ""})
    return to_fund(row)


def add_sub_account(session: Session, actor: Actor, *, parent: str, code: str, name: str, name_en: str = "") -> None:
    """A sub-account (明细科目) under ``parent``, of the same type and side: ``1002.01 银行存款-工商银行``."""
    _require_manager(actor)
    accounts = load_accounts(session)
    errors = sub_account_errors(accounts.get(parent), code, name)
    if errors:
        raise InvalidInput("; ".join(errors), {"code": errors})
    if code in accounts:
        raise Conflict(f"account {code} already exists")
    p = accounts[parent]
    session.add(m.Account(code=code, name=name.strip(), name_en=name_en, type=p.type.value,
                          normal_side=p.normal_side.value, monetary=p.monetary, parent_code=parent,
                          created_at=utc_now_text()))
    session.flush()
    audit.record(session, actor, "account.create", object_type="account", object_id=code,
                 detail={"parent": parent, "name": name.strip()})
