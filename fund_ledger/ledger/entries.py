"""Journal entries and their postings, as immutable records.

Words follow TigerBeetle's: amounts are integers of fen, a ``code`` says why an entry exists, nothing
is deleted, and a correction is a new entry that reverses an old one.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class EntryCode(str, enum.Enum):
    """Why an entry exists."""

    OPENING = "opening"
    DONATION = "donation"
    DISBURSEMENT = "disbursement"
    RELEASE = "release"
    """Release of restriction: Dr 3102 限定性净资产 / Cr 3101 非限定性净资产."""
    RETURN = "return"
    REVERSAL = "reversal"
    CLOSING = "closing"
    MANUAL = "manual"


ENTRY_CODE_LABELS_ZH = {
    EntryCode.OPENING: "期初",
    EntryCode.DONATION: "捐赠",
    EntryCode.DISBURSEMENT: "拨付",
    EntryCode.RELEASE: "限定解除",
    EntryCode.RETURN: "退回",
    EntryCode.REVERSAL: "冲销",
    EntryCode.CLOSING: "结转",
    EntryCode.MANUAL: "手工",
}


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of an entry: an amount on one side of one account, within one fund."""

    account: str
    """Account code, e.g. ``"1002"``."""
    fund: str
    """Fund code, e.g. ``"GENERAL"``."""
    debit: int = 0
    """Fen on the debit side; exactly one of ``debit`` and ``credit`` is positive."""
    credit: int = 0


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """What a service asks to post, before the ledger gives it a place in the chain."""

    accounting_date: date
    code: EntryCode
    memo: str
    postings: tuple[Posting, ...]
    source: str | None = None
    """Link to the source document, e.g. ``"donation:42"``."""
    reverses: int | None = None
    """Chain position (``Entry.seq``) of the entry this one reverses."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A posted entry: its place in the chain, who posted it, and its hash."""

    seq: int
    """Position in the hash chain, 1 for the first entry ever posted."""
    year: int
    year_seq: int
    """Number within the accounting year; shown as ``number``."""
    accounting_date: date
    recorded_at: str
    """UTC time of posting as ISO 8601 text with microseconds and ``Z``; hashed as stored."""
    code: EntryCode
    memo: str
    actor: str
    """Username of the person (or ``system``) who posted it."""
    postings: tuple[Posting, ...]
    source: str | None = None
    reverses: int | None = None
    prev_hash: str = ""
    hash: str = ""
    hash_version: int = 1

    @property
    def number(self) -> str:
        return format_number(self.year, self.year_seq)

    @property
    def total(self) -> int:
        return sum(p.debit for p in self.postings)


def format_number(year: int, year_seq: int) -> str:
    """``2026-000001``: the entry's number as printed in the books (凭证号)."""
    return f"{year:04d}-{year_seq:06d}"


def parse_number(text: str) -> tuple[int, int] | None:
    """The (year, year_seq) of an entry number, or None if the text is not one."""
    year, sep, seq = text.partition("-")
    if not sep or len(year) != 4 or not year.isascii() or not year.isdigit() or not seq.isascii() or not seq.isdigit() or len(seq) > 9:
        return None
    return int(year), int(seq)


def reversal_postings(postings: tuple[Posting, ...]) -> tuple[Posting, ...]:
    """The same lines with debit and credit swapped: an entry that undoes another."""
    return tuple(Posting(p.account, p.fund, debit=p.credit, credit=p.debit) for p in postings)


@dataclass(frozen=True, slots=True)
class LedgerError:
    """A rule that a draft breaks; ``field`` names where, ``message`` says what in plain words."""

    field: str
    message: str
    code: str = "invalid"
    """``invalid`` (malformed) or a business rule: ``insufficient_funds``, ``closed_period``, ..."""


__all__ = [
    "EntryCode", "ENTRY_CODE_LABELS_ZH", "Posting", "EntryDraft", "Entry", "LedgerError",
    "format_number", "parse_number", "reversal_postings",
]
