"""Pages for disbursement requests: the grantee's list and form, a request's page with its timeline and
sources, the manager's review queue (with each fund's available balance), payment, acknowledgement, and
a fund's tracing page (which gifts paid for which grant, first in, first out).

The patterns of the gift pages: CSRF on every form, POST → redirect → GET with a notice, the service's
refusal shown on the page with nothing committed, and every step that moves (or promises) money passes
the form's idempotency key through ``run_once``, so a double click acts once.

A step that cannot be undone (payment, acknowledgement, rejection, cancellation) is asked twice, without
JavaScript: the first submit checks the input and shows what will happen; only the form posted from that
confirmation (``confirm=1``, the same idempotency key) calls the service. Approval happens on the request's
page, beside its attachments, never from the list.
"""
from __future__ import annotations

import json
import uuid

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext, pgettext
from sqlalchemy import select

from ..http.downloads import attachment_response
from ..http.db import db_session
from ..db import models as m
from ..db import repository as repo
from ..ledger.disbursements import APPROVED, PAID, SUBMITTED
from ..ledger.money import format_yuan
from ..http.security import access, current_actor
from ..services import attachments as att
from ..services import disbursements as svc
from ..services import programmes, tracing
from ..services.errors import Conflict, InvalidInput, NotFound, ServiceError
from ..services.idempotency import request_fingerprint, run_once
from ..clock import local_today
from ..http.i18n import NP_, N_
from . import ACTIVE, bp
from ..schemas import disbursements as forms
from .donations import _open_funds, _refused_here, loaded
from .people import MAX_ID, _int_or_none, _notice

READERS = ("grantee", "manager", "auditor")
CONFIRMED = "1"
"""The value of ``confirm`` on the form posted from a step's confirmation."""
STATUS_NAMES = {"submitted": NP_("request status", "Submitted"), "approved": NP_("request status", "Approved"),
                "rejected": NP_("request status", "Rejected"), "cancelled": NP_("request status", "Cancelled"),
                "paid": NP_("request status", "Paid"), "acknowledged": NP_("request status", "Received")}
"""A request's status -> its name (msgids in the context ``request status``; the Chinese is in the catalogue)."""
ACTION_NAMES = {"submit": NP_("timeline", "submitted"), "approve": NP_("timeline", "approved"),
                "reject": NP_("timeline", "rejected"), "cancel": NP_("timeline", "cancelled"),
                "pay": NP_("timeline", "paid"), "acknowledge": NP_("timeline", "acknowledged"),
                "report": NP_("timeline", "use report submitted"),
                "report_received": NP_("timeline", "use report received"),
                "report_sent_back": NP_("timeline", "use report sent back")}
"""A step in a request's timeline -> its name (context ``timeline``: the audit log names its actions apart)."""
REPORT_STATUS = {"submitted": NP_("use report status", "waiting for review"),
                 "received": NP_("use report status", "received"),
                 "sent_back": NP_("use report status", "sent back")}

ACTIVE.update({"web.disbursements": ("web.disbursement_detail", "web.new_disbursement", "web.approve_disbursement",
                                     "web.reject_disbursement", "web.cancel_disbursement", "web.pay_disbursement",
                                     "web.acknowledge_disbursement", "web.fund_tracing", "web.add_attachment",
                                     "web.download_attachment", "web.submit_use_report", "web.receive_use_report",
                                     "web.send_back_use_report")})


@bp.app_template_global()
def report_status_name(status: str) -> str:
    return pgettext("use report status", REPORT_STATUS[status]) if status in REPORT_STATUS else status


@bp.app_template_global()
def status_name(status: str) -> str:
    return pgettext("request status", STATUS_NAMES[status]) if status in STATUS_NAMES else status


bp.add_app_template_global(svc.request_number, "request_number")


@bp.app_template_global()
def action_name(action: str) -> str:
    return pgettext("timeline", ACTION_NAMES[action]) if action in ACTION_NAMES else action


def _get(db, disbursement_id: int) -> m.Disbursement:
    if disbursement_id > MAX_ID:
        abort(404)
    try:
        return svc.get_disbursement(db, current_actor(), disbursement_id)
    except NotFound:
        abort(404)


def _names(db) -> tuple[dict[int, str], dict[str, m.Fund]]:
    return ({o.id: o.name for o in db.scalars(select(m.Organisation))},
            {f.code: f for f in db.scalars(select(m.Fund))})


# --- lists ----------------------------------------------------------------------------------------------

@bp.get("/disbursements")
@access(*READERS)
def disbursements():
    db = db_session()
    actor = current_actor()
    orgs, funds = _names(db)
    args = request.args
    status = args.get("status") if args.get("status") in STATUS_NAMES else None
    org_id = _int_or_none(args.get("organisation_id"))
    fund = next((f for f in funds.values() if str(f.id) == args.get("fund_id", "")), None)
    programme_id = _int_or_none(args.get("programme_id"))
    filters = {"status": status, "organisation_id": org_id if org_id in orgs else None,
               "fund_code": fund.code if fund else None, "programme_id": programme_id}
    rows, total = svc.list_for(db, actor, per_page=200, **filters)
    today = local_today()
    context = {"rows": rows, "total": total, "orgs": orgs, "funds": funds, "today": today, "filters": filters,
               "filtered": any(v is not None for v in filters.values()),
               "programmes": {p.id: p for p in programmes.programmes_for(db)}}
    if actor.role == "grantee":
        return render_template("web/disbursements/mine.html", org_name=orgs.get(actor.organisation_id, ""),
                               approvals=_approvals(db, rows), **context)
    money = repo.money_by_fund(db)
    if context["filtered"]:  # the queues always show everything waiting; the filters narrow the full list
        everything, _total = svc.list_for(db, actor, per_page=200)
    else:
        everything = rows
    queue = [r for r in reversed(everything) if r.status == SUBMITTED]
    approved = [r for r in reversed(everything) if r.status == APPROVED]
    waiting = sorted((r for r in everything if r.status == PAID), key=lambda r: (r.paid_on, r.id))
    reports = list(db.scalars(select(m.DisbursementReport).where(m.DisbursementReport.status == "submitted")
                              .order_by(m.DisbursementReport.id)))
    context["approvals"] = _approvals(db, [*queue, *rows])
    return render_template("web/disbursements/queue.html", queue=queue, approved=approved, waiting=waiting, money=money,
                           reports=reports, **context)


def _approvals(db, rows) -> dict[int, svc.Approvals]:
    """The approvals of the requests still waiting for them (a list shows "1 of 2, waiting for another")."""
    return {r.id: svc.approvals(db, r) for r in rows if r.status == SUBMITTED}


def _form_page(db, *, form, key, error=None, errors=None, status=200):
    actor = current_actor()
    open_programmes = [p for p in programmes.programmes_for(db, actor.organisation_id)
                       if p.starts_on <= local_today() <= p.ends_on]
    return render_template("web/disbursements/form.html", form=form, key=key, error=error, errors=errors or {},
                           funds=_open_funds(db), money=repo.money_by_fund(db), programmes=open_programmes,
                           max_mb=att.max_bytes() // 1048576), status


@bp.route("/disbursements/new", methods=["GET", "POST"])
@access("grantee")
def new_disbursement():
    db = db_session()
    actor = current_actor()
    if request.method == "GET":
        return _form_page(db, form={"fund_id": request.args.get("fund_id", "")}, key=str(uuid.uuid4()))
    form = request.form
    key = (form.get("idempotency_key") or "").strip() or None
    body = {k: form.get(k, "") for k in ("fund_id", "amount", "purpose", "budget", "programme_id")}
    files = [f for f in request.files.getlist("files") if f and f.filename]

    def run():
        data = loaded(forms.DisbursementIn, form, "request", organisation_id=actor.organisation_id)
        row = svc.submit(db, actor, fund=data.pop("fund_id"), **data)
        for f in files:  # all in the same transaction: one bad file and nothing is submitted
            try:
                att.add_attachment(db, actor, row.id, filename=f.filename, data=f.read(), declared_type=f.mimetype)
            except InvalidInput as err:
                raise _file_refused(f, err) from err
        return 201, {"id": row.id, "amount": row.amount}

    try:
        _status, answer = run_once(db, actor, key, request_fingerprint("POST", request.path, body), run)
    except ServiceError as err:
        new_key = str(uuid.uuid4()) if isinstance(err, Conflict) or key is None else key
        return _form_page(db, form=form, key=new_key, status=err.status, **_refused_here(err))
    db.commit()
    _notice("Request %(number)s submitted: %(amount)s", number=svc.request_number(answer["id"]),
            amount=format_yuan(answer["amount"]))
    return redirect(url_for("web.disbursement_detail", disbursement_id=answer["id"]))


# --- one request ----------------------------------------------------------------------------------------

def _detail_page(db, row: m.Disbursement, *, action=None, form=None, error=None, errors=None, status=200,
                 confirming=None):
    """The request's page; with ``confirming`` (what a step's checked input says), the step's confirmation
    instead of the forms, carrying the first submit's idempotency key."""
    orgs, funds = _names(db)
    events = [(e, json.loads(e.detail or "{}")) for e in svc.events(db, row)]
    entry_number = return_number = None
    if row.payment_entry_id:
        entry = repo.get_entry(db, row.payment_entry_id)
        entry_number = entry.number if entry else None
    report = svc.current_report(db, row)
    if report is not None and report.return_entry_id:
        entry = repo.get_entry(db, report.return_entry_id)
        return_number = entry.number if entry else None
    return render_template(
        "web/disbursements/detail.html", d=row, org_name=orgs.get(row.organisation_id, ""), fund=funds.get(row.fund_code),
        budget=json.loads(row.budget or "[]"), events=events, sources=tracing.donors_for_disbursement(db, row.id),
        money=repo.money_by_fund(db).get(row.fund_code), approvals=svc.approvals(db, row), entry_number=entry_number,
        today=local_today(), action=action, form=form or {}, error=error, confirming=confirming,
        key=((form or {}).get("idempotency_key") if confirming is not None else None) or str(uuid.uuid4()),
        payee=db.get(m.Organisation, row.organisation_id) if current_actor().role != "grantee" else None,
        errors=errors or {}, attachments=att.list_attachments(db, current_actor(), row.id), report=report,
        report_lines=json.loads(report.lines or "[]") if report else [], return_number=return_number,
        programme=db.get(m.GrantProgramme, row.programme_id) if row.programme_id else None,
        max_mb=att.max_bytes() // 1048576), status


@bp.get("/disbursements/<int:disbursement_id>")
@access(*READERS)
def disbursement_detail(disbursement_id: int):
    db = db_session()
    return _detail_page(db, _get(db, disbursement_id))


def _step(disbursement_id: int, action: str, fields: tuple[str, ...], do, notice: str, *, check=None):
    """Run one step on a request through ``run_once``; on refusal show the request with the message. On
    success the ``notice`` (a msgid with ``%(number)s``, the request's number) follows to the next page.

    With ``check`` (``(db, row, form) -> dict``: the step's input loaded and checked, nothing changed), a step
    that cannot be undone asks first: a submit without ``confirm=1`` only shows the confirmation."""
    db = db_session()
    row = _get(db, disbursement_id)
    actor = current_actor()
    form = request.form
    if check is not None and form.get("confirm") != CONFIRMED:
        try:
            svc.check_step(row, action)
            checked = check(db, row, form)
        except ServiceError as err:
            return _detail_page(db, row, action=action, form=form, status=err.status, **_refused_here(err))
        return _detail_page(db, row, action=action, form=form, confirming=checked)
    key = (form.get("idempotency_key") or "").strip() or None
    body = {k: form.get(k, "") for k in fields}

    def run():
        done = do(db, actor, row.id, form)
        return 200, {"id": done.id, "status": done.status}

    try:
        _status, answer = run_once(db, actor, key, request_fingerprint("POST", request.path, body), run)
    except ServiceError as err:
        refused = _refused_here(err)
        row = _get(db, disbursement_id)
        return _detail_page(db, row, action=action, form=form, status=err.status, **refused)
    db.commit()
    if action == "approve" and svc.approvals(db, _get(db, disbursement_id)).waiting:
        notice = N_("Your approval of request %(number)s is recorded: it waits for another manager's approval")
    _notice(notice, number=svc.request_number(disbursement_id))
    return redirect(url_for("web.disbursement_detail", disbursement_id=disbursement_id))


@bp.post("/disbursements/<int:disbursement_id>/approve")
@access("manager")
def approve_disbursement(disbursement_id: int):
    return _step(disbursement_id, "approve", (), lambda db, a, i, f: svc.approve(db, a, i),
                 N_("Request %(number)s approved"))


@bp.post("/disbursements/<int:disbursement_id>/reject")
@access("manager")
def reject_disbursement(disbursement_id: int):
    return _step(disbursement_id, "reject", ("reason",),
                 lambda db, a, i, f: svc.reject(db, a, i, loaded(forms.ReasonIn, f, "rejection")["reason"]),
                 N_("Request %(number)s rejected"),
                 check=lambda db, row, f: loaded(forms.ReasonIn, f, "rejection"))


@bp.post("/disbursements/<int:disbursement_id>/cancel")
@access("grantee", "manager")
def cancel_disbursement(disbursement_id: int):
    return _step(disbursement_id, "cancel", ("reason",),
                 lambda db, a, i, f: svc.cancel(db, a, i, loaded(forms.CancelIn, f, "cancellation")["reason"]),
                 N_("Request %(number)s cancelled"),
                 check=lambda db, row, f: loaded(forms.CancelIn, f, "cancellation"))


@bp.post("/disbursements/<int:disbursement_id>/pay")
@access("manager")
def pay_disbursement(disbursement_id: int):
    def do(db, actor, ident, form):
        return svc.pay(db, actor, ident, **loaded(forms.PayIn, form, "payment"))

    def check(db, row, form):
        data = loaded(forms.PayIn, form, "payment")
        return {**data, "reference": svc.check_payment(**data)}
    return _step(disbursement_id, "pay", ("paid_on", "reference"), do,
                 N_("Request %(number)s paid and posted"), check=check)


@bp.post("/disbursements/<int:disbursement_id>/acknowledge")
@access("grantee")
def acknowledge_disbursement(disbursement_id: int):
    def do(db, actor, ident, form):
        return svc.acknowledge(db, actor, ident, **loaded(forms.AcknowledgeIn, form, "acknowledgement"))

    def check(db, row, form):
        data = loaded(forms.AcknowledgeIn, form, "acknowledgement")
        svc.check_acknowledgement(row, **data)
        return data
    return _step(disbursement_id, "acknowledge", ("received_on",), do,
                 N_("Receipt of %(number)s acknowledged"), check=check)


# --- attachments and the use report --------------------------------------------------------------------

def _file_refused(upload, err: InvalidInput) -> InvalidInput:
    """The refusal of one uploaded file, named, in the page's language, beside the form's file field."""
    name = att.clean_filename(upload.filename) or "?"
    return InvalidInput(err.detail, {"files": [gettext("%(file)s: %(problem)s", file=name, problem=gettext(x))
                                               for x in err.errors.get("file", [err.detail])]})


def _files_step(disbursement_id: int, action: str, report_id: int | None = None) -> list:
    """Check and store the uploaded files of a form (all or none), inside the step's transaction."""
    db, actor = db_session(), current_actor()
    files = [f for f in request.files.getlist("files") if f and f.filename]
    stored = []
    for f in files:
        try:
            stored.append(att.add_attachment(db, actor, disbursement_id, filename=f.filename, data=f.read(),
                                             declared_type=f.mimetype, report_id=report_id))
        except InvalidInput as err:
            raise _file_refused(f, err) from err
    return stored


@bp.post("/disbursements/<int:disbursement_id>/attachments")
@access("grantee", "manager")
def add_attachment(disbursement_id: int):
    def do(db, actor, ident, form):
        if not any(f and f.filename for f in request.files.getlist("files")):
            raise InvalidInput("choose a file", {"files": [gettext("choose a file")]})
        _files_step(ident, "attach")
        return db.get(m.Disbursement, ident)
    return _step(disbursement_id, "attach", (), do, N_("Attachment uploaded"))


@bp.get("/disbursements/<int:disbursement_id>/attachments/<int:attachment_id>")
@access(*READERS)
def download_attachment(disbursement_id: int, attachment_id: int):
    """Always a download with the type the content showed, never rendered by the browser as a page."""
    db = db_session()
    row = _get(db, disbursement_id)
    try:
        a = att.get_attachment(db, current_actor(), row.id, attachment_id if attachment_id <= MAX_ID else -1)
    except NotFound:
        abort(404)
    return attachment_response(a)


@bp.post("/disbursements/<int:disbursement_id>/report")
@access("grantee", "manager")
def submit_use_report(disbursement_id: int):
    def do(db, actor, ident, form):
        report = svc.submit_report(db, actor, ident, **loaded(forms.UseReportIn, form, "use report"))
        _files_step(ident, "report", report.id)
        return db.get(m.Disbursement, ident)
    return _step(disbursement_id, "report", ("spent", "returned", "narrative", "lines"), do,
                 N_("Use report submitted"))


@bp.post("/disbursements/<int:disbursement_id>/report/receive")
@access("manager")
def receive_use_report(disbursement_id: int):
    def do(db, actor, ident, form):
        svc.receive_report(db, actor, ident, **loaded(forms.ReceiveReportIn, form, "decision"))
        return db.get(m.Disbursement, ident)
    return _step(disbursement_id, "receive_report", ("note", "returned_on", "return_reference"), do,
                 N_("Use report received"))


@bp.post("/disbursements/<int:disbursement_id>/report/send-back")
@access("manager")
def send_back_use_report(disbursement_id: int):
    def do(db, actor, ident, form):
        svc.send_back_report(db, actor, ident, loaded(forms.ReasonIn, form, "reason")["reason"])
        return db.get(m.Disbursement, ident)
    return _step(disbursement_id, "send_back_report", ("reason",), do,
                 N_("Use report sent back"))


# --- tracing --------------------------------------------------------------------------------------------

@bp.get("/funds/<int:fund_id>/tracing")
@access("manager", "auditor")
def fund_tracing(fund_id: int):
    db = db_session()
    fund = db.get(m.Fund, fund_id) if fund_id <= MAX_ID else None
    if fund is None:
        abort(404)
    trace = tracing.trace_fund(db, fund.code)
    orgs, _funds = _names(db)
    donors = {d.id: d for d in db.scalars(select(m.Donor).where(m.Donor.id.in_({g.donor_id for g in trace.gifts})))}
    names = {g.id: tracing.public_name(donors[g.donor_id], g) for g in trace.gifts}
    return render_template("web/disbursements/tracing.html", trace=trace, fund=fund, orgs=orgs, names=names,
                           gifts={g.id: g for g in trace.gifts}, grants={d.id: d for d in trace.grants},
                           drawn={g.id: sum(a.amount for a in trace.allocations if a.gift == g.id) for g in trace.gifts})
