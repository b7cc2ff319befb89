"""The audit log and the ledger's integrity, for auditors."""
from __future__ import annotations

import json

from marshmallow import Schema, fields

from ..http.db import db_session
from ..http.security import AUDIT_READERS as READERS, access
from ..schemas.audit import AuditQuery
from ..services.audit import audit_page
from ..services.verify import verify_ledger
from . import blp
from .schemas import page_schema


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
