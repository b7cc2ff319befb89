"""HTML pages: the overview (funds and trial balance) and the journal."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from .. import clock
from ..http.db import db_session
from ..http.i18n import clear_session_keeping_language, t
from ..http.security import PUBLIC, SIGNED_IN, access, client_address, current_actor, principal
from ..db import repository as repo
from ..ledger.entries import ENTRY_CODE_LABELS_ZH, EntryCode, format_number
from ..ledger.money import format_amount, to_chinese_capital
from ..reports.journal import journal_page
from ..reports.trial_balance import build_trial_balance
from ..services import audit, users
from ..services.errors import NotFound, ServiceError
from ..services.ledger import find_entry
from ..http.security import SessionUser

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
        code = EntryCode(getattr(code, "value", code))
        return t(ENTRY_CODE_LABELS_ZH[code], code.value.capitalize())
    except ValueError:
        return str(code)


BOOK_READERS = ("manager", "auditor")
HOME_BY_ROLE = {"manager": "web.overview", "auditor": "web.overview", "grantee": "web.funds", "admin": "web.users"}


NAV = [
    # endpoint, Chinese, English, roles that see it
    ("web.overview", "概览", "Overview", BOOK_READERS),
    ("web.journal", "序时账", "Journal", BOOK_READERS),
    ("web.funds", "基金", "Funds", ("manager", "auditor", "grantee")),
    ("web.donors", "捐赠人", "Donors", BOOK_READERS),
    ("web.donations", "捐赠", "Donations", BOOK_READERS),
    ("web.pledges", "认捐", "Pledges", BOOK_READERS),
    ("web.disbursements", "拨款申请", "Disbursements", ("grantee", "manager", "auditor")),
    ("web.organisations", "受助机构", "Grantees", BOOK_READERS),
    ("web.programmes", "资助项目", "Programmes", BOOK_READERS),
    ("web.reports", "报表", "Reports", BOOK_READERS),
    ("web.audit_log", "审计日志", "Audit log", ("auditor", "manager", "admin")),
    ("web.users", "用户管理", "Users", ("admin",)),
]
ACTIVE = {"web.journal": ("web.entry_detail",), "web.users": ("web.user_detail",)}
ROLE_NAMES = {"admin": "系统管理员", "manager": "基金管理员", "grantee": "受助机构", "auditor": "审计人员"}


@bp.app_context_processor
def _navigation():
    return {"NAV": NAV, "ACTIVE": ACTIVE, "ROLE_NAMES": ROLE_NAMES, "principal": principal}


@bp.get("/healthz")
@access(PUBLIC)
def healthz():
    return {"ok": True}


@bp.get("/")
@access(PUBLIC)
def home():
    who = principal()
    return redirect(url_for(HOME_BY_ROLE.get(who.role, "web.account") if who else "web.login"))


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an absolute URL, a scheme-relative //host, or control characters
    (browsers and Werkzeug drop tabs and newlines, turning ``/<TAB>/evil`` into ``//evil``)."""
    if not target or not target.startswith("/") or any(ord(ch) < 32 or ch in "\\\x7f" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login():
    error, status = None, 200
    if request.method == "POST":
        db = db_session()
        try:
            user = users.authenticate(db, request.form.get("username", ""), request.form.get("password", ""),
                                      client_address())
        except ServiceError as err:
            db.commit()  # the audit record of the failure stands; nothing else was written
            error, status = err.detail, err.status
        else:
            db.commit()
            clear_session_keeping_language()
            login_user(SessionUser(user))
            session.permanent = True
            session["login_at"] = clock.now().isoformat()
            return redirect(_safe_next(request.args.get("next")) or url_for(HOME_BY_ROLE[user.role]))
    return render_template("web/login.html", error=error), status


@bp.post("/logout")
@access(SIGNED_IN)
def logout():
    db = db_session()
    users.log_out(db, current_actor())
    db.commit()
    logout_user()
    clear_session_keeping_language()
    return redirect(url_for("web.login"))


@bp.get("/overview")
@access(*BOOK_READERS)
def overview():
    session = db_session()
    as_of = _date_arg("as_of")
    tb = build_trial_balance(session, as_of)
    return render_template("web/overview.html", tb=tb, as_of_arg=as_of)


@bp.get("/journal")
@access(*BOOK_READERS)
def journal():
    session = db_session()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = min(max(request.args.get("per_page", 50, type=int) or 50, 1), 200)
    entries, total = journal_page(session, page=page, per_page=per_page)
    names = {c: t(a.name, a.name_en or a.name) for c, a in repo.load_accounts(session).items()}
    funds = {c: f.name for c, f in repo.load_funds(session).items()}
    return render_template("web/journal.html", entries=entries, total=total, page=page, per_page=per_page,
                           accounts=names, funds=funds)


@bp.get("/journal/<number>")
@access(*BOOK_READERS)
def entry_detail(number: str):
    session = db_session()
    try:
        entry = find_entry(session, number)
    except NotFound:
        abort(404)
    reversed_by = repo.reversed_by(session, entry.seq)
    reversed_by_entry = repo.get_entry(session, reversed_by) if reversed_by else None
    reverses_entry = repo.get_entry(session, entry.reverses) if entry.reverses else None
    names = {c: t(a.name, a.name_en or a.name) for c, a in repo.load_accounts(session).items()}
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


@bp.get("/funds")
@access("manager", "auditor", "grantee")
def funds():
    tb = build_trial_balance(db_session())
    purposes = {c: f.purpose for c, f in repo.load_funds(db_session()).items()}
    return render_template("web/funds.html", tb=tb, purposes=purposes)


from . import people  # noqa: E402,F401
from . import donations  # noqa: E402,F401
from . import grants  # noqa: E402,F401
from . import programmes  # noqa: E402,F401
from . import exports  # noqa: E402,F401
from . import periods  # noqa: E402,F401
from . import reports  # noqa: E402,F401
