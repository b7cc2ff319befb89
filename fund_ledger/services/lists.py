"""The lists people filter: gifts by fund, dates and donor, and the journal by dates, fund, account, code and
memo. Each is one SQL query cut to a page (on the indexed columns where there is one: ``donations.fund_code``
and ``donor_id``, ``entries.accounting_date`` and ``code``, ``postings(fund_code, entry_id)`` and
``postings(account_code, entry_id)``); nothing reads the whole table into memory. A gift list for download is
read a chunk at a time (keyset on the id), so tens of thousands of rows cost no more memory than a page.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..db import models as m
from ..db import repository as repo
from ..ledger.entries import Entry, format_number
from .donations import GiftRow, receipt_number
from .paging import Page, paginate

CHUNK = 1000
"""Gifts read at a time for a download."""


@dataclass(frozen=True)
class GiftFilter:
    """What a gift list is narrowed to (``schemas.lists.GiftListQuery`` loads it); empty means everything."""

    fund: str = ""
    first: date | None = None
    last: date | None = None
    donor: str = ""
    donor_id: int | None = None
    batch: int | None = None

    @classmethod
    def of(cls, args: dict) -> GiftFilter:
        return cls(**{k: args.get(k) if k in ("first", "last", "donor_id", "batch") else (args.get(k) or "")
                      for k in cls.__dataclass_fields__})

    @property
    def any(self) -> bool:
        return any(getattr(self, k) for k in self.__dataclass_fields__)


def _gift_conditions(f: GiftFilter) -> list:
    conditions = []
    if f.fund:
        conditions.append(m.Donation.fund_code == f.fund)
    if f.first:
        conditions.append(m.Donation.received_on >= f.first)
    if f.last:
        conditions.append(m.Donation.received_on <= f.last)
    if f.donor_id is not None:
        conditions.append(m.Donation.donor_id == f.donor_id)
    if f.batch is not None:
        conditions.append(m.Donation.import_batch_id == f.batch)
    if f.donor:
        conditions.append(or_(m.Donor.name.contains(f.donor, autoescape=True),
                              m.Donor.display_name.contains(f.donor, autoescape=True)))
    return conditions


def gift_query(f: GiftFilter):
    entry, reversal = aliased(m.Entry), aliased(m.Entry)
    return (select(m.Donation, m.Donor, m.Fund.id, m.Fund.name, entry.year, entry.year_seq, reversal.year,
                   reversal.year_seq)
            .join(m.Donor, m.Donor.id == m.Donation.donor_id)
            .join(m.Fund, m.Fund.code == m.Donation.fund_code)
            .join(entry, entry.id == m.Donation.entry_id)
            .outerjoin(reversal, reversal.reverses_id == m.Donation.entry_id)
            .where(*_gift_conditions(f)))


def gift_row_from(d, donor, fund_id, fund_name, ey, es, ry, rs) -> GiftRow:
    return GiftRow(d, donor, fund_id, fund_name, format_number(ey, es), receipt_number(d.receipt_year, d.receipt_seq),
                   format_number(ry, rs) if ry else None)


def gift_list(session: Session, f: GiftFilter, *, page: int = 1, per_page: int = 50) -> tuple[Page[GiftRow], int]:
    """Gifts matching ``f``, newest first, a page of them; and the sum of every gift that matches (as recorded:
    a refund stays on its row, marked)."""
    found = paginate(session, gift_query(f).order_by(m.Donation.id.desc()), page=page, per_page=per_page,
                     row=gift_row_from)
    total = select(func.coalesce(func.sum(m.Donation.amount), 0)).where(*_gift_conditions(f))
    if f.donor:
        total = total.join(m.Donor, m.Donor.id == m.Donation.donor_id)
    return found, int(session.scalar(total) or 0)


def iter_gifts(session: Session, f: GiftFilter, *, chunk: int = CHUNK) -> Iterator[GiftRow]:
    """Every gift matching ``f``, oldest first, read ``chunk`` at a time (keyset on the id)."""
    after = 0
    while True:
        rows = session.execute(gift_query(f).where(m.Donation.id > after).order_by(m.Donation.id).limit(chunk)).all()
        for row in rows:
            yield gift_row_from(*row)
        if len(rows) < chunk:
            return
        after = rows[-1][0].id


# --- the journal -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JournalFilter:
    """What the journal is narrowed to (``schemas.lists.JournalQuery`` loads it)."""

    first: date | None = None
    last: date | None = None
    fund: str = ""
    account: str = ""
    code: str | None = None
    q: str = ""

    @classmethod
    def of(cls, args: dict) -> JournalFilter:
        return cls(**{k: args.get(k) if k in ("first", "last", "code") else (args.get(k) or "")
                      for k in cls.__dataclass_fields__})

    @property
    def any(self) -> bool:
        return any(getattr(self, k) for k in self.__dataclass_fields__)


def _entry_conditions(f: JournalFilter) -> list:
    conditions = []
    if f.first:
        conditions.append(m.Entry.accounting_date >= f.first)
    if f.last:
        conditions.append(m.Entry.accounting_date <= f.last)
    if f.code:
        conditions.append(m.Entry.code == f.code)
    if f.q:
        conditions.append(m.Entry.memo.contains(f.q, autoescape=True))
    if f.fund:
        conditions.append(exists().where(m.Posting.entry_id == m.Entry.id, m.Posting.fund_code == f.fund))
    if f.account:
        conditions.append(exists().where(m.Posting.entry_id == m.Entry.id, or_(
            m.Posting.account_code == f.account, m.Posting.account_code.startswith(f.account, autoescape=True))))
    return conditions


def journal_list(session: Session, f: JournalFilter, *, page: int = 1, per_page: int = 50) -> Page[Entry]:
    """Entries matching ``f``, newest first, a page of them, each with all its postings."""
    ids = paginate(session, select(m.Entry.id).where(*_entry_conditions(f)).order_by(m.Entry.id.desc()),
                   page=page, per_page=per_page, row=lambda entry_id: entry_id)
    entries = list(repo.iter_entries(session, where=m.Entry.id.in_(ids.items), chunk=None)) if ids.items else []
    entries.reverse()
    return Page(entries, ids.total, ids.page, ids.per_page)


__all__ = ["GiftFilter", "gift_list", "iter_gifts", "JournalFilter", "journal_list"]
