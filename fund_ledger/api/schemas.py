"""Schemas shared by the API's resources."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

MAX_PER_PAGE = 200


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**9))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """``{"items": [...], "total", "page", "per_page"}`` around ``item``."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item)), "total": fields.Integer(),
        "page": fields.Integer(), "per_page": fields.Integer(),
    }, name=name)
