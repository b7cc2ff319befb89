"""People's accounts, as an administrator sets them up: one declaration for the API (and the pages)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

ROLES = ("admin", "manager", "grantee", "auditor")


class UserIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    organisation_id = fields.Integer(strict=True, allow_none=True, load_default=None,
                                     validate=validate.Range(min=1, max=2**31 - 1))
    display_name = fields.String(load_default="", validate=validate.Length(max=100))


class RoleIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    organisation_id = fields.Integer(strict=True, allow_none=True, load_default=None,
                                     validate=validate.Range(min=1, max=2**31 - 1))
