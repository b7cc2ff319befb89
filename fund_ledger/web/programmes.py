"""Pages for grantee organisations (with their bank accounts, seen by managers and auditors only) and
grant programmes (a fund, a budget, a period, the organisations taking part, and what is committed)."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import func, select

from ..http.db import db_session
from ..http.i18n import N_
from ..db import models as m
from ..http.security import access, current_actor
from ..services import programmes as svc
from ..services.errors import NotFound, ServiceError
from ..services.organisations import create_organisation, update_bank_account
from . import ACTIVE, bp
from ..schemas import disbursements as forms
from .donations import _open_funds, _refused_here, loaded
from .people import MAX_ID, _int_or_none, _notice

BOOKS = ("manager", "auditor")

ACTIVE.update({"web.organisations": ("web.organisation_detail", "web.organisation_bank_account", "web.add_organisation"),
               "web.programmes": ("web.programme_detail", "web.new_programme", "web.add_programme_member")})

SERVICE_MESSAGES = (  # what the organisation and programme services say on these pages (the catalogue has the Chinese)
    N_("1 to 100 characters"), N_("8 to 30 digits"), N_("the bank and branch, 1 to 100 characters"),
    N_("on or after the start"), N_("at most 500 characters"),
)


def _org_or_404(db, organisation_id: int) -> m.Organisation:
    org = db.get(m.Organisation, organisation_id) if organisation_id <= MAX_ID else None
    if org is None:
        abort(404)
    return org


def _orgs_page(db, *, form=None, error=None, errors=None, status=200):
    orgs = list(db.scalars(select(m.Organisation).order_by(m.Organisation.name)))
    counts = dict(db.execute(select(m.Disbursement.organisation_id, func.count())
                             .group_by(m.Disbursement.organisation_id)).all())
    return render_template("web/programmes/organisations.html", orgs=orgs, counts=counts, form=form or {},
                           error=error, errors=errors or {}), status


@bp.get("/organisations")
@access(*BOOKS)
def organisations():
    return _orgs_page(db_session())


@bp.post("/organisations")
@access("manager")
def add_organisation():
    db = db_session()
    form = request.form
    try:
        org = create_organisation(db, current_actor(), **loaded(forms.OrganisationIn, form, "organisation"))
    except ServiceError as err:
        return _orgs_page(db, form=form, status=err.status, **_refused_here(err))
    db.commit()
    _notice("Organisation %(name)s registered", name=org.name)
    return redirect(url_for("web.organisation_detail", organisation_id=org.id))


def _org_page(db, org, *, form=None, error=None, errors=None, status=200):
    requests_ = list(db.scalars(select(m.Disbursement).where(m.Disbursement.organisation_id == org.id)
                                .order_by(m.Disbursement.id.desc()).limit(50)))
    return render_template("web/programmes/organisation.html", org=org, requests=requests_,
                           programmes=svc.programmes_for(db, org.id), form=form or {}, error=error,
                           errors=errors or {}), status


@bp.get("/organisations/<int:organisation_id>")
@access(*BOOKS)
def organisation_detail(organisation_id: int):
    db = db_session()
    return _org_page(db, _org_or_404(db, organisation_id))


@bp.post("/organisations/<int:organisation_id>/bank-account")
@access("manager")
def organisation_bank_account(organisation_id: int):
    db = db_session()
    org = _org_or_404(db, organisation_id)
    form = request.form
    try:
        update_bank_account(db, current_actor(), org.id, bank_name=form.get("bank_name", ""),
                            bank_account=form.get("bank_account", ""))
    except ServiceError as err:
        return _org_page(db, _org_or_404(db, organisation_id), form=form, status=err.status, **_refused_here(err))
    db.commit()
    _notice("Bank account updated")
    return redirect(url_for("web.organisation_detail", organisation_id=org.id))


# --- programmes -----------------------------------------------------------------------------------------

@bp.get("/programmes")
@access(*BOOKS)
def programmes():
    db = db_session()
    rows = svc.programmes_for(db)
    usage = {p.id: svc.usage(db, p.id) for p in rows}
    funds = {f.code: f for f in db.scalars(select(m.Fund))}
    return render_template("web/programmes/programmes.html", rows=rows, usage=usage, funds=funds)


@bp.route("/programmes/new", methods=["GET", "POST"])
@access("manager")
def new_programme():
    db = db_session()
    orgs = list(db.scalars(select(m.Organisation).order_by(m.Organisation.name)))
    context, status = {"error": None, "errors": {}, "form": {}}, 200
    if request.method == "POST":
        form = request.form
        try:
            data = loaded(forms.ProgrammeIn, form, "programme")
            row = svc.create_programme(db, current_actor(), fund=data.pop("fund_id"), **data)
        except ServiceError as err:
            context, status = {**_refused_here(err), "form": form}, err.status
        else:
            db.commit()
            _notice("Programme %(name)s set up", name=row.name)
            return redirect(url_for("web.programme_detail", programme_id=row.id))
    chosen = request.form.getlist("organisation_ids") if request.method == "POST" else []
    return render_template("web/programmes/form.html", funds=_open_funds(db), orgs=orgs, chosen=chosen,
                           **context), status


def _programme_page(db, programme_id: int, *, error=None, errors=None, status=200):
    try:
        row = svc.get_programme(db, programme_id)
    except NotFound:
        abort(404)
    members = svc.members(db, row.id)
    others = [o for o in db.scalars(select(m.Organisation).order_by(m.Organisation.name)) if o not in members]
    requests_ = list(db.scalars(select(m.Disbursement).where(m.Disbursement.programme_id == row.id)
                                .order_by(m.Disbursement.id.desc())))
    orgs = {o.id: o.name for o in db.scalars(select(m.Organisation))}
    fund = db.scalar(select(m.Fund).where(m.Fund.code == row.fund_code))
    return render_template("web/programmes/programme.html", p=row, usage=svc.usage(db, row.id), members=members,
                           others=others, requests=requests_, orgs=orgs, fund=fund, error=error,
                           errors=errors or {}), status


@bp.get("/programmes/<int:programme_id>")
@access(*BOOKS)
def programme_detail(programme_id: int):
    return _programme_page(db_session(), programme_id)


@bp.post("/programmes/<int:programme_id>/organisations")
@access("manager")
def add_programme_member(programme_id: int):
    db = db_session()
    try:
        svc.add_organisation(db, current_actor(), programme_id, _int_or_none(request.form.get("organisation_id")))
    except NotFound:
        abort(404)
    except ServiceError as err:
        return _programme_page(db, programme_id, status=err.status, **{k: v for k, v in _refused_here(err).items()
                                                                     if k in ("error", "errors")})
    db.commit()
    _notice("Organisation added")
    return redirect(url_for("web.programme_detail", programme_id=programme_id))
