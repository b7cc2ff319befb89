"""Pages for closing periods and for audit reports, the public page where anyone checks a report, and the
public page where a donor sees their gift's Merkle inclusion proof in each issued report.

Closing is one way, so it takes two steps: the period page offers a month (or a year) to close, a
confirmation page says what closing means and what it will seal, and only a form posted from there with
``confirm=yes`` closes. Issuing an audit report is one form; its PDF is served from the stored bytes.
"""
from __future__ import annotations

import re

from flask import current_app, make_response, redirect, render_template, request, url_for

from ..http.db import db_session, engine
from ..http.downloads import audit_report_response
from ..reports.audit_reports import issue_report_apart
from ..db.engine import read_session
from ..http.i18n import N_
from ..http.security import PUBLIC, access, current_actor, principal
from ..services import audit_reports as reports_svc
from ..services import periods as periods_svc
from ..services.errors import InvalidInput, ServiceError
from ..clock import local_today
from . import ACTIVE, BOOK_READERS, NAV, bp
from ..schemas.ledger import PeriodCloseIn
from .donations import _placed, loaded
from .people import _notice

NAV.insert(next(i for i, item in enumerate(NAV) if item[0] == "web.audit_log"),
           ("web.periods", N_("Periods"), BOOK_READERS))
NAV.insert(next(i for i, item in enumerate(NAV) if item[0] == "web.audit_log"),
           ("web.audit_reports", N_("Audit reports"), BOOK_READERS))
ACTIVE.update({"web.periods": ("web.close_period",), "web.audit_reports": ("web.audit_report_pdf",)})
SERVICE_MESSAGES = (  # what the period and audit report services say on these pages (the catalogue has the Chinese)
    N_("expected YYYY-MM"), N_("expected YYYY-MM or YYYY"), N_("not closed"), N_("no such report for the period"),
    N_("a reissue needs a reason"), N_("the file is not a PDF"), N_("the file is empty"),
    N_("send the audit report's PDF as the multipart field 'file'"), N_("not a PDF"), N_("too large"),
)
PERIOD_OR_YEAR = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$")


def _is_manager() -> bool:
    who = principal()
    return who is not None and who.role == "manager"


# --- periods --------------------------------------------------------------------------------------------

@bp.get("/periods")
@access(*BOOK_READERS)
def periods():
    session = db_session()
    months = periods_svc.list_months(session)
    today = local_today()
    years = sorted({r["period"][:4] for r in months if r["status"] == "open" and int(r["period"][:4]) < today.year},
                   reverse=True)
    return render_template("web/periods/periods.html", months=months, years=years, can_close=_is_manager())


def _close_preview(session, period: str) -> dict:
    """What the confirmation page shows: the months that would close and the entries dated in them."""
    months = [r for r in periods_svc.list_months(session)
              if r["period"] == period or (len(period) == 4 and r["period"].startswith(period + "-"))]
    return {"months": [r for r in months if r["status"] == "open"],
            "entries": sum(r["entry_count"] for r in months if r["status"] == "open")}


@bp.route("/periods/close", methods=["GET", "POST"])
@access("manager")
def close_period():
    """GET ?period=: the confirmation page. POST period, confirm=yes: close (a month, or a year's open months)."""
    session = db_session()
    period = (request.values.get("period") or "").strip()[:16]
    try:  # the input the API's POST /periods/{period}/close loads too
        period = loaded(PeriodCloseIn, {"period": period}, "period")["period"]
    except InvalidInput as err:
        return render_template("web/periods/close.html", period=period, preview=None,
                               error=_placed("period", err.errors["period"][0])), 400
    if request.method == "POST" and request.form.get("confirm") == "yes":
        try:
            closed = periods_svc.close(session, current_actor(), period)
        except ServiceError as err:
            session.rollback()
            return render_template("web/periods/close.html", period=period, preview=_close_preview(session, period),
                                   error=err.detail), err.status
        session.commit()
        _notice("Closed: %(periods)s. Nothing can be dated in them any more.",
                periods=", ".join(p.period for p in closed))
        return redirect(url_for("web.periods"))
    status = 400 if request.method == "POST" else 200  # posted without the confirmation: ask again
    return render_template("web/periods/close.html", period=period, preview=_close_preview(session, period),
                           error=None), status


# --- audit reports --------------------------------------------------------------------------------------

@bp.get("/audit-reports")
@access(*BOOK_READERS)
def audit_reports():
    session = db_session()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 10**9)
    items, total = reports_svc.list_reports(session, page=page, per_page=50)
    closed = [r for r in periods_svc.list_months(session) if r["status"] == "closed"]
    current = {r["period"]: reports_svc.current_report(session, r["period"]) for r in closed} if _is_manager() else {}
    return render_template("web/periods/audit_reports.html", reports=items, total=total, page=page, closed=closed,
                           current=current, can_issue=_is_manager(), form={}, errors={}, error=None)


@bp.post("/audit-reports/issue")
@access("manager")
def issue_audit_report():
    session = db_session()
    form = {k: (request.form.get(k) or "").strip() for k in ("period", "replaces", "reason")}
    try:
        replaces = None
        if form["replaces"]:
            if not re.fullmatch(r"[0-9]{1,10}", form["replaces"]) or not 0 < int(form["replaces"]) <= 2**31 - 1:
                raise InvalidInput("replaces must be a report number", {"replaces": ["a report number"]})
            replaces = int(form["replaces"])
        session.commit()  # the request's own transaction (reading who asks) ends: the issue takes its own
        row = issue_report_apart(engine(), current_actor(), form["period"], replaces=replaces,
                                 reason=form["reason"])
    except ServiceError as err:
        session.rollback()
        items, total = reports_svc.list_reports(session, per_page=50)
        closed = [r for r in periods_svc.list_months(session) if r["status"] == "closed"]
        current = {r["period"]: reports_svc.current_report(session, r["period"]) for r in closed}
        return render_template("web/periods/audit_reports.html", reports=items, total=total, page=1, closed=closed,
                               current=current, can_issue=True, form=form, errors=err.errors,
                               error=err.detail), err.status
    session.commit()
    _notice("Issued audit report No. %(id)s (%(period)s), SHA-256 %(sha256)s…", id=row.id, period=row.period,
            sha256=row.sha256[:16])
    return redirect(url_for("web.audit_reports"))


@bp.get("/audit-reports/<int:report_id>.pdf")
@access(*BOOK_READERS)
def audit_report_pdf(report_id: int):
    return audit_report_response(db_session(), report_id)


@bp.route("/audit-reports/verify", methods=["GET", "POST"])
@access(PUBLIC)
def verify_audit_report():
    """Anyone uploads a report and reads whether it is ours and whether the ledger still matches it.
    The check reads one snapshot in a read session: it never takes the ledger's write lock."""
    if request.method == "GET":
        return render_template("web/periods/verify.html", result=None, error=None)
    try:
        reports_svc.check_upload(b"%PDF-", request.content_length)
        upload = request.files.get("file")
        data = upload.stream.read(reports_svc.MAX_UPLOAD + 1) if upload is not None and upload.filename else None
        data = reports_svc.check_upload(data)
        from ..http.security import client_address
        from ..http.throttle import verify_guard

        with verify_guard().run(client_address()):  # it re-reads the whole ledger: a few per address, one at a time
            session = read_session(current_app.extensions["fund_ledger.engine"])
            try:
                result = reports_svc.verify_upload(session, data)
            finally:
                session.close()
    except ServiceError as err:
        return render_template("web/periods/verify.html", result=None, error=err.detail), err.status
    from .disbursements import att  # the attachments' file-name cleaner: the name is shown, never used as a path

    filename = att.clean_filename(upload.filename) if upload is not None else ""
    return render_template("web/periods/verify.html", result=result, error=None, filename=filename)


@bp.get("/verify/<code>/proof")
@access(PUBLIC)
def gift_proof(code: str):
    """A donor's gift in the audit reports: for each issued report whose period holds the gift, the root the
    report prints, the tree's size, the gift's leaf and index and the audit path, checked here against the
    stored root, with what the donor needs to check it again on their own. An unknown code is a plain 404."""
    from ..reports.receipts import gift_facts

    session = db_session()  # a GET: a read session, one snapshot
    donation, proofs = reports_svc.gift_proofs(session, code[:40])
    facts = gift_facts(session, donation) if donation is not None else None
    page = render_template("web/periods/proof.html", code=code[:40], gift=facts, proofs=proofs)
    response = make_response(page, 200 if donation is not None else 404)
    response.headers["Cache-Control"] = "private, no-store"  # the URL holds a donor's code
    return response
