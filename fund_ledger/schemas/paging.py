"""A page of a list: ``?page=&per_page=`` (at most :data:`MAX_PER_PAGE`), for the API and the pages alike."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

MAX_PER_PAGE = 200


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**9))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))
