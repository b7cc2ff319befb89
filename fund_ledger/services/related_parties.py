"""The register of related parties (关联方) and every transaction with them.

A party is a person or an organisation related to the fund (a founding body, a council member, an officer,
a close relative, a company one of them controls) or to whom the fund is related (a grantee an officer
runs). It may be linked to a donor (``donor_id``: its gifts are related-party transactions) and to a grantee
organisation (``organisation_id``: its grants and the money it returns are). A relation holds from ``since``
(or the start of the books) to ``until`` (or now): only transactions dated in that window count. A party is
never deleted: a relation that ends gets its ``until``; every change is in the audit log.

The donor's ``related_party`` flag is kept by this module, so the donor pages, the donor list and the
register agree: a donor is flagged while any of its register rows is current or has ever applied.

:func:`transactions` is the one place that says which transactions are related-party ones: the notes to the
accounts, the annual work report and the disclosure calendar all read it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from ..clock import local_today
from ..db import models as m
from ..db import repository as repo
from ..schemas.messages import Message
from . import audit
from .actor import Actor
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .tracing import shown_name

KINDS = ("person", "organisation")
MAX_NAME, MAX_RELATION, MAX_NOTE = 100, 100, 500


def _require_manager(actor: Actor) -> None:
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager keeps the register of related parties")


def _clean(errors: dict, field: str, value, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = [Message("text.type")]
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = [Message("required")]
    elif len(value) > limit:
        errors[field] = [Message("text.too_long", max=limit)]
    elif any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        errors[field] = [Message("text.control")]
    return value


def _invalid(errors: dict) -> InvalidInput:
    return InvalidInput("the related party is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()),
                        errors)


def _sync_donor_flag(session: Session, donor_id: int | None) -> None:
    if donor_id is None:
        return
    donor = session.get(m.Donor, donor_id)
    if donor is not None and not donor.related_party:
        donor.related_party = True


def _refuse_overlap(session: Session, donor, org, since: date | None, until: date | None) -> None:
    """One relation at a time for a donor or an organisation: two rows covering the same day would list each of
    its transactions twice (in the notes, the calendar and a submitted annual report)."""
    for field, column, linked in (("donor_id", m.RelatedParty.donor_id, donor),
                                  ("organisation_id", m.RelatedParty.organisation_id, org)):
        if linked is None:
            continue
        for other in session.scalars(select(m.RelatedParty).where(column == linked.id)):
            starts_before_other_ends = other.until is None or since is None or since <= other.until
            ends_after_other_starts = until is None or other.since is None or until >= other.since
            if starts_before_other_ends and ends_after_other_starts:
                raise Conflict(f"{linked.name} is already in the register (No. {other.id}, {other.relation}) for "
                               "some of these days: end that relation first, or register from the day after it ended",
                               {field: [Message("related.registered", id=other.id)]}, code="already_registered")


def register(session: Session, actor: Actor, *, name: str, kind: str, relation: str, donor_id: int | None = None,
             organisation_id: int | None = None, since: date | None = None, until: date | None = None,
             note: str = "", today: date | None = None) -> m.RelatedParty:
    """Enter a party in the register. The values come typed from the edge's schema; the caller commits."""
    _require_manager(actor)
    errors: dict[str, list] = {}
    name = _clean(errors, "name", name, MAX_NAME, required=donor_id is None and organisation_id is None)
    relation = _clean(errors, "relation", relation, MAX_RELATION, required=True)
    note = _clean(errors, "note", note, MAX_NOTE)
    if kind not in KINDS:
        errors["kind"] = [Message("donor.kind")]
    donor = session.get(m.Donor, donor_id) if donor_id is not None and repo.is_row_id(donor_id) else None
    if donor_id is not None and donor is None:
        errors["donor_id"] = [Message("donor.missing", id=donor_id)]
    org = (session.get(m.Organisation, organisation_id)
           if organisation_id is not None and repo.is_row_id(organisation_id) else None)
    if organisation_id is not None and org is None:
        errors["organisation_id"] = [Message("organisation.missing", id=organisation_id)]
    if since is not None and until is not None and until < since:
        errors["until"] = [Message("related.dates")]
    today = today or local_today()
    for field, day in (("since", since), ("until", until)):  # the register records what is, not what may be
        if day is not None and day > today:
            errors[field] = [Message("date.future", date=day.isoformat())]
    if donor is not None and kind in KINDS and donor.kind != kind:
        errors["kind"] = [Message(f"related.kind.{donor.kind}")]
    if org is not None and kind != "organisation":
        errors["kind"] = [Message("related.kind.organisation")]
    if errors:
        raise _invalid(errors)
    _refuse_overlap(session, donor, org, since, until)
    party = m.RelatedParty(name=name or (donor.name if donor else org.name), kind=kind, relation=relation,
                           donor_id=donor.id if donor else None, organisation_id=org.id if org else None,
                           since=since, until=until, note=note, created_at=repo.utc_now_text(),
                           created_by=actor.username)
    session.add(party)
    session.flush()
    _sync_donor_flag(session, party.donor_id)
    audit.record(session, actor, "related_party.register", object_type="related_party", object_id=party.id,
                 detail={"name": party.name, "kind": kind, "relation": relation, "donor_id": party.donor_id,
                         "organisation_id": party.organisation_id, "since": since, "until": until})
    return party


def get_party(session: Session, party_id: int) -> m.RelatedParty:
    party = session.get(m.RelatedParty, party_id) if repo.is_row_id(party_id) else None
    if party is None:
        raise NotFound(f"no related party {party_id}")
    return party


def check_end(party: m.RelatedParty, until: date, today: date | None = None) -> None:
    """Refuse to end a relation twice (ending it again would silently change which past transactions, some
    perhaps disclosed, were related-party ones: a relation that began again is a new row), on a day to come, or
    before it began. A page asks this before it asks to confirm."""
    if party.until is not None:
        raise Conflict(f"the relation with {party.name} already ended on {party.until.isoformat()}: if it began "
                       "again, register it anew", code="already_ended")
    if until > (today or local_today()):
        raise _invalid({"until": [Message("date.future", date=until.isoformat())]})
    if party.since is not None and until < party.since:
        raise _invalid({"until": [Message("related.dates")]})


def end_relation(session: Session, actor: Actor, party_id: int, *, until: date,
                 today: date | None = None) -> m.RelatedParty:
    """The relation ended on ``until`` (transactions after it are no longer related-party ones)."""
    _require_manager(actor)
    party = get_party(session, party_id)
    check_end(party, until, today)
    before = party.until
    party.until = until
    audit.record(session, actor, "related_party.end", object_type="related_party", object_id=party.id,
                 detail={"name": party.name, "until": until, "was": before})
    return party


def parties(session: Session) -> list[m.RelatedParty]:
    """The register, current relations first, then by name."""
    rows = session.scalars(select(m.RelatedParty).order_by(m.RelatedParty.id)).all()
    return sorted(rows, key=lambda p: (p.until is not None, p.name, p.id))


@dataclass(frozen=True)
class RelatedTransaction:
    """One transaction with a related party: a gift from it, a refund of that gift, a grant paid to it or money
    it returned. ``amount`` is in fen, as the money moved: positive into the fund (gift, return), negative out
    (refund, grant)."""

    party_id: int
    party: str
    relation: str
    kind: str
    """``gift``, ``refund``, ``grant`` or ``return``."""
    on: date
    amount: int
    fund_code: str
    entry_id: int
    donation_id: int | None = None
    disbursement_id: int | None = None
    counterparty: str = ""
    """The donor's or the organisation's name as the books know it."""
    anonymous: bool = False
    """A gift (or its refund) the donor asked to keep anonymous: see :attr:`public_name`."""
    display_name: str = ""

    @property
    def public_name(self) -> str:
        """The party as anything public may name it (a notice, the annual work report): the name the donor chose
        to be shown under (爱心人士 by default) when the gift was anonymous, else the register's name. The
        register, the calendar and the notes, which managers and the auditor read, use ``party``."""
        return shown_name(self.party, self.display_name, self.anonymous)


def _in_window(party, day):
    return and_(or_(party.since.is_(None), party.since <= day), or_(party.until.is_(None), party.until >= day))


def transactions(session: Session, start: date | None = None, end: date | None = None) -> list[RelatedTransaction]:
    """Every related-party transaction dated ``start``..``end`` (inclusive; ``None``: unbounded), by date.

    A gift is related when its donor is in the register and the gift's date falls within the relation; its
    refund (the reversing entry) is listed on its own date. A grant is related when it was paid to a
    registered organisation within the relation; money the organisation returned is listed on its date."""
    p = aliased(m.RelatedParty)
    out: list[RelatedTransaction] = []

    def dated(column):
        conds = []
        if start is not None:
            conds.append(column >= start)
        if end is not None:
            conds.append(column <= end)
        return conds

    d, dn = m.Donation, m.Donor
    for row in session.execute(
            select(p.id, p.name, p.relation, d.id, d.received_on, d.amount, d.fund_code, d.entry_id, dn.name,
                   d.anonymous, dn.display_name)
            .join(d, d.donor_id == p.donor_id).join(dn, dn.id == d.donor_id)
            .where(_in_window(p, d.received_on), *dated(d.received_on))):
        out.append(RelatedTransaction(row[0], row[1], row[2], "gift", repo.as_date(row[4]), row[5], row[6], row[7],
                                      donation_id=row[3], counterparty=row[8], anonymous=bool(row[9]),
                                      display_name=row[10] or ""))
    rev = aliased(m.Entry)
    for row in session.execute(
            select(p.id, p.name, p.relation, d.id, rev.accounting_date, d.amount, d.fund_code, rev.id, dn.name,
                   d.anonymous, dn.display_name)
            .join(d, d.donor_id == p.donor_id).join(dn, dn.id == d.donor_id)
            .join(rev, rev.reverses_id == d.entry_id)
            .where(_in_window(p, d.received_on), *dated(rev.accounting_date))):
        out.append(RelatedTransaction(row[0], row[1], row[2], "refund", repo.as_date(row[4]), -row[5], row[6], row[7],
                                      donation_id=row[3], counterparty=row[8], anonymous=bool(row[9]),
                                      display_name=row[10] or ""))
    b, o = m.Disbursement, m.Organisation
    for row in session.execute(
            select(p.id, p.name, p.relation, b.id, b.paid_on, b.amount, b.fund_code, b.payment_entry_id, o.name)
            .join(b, b.organisation_id == p.organisation_id).join(o, o.id == b.organisation_id)
            .where(b.payment_entry_id.is_not(None), _in_window(p, b.paid_on), *dated(b.paid_on))):
        out.append(RelatedTransaction(row[0], row[1], row[2], "grant", repo.as_date(row[4]), -row[5], row[6], row[7],
                                      disbursement_id=row[3], counterparty=row[8]))
    r = m.DisbursementReport
    for row in session.execute(
            select(p.id, p.name, p.relation, b.id, r.returned_on, r.returned, b.fund_code, r.return_entry_id, o.name)
            .join(b, b.organisation_id == p.organisation_id).join(o, o.id == b.organisation_id)
            .join(r, r.disbursement_id == b.id)
            .where(r.return_entry_id.is_not(None), b.paid_on.is_not(None), _in_window(p, b.paid_on),
                   *dated(r.returned_on))):
        out.append(RelatedTransaction(row[0], row[1], row[2], "return", repo.as_date(row[4]), row[5], row[6], row[7],
                                      disbursement_id=row[3], counterparty=row[8]))
    return sorted(out, key=lambda t: (t.on, t.entry_id, t.party_id))


__all__ = ["KINDS", "register", "get_party", "check_end", "end_relation", "parties", "transactions", "RelatedTransaction"]


def party_totals(found: list[RelatedTransaction]) -> dict[int, tuple[int, int]]:
    """Per party: how many of ``found`` are its transactions and how much money they moved (fen, each counted
    whichever way it went: a gift of 100 and its refund are 2 transactions of 200)."""
    out: dict[int, tuple[int, int]] = {}
    for t in found:
        n, total = out.get(t.party_id, (0, 0))
        out[t.party_id] = (n + 1, total + abs(t.amount))
    return out


__all__ += ["party_totals"]
