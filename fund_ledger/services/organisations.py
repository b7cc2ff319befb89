"""Grantee organisations (受助机构)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db.repository import utc_now_text
from ..ledger.credit_code import credit_code_error
from . import audit
from .actor import Actor
from .errors import Conflict, Forbidden, InvalidInput


def create_organisation(session: Session, actor: Actor, *, name: str, credit_code: str, contact: str = "") -> m.Organisation:
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager registers organisations")
    name, credit_code = (name or "").strip(), (credit_code or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 100:
        errors["name"] = ["1 to 100 characters"]
    if problem := credit_code_error(credit_code):
        errors["credit_code"] = [problem]
    if len(contact or "") > 500:
        errors["contact"] = ["at most 500 characters"]
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
