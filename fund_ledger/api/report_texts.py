"""The manager's texts of a year's notes to the financial statements (会计报表附注) over the API: a manager saves a
section's text (``PUT``; the same text again writes nothing, so a retry is safe); the books' readers read the
current texts and each section's history. The notes themselves are ``GET /api/v1/reports/notes``."""
from __future__ import annotations

from flask import request
from marshmallow import Schema, ValidationError, fields

from ..http.db import db_session
from ..http.security import access, current_actor
from ..schemas.base import load_json
from ..schemas.report_texts import ReportTextIn
from ..services import report_texts as svc
from ..services.errors import from_validation
from . import blp

BOOK_READERS = ("manager", "auditor")


class TextOut(Schema):
    id = fields.Integer()
    year = fields.Integer()
    section = fields.String(metadata={"enum": list(svc.SECTIONS)})
    body = fields.String()
    written_at = fields.String()
    written_by = fields.String()


class SavedOut(Schema):
    year = fields.Integer()
    section = fields.String()
    changed = fields.Boolean(metadata={"description": "false when the text was already the current one (nothing written)"})
    current = fields.Nested(TextOut, allow_none=True)


class YearTextsOut(Schema):
    year = fields.Integer()
    texts = fields.Dict(keys=fields.String(), values=fields.Nested(TextOut, allow_none=True),
                        metadata={"description": "each section's current text (null: none written)"})
    history = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(TextOut)),
                          metadata={"description": "each section's versions, newest (the current one) first"})


@blp.route("/report-texts/<int:year>/<section>", methods=["PUT"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"body": {"type": "string", "maxLength": 20000}}}}}})
@blp.response(200, SavedOut)
@access("manager")
def put_report_text(year: int, section: str):
    """Save the text of ``section`` (``policies``, ``events`` or ``other``) for ``year``: a new version, the old ones
    kept; the current text again writes nothing (``changed: false``)."""
    session = db_session()
    try:
        data = load_json(ReportTextIn, request.get_json(silent=True))
    except ValidationError as err:
        raise from_validation(err, "text") from None
    version, changed = svc.save(session, current_actor(), year, section, data["body"])
    session.commit()
    return {"year": year, "section": section, "changed": changed, "current": version.as_json() if version else None}


@blp.route("/report-texts/<int:year>", methods=["GET"])
@blp.response(200, YearTextsOut)
@access(*BOOK_READERS)
def get_report_texts(year: int):
    """The current text of each section for ``year``, and every earlier version (who wrote what, when)."""
    session = db_session()
    current = svc.current(session, year)
    return {"year": year, "texts": {s: (v.as_json() if v else None) for s, v in current.items()},
            "history": {s: [v.as_json() for v in vs] for s, vs in svc.histories(session, year).items()}}
