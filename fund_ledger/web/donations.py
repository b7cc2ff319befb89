"""Pages of the fund manager's daily work: donors, gifts, acknowledgements, imports, pledges, new funds,
and the public page where a donor checks that a gift is in the books.

The same patterns as the people pages: every form posts with its CSRF token; on success the change is
committed and the browser is sent back to a page (POST → redirect → GET) with a short notice; when a
service refuses, nothing is committed and the form comes back with the status the service chose and
its messages beside the fields. Recording a gift and refunding one go through ``run_once`` with a key
the form carries, so a double click records one gift.
"""
from __future__ import annotations

import re
import uuid

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext, pgettext
from markupsafe import Markup
from sqlalchemy import or_, select

from marshmallow import ValidationError

from ..schemas import donations as forms
from ..schemas.base import load_form
from ..schemas.lists import GiftListQuery
from ..http.errors import placed, words
from ..schemas.messages import Message
from ..http.db import db_session, engine
from ..db import models as m
from ..http.i18n import N_, NP_, bi, both, language
from ..ledger.money import MoneyError, format_yuan, parse_amount
from ..reports.receipts import (
    VERIFY_PATH, capital_words, donor_gifts, donor_statement_pdf, gift_facts, grouped_code, receipt_pdf,
)
from ..http.security import PUBLIC, access, current_actor
from ..services import donations as svc
from ..services import funds as fund_svc
from ..services import pledges as pledge_svc
from ..services.errors import Conflict, InvalidInput, NotFound, ServiceError, from_validation
from ..services.idempotency import request_fingerprint, run_once
from ..services.lists import GiftFilter, gift_list, iter_gifts
from ..http.downloads import streamed_csv
from ..reports.gift_list import gift_list_csv
from ..services.imports import COLUMNS, ImportErrors, import_file, unfinished_imports
from ..clock import local_today
from . import ACTIVE, BOOK_READERS, bp
from .people import MAX_ID, _int_or_none, _notice, _refused, message
from .search import query_args  # (and with it the search page's route)

PER_PAGE = 50
DONOR_CHOICES = 200
"""Donors offered in a form's list at once; the search above the list narrows it."""
KIND_NAMES = {"person": NP_("donor kind", "Person"), "organisation": NP_("donor kind", "Organisation")}
"""A donor's kind -> its name on the pages (msgids in the context ``donor kind``; the Chinese is in the catalogue)."""
CHANNEL_NAMES = {"bank": NP_("channel", "Bank transfer"), "cash": NP_("channel", "Cash"),
                 "wechat": NP_("channel", "WeChat Pay"), "alipay": NP_("channel", "Alipay"),
                 "other": NP_("channel", "Other")}
"""How a gift came -> its name on the pages (context ``channel``; the PDFs keep ``services.donations.CHANNEL_NAMES``)."""

ACTIVE.update({
    "web.donors": ("web.donor_detail", "web.add_donor"),
    "web.donations": ("web.donation_detail", "web.new_donation", "web.import_donations", "web.refund_donation",
                      "web.official_receipt"),
    "web.pledges": ("web.add_pledge",),
    "web.funds": ("web.new_fund",),
})

DYNAMIC_MESSAGES = [
    # The few service messages that carry a value and have no code yet (NotFound and Conflict details):
    # (pattern, the msgid whose parameters are the pattern's named groups). Coded messages
    # (schemas/messages.py) need none of this.
    (re.compile(r"^no fund '?(?P<fund>.*?)'?$"), N_("no fund %(fund)s")),
    (re.compile(r"^no donor (?P<id>.*)$"), N_("no donor %(id)s")),
    (re.compile(r"^no pledge (?P<id>.*)$"), N_("no pledge %(id)s")),
    (re.compile(r"^a fund with code (?P<code>.*) or name (?P<name>.*) already exists$"),
     N_("a fund with code %(code)s or name %(name)s already exists")),
]

DONATION_FIELDS = ("donor_id", "fund_id", "amount", "received_on", "channel", "reference", "memo", "anonymous",
                   "pledge_id")
COLUMN_NAMES_ZH = {ours: names[1] for ours, names in COLUMNS.items()}


# --- helpers --------------------------------------------------------------------------------------------

def loaded(schema, form, what: str, **extra) -> dict:
    """The form read through the input's schema (the one the API loads too); a refusal is the InvalidInput
    a service would raise, so the page shows it beside the fields with the same codes."""
    try:
        return load_form(schema, form, **extra)
    except ValidationError as err:
        raise from_validation(err, what) from None


def _placed(field: str, text) -> Markup:
    """A message beside its field with its code; a service's message without one yet, in the page's language."""
    return placed(field, text if isinstance(text, Message) else problem_text(text))


@bp.app_template_global()
def problem_text(text: str) -> Markup | str:
    """A service's message in the page's language, also when it carries a value (a fund, a date)."""
    if isinstance(text, Message):
        return words(text)
    if language() != "zh" or isinstance(text, Markup):
        return text if isinstance(text, Markup) else message(text)
    for pattern, msgid in DYNAMIC_MESSAGES:
        found = pattern.match(text)
        if found:  # the service's own words stay beside the Chinese (quotes and all)
            return both(gettext(msgid, **found.groupdict()), text)
    return message(text)


def _refused_here(err: ServiceError, fields: tuple[str, ...] | None = None,
                  rename: dict[str, str] | None = None) -> dict:
    """As the people pages' ``_refused`` (rolled back), with the messages put in the page's language.

    With ``fields``, a message about something the form has no field for (the ledger's ``accounting_date``
    is the form's ``received_on``; see ``rename``) is put beside the right field or, failing that, in
    ``unplaced``, shown at the top of the form, so that no message is lost."""
    refused = _refused(err)
    errors = {}
    for k, v in (refused["errors"] or {}).items():
        field = (rename or {}).get(k, k)
        errors[field] = [_placed(field, x) for x in v]
    refused["errors"] = errors
    if fields is not None:  # (only then a key more: the grant pages use this too, without fields)
        unplaced = [x for k, v in errors.items() if k not in fields for x in v]
        refused["errors"] = {k: v for k, v in errors.items() if k in fields}
        refused["unplaced"] = Markup("；" if language() == "zh" else "; ").join(unplaced) if unplaced else None
    return refused


@bp.app_template_global()
def channel_name(channel: str) -> str:
    return pgettext("channel", CHANNEL_NAMES[channel]) if channel in CHANNEL_NAMES else channel


@bp.app_template_global()
def kind_name(kind: str) -> str:
    return pgettext("donor kind", KIND_NAMES[kind]) if kind in KIND_NAMES else kind


@bp.app_template_filter("yuan")
def _yuan(fen: int) -> str:
    return format_yuan(fen)


@bp.app_template_filter("grouped_code")
def _grouped_code(code: str) -> str:
    return grouped_code(code)


def _id_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    number = _int_or_none(value)
    if not number:
        abort(400, f"{name} must be a number")
    return number


def _page_arg() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), 100_000)


def _open_funds(db) -> list[m.Fund]:
    return list(db.scalars(select(m.Fund).where(m.Fund.closed_on.is_(None)).order_by(m.Fund.id)))


def _donor_choices(db, q: str, chosen: int | None) -> list[m.Donor]:
    """Donors for a form's list: those matching ``q`` (the newest first), and always the one chosen."""
    query = select(m.Donor)
    if q:
        query = query.where(or_(m.Donor.name.contains(q, autoescape=True),
                                m.Donor.display_name.contains(q, autoescape=True)))
    donors = list(db.scalars(query.order_by(m.Donor.id.desc()).limit(DONOR_CHOICES)))
    if chosen and all(d.id != chosen for d in donors):
        donor = db.get(m.Donor, chosen)
        if donor is not None:
            donors.insert(0, donor)
    return donors


def _verify_url() -> str:
    """Where the acknowledgement sends a donor: the site's public address if configured, else the path."""
    from flask import current_app

    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}{VERIFY_PATH}"


def _pdf_response(data: bytes, filename: str):
    response = make_response(data)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _get_or_404(getter, db, ident: int):
    if ident > MAX_ID:
        abort(404)
    try:
        return getter(db, ident)
    except NotFound:
        abort(404)


# --- donors ---------------------------------------------------------------------------------------------

def _donors_page(db, *, form=None, error=None, errors=None, unplaced=None, status=200):
    q = request.args.get("q", "").strip()[:100]
    found = svc.donor_page(db, q=q, page=_page_arg(), per_page=PER_PAGE)
    return render_template("web/donations/donors.html", donors=[s.donor for s in found.items],
                           totals={s.donor.id: (s.gifts, s.total) for s in found.items}, q=q, page=found.page,
                           total=found.total, per_page=found.per_page, form=form or {}, error=error,
                           errors=errors or {}, kinds=KIND_NAMES), status


@bp.get("/donors")
@access(*BOOK_READERS)
def donors():
    return _donors_page(db_session())


@bp.post("/donors")
@access("manager")
def add_donor():
    db = db_session()
    form = request.form
    try:
        donor = svc.create_donor(db, current_actor(), **loaded(forms.DonorIn, form, "donor"))
    except ServiceError as err:
        return _donors_page(db, form=form, status=err.status, **_refused_here(err))
    db.commit()
    _notice("Donor %(name)s added", name=donor.name)
    return redirect(url_for("web.donor_detail", donor_id=donor.id))


@bp.get("/donors/<int:donor_id>")
@access(*BOOK_READERS)
def donor_detail(donor_id: int):
    db = db_session()
    donor = _get_or_404(svc.get_donor, db, donor_id)
    gifts = donor_gifts(db, donor)
    today = local_today()
    pledges = pledge_svc.pledge_statuses(db, today, donor_id=donor.id)
    funds = {f.code: f for f in db.scalars(select(m.Fund))}
    years = sorted({g.donation.received_on.year for g in gifts} | {today.year}, reverse=True)
    return render_template("web/donations/donor.html", donor=donor, gifts=gifts, pledges=pledges, funds=funds,
                           years=years, received=sum(g.donation.amount for g in gifts),
                           standing=sum(g.donation.amount for g in gifts if not g.refunded), today=today)


@bp.get("/donors/<int:donor_id>/statement.pdf")
@access(*BOOK_READERS)
def donor_statement(donor_id: int):
    db = db_session()
    donor = _get_or_404(svc.get_donor, db, donor_id)
    raw = request.args.get("year", "").strip()
    year = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else None if raw else local_today().year
    if year is None or not 2000 <= year <= 9998:
        abort(400, "year must be a year from 2000 to 9998")
    return _pdf_response(donor_statement_pdf(db, donor, year), f"donor-{donor.id}-{year}.pdf")


# --- donations ------------------------------------------------------------------------------------------

GIFT_FILTERS = ("fund", "from", "to", "donor", "donor_id", "batch")
"""The query keys of the gifts list's filters (kept in the pager's and the download's links)."""


@bp.get("/donations")
@access(*BOOK_READERS)
def donations():
    """Gifts, newest first, filtered by fund, date received (from, to, both days included), part of the donor's
    name, a donor or an import batch. A filter that is not valid is said beside its box, and then no gift is
    listed: never a list the person would take for the filtered one."""
    db = db_session()
    args, errors, raw = query_args(GiftListQuery, GIFT_FILTERS)
    filters = {k: v for k, v in raw.items() if v}
    rows, total, total_amount, page = [], 0, 0, 1
    donor = batch = None
    if args is not None:
        wanted = GiftFilter.of(args)
        found, total_amount = gift_list(db, wanted, page=args["page"], per_page=PER_PAGE)
        rows = [{"d": r.donation, "donor": r.donor, "fund_name": r.fund_name, "entry": r.entry_number,
                 "refund_entry": r.refund_entry, "receipt": r.receipt_number} for r in found.items]
        total, page = found.total, found.page
        donor = db.get(m.Donor, wanted.donor_id) if wanted.donor_id else None
        batch = db.get(m.ImportBatch, wanted.batch) if wanted.batch else None
    return render_template("web/donations/donations.html", rows=rows, total=int(total), total_amount=int(total_amount),
                           page=page, per_page=PER_PAGE, funds=list(db.scalars(select(m.Fund).order_by(m.Fund.id))),
                           fund_code=raw["fund"], raw=raw, errors=errors, donor=donor, batch=batch, filters=filters)


@bp.get("/donations.csv")
@access(*BOOK_READERS)
def donations_csv():
    """The filtered gifts list as a file for a spreadsheet (every gift that matches, oldest first)."""
    args, _errors, _raw = query_args(GiftListQuery, GIFT_FILTERS)
    if args is None:  # the page says what is wrong, beside the box
        return redirect(url_for("web.donations", **{k: v for k, v in request.args.items() if k in GIFT_FILTERS}))
    rows = iter_gifts(db_session(), GiftFilter.of(args))
    return streamed_csv(gift_list_csv(rows), f"gifts-{local_today().isoformat()}.csv")


def _donation_form_page(db, *, form, key: str, error=None, errors=None, unplaced=None, status=200,
                        typed_amount: int | None = None):
    chosen = _int_or_none(form.get("donor_id"))
    donor_q = request.args.get("donor_q", "").strip()[:100]
    open_pledges = [s for s in pledge_svc.pledge_statuses(db, local_today()) if s.outstanding > 0]
    donor_names = {d.id: d.name for d in db.scalars(select(m.Donor).where(
        m.Donor.id.in_({s.pledge.donor_id for s in open_pledges})))} if open_pledges else {}
    return render_template("web/donations/donation_form.html", form=form, key=key, error=error, errors=errors or {},
                           unplaced=unplaced,
                           donors=_donor_choices(db, donor_q, chosen), donor_q=donor_q, donor_limit=DONOR_CHOICES,
                           funds=_open_funds(db),
                           channels=CHANNEL_NAMES, pledges=open_pledges, pledge_donors=donor_names,
                           fund_names={f.code: f.name for f in db.scalars(select(m.Fund))},
                           today=local_today(), typed_amount=typed_amount), status


def _gift(form) -> svc.Gift:
    data = loaded(forms.DonationIn, form, "gift")
    return svc.Gift(fund=data.pop("fund_id"), **data)


@bp.route("/donations/new", methods=["GET", "POST"])
@access("manager")
def new_donation():
    db = db_session()
    if request.method == "GET":
        form = {"donor_id": request.args.get("donor_id", ""), "received_on": local_today().isoformat(),
                "channel": "bank", "fund_id": request.args.get("fund_id", "")}
        return _donation_form_page(db, form=form, key=str(uuid.uuid4()))
    form = request.form
    key = (form.get("idempotency_key") or "").strip() or None
    body = {name: form.get(name, "") for name in DONATION_FIELDS}
    recorded = []

    def run():
        donation = svc.record_donation(db, current_actor(), _gift(form))
        recorded.append(donation)
        return 201, {"id": donation.id}

    try:
        _status, answer = run_once(db, current_actor(), key, request_fingerprint("POST", request.path, body), run)
    except ServiceError as err:
        typed = None
        try:
            typed = parse_amount(form.get("amount", ""))
        except MoneyError:
            pass
        new_key = str(uuid.uuid4()) if isinstance(err, Conflict) or key is None else key
        return _donation_form_page(db, form=form, key=new_key, typed_amount=typed, status=err.status,
                                   **_refused_here(err, DONATION_FIELDS, {"accounting_date": "received_on"}))
    db.commit()
    if recorded:
        d = recorded[0]
        number = svc.receipt_number(d.receipt_year, d.receipt_seq)
        # A Chinese page gives the amount in words too (大写); a translation cannot add a value its msgid lacks.
        amount = format_yuan(d.amount)
        if language() == "zh":
            amount = f"{amount}（{capital_words(d.amount)}）"
        _notice("Gift %(number)s recorded: %(amount)s", number=number, amount=amount)
    else:
        _notice("This form was already sent: the gift was recorded once")
    return redirect(url_for("web.donation_detail", donation_id=answer["id"]))


def _donation_page(db, donation_id: int, *, form=None, action=None, error=None, errors=None, unplaced=None,
                   status=200, confirming=None):
    """The gift's page; with ``confirming`` (the refund's checked input), the refund's confirmation."""
    donation = _get_or_404(svc.get_donation, db, donation_id)
    facts = gift_facts(db, donation)
    pledge = db.get(m.Pledge, donation.pledge_id) if donation.pledge_id else None
    batch = db.get(m.ImportBatch, donation.import_batch_id) if donation.import_batch_id else None
    return render_template("web/donations/donation.html", gift=facts, pledge=pledge, batch=batch,
                           form=form or {}, action=action, error=error, errors=errors or {}, unplaced=unplaced,
                           key=(form or {}).get("idempotency_key") or str(uuid.uuid4()), confirming=confirming,
                           today=local_today()), status


@bp.get("/donations/<int:donation_id>")
@access(*BOOK_READERS)
def donation_detail(donation_id: int):
    return _donation_page(db_session(), donation_id)


@bp.get("/donations/<int:donation_id>/acknowledgement.pdf")
@access(*BOOK_READERS)
def donation_acknowledgement(donation_id: int):
    db = db_session()
    donation = _get_or_404(svc.get_donation, db, donation_id)
    number = svc.receipt_number(donation.receipt_year, donation.receipt_seq)
    return _pdf_response(receipt_pdf(db, donation, verify_url=_verify_url()), f"{number}.pdf")


@bp.post("/donations/<int:donation_id>/refund")
@access("manager")
def refund_donation(donation_id: int):
    """A refund cannot be undone: the first submit checks the form and shows what will happen; the refund is
    made only from that confirmation's form (``confirm=1``, the same idempotency key). No JavaScript needed."""
    db = db_session()
    _get_or_404(svc.get_donation, db, donation_id)
    form = request.form
    if form.get("confirm") != "1":
        try:
            data = loaded(forms.RefundIn, form, "refund")
            svc.check_refund(on=data["on"])
        except ServiceError as err:
            refused = _refused_here(err, ("reason", "on"), {"accounting_date": "on"})
            return _donation_page(db, donation_id, form=form, action="refund", status=err.status, **refused)
        return _donation_page(db, donation_id, form=form, action="refund",
                              confirming={**data, "on": data["on"] or local_today()})
    key = (form.get("idempotency_key") or "").strip() or None
    body = {"reason": form.get("reason", ""), "on": form.get("on", "")}
    done = []

    def run():
        data = loaded(forms.RefundIn, form, "refund")
        reversal = svc.refund_donation(db, current_actor(), donation_id, data["reason"], on=data["on"])
        done.append(reversal)
        return 201, {"entry": reversal.number}

    try:
        _status, answer = run_once(db, current_actor(), key, request_fingerprint("POST", request.path, body), run)
    except ServiceError as err:
        refused = _refused_here(err, ("reason", "on"), {"accounting_date": "on"})
        if isinstance(err, Conflict) and err.code == "idempotency_key_reused":
            form = {**form, "idempotency_key": ""}
        return _donation_page(db, donation_id, form=form, action="refund", status=err.status, **refused)
    db.commit()
    _notice("Refunded by reversing entry %(entry)s", entry=answer["entry"])
    return redirect(url_for("web.donation_detail", donation_id=donation_id))


@bp.post("/donations/<int:donation_id>/official-receipt")
@access("manager")
def official_receipt(donation_id: int):
    db = db_session()
    _get_or_404(svc.get_donation, db, donation_id)
    form = request.form
    try:
        number = loaded(forms.OfficialReceiptIn, form, "official receipt")["number"]
        donation = svc.set_official_receipt(db, current_actor(), donation_id, number)
    except ServiceError as err:
        refused = _refused_here(err, ("number",), {"official_receipt_number": "number"})
        return _donation_page(db, donation_id, form=form, action="official", status=err.status, **refused)
    db.commit()
    _notice("Official receipt number %(number)s recorded", number=donation.official_receipt_number)
    return redirect(url_for("web.donation_detail", donation_id=donation_id))


# --- import ---------------------------------------------------------------------------------------------

@bp.route("/donations/import", methods=["GET", "POST"], endpoint="import_donations")
@access("manager")
def import_donations_page():
    db = db_session()
    context: dict = {"error": None, "errors": {}, "problems": [], "filename": "", "recorded": 0}
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        filename = (upload.filename or "") if upload else ""
        try:
            if upload is None or not filename:
                raise InvalidInput("choose a .csv or .xlsx file", {"file": ["choose a .csv or .xlsx file"]})
            actor, data = current_actor(), upload.read()
            # The import runs in its own transactions: checked in a read session without the ledger's lock,
            # then written a chunk at a time, so other writers get in; end the request's own transaction first
            # (on SQLite it would hold the write lock from the log-in check on).
            db.rollback()
            result = import_file(engine(), actor, data, filename)
        except ImportErrors as err:
            context = {**_refused_here(err), "problems": err.problems, "filename": filename, "recorded": err.recorded}
            status = err.status
        except ServiceError as err:
            context = {**_refused_here(err), "problems": [], "filename": filename}
            status = err.status
        else:
            if result.already_imported:
                flash(bi("This file was already imported (batch %(batch)s, %(rows)s gifts, %(total)s): nothing new "
                         "was recorded", batch=result.batch_id, rows=result.rows, total=format_yuan(result.total)),
                      "info")
            else:
                _notice("Imported %(rows)s gifts, %(total)s in all, %(new_donors)s new donors (batch %(batch)s, "
                        "%(encoding)s)", rows=result.rows, total=format_yuan(result.total),
                        new_donors=result.new_donors, batch=result.batch_id, encoding=result.encoding)
            return redirect(url_for("web.donations", batch=result.batch_id))
    batches = list(db.scalars(select(m.ImportBatch).order_by(m.ImportBatch.id.desc()).limit(10)))
    return render_template("web/donations/import.html", batches=batches, unfinished=unfinished_imports(db),
                           columns=COLUMNS,
                           column_names=COLUMN_NAMES_ZH, **context), status


# --- pledges --------------------------------------------------------------------------------------------

def _pledges_page(db, *, form=None, error=None, errors=None, unplaced=None, status=200):
    today = local_today()
    only_overdue = request.args.get("overdue") == "1"
    statuses = pledge_svc.pledge_statuses(db, today)
    if only_overdue:
        statuses = [s for s in statuses if s.overdue > 0]
    donor_ids = {s.pledge.donor_id for s in statuses}
    names = {d.id: d.name for d in db.scalars(select(m.Donor).where(m.Donor.id.in_(donor_ids)))} if donor_ids else {}
    plan: dict[int, list[m.PledgeInstalment]] = {}
    if statuses:
        for inst in db.scalars(select(m.PledgeInstalment).where(
                m.PledgeInstalment.pledge_id.in_([s.pledge.id for s in statuses])).order_by(m.PledgeInstalment.due_on)):
            plan.setdefault(inst.pledge_id, []).append(inst)
    form = form or {"donor_id": request.args.get("donor_id", "")}
    donor_q = request.args.get("donor_q", "").strip()[:100]
    return render_template("web/donations/pledges.html", statuses=list(reversed(statuses)), donor_names=names,
                           plan=plan, fund_names={f.code: f.name for f in db.scalars(select(m.Fund))},
                           only_overdue=only_overdue, today=today, form=form, error=error, errors=errors or {},
                           donors=_donor_choices(db, donor_q, _int_or_none(form.get("donor_id"))), donor_q=donor_q,
                           funds=_open_funds(db),
                           overdue_total=sum(s.overdue for s in statuses)), status


@bp.get("/pledges")
@access(*BOOK_READERS)
def pledges():
    return _pledges_page(db_session())


@bp.post("/pledges")
@access("manager")
def add_pledge():
    db = db_session()
    form = request.form
    try:
        data = loaded(forms.PledgeIn, form, "pledge")
        instalments = [(x["due_on"], x["amount"]) for x in data["instalments"]]
        pledge = pledge_svc.create_pledge(db, current_actor(), donor_id=data["donor_id"], fund=data["fund_id"],
                                          instalments=instalments, memo=data["memo"])
    except NotFound as err:
        field = "donor_id" if "donor" in err.detail else "fund_id"
        err.errors = {field: [err.detail]}
        return _pledges_page(db, form=form, status=400, **_refused_here(err))
    except ServiceError as err:
        return _pledges_page(db, form=form, status=err.status, **_refused_here(err))
    db.commit()
    total = sum(a for _, a in instalments)
    _notice("Pledge #%(id)s recorded: %(count)s instalments, %(total)s in all", id=pledge.id,
            count=len(instalments), total=format_yuan(total))
    return redirect(url_for("web.pledges"))


# --- funds ----------------------------------------------------------------------------------------------

@bp.route("/funds/new", methods=["GET", "POST"])
@access("manager")
def new_fund():
    db = db_session()
    context, status = {"error": None, "errors": {}, "form": {"restricted": "1"}}, 200
    if request.method == "POST":
        form = request.form
        try:
            fund = fund_svc.create_fund(db, current_actor(), **loaded(forms.FundIn, form, "fund"))
        except ServiceError as err:
            context, status = {**_refused_here(err), "form": form}, err.status
        else:
            db.commit()
            _notice("Fund %(name)s (%(code)s) set up", name=fund.name, code=fund.code)
            return redirect(url_for("web.funds"))
    return render_template("web/donations/fund_form.html", **context), status


# --- the public verification page -----------------------------------------------------------------------

@bp.get("/verify")
@access(PUBLIC)
def verify():
    """A donor types the code of an acknowledgement and sees that the gift is in the books: the serial
    number, date, fund, amount, the donor masked, the entry and whether it stands. Never contact details.
    An unknown code gets the same plain answer (404) whatever was typed.

    A GET form: looking up changes nothing, and a GET takes a read session, never the ledger's write lock."""
    code = (request.args.get("code") or "").strip()[:40]
    facts, status = None, 200
    if code:
        donation = svc.donation_by_code(db_session(), code)
        if donation is not None:
            facts = gift_facts(db_session(), donation)
        else:
            status = 404
    return render_template("web/donations/verify.html", code=code, gift=facts, asked=bool(code)), status
