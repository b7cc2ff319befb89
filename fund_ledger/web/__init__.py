"""HTML pages: the overview (funds and trial balance) and the journal."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request

from ..app import db_session
from ..db import repository as repo
from ..ledger.entries import ENTRY_CODE_LABELS_ZH, EntryCode, format_number
from ..ledger.money import format_amount, to_chinese_capital
from ..reports.journal import journal_page
from ..reports.trial_balance import build_trial_balance
from ..services.errors import NotFound
from ..services.ledger import find_entry

bp = Blueprint("web", __name__)


@bp.app_template_filter("amount")
def _amount(fen: int) -> str:
    return format_amount(fen)


@bp.app_template_filter("capital")
def _capital(fen: int) -> str:
    return to_chinese_capital(fen)


@bp.app_template_filter("entry_code")
def _entry_code(code) -> str:
    try:
        return ENTRY_CODE_LABELS_ZH[EntryCode(getattr(code, "value", code))]
    except ValueError:
        return str(code)


@bp.get("/healthz")
def healthz():
    return {"ok": True}


@bp.get("/")
def overview():
    session = db_session()
    as_of = _date_arg("as_of")
    tb = build_trial_balance(session, as_of)
    return render_template("web/overview.html", tb=tb, as_of_arg=as_of)


@bp.get("/journal")
def journal():
    session = db_session()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = min(max(request.args.get("per_page", 50, type=int) or 50, 1), 200)
    entries, total = journal_page(session, page=page, per_page=per_page)
    names = {c: a.name for c, a in repo.load_accounts(session).items()}
    funds = {c: f.name for c, f in repo.load_funds(session).items()}
    return render_template("web/journal.html", entries=entries, total=total, page=page, per_page=per_page,
                           accounts=names, funds=funds)


@bp.get("/journal/<number>")
def entry_detail(number: str):
    session = db_session()
    try:
        entry = find_entry(session, number)
    except NotFound:
        abort(404)
    reversed_by = repo.reversed_by(session, entry.seq)
    reversed_by_entry = repo.get_entry(session, reversed_by) if reversed_by else None
    reverses_entry = repo.get_entry(session, entry.reverses) if entry.reverses else None
    names = {c: a.name for c, a in repo.load_accounts(session).items()}
    funds = {c: f.name for c, f in repo.load_funds(session).items()}
    return render_template("web/entry.html", entry=entry, accounts=names, funds=funds,
                           reversed_by=reversed_by_entry, reverses=reverses_entry, format_number=format_number)


def _date_arg(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400, f"{name} must be a date written YYYY-MM-DD")
