"""Donors and the gifts they make: each gift is one journal entry and one acknowledgement number.

A gift posts Dr (the account its channel lands in) / Cr 4101 捐赠收入, inside the fund it was given to;
restricted or unrestricted follows the fund. A refund or correction reverses the entry, never edits it.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from ..db import models as m
from ..db import repository as repo
from ..db.engine import lock_ledger
from ..ledger.entries import EntryCode, EntryDraft, Posting, format_number
from ..ledger.money import MAX_AMOUNT_FEN, format_yuan
from ..ledger.rules import MAX_MEMO_LENGTH
from . import audit, related_parties
from ..schemas.messages import Message
from .actor import Actor
from .errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError
from .tracing import shown_name
from ..clock import local_today
from .ledger import post_entries, reverse_entry
from .paging import Page, paginate

CHANNEL_ACCOUNTS = {"bank": "1002", "cash": "1001", "wechat": "1009", "alipay": "1009", "other": "1009"}
CHANNEL_NAMES = {"bank": "银行转账", "cash": "现金", "wechat": "微信支付", "alipay": "支付宝", "other": "其他"}
KINDS = {"person": "个人", "organisation": "单位"}
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud or typed from paper
PHONE_RE = re.compile(r"^[0-9+\- ()]{0,32}$")
EMAIL_RE = re.compile(r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$")


def _require_manager(actor: Actor) -> None:
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager records donors and gifts")


def receipt_number(year: int, seq: int) -> str:
    """The acknowledgement's serial number: 捐 (JZ) year and a yearly sequence, e.g. ``JZ2026-000001``."""
    return f"JZ{year:04d}-{seq:06d}"


def _text(errors: dict, name: str, value, limit: int, required: bool = False) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        errors[name] = [Message("text.type")]
        return ""
    if required and not value:
        errors[name] = [Message("required")]
    elif len(value) > limit:
        errors[name] = [Message("text.too_long", max=limit)]
    elif any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        errors[name] = [Message("text.control")]
    return value


def _invalid(what: str, errors: dict) -> InvalidInput:
    return InvalidInput(f"the {what} is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)


def create_donor(session: Session, actor: Actor, *, name: str, kind: str, phone: str = "", email: str = "",
                 address: str = "", related_party: bool = False, related_note: str = "",
                 display_name: str = "") -> m.Donor:
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    donor = m.Donor(
        name=_text(errors, "name", name, 100, required=True), kind=kind,
        phone=_text(errors, "phone", phone, 32), email=_text(errors, "email", email, 120),
        address=_text(errors, "address", address, 200), related_party=bool(related_party),
        related_note=_text(errors, "related_note", related_note, 200),
        display_name=_text(errors, "display_name", display_name, 100), created_at=repo.utc_now_text())
    if kind not in KINDS:
        errors["kind"] = [Message("donor.kind")]
    if "phone" not in errors and not PHONE_RE.match(donor.phone):
        errors["phone"] = [Message("phone.format")]
    if "email" not in errors and not EMAIL_RE.match(donor.email):
        errors["email"] = [Message("email.format")]
    if errors:
        raise _invalid("donor", errors)
    session.add(donor)
    session.flush()
    audit.record(session, actor, "donor.create", object_type="donor", object_id=donor.id,
                 detail={"name": donor.name, "kind": kind, "related_party": donor.related_party})
    if donor.related_party:  # the register is where related parties are kept; the flag follows it
        related_parties.register(session, actor, name=donor.name, kind=kind, relation=donor.related_note or "关联方",
                                 donor_id=donor.id)
    return donor


def get_donor(session: Session, donor_id: int) -> m.Donor:
    donor = session.get(m.Donor, donor_id) if repo.is_row_id(donor_id) else None
    if donor is None:
        raise NotFound(f"no donor {donor_id}")
    return donor


def find_fund(session: Session, ref) -> m.Fund:
    """A fund by id, code or name."""
    q = select(m.Fund)
    if isinstance(ref, bool):
        fund = None
    elif isinstance(ref, int):
        fund = session.scalar(q.where(m.Fund.id == ref)) if repo.is_row_id(ref) else None
    else:
        text = str(ref or "").strip()
        fund = session.scalar(q.where((m.Fund.code == text) | (m.Fund.name == text)))
    if fund is None:
        raise NotFound(f"no fund {ref!r}")
    return fund


def open_fund(session: Session, ref, errors: dict[str, list[str]], field: str = "fund_id") -> m.Fund | None:
    """The fund ``ref`` names, if it is open; otherwise None, with the reason put in ``errors[field]``."""
    try:
        fund = find_fund(session, ref)
    except NotFound:
        errors[field] = [Message("fund.missing", fund=repr(ref))]
        return None
    if fund.closed_on is not None:
        errors[field] = [Message("fund.closed", fund=fund.name)]
    return fund


@dataclass(frozen=True)
class Gift:
    """What a fund manager records for one gift (amount already parsed to fen)."""

    donor_id: int
    fund: int | str
    amount: int
    received_on: date
    channel: str
    reference: str = ""
    memo: str = ""
    anonymous: bool = False
    pledge_id: int | None = None


class _Lookups:
    """Donors, funds and pledges a list of gifts refers to, fetched in a few queries, not one per gift."""

    def __init__(self, session: Session, gifts: list[Gift]):
        # only ids the columns can hold reach the database: 10**30 would overflow it, True would mean 1
        donor_ids = {g.donor_id for g in gifts if repo.is_row_id(g.donor_id)}
        pledge_ids = {g.pledge_id for g in gifts if repo.is_row_id(g.pledge_id)}
        self.donors: dict[int, m.Donor] = {}
        ids = sorted(donor_ids)
        for i in range(0, len(ids), 500):
            self.donors.update((d.id, d) for d in session.scalars(select(m.Donor).where(m.Donor.id.in_(ids[i:i + 500]))))
        funds = list(session.scalars(select(m.Fund)))
        self.funds: dict[object, m.Fund] = {**{f.id: f for f in funds}, **{f.code: f for f in funds},
                                            **{f.name: f for f in funds}}
        self.pledges = {p.id: p for p in session.scalars(select(m.Pledge).where(m.Pledge.id.in_(pledge_ids)))} \
            if pledge_ids else {}

    def donor(self, ref) -> m.Donor | None:
        return self.donors.get(ref) if repo.is_row_id(ref) else None

    def pledge(self, ref) -> m.Pledge | None:
        return self.pledges.get(ref) if repo.is_row_id(ref) else None

    def fund(self, ref) -> m.Fund | None:
        if isinstance(ref, bool):
            return None
        return self.funds.get(ref if isinstance(ref, int) else str(ref or "").strip())


def _check_gift(look: _Lookups, gift: Gift, today: date) -> tuple[m.Donor, m.Fund, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    donor = look.donor(gift.donor_id)
    if donor is None:
        errors["donor_id"] = [Message("donor.missing", id=gift.donor_id)]
    fund = look.fund(gift.fund)
    if fund is None:
        errors["fund_id"] = [Message("fund.missing", fund=repr(gift.fund))]
    elif fund.closed_on is not None:
        errors["fund_id"] = [Message("fund.closed", fund=fund.name)]
    elif fund.end_date is not None and type(gift.received_on) is date and gift.received_on > fund.end_date:
        errors["fund_id"] = [Message("fund.ended", fund=fund.name, date=fund.end_date.isoformat())]
    if type(gift.amount) is not int or not 0 < gift.amount <= MAX_AMOUNT_FEN:
        errors["amount"] = [Message("amount.range", min="¥0.01", max=format_yuan(MAX_AMOUNT_FEN))]
    if gift.channel not in CHANNEL_ACCOUNTS:
        errors["channel"] = [Message("channel.choice", choices=", ".join(CHANNEL_ACCOUNTS))]
    if type(gift.received_on) is not date:
        errors["received_on"] = [Message("date.format")]
    elif gift.received_on > today:
        errors["received_on"] = [Message("date.future", date=gift.received_on.isoformat())]
    _text(errors, "reference", gift.reference, 64)
    _text(errors, "memo", gift.memo, 500)
    if gift.pledge_id is not None:
        pledge = look.pledge(gift.pledge_id)
        if pledge is None:
            errors["pledge_id"] = [Message("pledge.missing", id=gift.pledge_id)]
        elif donor is not None and fund is not None and (pledge.donor_id != donor.id or pledge.fund_code != fund.code):
            errors["pledge_id"] = [Message("pledge.mismatch")]
    return donor, fund, errors


def _memo(donor: m.Donor, fund: m.Fund, gift: Gift) -> str:
    """The entry's memo (摘要): who gave to which fund how, then the gift's own memo, cut to what an entry holds.

    A gift's memo may take its full 500 characters; with the donor's and the fund's names in front the
    summary could pass the ledger's limit, so it is shortened (the donation keeps the whole memo).
    """
    who = shown_name(donor.name, donor.display_name, gift.anonymous)
    memo = f"{who}捐赠{fund.name}（{CHANNEL_NAMES[gift.channel]}）"
    note = (gift.memo or "").strip()
    memo = f"{memo}：{note}" if note else memo
    return memo if len(memo) <= MAX_MEMO_LENGTH else memo[:MAX_MEMO_LENGTH - 1] + "…"


def record_donations(session: Session, actor: Actor, gifts: list[Gift], *, today: date | None = None,
                     import_batch_id: int | None = None, objects: bool = True) -> list[m.Donation]:
    """Record gifts, all or none: each posts its entry and takes the next acknowledgement number.

    An empty list records nothing, writes nothing (no audit record either) and returns [].
    ``objects=False`` (an import of many gifts, under the ledger's lock) inserts them without reading them
    back as ORM objects and returns [].
    """
    return [row.donation for row in _record(session, actor, gifts, today=today, import_batch_id=import_batch_id,
                                            objects=objects)]


def record_gift(session: Session, actor: Actor, gift: Gift, *, today: date | None = None) -> "GiftRow":
    """Record one gift and give it back as the lists show it, from what recording it already knows: no read
    after the write (the answer is built while the ledger's lock is held, until the caller commits)."""
    return _record(session, actor, [gift], today=today)[0]


def _record(session: Session, actor: Actor, gifts: list[Gift], *, today: date | None,
            import_batch_id: int | None = None, objects: bool = True) -> list["GiftRow"]:
    _require_manager(actor)
    if not gifts:
        return []
    today = today or local_today()
    checked = []
    problems: dict[str, list[str]] = {}
    look = _Lookups(session, gifts)
    for i, gift in enumerate(gifts):
        donor, fund, errors = _check_gift(look, gift, today)
        for k, v in errors.items():
            problems[k if len(gifts) == 1 else f"gifts[{i}].{k}"] = v
        checked.append((donor, fund))
    if problems:
        raise _invalid("gift" if len(gifts) == 1 else "list of gifts", problems)
    lock_ledger(session)
    next_seq: dict[int, int] = {}
    drafts, numbers = [], []
    for gift, (donor, fund) in zip(gifts, checked, strict=True):
        year = gift.received_on.year
        if year not in next_seq:
            next_seq[year] = session.scalar(select(func.max(m.Donation.receipt_seq))
                                            .where(m.Donation.receipt_year == year)) or 0
        next_seq[year] += 1
        numbers.append((year, next_seq[year]))
        drafts.append(EntryDraft(
            gift.received_on, EntryCode.DONATION, _memo(donor, fund, gift),
            (Posting(CHANNEL_ACCOUNTS[gift.channel], fund.code, debit=gift.amount),
             Posting("4101", fund.code, credit=gift.amount)),
            source=f"donation:{receipt_number(year, next_seq[year])}"))
    try:
        entries = post_entries(session, actor, drafts, today=today, audit_action=None)
    except ServiceError as err:  # the ledger speaks of entries; the person filled in a gift's date received
        err.errors = {re.sub(r"^entries\[(\d+)\]\.", r"gifts[\1].", k).replace("accounting_date", "received_on"): v
                      for k, v in err.errors.items()}
        raise
    now = repo.utc_now_text()
    rows = [
        dict(donor_id=donor.id, fund_code=fund.code, amount=gift.amount, received_on=gift.received_on,
             channel=gift.channel, reference=(gift.reference or "").strip(), memo=(gift.memo or "").strip(),
             anonymous=bool(gift.anonymous), entry_id=entry.seq, receipt_year=year, receipt_seq=seq,
             verification_code=_new_code(), pledge_id=gift.pledge_id, import_batch_id=import_batch_id,
             created_at=now, created_by=actor.username)
        for gift, (donor, fund), entry, (year, seq) in zip(gifts, checked, entries, numbers, strict=True)
    ]
    if objects:  # one multi-row INSERT ... RETURNING, not an ORM flush per object
        donations = list(session.scalars(insert(m.Donation).returning(m.Donation, sort_by_parameter_order=True), rows))
        first_id = donations[0].id
    else:  # an executemany, read back by nothing: an import may hold 100,000 gifts
        session.execute(insert(m.Donation), rows)
        donations = []
        first_id = session.scalar(select(m.Donation.id).where(m.Donation.entry_id == entries[0].seq))
    audit.record(session, actor, "donation.record", object_type="donation", object_id=first_id,
                 detail={"count": len(rows), "total": sum(r["amount"] for r in rows),
                         "receipts": [receipt_number(*numbers[0]), receipt_number(*numbers[-1])],
                         "entries": [entries[0].number, entries[-1].number], "import_batch": import_batch_id})
    return [GiftRow(d, donor, fund.id, fund.name, entry.number, receipt_number(*number), None)
            for d, (donor, fund), entry, number in zip(donations, checked, entries, numbers)]


def record_donation(session: Session, actor: Actor, gift: Gift, *, today: date | None = None) -> m.Donation:
    return record_gift(session, actor, gift, today=today).donation


def _new_code() -> str:
    """Ten characters of CODE_ALPHABET, uniformly at random: one draw below 31**10 written in base 31."""
    n, out = secrets.randbelow(len(CODE_ALPHABET) ** 10), []
    for _ in range(10):
        n, digit = divmod(n, len(CODE_ALPHABET))
        out.append(CODE_ALPHABET[digit])
    return "".join(out)


def get_donation(session: Session, donation_id: int) -> m.Donation:
    donation = session.get(m.Donation, donation_id) if repo.is_row_id(donation_id) else None
    if donation is None:
        raise NotFound(f"no donation {donation_id}")
    return donation


def donation_by_code(session: Session, code: str) -> m.Donation | None:
    code = re.sub(r"[\s-]", "", (code or "").upper())[:16]
    return session.scalar(select(m.Donation).where(m.Donation.verification_code == code)) if code else None


def check_refund(*, on: date | None, today: date | None = None) -> None:
    """Refuse a refund dated in the future (InvalidInput). The gift's page asks this before it shows the
    refund's confirmation; :func:`refund_donation` asks it again."""
    if type(on) is date and on > (today or local_today()):  # the field is the refund's date, not the entry's
        raise InvalidInput(f"{on.isoformat()} is in the future", {"on": [Message("date.future", date=on.isoformat())]})


def refund_donation(session: Session, actor: Actor, donation_id: int, reason: str, *,
                    on: date | None = None, today: date | None = None):
    """Reverse the gift's entry (a refund, or the correction of a mistaken gift), with the reason shown."""
    _require_manager(actor)
    donation = get_donation(session, donation_id)
    check_refund(on=on, today=today)
    entry = repo.get_entry(session, donation.entry_id)
    reversal = reverse_entry(session, actor, entry.number, reason, accounting_date=on, today=today, by_owner=True)
    audit.record(session, actor, "donation.refund", object_type="donation", object_id=donation.id,
                 detail={"reason": reason, "entry": reversal.number})
    return reversal


def set_official_receipt(session: Session, actor: Actor, donation_id: int, number: str) -> m.Donation:
    """Record the number of the official 公益事业捐赠票据 issued outside the system (once)."""
    _require_manager(actor)
    donation = get_donation(session, donation_id)
    errors: dict[str, list[str]] = {}
    number = _text(errors, "official_receipt_number", number, 64, required=True)
    if errors:
        raise _invalid("receipt number", errors)
    if donation.official_receipt_number is not None:
        raise Conflict(f"the official receipt number is already recorded: {donation.official_receipt_number}")
    donation.official_receipt_number = number
    session.flush()
    audit.record(session, actor, "donation.official_receipt", object_type="donation", object_id=donation.id,
                 detail={"number": number})
    return donation


def donation_status(session: Session, donation: m.Donation) -> dict:
    """Whether the gift still stands in the books, and the entry that reversed it if not."""
    reversed_by = repo.reversed_by(session, donation.entry_id)
    entry = repo.get_entry(session, reversed_by) if reversed_by else None
    return {"refunded": entry is not None, "refund_entry": entry.number if entry else None,
            "refund_reason": entry.memo if entry else None}


__all__ = ["Gift", "create_donor", "record_donation", "record_donations", "record_gift", "check_refund", "refund_donation"]


# --- reading donors -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DonorSummary:
    """A donor with what they gave: ``gifts`` recorded, ``total`` given net of refunds (a refunded gift's
    money went back, so it is not part of what the donor gave; its row stays in the books)."""

    donor: m.Donor
    gifts: int
    total: int


def refunded_gift():
    """True for a gift whose entry was reversed (refunded or corrected)."""
    reversal = aliased(m.Entry)
    return exists().where(reversal.reverses_id == m.Donation.entry_id)


def _donor_summaries(where=()) -> "select":
    gifts = func.count(m.Donation.id)
    total = func.coalesce(func.sum(m.Donation.amount).filter(~refunded_gift()), 0)
    return (select(m.Donor, gifts, total).outerjoin(m.Donation, m.Donation.donor_id == m.Donor.id)
            .where(*where).group_by(m.Donor.id))


def donor_page(session: Session, *, q: str = "", page: int = 1, per_page: int = 50,
               newest_first: bool = True) -> Page[DonorSummary]:
    """Donors matching ``q`` (in the name or the name shown for anonymous gifts), each with their gifts and
    total, in one query for the page (not one per donor)."""
    where = ()
    if q:
        where = (or_(m.Donor.name.contains(q, autoescape=True), m.Donor.display_name.contains(q, autoescape=True)),)
    order = m.Donor.id.desc() if newest_first else m.Donor.id
    return paginate(session, _donor_summaries(where).order_by(order), page=page, per_page=per_page,
                    row=lambda d, n, total: DonorSummary(d, int(n), int(total or 0)))


def donor_summary(session: Session, donor_id: int) -> DonorSummary:
    found = session.execute(_donor_summaries((m.Donor.id == donor_id,))).one_or_none() \
        if repo.is_row_id(donor_id) else None
    if found is None:
        raise NotFound(f"no donor {donor_id}")
    d, n, total = found
    return DonorSummary(d, int(n), int(total or 0))


# --- reading gifts --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GiftRow:
    """A gift as the lists show it: with its donor, fund, entry, acknowledgement number and refund, if any."""

    donation: m.Donation
    donor: m.Donor
    fund_id: int
    fund_name: str
    entry_number: str
    receipt_number: str
    refund_entry: str | None

    @property
    def refunded(self) -> bool:
        return self.refund_entry is not None


def donation_page(session: Session, *, donor_id: int | None = None, fund_id: int | None = None,
                  fund_code: str = "", batch_id: int | None = None, page: int = 1, per_page: int = 50,
                  donation_id: int | None = None) -> tuple[Page[GiftRow], int]:
    """Gifts, newest first, filtered by donor, fund (id or code) and import batch, in one query for the page;
    and the sum of every gift the filters match (as recorded: a refund is shown on its own row)."""
    entry, reversal = aliased(m.Entry), aliased(m.Entry)
    conditions = [c for c, wanted in ((m.Donation.donor_id == donor_id, donor_id is not None),
                                      (m.Fund.id == fund_id, fund_id is not None),
                                      (m.Donation.fund_code == fund_code, bool(fund_code)),
                                      (m.Donation.import_batch_id == batch_id, batch_id is not None),
                                      (m.Donation.id == donation_id, donation_id is not None)) if wanted]
    query = (select(m.Donation, m.Donor, m.Fund.id, m.Fund.name, entry.year, entry.year_seq, reversal.year,
                    reversal.year_seq)
             .join(m.Donor, m.Donor.id == m.Donation.donor_id)
             .join(m.Fund, m.Fund.code == m.Donation.fund_code)
             .join(entry, entry.id == m.Donation.entry_id)
             .outerjoin(reversal, reversal.reverses_id == m.Donation.entry_id)
             .where(*conditions).order_by(m.Donation.id.desc()))
    found = paginate(session, query, page=page, per_page=per_page, row=lambda d, donor, fid, fname, ey, es, ry, rs: GiftRow(
        d, donor, fid, fname, format_number(ey, es), receipt_number(d.receipt_year, d.receipt_seq),
        format_number(ry, rs) if ry else None))
    amount = session.scalar(select(func.coalesce(func.sum(m.Donation.amount), 0))
                            .join(m.Fund, m.Fund.code == m.Donation.fund_code).where(*conditions))
    return found, int(amount or 0)


def gift_row(session: Session, donation_id: int) -> GiftRow:
    found, _amount = donation_page(session, donation_id=donation_id, per_page=1) if repo.is_row_id(donation_id) \
        else (None, 0)
    if found is None or not found.items:
        raise NotFound(f"no donation {donation_id}")
    return found.items[0]
