"""The journal for Beancount or hledger, whole or through a date, as a download."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..http.db import db_session
from ..reports.export_files import download
from ..http.security import access
from . import blp
from ..schemas.fields import StrictDate


class ExportQuery(Schema):
    format = fields.String(required=True, validate=validate.OneOf(["beancount", "ledger"]))
    through = StrictDate(load_default=None)


@blp.route("/export/journal", methods=["GET"])
@blp.arguments(ExportQuery, location="query")
@blp.response(200, description="the journal as text: Beancount, or an hledger journal")
@access("manager", "auditor")
def export_journal(args):
    """Entries dated on or before ``through`` (default: all), in the format bean-check or hledger reads."""
    return download(db_session(), args["format"], args["through"])
