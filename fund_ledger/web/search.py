"""The search page (``/search?q=``): one box over donors, organisations, gifts and disbursement requests, for
fund managers and auditors; and ``query_args``, how a list page reads its filters through their schema."""
from __future__ import annotations

from flask import render_template, request
from marshmallow import ValidationError

from ..http.db import db_session
from ..http.errors import placed
from ..http.security import access, current_actor
from ..schemas.base import flat_errors, load_form
from ..schemas.lists import SearchQuery
from ..schemas.messages import Message
from ..services.search import LIMIT, SEARCHERS, search as search_books
from . import bp
from .filters import message

RAW_LIMIT = 200
"""Characters of a query value kept to show in its box again (the schema says what is too long)."""


def query_args(schema, keys) -> tuple[dict | None, dict, dict]:
    """The query string through ``schema``: (the values, or None when a box is not valid; each bad box's
    messages, placed beside it; the text of ``keys`` as typed, to show in the boxes again)."""
    raw = {k: request.args.get(k, "").strip()[:RAW_LIMIT] for k in keys}
    try:
        return load_form(schema, request.args), {}, raw
    except ValidationError as err:
        errors = {k: [placed(k, x if isinstance(x, Message) else message(str(x))) for x in v]
                  for k, v in flat_errors(err.messages).items()}
        return None, errors, raw


@bp.get("/search")
@access(*SEARCHERS)
def search():
    """What the books hold about a name, a code or a reference: each kind cut to its first rows."""
    args, errors, raw = query_args(SearchQuery, ("q",))
    found = search_books(db_session(), current_actor(), args["q"]) if args is not None else None
    return render_template("web/search.html", found=found, raw=raw, errors=errors, limit=LIMIT)
