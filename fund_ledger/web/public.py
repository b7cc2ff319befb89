"""The public front door: what a visitor who is not logged in finds at ``/``.

The fund's story, each fund's money (gifts received, granted, available), the grants paid, the audit reports
issued (each downloadable by anyone, the stored bytes with their SHA-256, and checkable on the verification
page), and the form where a donor checks a gift. Every figure comes from the ledger
(:mod:`fund_ledger.reports.public`); no donor is named.
"""
from __future__ import annotations

from flask import render_template

from ..http.db import db_session
from ..http.downloads import audit_report_response
from ..http.security import PUBLIC, access
from ..reports.public import front_door
from . import bp


def front_door_page():
    """The page ``web.home`` shows a visitor who is not logged in (a GET: a read session, one snapshot)."""
    return render_template("web/public/home.html", door=front_door(db_session()))


@bp.get("/public/audit-reports/<int:report_id>.pdf")
@access(PUBLIC)
def public_audit_report_pdf(report_id: int):
    """An issued audit report for anyone (CONTRACT.md: issued audit reports are published): the stored bytes,
    the same file the books' readers download, so its SHA-256 is the one the front door lists."""
    return audit_report_response(db_session(), report_id, public=True)
