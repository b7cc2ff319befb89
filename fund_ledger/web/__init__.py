"""HTML pages: log-in, the journal and the funds (the dashboards at /overview and /home are in .dashboard)."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from sqlalchemy import select

from .. import clock
from ..http.db import db_session
from ..http.i18n import N_, NP_, clear_session_keeping_language, localized
from ..http.security import PUBLIC, SIGNED_IN, access, client_address, current_actor, principal
from ..db import models as m
from ..db import repository as repo
from ..ledger.accounts import GENERAL_FUND_CODE
from ..ledger.entries import format_number
from ..reports.journal import journal_page
from ..reports.trial_balance import build_trial_balance
from ..services import users
from ..services.errors import NotFound, ServiceError
from ..services.search import SEARCHERS
from ..services.ledger import find_entry
from ..http.security import SessionUser
from . import filters

bp = Blueprint("web", __name__)
filters.register(bp)


BOOK_READERS = ("manager", "auditor")
HOME_BY_ROLE = {"manager": "web.overview", "auditor": "web.overview", "grantee": "web.grantee_home", "admin": "web.users"}


NAV = [
    # endpoint, its label (a msgid, or a (context, msgid) pair), roles that see it
    ("web.overview", N_("Overview"), BOOK_READERS),
    ("web.grantee_home", N_("Dashboard"), ("grantee",)),
    ("web.journal", N_("Journal"), BOOK_READERS),
    ("web.funds", N_("Funds"), ("manager", "auditor", "grantee")),
    ("web.donors", N_("Donors"), BOOK_READERS),
    ("web.donations", N_("Donations"), BOOK_READERS),
    ("web.pledges", N_("Pledges"), BOOK_READERS),
    ("web.disbursements", N_("Disbursements"), ("grantee", "manager", "auditor")),
    ("web.organisations", N_("Grantees"), BOOK_READERS),
    ("web.programmes", N_("Programmes"), BOOK_READERS),
    ("web.reports", N_("Reports"), BOOK_READERS),
    ("web.related_parties", N_("Related parties"), BOOK_READERS),
    ("web.audit_log", N_("Audit log"), ("auditor", "manager", "admin")),
    ("web.search", ("page title", NP_("page title", "Search")), SEARCHERS),  # 搜索, not the buttons' 查找
    ("web.users", N_("Users"), ("admin",)),
]
ACTIVE = {"web.journal": ("web.entry_detail",), "web.users": ("web.user_detail",)}


@bp.app_context_processor
def _navigation():
    return {"NAV": NAV, "ACTIVE": ACTIVE, "principal": principal}


@bp.get("/healthz")
@access(PUBLIC)
def healthz():
    return {"ok": True}


@bp.get("/")
@access(PUBLIC)
def home():
    who = principal()
    if who is None:  # a visitor: the public front door (web/public.py)
        return public.front_door_page()
    return redirect(url_for(HOME_BY_ROLE.get(who.role, "web.account")))


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


@bp.get("/journal")
@access(*BOOK_READERS)
def journal():
    """The journal, newest first, filtered by accounting date (from, to), fund, account (and those under it),
    entry code and words in the memo, read through ``schemas.lists.JournalQuery``. A filter that is not valid
    is said beside its box, and then no entry is listed (never a list taken for the filtered one)."""
    from ..schemas.lists import JournalQuery
    from ..services.lists import JournalFilter, journal_list
    from .search import query_args

    session = db_session()
    args, errors, raw = query_args(JournalQuery, ("from", "to", "fund", "account", "code", "q", "per_page"))
    entries, total, page, per_page = [], 0, 1, 50
    if args is not None:
        wanted, page, per_page = JournalFilter.of(args), args["page"], args["per_page"]
        if wanted.any:
            found = journal_list(session, wanted, page=page, per_page=per_page)
            entries, total = found.items, found.total
        else:  # the whole journal: pages chosen on the primary key, deep ones as cheap as the first
            entries, total = journal_page(session, page=page, per_page=per_page)
    names = {c: localized(a.name, a.name_en) for c, a in repo.load_accounts(session).items()}
    funds = repo.load_funds(session)
    return render_template("web/journal.html", entries=entries, total=total, page=page, per_page=per_page,
                           accounts=names, funds={c: f.name for c, f in funds.items()}, fund_rows=funds.values(),
                           raw=raw, errors=errors, filters={k: v for k, v in raw.items() if v},
                           codes=filters.ENTRY_CODES)


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
    names = {c: localized(a.name, a.name_en) for c, a in repo.load_accounts(session).items()}
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


def _funds_page(*, status: int = 200, closing=None, fund_id: int | None = None, form=None, error=None, errors=None,
                unplaced=None):
    db = db_session()
    tb = build_trial_balance(db)
    rows = {f.code: f for f in db.scalars(select(m.Fund))}
    return render_template("web/funds.html", tb=tb, rows=rows, today=clock.local_today(), general=GENERAL_FUND_CODE,
                           closing=closing, fund_id=fund_id, form=form or {}, error=error, errors=errors or {},
                           unplaced=unplaced), status


@bp.get("/funds")
@access("manager", "auditor", "grantee")
def funds():
    return _funds_page()


@bp.post("/funds/<int:fund_id>/close")
@access("manager")
def close_fund(fund_id: int):
    """Close an empty fund: the first submit checks and shows what closing means; the confirmation closes it."""
    from ..schemas.donations import CloseFundIn
    from ..services.funds import check_close, close_fund as close
    from .donations import _refused_here, loaded
    from .people import _notice

    db = db_session()
    form = request.form
    try:
        closed_on = loaded(CloseFundIn, form, "closing of the fund")["closed_on"]
        if form.get("confirm") != "1":
            fund, last = check_close(db, fund_id, closed_on)
            return _funds_page(closing={"fund": fund, "closed_on": closed_on, "last": last}, fund_id=fund_id)
        fund = close(db, current_actor(), fund_id, closed_on=closed_on)
    except ServiceError as err:
        db.rollback()
        return _funds_page(status=err.status, fund_id=fund_id, form=form,
                           **_refused_here(err, ("closed_on",)))  # "the fund holds…": at the top
    db.commit()
    _notice("Fund %(name)s closed on %(day)s", name=fund.name, day=closed_on.isoformat())
    return redirect(url_for("web.funds"))


from . import people  # noqa: E402,F401
from . import donations  # noqa: E402,F401
from . import disbursements  # noqa: E402,F401
from . import programmes  # noqa: E402,F401
from . import exports  # noqa: E402,F401
from . import periods  # noqa: E402,F401
from . import reports  # noqa: E402,F401
from . import dashboard  # noqa: E402,F401
from . import public  # noqa: E402
from . import disclosures  # noqa: E402,F401
from . import report_texts  # noqa: E402,F401
from . import related_parties  # noqa: E402,F401
from . import annual_reports  # noqa: E402,F401
