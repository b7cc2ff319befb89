"""Exports for accountants: the journal for Beancount or hledger, whole or through a date.

(The general journal's CSV with its filters is the 序时账 report's CSV: /reports/general-journal.csv.)
"""
from __future__ import annotations

from datetime import date

from flask import abort, render_template, request

from ..schemas.fields import ISO_DATE
from ..http.db import db_session
from ..http.security import access
from ..clock import local_today
from ..reports.export_files import download
from . import ACTIVE, BOOK_READERS, bp

ACTIVE.setdefault("web.journal", ())
ACTIVE["web.journal"] = (*ACTIVE["web.journal"], "web.export", "web.export_journal")


@bp.get("/export")
@access(*BOOK_READERS)
def export():
    return render_template("web/exports/export.html", today=local_today())


@bp.get("/export/journal.<fmt>")
@access(*BOOK_READERS)
def export_journal(fmt: str):
    if fmt not in ("beancount", "ledger"):
        abort(404)
    through = None
    if request.args.get("through"):
        text = request.args["through"]
        try:
            if not ISO_DATE.fullmatch(text):
                raise ValueError(text)
            through = date.fromisoformat(text)
        except ValueError:
            abort(400, "through must be a date written YYYY-MM-DD")
    return download(db_session(), fmt, through)
