"""Verification: recompute the hash chain, every stored balance and every period seal from the journal.

Reads only; streams the journal, so memory stays bounded at any size. What it recomputes is compared
with what the database stores, and the first entry that does not hold is named.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db import repository as repo
from ..ledger.chain import GENESIS_HASH, chain_problem
from ..ledger.entries import Entry


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

    def fail(self, problem: str, entry: Entry | None = None, seq: int | None = None) -> None:
        self.ok = False
        if entry is not None and self.first_bad_entry is None:
            self.first_bad_entry = entry.number
            self.first_bad_seq = seq if seq is not None else entry.seq
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
    days: dict[tuple[str, str, object], list[int]] = {}
    expected_prev, last_seq, count, postings_seen = GENESIS_HASH, 0, 0, 0
    for entry, line_numbers in repo.iter_entries_with_lines(session):
        count += 1
        seq = last_seq + 1
        last_seq = entry.seq  # after a gap, go on from where the chain resumes: one break, one report
        problem = chain_problem(entry, seq, expected_prev, account_names, fund_names)
        if problem is None and line_numbers != tuple(range(1, len(line_numbers) + 1)):
            problem = f"posting line numbers {list(line_numbers)} are not 1, 2, ..."
        if problem:
            report.fail(f"entry {entry.number} (#{entry.seq}): {problem}", entry, seq=min(seq, entry.seq))
        expected_prev = entry.hash
        if entry.seq in heads and heads[entry.seq].head_hash != entry.hash:
            report.fail(f"period {heads[entry.seq].period} was sealed at a chain head that is no longer there", entry)
        month = f"{entry.accounting_date.year:04d}-{entry.accounting_date.month:02d}"
        if month in periods:
            if entry.seq <= periods[month].head_seq:
                seals[month].update(entry.hash.encode("ascii"))
                counts[month] += 1
            else:
                report.fail(f"entry {entry.number} is dated in period {month}, which was closed before it", entry)
        for p in entry.postings:
            postings_seen += 1
            t = totals.setdefault((p.account, p.fund), [0, 0])
            t[0] += p.debit
            t[1] += p.credit
            d = days.setdefault((p.account, p.fund, entry.accounting_date), [0, 0])
            d[0] += p.debit
            d[1] += p.credit
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
        key = (row[0], row[1], repo.as_date(row[2]))
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
    return report


__all__ = ["VerifyReport", "verify_ledger", "period_seal"]
