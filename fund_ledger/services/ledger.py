"""Posting entries and reversing them: the one way anything reaches the journal.

Every write takes the ledger's lock in the database first (see ``db.engine.lock_ledger``), reads the
chain head and the funds' positions under it, checks the draft against the rules, and inserts the
postings and the entry; the database's triggers then check it all again and update the balances.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..clock import local_today
from ..db import repository as repo
from ..db.engine import lock_ledger
from ..ledger.balances import FundPosition, money_delta
from ..ledger.chain import HASH_VERSION, entry_hash
from ..ledger.entries import Entry, EntryCode, EntryDraft, format_number, parse_number, reversal_postings
from ..ledger.rules import PostingContext, validate_draft
from . import audit
from .actor import Actor
from .errors import Conflict, InvalidInput, NotFound, RuleBroken, from_ledger_errors

BOOKS_BEGIN = date(2000, 1, 1)


class _Ledger:
    """The ledger's state as read under the lock, advanced in memory as a batch is posted."""

    def __init__(self, session: Session, today: date, year: int):
        state = repo.ledger_state(session, year)  # one round trip under the lock
        chart = state.chart
        self.accounts = chart.accounts
        self.seq, self.head = state.head_seq, state.head_hash
        self.positions = state.positions
        self.ctx = PostingContext(
            accounts=chart.accounts, funds=chart.funds, earliest_date=BOOKS_BEGIN, latest_date=today,
            closed_periods=chart.closed_periods, closed_funds=chart.closed_funds,
            parent_accounts=chart.parents, positions=self.positions, posted_total=state.posted_total,
        )
        self.account_names, self.fund_names = chart.account_names, chart.fund_names
        self._session = session
        self._year_seq: dict[int, int] = {year: state.last_year_seq}

    def next_year_seq(self, year: int) -> int:
        if year not in self._year_seq:
            self._year_seq[year] = repo.last_year_seq(self._session, year)
        self._year_seq[year] += 1
        return self._year_seq[year]

    def chain(self, draft: EntryDraft, actor: Actor, recorded_at: str) -> Entry:
        year = draft.accounting_date.year
        entry = Entry(seq=self.seq + 1, year=year, year_seq=self.next_year_seq(year),
                      accounting_date=draft.accounting_date, recorded_at=recorded_at, code=draft.code,
                      memo=draft.memo, actor=actor.username, postings=draft.postings, source=draft.source,
                      reverses=draft.reverses, prev_hash=self.head, hash_version=HASH_VERSION)
        entry = replace(entry, hash=entry_hash(entry, self.account_names, self.fund_names))
        self.seq, self.head = entry.seq, entry.hash
        self.ctx = replace(self.ctx, posted_total=self.ctx.posted_total + sum(p.debit for p in entry.postings))
        for fund, delta in money_delta(entry.postings, self.accounts).items():
            pos = self.positions.get(fund, FundPosition(0, 0))
            self.positions[fund] = FundPosition(pos.balance + delta, pos.reserved)
        return entry


def post_entries(session: Session, actor: Actor, drafts: Sequence[EntryDraft], *, today: date | None = None,
                 audit_action: str | None = "entry.post") -> list[Entry]:
    """Post ``drafts`` in order, all or none; the caller commits. Raises a ServiceError naming what is wrong."""
    if not drafts:
        return []
    lock_ledger(session)
    ledger = _Ledger(session, today or local_today(), drafts[0].accounting_date.year)
    recorded_at = repo.utc_now_text()
    entries = []
    for i, draft in enumerate(drafts):
        errors = validate_draft(draft, ledger.ctx)
        if errors:
            err = from_ledger_errors(errors)
            if len(drafts) > 1:
                err.errors = {f"entries[{i}].{k}": v for k, v in err.errors.items()}
                err.detail = f"entry {i + 1} of {len(drafts)}: {err.detail}"
            raise err
        entries.append(ledger.chain(draft, actor, recorded_at))
    try:
        repo.insert_entries(session, entries)
    except IntegrityError as exc:  # the database's own guard refused what the rules let through
        raise Conflict(f"the database refused the entry: {_db_message(exc)}") from exc
    if audit_action:
        audit.record(session, actor, audit_action, object_type="entry", object_id=entries[0].number,
                     detail={"count": len(entries), "last": entries[-1].number,
                             "total": sum(e.total for e in entries)})
    return entries


def post_entry(session: Session, actor: Actor, draft: EntryDraft, *, today: date | None = None,
               audit_action: str | None = "entry.post") -> Entry:
    return post_entries(session, actor, [draft], today=today, audit_action=audit_action)[0]


def find_entry(session: Session, number: str) -> Entry:
    """The entry with this number (``2026-000001``), or NotFound."""
    parsed = parse_number(number)
    seq = repo.entry_seq_by_number(session, *parsed) if parsed else None
    entry = repo.get_entry(session, seq) if seq else None
    if entry is None:
        raise NotFound(f"no entry {number!r}")
    return entry


def owning_record(session: Session, seq: int) -> str | None:
    """What a gift, a grant payment or a grant return owns this entry, if anything (``donation 3``...)."""
    from ..db import models as m
    from sqlalchemy import select

    for what, column, ident in (("donation", m.Donation.entry_id, m.Donation.id),
                                ("disbursement", m.Disbursement.payment_entry_id, m.Disbursement.id),
                                ("use report", m.DisbursementReport.return_entry_id, m.DisbursementReport.id)):
        found = session.scalar(select(ident).where(column == seq).limit(1))
        if found is not None:
            return f"{what} {found}"
    return None


def reverse_entry(session: Session, actor: Actor, number: str, reason: str, *,
                  accounting_date: date | None = None, today: date | None = None, by_owner: bool = False) -> Entry:
    """Post the entry that undoes entry ``number``: the same lines, sides swapped, pointing back to it.

    An entry a gift, a grant payment or a grant return owns is reversed only through that record's own
    step (a refund), ``by_owner``: reversed alone, the record would go on saying the money moved.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason for the reversal is required", {"reason": ["required"]})
    lock_ledger(session)
    original = find_entry(session, number)
    if original.code is EntryCode.REVERSAL:
        raise RuleBroken(f"entry {number} is itself a reversal: post a new entry instead", code="wrong_state")
    done = repo.reversed_by(session, original.seq)
    if done is not None:
        raise Conflict(f"entry {number} was already reversed", code="already_reversed")
    owner = None if by_owner else owning_record(session, original.seq)
    if owner is not None:
        raise RuleBroken(f"entry {number} belongs to {owner}: correct it there (a gift is refunded, a grant's "
                         f"money comes back with its use report), so the record and the books stay in step",
                         code="owned_entry")
    today = today or local_today()
    draft = EntryDraft(
        accounting_date=accounting_date or today, code=EntryCode.REVERSAL,
        memo=f"冲销 {format_number(original.year, original.year_seq)}：{reason}",
        postings=reversal_postings(original.postings), source=original.source, reverses=original.seq,
    )
    return post_entry(session, actor, draft, today=today, audit_action="entry.reverse")


def _db_message(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return text.removeprefix("fund_ledger: ")


__all__ = ["post_entries", "post_entry", "reverse_entry", "find_entry", "local_today"]
