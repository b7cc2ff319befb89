"""信息公开 pages: the public list of everything published (no log-in), each file's download, the page where
anyone checks a copy (``/disclosures/verify``: genuine or not, by SHA-256; the audit-report verifier, which
also checks the ledger, stays as it is), and for a manager the publish form and the disclosure calendar.

The calendar's publish button opens the publish form filled in for its duty (kind, title, period, duty)."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from .. import clock
from ..http.db import db_session
from ..http.downloads import published_item_response
from ..http.i18n import N_
from ..ledger.money import fen_to_str, format_yuan
from ..http.security import PUBLIC, access, current_actor
from ..schemas.disclosures import KINDS, MajorTransactionIn, PublishIn
from ..services import disclosures as svc
from ..services import settings
from ..services.audit_reports import MAX_UPLOAD
from ..services.errors import ServiceError
from . import bp
from .donations import _refused_here, loaded
from .people import _notice

KIND_NAMES = {"annual_report": N_("Annual work report"), "audit_report": N_("Audit report / financial statements"),
              "project_update": N_("Project update"), "leftover_notice": N_("Leftover money notice"),
              "related_party": N_("Related-party transaction"), "major_transaction": N_("Major transaction"),
              "other": N_("Other")}
SERVICE_MESSAGES = (N_("a PDF or a text is required"), N_("not a readable PDF"), N_("leave it empty when sending a PDF"), N_("no such item"),
                    N_("publish a PDF (the multipart field 'file') or a text (body)"))
FORM_FIELDS = ("kind", "title", "period", "body", "duty", "corrects_id")


@bp.app_template_global()
def disclosure_kind(kind: str) -> str:
    from flask_babel import gettext

    return gettext(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def _download(item: dict) -> str:
    table, _, number = item["ref"].partition(":")
    if table == "audit_report":
        return url_for("web.public_audit_report_pdf", report_id=int(number))
    return url_for("web.public_disclosure_file", item_id=int(number))


def _uploaded() -> bytes | None:
    """The multipart ``file`` (``None`` when no file was chosen), read up to one byte over the limit."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None
    try:
        return upload.stream.read(MAX_UPLOAD + 1)
    finally:  # (a large upload is a temporary file: closed here, not left to the collector)
        upload.close()


@bp.get("/disclosures")
@access(PUBLIC)
def disclosures():
    """Everything the fund published, newest first, each with its SHA-256 and a download; corrections say
    what they correct, corrected items say what corrected them."""
    items = svc.public_items(db_session())
    anchors = {i["ref"]: i["ref"].replace(":", "-").replace("_", "-") for i in items}
    return render_template("web/disclosures/public.html", items=items, download=_download, anchors=anchors)


@bp.get("/public/disclosures/<int:item_id>/file")
@access(PUBLIC)
def public_disclosure_file(item_id: int):
    """A published item's bytes, exactly as published: their SHA-256 is the one the list shows."""
    return published_item_response(db_session(), item_id)


@bp.route("/disclosures/publish", methods=["GET", "POST"])
@access("manager")
def publish_disclosure():
    session = db_session()
    if request.method == "GET":  # the calendar's button (or a correction's link) fills the form in
        form = {k: request.args.get(k, "")[:200] for k in FORM_FIELDS}
        draft = svc.draft_notice(session, form["duty"], clock.local_today()) if form["duty"] and not form["body"] else None
        late_days = (draft or {}).pop("late_days", 0)
        form.update(draft or {})  # a related-party or major transaction: the notice, written from the books
        return render_template("web/disclosures/publish.html", form=form, kinds=KINDS, error=None, errors={},
                               drafted=draft is not None, late_days=late_days)
    form = request.form
    try:
        data = loaded(PublishIn, form, "item")
        pdf = _uploaded()
        row = svc.publish(session, current_actor(), pdf=pdf, **data)
    except ServiceError as err:
        session.rollback()
        context = _refused_here(err, FORM_FIELDS + ("file",))
        return render_template("web/disclosures/publish.html", form=form, kinds=KINDS, **context), err.status
    session.commit()
    _notice("Published No. %(id)s, SHA-256 %(sha256)s…", id=row.id, sha256=row.sha256[:16])
    return redirect(url_for("web.disclosures") + f"#item-{row.id}")


def _calendar_page(*, form=None, status: int = 200, error=None, errors=None, unplaced=None):
    session = db_session()
    today = clock.local_today()
    states = svc.disclosure_calendar(session, today)
    threshold = settings.major_transaction_fen(session)
    form = form or {"amount": fen_to_str(threshold) if threshold is not None else ""}
    return render_template("web/disclosures/calendar.html", states=states, today=today, horizon=svc.HORIZON_DAYS,
                           threshold=threshold, form=form, error=error,
                           errors=errors or {}, unplaced=unplaced), status


@bp.get("/disclosures/calendar")
@access("manager")
def disclosure_calendar():
    return _calendar_page()


@bp.post("/disclosures/major-transaction")
@access("manager")
def set_major_transaction():
    """The major-transaction threshold (重大交易): an amount, or an empty box to unset it."""
    session = db_session()
    form = request.form
    try:
        fen = settings.set_major_transaction_fen(session, current_actor(),
                                                 loaded(MajorTransactionIn, form, "threshold")["amount"])
    except ServiceError as err:
        return _calendar_page(form=form, status=err.status, **_refused_here(err, ("amount",)))
    session.commit()
    if fen is None:
        _notice("No major-transaction threshold: no transaction is listed as major")
    else:
        _notice("Major transactions: a single gift or grant of at least %(amount)s", amount=format_yuan(fen))
    return redirect(url_for("web.disclosure_calendar") + "#major-transaction")


@bp.route("/disclosures/verify", methods=["GET", "POST"])
@access(PUBLIC)
def verify_disclosure():
    """Anyone uploads a copy of a published file and reads whether it is, byte for byte, what was published."""
    if request.method == "GET":
        return render_template("web/disclosures/verify.html", result=None, error=None)
    try:
        data = _uploaded()
        result = svc.verify_file(db_session(), data)
    except ServiceError as err:
        return render_template("web/disclosures/verify.html", result=None, error=err.detail), err.status
    return render_template("web/disclosures/verify.html", result=result, error=None)
