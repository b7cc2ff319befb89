"""Grantee organisations (受助机构)."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db.repository import is_row_id, utc_now_text
from ..ledger.credit_code import credit_code_error
from . import audit
from ..schemas.messages import Message
from .actor import Actor
from .errors import Conflict, Forbidden, InvalidInput, NotFound


def create_organisation(session: Session, actor: Actor, *, name: str, credit_code: str, contact: str = "") -> m.Organisation:
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager registers organisations")
    name, credit_code = (name or "").strip(), (credit_code or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 100:
        errors["name"] = [Message("name.length")]
    if problem := credit_code_error(credit_code):
        errors["credit_code"] = [Message("credit_code.invalid", problem=problem)]
    if len(contact or "") > 500:
        errors["contact"] = [Message("text.too_long", max=500)]
    if errors:
        raise InvalidInput("the organisation is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    if session.scalar(select(m.Organisation.id).where((m.Organisation.name == name) | (m.Organisation.credit_code == credit_code))):
        raise Conflict(f"an organisation named {name} or with code {credit_code} already exists")
    org = m.Organisation(name=name, credit_code=credit_code, contact=contact or "", created_at=utc_now_text())
    session.add(org)
    session.flush()
    audit.record(session, actor, "organisation.create", object_type="organisation", object_id=org.id,
                 detail={"name": name, "credit_code": credit_code})
    return org


def update_bank_account(session: Session, actor: Actor, organisation_id: int, *, bank_name: str,
                        bank_account: str) -> m.Organisation:
    """Record where an organisation's grants are paid (seen by managers and auditors only)."""
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager records bank accounts")
    org = session.get(m.Organisation, organisation_id) if is_row_id(organisation_id) else None
    if org is None:
        raise NotFound(f"no organisation {organisation_id}")
    bank_name = bank_name.strip() if isinstance(bank_name, str) else ""
    account = "".join((bank_account or "").split()) if isinstance(bank_account, str) else ""
    errors: dict[str, list[str]] = {}
    if not bank_name or len(bank_name) > 100:
        errors["bank_name"] = ["the bank and branch, 1 to 100 characters"]
    if not re.fullmatch(r"[0-9]{8,30}", account):
        errors["bank_account"] = ["8 to 30 digits"]
    if errors:
        raise InvalidInput("the bank account is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    # the audit log is read by administrators too: it keeps the bank's name and the account's last digits only
    before = {"bank_name": org.bank_name, "bank_account_ends": org.bank_account[-4:]}
    org.bank_name, org.bank_account = bank_name, account
    session.flush()
    audit.record(session, actor, "organisation.bank_account", object_type="organisation", object_id=org.id,
                 detail={"before": before, "after": {"bank_name": bank_name, "bank_account_ends": account[-4:]}})
    return org
