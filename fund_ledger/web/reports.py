"""Report pages (报表): an index with a form per report, each report as a page with CSV and PDF downloads.

Routes register on the shared ``web`` blueprint. The reports themselves, and what each takes, are in
:mod:`fund_ledger.reports.catalogue`; the downloads answer exactly what ``/api/v1/reports/<name>`` does.
"""
from __future__ import annotations

from datetime import date

from flask import abort, render_template, request
from sqlalchemy import select

from ..api.reports import report_response
from ..app import db_session
from ..db import models as m
from ..ledger.statements import format_percent
from ..reports import statement_render as render
from ..reports.catalogue import REPORTS, Query, build
from ..security import access, current_actor
from ..services.errors import InvalidInput
from ..services.ledger import local_today
from . import BOOK_READERS, bp

FIELDS = ("as_of", "from", "to", "fund_id", "account")


def _date(name: str) -> date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}: a date written YYYY-MM-DD", {name: ["a date written YYYY-MM-DD"]}) from None


def _query() -> Query:
    fund = (request.args.get("fund_id") or "").strip()
    if fund and (not fund.isascii() or not fund.isdigit() or len(fund) > 10):
        raise InvalidInput("fund_id: a fund's number", {"fund_id": ["a fund's number"]})
    return Query(as_of=_date("as_of"), start=_date("from"), end=_date("to"), fund_id=int(fund) if fund else None,
                 account=(request.args.get("account") or "").strip() or None)


def _kind(name: str):
    if name not in REPORTS:
        abort(404)
    return REPORTS[name]


def _choices():
    session = db_session()
    funds = session.execute(select(m.Fund.id, m.Fund.name, m.Fund.restricted).order_by(m.Fund.id)).all()
    accounts = session.execute(select(m.Account.code, m.Account.name).order_by(m.Account.code)).all()
    return funds, accounts


def _args() -> dict[str, str]:
    """The query as the page received it, for the form and the download links (empty fields dropped)."""
    return {k: request.args[k] for k in FIELDS if request.args.get(k)}


@bp.get("/reports")
@access(*BOOK_READERS)
def reports():
    funds, accounts = _choices()
    return render_template("web/reports/index.html", reports=REPORTS.values(), funds=funds, accounts=accounts,
                           today=local_today())


@bp.get("/reports/<name>")
@access(*BOOK_READERS)
def report(name: str):
    kind = _kind(name)
    today = local_today()
    data = build(db_session(), name, _query(), today=today, fmt="html")
    funds, accounts = _choices()
    return render_template("web/reports/report.html", kind=kind, report=data, args=_args(), funds=funds,
                           accounts=accounts, today=today, render=render, format_percent=format_percent)


@bp.get("/reports/<name>.<fmt>")
@access(*BOOK_READERS)
def report_download(name: str, fmt: str):
    _kind(name)
    if fmt not in ("csv", "pdf"):
        abort(404)
    return report_response(name, _query(), fmt, current_actor().username)
