"""Schemas shared by the API's resources."""
from __future__ import annotations

from flask import jsonify, make_response, request
from marshmallow import Schema, fields

from ..http.db import db_session
from ..http.security import current_actor
from ..schemas.paging import MAX_PER_PAGE, PageQuery  # noqa: F401 - the API's modules take them from here
from ..services.idempotency import request_fingerprint, run_once

def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """``{"items": [...], "total", "page", "per_page"}`` around ``item``."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item)), "total": fields.Integer(),
        "page": fields.Integer(), "per_page": fields.Integer(),
    }, name=name)


IDEMPOTENCY_HEADER = [{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "maxLength": 200},
                       "required": False, "description": "the same key and body answer as the first time; "
                                                         "the same key with another body is a 409"}]


def idempotent(run):
    """Answer a money-moving POST once per Idempotency-Key: ``run()`` gives (status, JSON body)."""
    session = db_session()
    status, body = run_once(session, current_actor(), request.headers.get("Idempotency-Key"),
                            request_fingerprint(request.method, request.path, request.get_json(silent=True)), run)
    session.commit()
    return make_response(jsonify(body), status)
