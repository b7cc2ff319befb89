"""A search of the audit log, as ``GET /api/v1/audit/log`` and the audit log page take it."""
from __future__ import annotations

from marshmallow import fields, validate

from .paging import PageQuery


class AuditQuery(PageQuery):
    actor = fields.String(validate=validate.Length(max=64))
    action = fields.String(validate=validate.Length(max=64))
    outcome = fields.String(validate=validate.OneOf(["ok", "denied", "failed", "error"]))
    object_type = fields.String(validate=validate.Length(max=32))
    object_id = fields.String(validate=validate.Length(max=64))
    since = fields.DateTime(format="iso")
    until = fields.DateTime(format="iso")
