"""The annual work report (年度工作报告) pages: the years with their state (a draft read from the books, or the
submitted report with its SHA-256), the downloads, submitting with a confirmation step, and publishing the
submitted PDF to 信息公开 in one step. The rules are ``services.annual_reports``; the API calls the same."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from ..http.db import db_session
from ..http.downloads import annual_report_response, annual_year
from ..http.i18n import N_
from ..http.security import access, current_actor, principal
from ..reports.annual_report import submit_annual_report as submit_report
from ..reports.annual_report import year_figures
from ..reports.annual_report_files import yuan
from ..schemas.annual_reports import AnnualSubmitIn
from ..services import annual_reports as svc
from ..services.errors import ServiceError
from . import ACTIVE, BOOK_READERS, NAV, bp
from .donations import _refused_here, loaded
from .people import _notice

NAV.insert(next(i for i, item in enumerate(NAV) if item[0] == "web.audit_log"),
           ("web.annual_reports", N_("Annual reports"), BOOK_READERS))
ACTIVE["web.annual_reports"] = ("web.submit_annual_report", "web.annual_report_file", "web.annual_report_version")
FIELDS = ("year", "audit_reference", "reason")


def _is_manager() -> bool:
    who = principal()
    return who is not None and who.role == "manager"


def _list(error=None, status=200):
    years = svc.list_years(db_session())
    return render_template("web/annual_reports/list.html", years=years, can_submit=_is_manager(),
                           error=error), status


@bp.get("/annual-reports")
@access(*BOOK_READERS)
def annual_reports():
    return _list()


@bp.get("/annual-reports/<year>.pdf", defaults={"fmt": "pdf"})
@bp.get("/annual-reports/<year>.xlsx", defaults={"fmt": "xlsx"})
@access(*BOOK_READERS)
def annual_report_file(year: str, fmt: str):
    """The current submission's stored file, or the draft laid out now (marked 草稿 DRAFT)."""
    return annual_report_response(db_session(), year, fmt)


@bp.get("/annual-reports/submitted/<int:report_id>.pdf", defaults={"fmt": "pdf"})
@bp.get("/annual-reports/submitted/<int:report_id>.xlsx", defaults={"fmt": "xlsx"})
@access(*BOOK_READERS)
def annual_report_version(report_id: int, fmt: str):
    """Any submission's stored file, also one a later submission replaced."""
    return annual_report_response(db_session(), "", fmt, report_id=report_id)


@bp.route("/annual-reports/<year>/submit", methods=["GET", "POST"])
@access("manager")
def submit_annual_report(year: str):
    """GET: the confirmation page (the draft's main figures, the form). POST with ``confirm=yes``: submit."""
    session = db_session()
    form = {k: (request.form.get(k) or "") for k in ("audit_reference", "reason")}
    preview = None
    try:
        preview = year_figures(session, annual_year(year[:16]))  # the year first: the form is shown for a good one
        data = loaded(AnnualSubmitIn, {**form, "year": year[:16]}, "annual report")
        if request.method == "POST" and request.form.get("confirm") == "yes":
            row = submit_report(session, current_actor(), data["year"], audit_reference=data["audit_reference"],
                                reason=data["reason"])
            session.commit()
            _notice("Submitted the annual report of %(year)s, SHA-256 %(sha256)s…", year=row.year,
                    sha256=row.pdf_sha256[:16])
            return redirect(url_for("web.annual_reports"))
    except ServiceError as err:
        return render_template("web/annual_reports/submit.html", year=year[:16], form=form, preview=preview, money=yuan,
                               **_refused_here(err, FIELDS)), err.status
    status = 400 if request.method == "POST" else 200  # posted without the confirmation: ask again
    return render_template("web/annual_reports/submit.html", year=year[:16], form=form, preview=preview, money=yuan,
                           error=None, errors={}, unplaced=None), status


@bp.post("/annual-reports/<year>/publish")
@access("manager")
def publish_annual_report(year: str):
    """Publish the year's current submission (its stored PDF) to 信息公开: the disclosure calendar's duty done."""
    session = db_session()
    try:
        item = svc.publish_submitted(session, current_actor(), annual_year(year[:16]))
    except ServiceError as err:
        session.rollback()
        return _list(error=err.detail, status=err.status)
    session.commit()
    _notice("Published No. %(id)s, SHA-256 %(sha256)s…", id=item.id, sha256=item.sha256[:16])
    return redirect(url_for("web.disclosures") + f"#item-{item.id}")
