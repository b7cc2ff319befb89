"""Verification: recompute the hash chain, every stored balance and every period seal from the journal.

Reads only; streams the journal, so memory stays bounded at any size. What it recomputes is compared
with what the database stores, and the first entry that does not hold is named.
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db import repository as repo
from ..ledger.audit import AUDIT_HASH_VERSION, audit_hash
from ..ledger.chain import GENESIS_HASH, HASH_VERSION, CanonicalWriter
from ..ledger.entries import format_number
from .audit import iter_audit


class _Bad(NamedTuple):
    number: str
    seq: int


_ENTRY_SQL = ("SELECT id, year, year_seq, accounting_date, recorded_at, code, memo, actor, source, reverses_id,"
              " prev_hash, hash, hash_version FROM entries ORDER BY id")
_POSTING_SQL = "SELECT entry_id, line_no, account_code, fund_code, debit, credit FROM postings ORDER BY entry_id, line_no"


@contextmanager
def _cursors(session: Session):
    """Two ordered streams of driver tuples in the session's transaction (server-side on PostgreSQL)."""
    dbapi = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        entries, postings = dbapi.cursor(name="verify_entries"), dbapi.cursor(name="verify_postings")
        entries.itersize = postings.itersize = 5000
    else:
        entries, postings = dbapi.cursor(), dbapi.cursor()
    try:
        entries.execute(_ENTRY_SQL)
        postings.execute(_POSTING_SQL)
        yield iter(entries), iter(postings)
    finally:
        entries.close()
        postings.close()


@dataclass
class VerifyReport:
    ok: bool = True
    entries: int = 0
    head_hash: str = GENESIS_HASH
    first_bad_entry: str | None = None
    """The number (``2026-000012``) of the first entry whose link or contents do not hold."""
    first_bad_seq: int | None = None
    """Its position in the chain (where the chain breaks, when an entry is missing from its place)."""
    problems: list[str] = field(default_factory=list)
    audit_records: int = 0
    audit_head_hash: str = GENESIS_HASH
    first_bad_audit_record: int | None = None
    """Position of the first audit-log record whose link or contents do not hold."""

    def fail(self, problem: str, entry: _Bad | None = None) -> None:
        self.ok = False
        if entry is not None and self.first_bad_entry is None:
            self.first_bad_entry, self.first_bad_seq = entry.number, entry.seq
        if len(self.problems) < 100:
            self.problems.append(problem)

    def as_dict(self) -> dict:
        return asdict(self)


def period_seal(entry_hashes: list[str] | None, head_hash: str, *, hasher=None) -> str:
    """SHA-256 over the hashes of a period's entries (in chain order) and the chain head at closing."""
    h = hasher or hashlib.sha256()
    for eh in entry_hashes or ():
        h.update(eh.encode("ascii"))
    h.update(b"|" + head_hash.encode("ascii"))
    return h.hexdigest()


def verify_ledger(session: Session) -> VerifyReport:
    report = VerifyReport()
    account_names = {code: name for code, name in session.execute(select(m.Account.code, m.Account.name))}
    fund_names = {code: name for code, name in session.execute(select(m.Fund.code, m.Fund.name))}
    periods = {p.period: p for p in session.scalars(select(m.Period))}
    seals = {name: hashlib.sha256() for name in periods}
    counts = dict.fromkeys(periods, 0)
    heads = {p.head_seq: p for p in periods.values()}

    totals: dict[tuple[str, str], list[int]] = {}
    days: dict[tuple[str, str, str], list[int]] = {}
    writer = CanonicalWriter(account_names, fund_names)
    sha256 = hashlib.sha256
    expected_prev, last_seq, count, postings_seen = GENESIS_HASH, 0, 0, 0
    # Plain driver tuples, not ORM rows or Entry objects: verify reads every row the ledger has, and
    # building objects would cost more than the hashing (see docs/benchmarks.md).
    with _cursors(session) as (entry_rows, posting_rows):
        pending = next(posting_rows, None)
        for (eid, year, year_seq, day, recorded_at, code, memo, actor, source, reverses, prev_hash, stored_hash,
             version) in entry_rows:
            count += 1
            seq = last_seq + 1
            last_seq = eid  # after a gap, go on from where the chain resumes: one break, one report
            day = day if type(day) is str else day.isoformat()
            lines = []
            while pending is not None and pending[0] < eid:
                pending = next(posting_rows, None)  # orphans: counted below
            while pending is not None and pending[0] == eid:
                _, line, account, fund, debit, credit = pending
                lines.append(writer.posting(line, account, fund, debit, credit))
                t = totals.get((account, fund))
                if t is None:
                    t = totals[(account, fund)] = [0, 0]
                t[0] += debit
                t[1] += credit
                d = days.get((account, fund, day))
                if d is None:
                    d = days[(account, fund, day)] = [0, 0]
                d[0] += debit
                d[1] += credit
                pending = next(posting_rows, None)
            postings_seen += len(lines)
            bad = _Bad(format_number(year, year_seq), min(seq, eid))
            if eid != seq:
                problem = f"expected entry #{seq} in the chain, found #{eid}"
            elif prev_hash != expected_prev:
                problem = "prev_hash does not match the previous entry's hash"
            elif version != HASH_VERSION:
                problem = f"unknown hash version {version}"
            elif sha256(writer.entry(seq=eid, year=year, year_seq=year_seq, accounting_date=day,
                                     recorded_at=recorded_at, code=code, memo=memo, actor=actor, source=source,
                                     reverses=reverses, prev_hash=prev_hash, hash_version=version,
                                     postings=lines)).hexdigest() != stored_hash:
                problem = "stored hash does not match the entry's contents"
            else:
                problem = None
            if problem:
                report.fail(f"entry {bad.number} (#{eid}): {problem}", bad)
            expected_prev = stored_hash
            if eid in heads and heads[eid].head_hash != stored_hash:
                report.fail(f"period {heads[eid].period} was sealed at a chain head that is no longer there", bad)
            month = day[:7]
            if month in periods:
                if eid <= periods[month].head_seq:
                    seals[month].update(stored_hash.encode("ascii"))
                    counts[month] += 1
                else:
                    report.fail(f"entry {bad.number} is dated in period {month}, which was closed before it", bad)
    report.entries = count
    report.head_hash = expected_prev

    stored_postings = session.scalar(select(func.count()).select_from(m.Posting)) or 0
    if stored_postings != postings_seen:
        report.fail(f"{stored_postings - postings_seen} posting(s) belong to no entry")

    for key, b in repo.stored_balances(session).items():
        want = totals.pop(key, [0, 0])
        if [b.debits_posted, b.credits_posted] != want:
            report.fail(f"stored balance of {key[0]} in fund {key[1]} is {b.debits_posted}/{b.credits_posted} fen"
                        f" (debits/credits); the journal says {want[0]}/{want[1]}")
    for key, want in totals.items():
        report.fail(f"no stored balance for {key[0]} in fund {key[1]}; the journal says {want[0]}/{want[1]} fen")

    for row in session.execute(select(m.DailyTotal.account_code, m.DailyTotal.fund_code, m.DailyTotal.day,
                                      m.DailyTotal.debits, m.DailyTotal.credits)):
        key = (row[0], row[1], repo.as_date(row[2]).isoformat())
        want = days.pop(key, [0, 0])
        if [row[3], row[4]] != want:
            report.fail(f"daily total of {key[0]} in fund {key[1]} on {key[2]} is {row[3]}/{row[4]} fen;"
                        f" the journal says {want[0]}/{want[1]}")
    for key, want in days.items():
        report.fail(f"no daily total for {key[0]} in fund {key[1]} on {key[2]}")

    for name, p in periods.items():
        seal = period_seal(None, p.head_hash, hasher=seals[name])
        if seal != p.seal or counts[name] != p.entry_count:
            report.fail(f"period {name}: its seal no longer matches the entries dated in it")
    _verify_audit(session, report)
    return report


def _verify_audit(session: Session, report: VerifyReport) -> None:
    expected_prev, last = GENESIS_HASH, 0
    for rec in iter_audit(session):
        report.audit_records += 1
        problem = None
        if rec.seq != last + 1:
            problem = f"expected audit record #{last + 1}, found #{rec.seq}"
        elif rec.prev_hash != expected_prev:
            problem = "prev_hash does not match the previous record's hash"
        elif rec.hash_version != AUDIT_HASH_VERSION or audit_hash(rec) != rec.hash:
            problem = "stored hash does not match the record's contents"
        if problem:
            report.ok = False
            if report.first_bad_audit_record is None:
                report.first_bad_audit_record = min(rec.seq, last + 1)
            if len(report.problems) < 100:
                report.problems.append(f"audit record #{rec.seq}: {problem}")
        last, expected_prev = rec.seq, rec.hash
    report.audit_head_hash = expected_prev


__all__ = ["VerifyReport", "verify_ledger", "period_seal"]
