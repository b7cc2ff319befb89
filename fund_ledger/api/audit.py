"""The audit log and the ledger's integrity, for auditors."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from ..http.db import db_session
from ..db import models as m
from ..http.security import access
from ..services.verify import verify_ledger
from . import blp
from .schemas import PageQuery, page_schema

READERS = ("auditor", "manager", "admin")


class AuditQuery(PageQuery):
    actor = fields.String(validate=validate.Length(max=64))
    action = fields.String(validate=validate.Length(max=64))
    outcome = fields.String(validate=validate.OneOf(["ok", "denied", "failed", "error"]))
    object_type = fields.String(validate=validate.Length(max=32))
    object_id = fields.String(validate=validate.Length(max=64))
    since = fields.DateTime(format="iso")
    until = fields.DateTime(format="iso")


class AuditRecordSchema(Schema):
    seq = fields.Integer(attribute="id")
    at = fields.String()
    actor = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    outcome = fields.String()
    detail = fields.Function(lambda r: json.loads(r.detail))
    prev_hash = fields.String()
    hash = fields.String()


class VerifySchema(Schema):
    ok = fields.Boolean()
    entries = fields.Integer()
    head_hash = fields.String()
    first_bad_entry = fields.String(allow_none=True)
    audit_records = fields.Integer()
    audit_head_hash = fields.String()
    first_bad_audit_record = fields.Integer(allow_none=True)
    problems = fields.List(fields.String())


def audit_filters(q, args: dict):
    """The WHERE clauses for an audit-log search (shared by the API and the page)."""
    a = m.AuditLog
    for name in ("actor", "action", "outcome", "object_type", "object_id"):
        if args.get(name):
            q = q.where(getattr(a, name) == args[name])
    if args.get("since"):
        q = q.where(a.at >= _utc_text(args["since"]))
    if args.get("until"):
        q = q.where(a.at < _utc_text(args["until"]))
    return q


def _utc_text(moment: datetime) -> str:
    """The log keeps UTC as text; a time with an offset is converted, a naive one is taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def audit_page(session, args: dict) -> dict:
    total = session.scalar(audit_filters(select(func.count()).select_from(m.AuditLog), args))
    rows = session.scalars(audit_filters(select(m.AuditLog), args).order_by(m.AuditLog.id.desc())
                           .limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])).all()
    return {"items": rows, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/audit/log", methods=["GET"])
@blp.arguments(AuditQuery, location="query")
@blp.response(200, page_schema(AuditRecordSchema, "AuditPage"))
@access(*READERS)
def audit_log(args):
    """The audit log, newest first, filtered by actor, action, outcome, object and time."""
    return audit_page(db_session(), args)


@blp.route("/audit/verify", methods=["GET"])
@blp.response(200, VerifySchema)
@access(*READERS)
def audit_verify():
    """Recompute the journal's and the audit log's hash chains and every stored balance."""
    return verify_ledger(db_session()).as_dict()
