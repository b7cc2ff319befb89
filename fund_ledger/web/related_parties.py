"""The register of related parties (关联方): a manager keeps it, an auditor reads it (grantees and the public never
see it). One page: the register with each party's transactions, a year's related-party transactions, and for a
manager the forms to register a party and to end a relation (asked to confirm first: it changes which
transactions are related-party ones)."""
from __future__ import annotations

from datetime import date

from flask import redirect, render_template, request, url_for
from sqlalchemy import select

from ..clock import local_today
from ..db import models as m
from ..http.db import db_session
from ..http.i18n import N_
from ..http.security import access, current_actor
from ..ledger.entries import format_number
from ..schemas.related_parties import KINDS, EndRelationIn, RelatedPartyIn
from ..services import related_parties as svc
from ..services.errors import ServiceError
from . import BOOK_READERS, bp
from .donations import _refused_here, loaded
from .people import _notice

DEAL_NAMES = {"gift": N_("Gift"), "refund": N_("Refund of a gift"), "grant": N_("Grant paid"),
              "return": N_("Money returned")}
REGISTER_FIELDS = ("name", "kind", "relation", "donor_id", "organisation_id", "since", "until", "note")
CONFIRMED = "1"


@bp.app_template_global()
def related_deal(kind: str) -> str:
    from flask_babel import gettext

    return gettext(DEAL_NAMES[kind]) if kind in DEAL_NAMES else kind


def _year() -> int:
    text = request.args.get("year", "")
    today = local_today()
    return int(text) if text.isascii() and text.isdigit() and 2000 <= int(text) <= today.year + 1 else today.year


def _page(*, action: str | None = None, form=None, status: int = 200, confirming=None, error=None, errors=None,
          unplaced=None):
    """The register page; ``action`` says which form a refusal or a confirmation belongs to."""
    session = db_session()
    year = _year()
    parties = svc.parties(session)
    totals = svc.party_totals(svc.transactions(session))
    found = svc.transactions(session, date(year, 1, 1), date(year, 12, 31))
    numbers = {i: format_number(y, s) for i, y, s in session.execute(
        select(m.Entry.id, m.Entry.year, m.Entry.year_seq).where(m.Entry.id.in_({t.entry_id for t in found})))}
    donors = session.execute(select(m.Donor.id, m.Donor.name).order_by(m.Donor.name, m.Donor.id)).all()
    organisations = session.execute(select(m.Organisation.id, m.Organisation.name)
                                    .order_by(m.Organisation.name, m.Organisation.id)).all()
    return render_template(
        "web/related_parties.html", parties=parties, totals=totals, found=found, numbers=numbers, year=year,
        today=local_today(), donors=donors, organisations=organisations, donor_names=dict(donors),
        org_names=dict(organisations), kinds=KINDS, action=action,
        form=form or {}, confirming=confirming, error=error, errors=errors or {}, unplaced=unplaced), status


@bp.get("/related-parties")
@access(*BOOK_READERS)
def related_parties():
    return _page()


@bp.post("/related-parties")
@access("manager")
def add_related_party():
    session = db_session()
    form = request.form
    try:
        party = svc.register(session, current_actor(), **loaded(RelatedPartyIn, form, "related party"))
    except ServiceError as err:
        return _page(action="register", form=form, status=err.status, **_refused_here(err, REGISTER_FIELDS))
    session.commit()
    _notice("Related party %(name)s registered", name=party.name)
    return redirect(url_for("web.related_parties") + f"#party-{party.id}")


@bp.post("/related-parties/<int:party_id>/end")
@access("manager")
def end_related_party(party_id: int):
    """The first submit checks the date and shows what ending the relation means; only the confirmation's
    form (``confirm=1``) ends it."""
    session = db_session()
    form = request.form
    try:
        party = svc.get_party(session, party_id)
        until = loaded(EndRelationIn, form, "end of the relation")["until"]
        if form.get("confirm") != CONFIRMED:
            svc.check_end(party, until)
            return _page(action=f"end-{party_id}", form=form, confirming={"party": party, "until": until})
        svc.end_relation(session, current_actor(), party_id, until=until)
    except ServiceError as err:
        return _page(action=f"end-{party_id}", form=form, status=err.status, **_refused_here(err, ("until",)))
    session.commit()
    _notice("The relation with %(name)s ended on %(date)s", name=party.name, date=until.isoformat())
    return redirect(url_for("web.related_parties") + f"#party-{party_id}")
