"""Audit reports: issued once for a closed period, kept as bytes, and checked by anyone who holds one.

Issuing is checked and numbered here (:func:`prepare_issue`), laid out a layer above, in
``reports.audit_reports.issue_report`` (services never import reports), and the bytes kept here with their
SHA-256 (:func:`store_issued`); downloads serve the stored bytes, so a report is never regenerated
differently. A reissue is a new report naming the one it replaces (the old one stays, marked as replaced).

Verifying an uploaded PDF answers two separate questions:

* ``genuine``: is it, byte for byte, a report this ledger issued (its SHA-256 is one we stored)?
* ``ledger_matches``: does the ledger today still say what the report printed: the journal verifies
  (chain, balances, seals), entry ``head_seq`` still carries the printed head hash, and the period's
  entries still give the printed seal? When not, the first bad entry is named.

A report also commits to its period's gifts: an RFC 6962 Merkle root over one leaf per gift recorded
in the period and sealed with it (``ledger.merkle``, the leaf formula there), printed on the cover and
kept with the row. A donor who holds a gift's verification code asks for that gift's inclusion proof
(:func:`gift_proof`): the leaf, its index and the sibling hashes up to the root, which they can check
against the root printed in the PDF without seeing any other gift. The server checks it too, against
the stored root, and says whether the gift's entry still gives its stored hash.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db import repository as repo
from ..db.engine import lock_ledger
from ..ledger.audit_digest import read_marker
from ..ledger.chain import entry_hash
from ..ledger.entries import format_number
from ..ledger.merkle import GIFT_LEAF_FORMULA, MerkleTree, gift_leaf, root_from_path, verify_inclusion
from . import audit
from .actor import Actor
from .errors import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken, ServiceError
from .donations import donation_by_code, receipt_number
from .periods import _months_between, month_of, period_bounds
from .verify import period_seal, verify_ledger

MAX_UPLOAD = 8 * 1024 * 1024
"""Bytes an uploaded PDF may have (an issued report is far smaller; a larger one is refused unread)."""
MAX_REASON = 300


class TooLarge(ServiceError):
    status = 413
    title = "Payload too large"


def _require_manager(actor: Actor) -> None:
    if actor.role not in {"manager", "system"}:
        raise Forbidden("only a fund manager issues audit reports")


def replaced_by(session: Session, report_id: int) -> int | None:
    return session.scalar(select(m.AuditReport.id).where(m.AuditReport.replaces_id == report_id))


def current_report(session: Session, period: str) -> m.AuditReport | None:
    """The period's report that no other replaces, if any."""
    newer = select(m.AuditReport.replaces_id).where(m.AuditReport.replaces_id.is_not(None))
    return session.scalar(select(m.AuditReport).where(m.AuditReport.period == period, m.AuditReport.id.not_in(newer))
                          .order_by(m.AuditReport.id.desc()).limit(1))


def open_months_before(session: Session, period: str) -> tuple[str, ...]:
    """Months from the first entry's up to (not including) ``period`` that are not closed."""
    first_day = session.scalar(select(func.min(m.Entry.accounting_date)))
    if first_day is None:
        return ()
    first = month_of(repo.as_date(first_day))
    if first >= period:
        return ()
    closed = set(session.scalars(select(m.Period.period).where(m.Period.period < period)))
    return tuple(x for x in _months_between(first, period)[:-1] if x not in closed)


@dataclass(frozen=True)
class Issue:
    """An audit report about to be issued: its number, taken under the ledger's lock, and what it prints."""

    report_id: int
    period: m.Period
    issued_at: str
    issued_by: str
    replaces: int | None
    reason: str
    open_before: tuple[str, ...]
    """Months before the period still open (printed as a caution)."""
    gifts_root: str
    gifts_tree_size: int


def prepare_issue(session: Session, actor: Actor, period: str, *, replaces: int | None = None,
                  reason: str = "", lock: bool = True) -> Issue:
    """Check that ``actor`` may issue the report of closed ``period`` (or reissue it, naming the report it
    replaces) and take its number under the ledger's lock: the PDF prints its own number. The report is
    laid out by ``reports.audit_reports.issue_report``, which then calls :func:`store_issued`."""
    _require_manager(actor)
    period_bounds(period)  # a malformed period is a 400 naming the field
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"the reason is at most {MAX_REASON} characters", {"reason": [f"at most {MAX_REASON} characters"]})
    if lock:  # (without: a reading on a snapshot, to lay the report out before taking the lock; see reports)
        lock_ledger(session)
    closed = session.get(m.Period, period)
    if closed is None:
        raise RuleBroken(f"{period} is not closed: close the period first, then issue its audit report",
                         {"period": ["not closed"]}, code="period_open")
    current = current_report(session, period)
    if replaces is None and current is not None:
        raise Conflict(f"audit report No. {current.id} was already issued for {period}: to reissue it, name it in "
                       "replaces and give a reason", {"replaces": [f"report {current.id} exists"]}, code="already_issued")
    if replaces is not None:
        old = session.get(m.AuditReport, replaces)
        if old is None or old.period != period:
            raise RuleBroken(f"no audit report No. {replaces} for {period}", {"replaces": ["no such report for the period"]},
                             code="no_such_report")
        newer = replaced_by(session, replaces)
        if newer is not None:
            raise Conflict(f"audit report No. {replaces} was already replaced by No. {newer}",
                           {"replaces": [f"already replaced by {newer}"]}, code="already_replaced")
        if not reason:
            raise InvalidInput("a reissue needs a reason", {"reason": ["required"]})
    gifts = gifts_tree(session, period, closed.head_seq)
    return Issue(report_id=(session.scalar(select(func.max(m.AuditReport.id))) or 0) + 1, period=closed,
                 issued_at=repo.utc_now_text(), issued_by=actor.username, replaces=replaces, reason=reason,
                 open_before=open_months_before(session, period), gifts_root=gifts.tree.root.hex(),
                 gifts_tree_size=gifts.tree.size)


def store_issued(session: Session, actor: Actor, issue: Issue, pdf: bytes, sections: tuple[str, ...]) -> m.AuditReport:
    """Keep the laid-out report's bytes with their SHA-256 and log the issue; the caller commits."""
    closed = issue.period
    row = m.AuditReport(id=issue.report_id, period=closed.period, sha256=hashlib.sha256(pdf).hexdigest(),
                        size=len(pdf), pdf=pdf, head_seq=closed.head_seq, head_hash=closed.head_hash,
                        seal=closed.seal, entry_count=closed.entry_count, sections=json.dumps(list(sections)),
                        issued_at=issue.issued_at, issued_by=issue.issued_by, replaces_id=issue.replaces,
                        reason=issue.reason, gifts_root=issue.gifts_root, gifts_tree_size=issue.gifts_tree_size,
                        for_public=True)
    session.add(row)
    session.flush()
    audit.record(session, actor, "audit_report.issue", object_type="audit_report", object_id=issue.report_id,
                 detail={"period": closed.period, "sha256": row.sha256, "size": row.size, "head_seq": row.head_seq,
                         "gifts_root": row.gifts_root, "gifts_tree_size": row.gifts_tree_size,
                         "replaces": issue.replaces, "reason": issue.reason or None})
    return row


def get_report(session: Session, report_id: int) -> m.AuditReport:
    row = session.get(m.AuditReport, report_id) if repo.is_row_id(report_id) else None
    if row is None:
        raise NotFound(f"no audit report {report_id}")
    return row


def report_pdf(session: Session, report_id: int) -> bytes:
    """The stored bytes, exactly as issued."""
    get_report(session, report_id)
    return session.scalar(select(m.AuditReport.pdf).where(m.AuditReport.id == report_id))


def list_reports(session: Session, *, page: int = 1, per_page: int = 50, period: str | None = None) -> tuple[list[dict], int]:
    q = select(m.AuditReport)
    if period:
        q = q.where(m.AuditReport.period == period)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = list(session.scalars(q.order_by(m.AuditReport.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    newer = dict(session.execute(select(m.AuditReport.replaces_id, m.AuditReport.id)
                                 .where(m.AuditReport.replaces_id.in_([r.id for r in rows]))).all()) if rows else {}
    return [report_json(r, newer.get(r.id)) for r in rows], total


def report_json(row: m.AuditReport, replaced_by_id: int | None = None) -> dict:
    return {"id": row.id, "period": row.period, "sha256": row.sha256, "size": row.size, "head_seq": row.head_seq,
            "head_hash": row.head_hash, "seal": row.seal, "entry_count": row.entry_count,
            "sections": json.loads(row.sections), "issued_at": row.issued_at, "issued_by": row.issued_by,
            "replaces": row.replaces_id, "replaced_by": replaced_by_id, "reason": row.reason,
            "gifts_root": row.gifts_root, "gifts_tree_size": row.gifts_tree_size, "for_public": row.for_public}


# --- verification ----------------------------------------------------------------------------------

def check_upload(data: bytes | None, declared_length: int | None = None) -> bytes:
    """The uploaded file, or a clear refusal naming the field ``file``."""
    if declared_length is not None and declared_length > MAX_UPLOAD + 64 * 1024:
        raise TooLarge(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB", {"file": ["too large"]})
    if data is None:
        raise InvalidInput("send the audit report's PDF as the multipart field 'file'", {"file": ["required"]})
    if len(data) > MAX_UPLOAD:
        raise TooLarge(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB", {"file": ["too large"]})
    if not data:
        raise InvalidInput("the file is empty", {"file": ["empty"]})
    if b"%PDF-" not in data[:1024]:
        raise InvalidInput("the file is not a PDF", {"file": ["not a PDF"]})
    return data


def verify_upload(session: Session, data: bytes) -> dict:
    """Is ``data`` a report we issued, and does the ledger still match the digest it prints?"""
    data = check_upload(data)
    digest = hashlib.sha256(data).hexdigest()
    row = session.scalar(select(m.AuditReport).where(m.AuditReport.sha256 == digest))
    claimed = read_marker(data)
    result = {"genuine": row is not None, "report_id": row.id if row else None, "ledger_matches": False,
              "sha256": digest, "claimed": claimed, "problems": []}
    if row is None:
        issued = None
        if claimed is not None and repo.is_row_id(claimed["report_id"]):
            issued = session.get(m.AuditReport, claimed["report_id"])
        if claimed is None:
            result["problems"].append("this file is not an audit report of this ledger: it carries no digest")
        else:
            result["problems"].append(
                f"this file says it is audit report No. {claimed['report_id']}, but its bytes are not those of any "
                "report this ledger issued: it was changed or is not ours")
            if issued is not None:
                result["issued_sha256"] = issued.sha256
        result.update(first_bad_entry=None, ledger_verifies=None, head_matches=None, seal_matches=None)
        return result
    result.update(report_json(row, replaced_by(session, row.id)))
    result.update(genuine=True, report_id=row.id)
    result.update(ledger_check(session, row.period, row.head_seq, row.head_hash, row.seal, row.entry_count))
    result["gifts_match"] = None
    if row.gifts_root is not None:
        gifts = gifts_tree(session, row.period, row.head_seq)
        result["gifts_match"] = gifts.tree.root.hex() == row.gifts_root and gifts.tree.size == row.gifts_tree_size
        if not result["gifts_match"]:
            result["ledger_matches"] = False
            result["problems"].append(
                f"the gifts recorded in {row.period} no longer give the gifts' Merkle root the report printed "
                f"({gifts.tree.size} gifts now, {row.gifts_tree_size} then)")
    return result


def ledger_check(session: Session, period: str, head_seq: int, head_hash: str, seal: str, entry_count: int) -> dict:
    """Whether the ledger today still gives this digest; the first bad entry when it does not."""
    report = verify_ledger(session)
    problems = list(report.problems[:20])
    first_bad, first_bad_seq = report.first_bad_entry, report.first_bad_seq
    head = session.execute(select(m.Entry.year, m.Entry.year_seq, m.Entry.hash).where(m.Entry.id == head_seq)).first()
    chain_broken_before_head = first_bad_seq is not None and first_bad_seq <= head_seq
    head_matches = head is not None and head.hash == head_hash and not chain_broken_before_head
    if head is None:
        problems.append(f"entry #{head_seq}, the head the report printed, is no longer in the ledger")
    elif head.hash != head_hash:
        problems.append(f"entry {format_number(head.year, head.year_seq)} (#{head_seq}) no longer has the head hash "
                        "the report printed")
    first, last = period_bounds(period)
    hashes = list(session.scalars(select(m.Entry.hash).where(m.Entry.accounting_date.between(first, last),
                                                             m.Entry.id <= head_seq).order_by(m.Entry.id)))
    seal_matches = period_seal(hashes, head_hash) == seal and len(hashes) == entry_count
    if not seal_matches:
        problems.append(f"the entries dated in {period} no longer give the seal the report printed "
                        f"({len(hashes)} entries now, {entry_count} then)")
    if first_bad is None and not head_matches and head is not None:
        first_bad = format_number(head.year, head.year_seq)  # rehashed from some point on: the head is what we know
    matches = report.ok and head_matches and seal_matches
    return {"ledger_matches": matches, "ledger_verifies": report.ok, "head_matches": head_matches,
            "seal_matches": seal_matches, "first_bad_entry": None if matches else first_bad,
            "problems": problems}


# --- the gifts' Merkle tree and a donor's inclusion proof ------------------------------------------------

NO_PROOF = "no gift with this verification code is in that audit report"
"""The one answer to a wrong code, an unknown report and a gift of another period alike: it reveals nothing."""


class GiftsTree:
    """The period's gifts as sealed (entries dated in it, at positions up to the head at closing), in chain
    order: donation ids, the entries behind them, and the RFC 6962 tree over their leaves."""

    def __init__(self, donation_ids: list[int], entry_ids: list[int], leaves: list[bytes]):
        self.donation_ids, self.entry_ids, self.leaves = donation_ids, entry_ids, leaves
        self.tree = MerkleTree(leaves)


def gifts_tree(session: Session, period: str, head_seq: int) -> GiftsTree:
    d, e = m.Donation, m.Entry
    first, last = period_bounds(period)
    rows = session.execute(select(d.id, d.amount, d.verification_code, d.fund_code, d.received_on, e.id, e.hash)
                           .join(e, e.id == d.entry_id)
                           .where(e.accounting_date.between(first, last), e.id <= head_seq).order_by(e.id))
    donation_ids, entry_ids, leaves = [], [], []
    for donation_id, amount, code, fund, received_on, entry_id, hash_ in rows:
        donation_ids.append(donation_id)
        entry_ids.append(entry_id)
        leaves.append(gift_leaf(donation=donation_id, amount=amount, code=code, entry_hash=hash_, fund=fund,
                                received_on=repo.as_date(received_on)))
    return GiftsTree(donation_ids, entry_ids, leaves)


def _in_report(session: Session, row: m.AuditReport, donation: m.Donation) -> bool:
    entry = session.execute(select(m.Entry.id, m.Entry.accounting_date).where(m.Entry.id == donation.entry_id)).first()
    if entry is None or row.gifts_root is None or entry.id > row.head_seq:
        return False
    first, last = period_bounds(row.period)
    return first <= repo.as_date(entry.accounting_date) <= last


def gift_proof(session: Session, report_id: int, code: str) -> dict:
    """The inclusion proof of the gift with verification ``code`` in audit report ``report_id``, checked here
    against the stored root. A wrong code, an unknown report and a gift outside the report are one 404."""
    donation = donation_by_code(session, code)
    row = session.get(m.AuditReport, report_id) if repo.is_row_id(report_id) else None
    if donation is None or row is None or not _in_report(session, row, donation):
        raise NotFound(NO_PROOF)
    return _proof(session, row, donation)


def gift_proofs(session: Session, code: str) -> tuple[m.Donation | None, list[dict]]:
    """The gift with verification ``code`` and its proof in every issued report whose period holds it."""
    donation = donation_by_code(session, code)
    if donation is None:
        return None, []
    day = session.scalar(select(m.Entry.accounting_date).where(m.Entry.id == donation.entry_id))
    if day is None:
        return donation, []
    rows = session.scalars(select(m.AuditReport).where(m.AuditReport.period == month_of(repo.as_date(day)))
                           .order_by(m.AuditReport.id))
    return donation, [_proof(session, row, donation) for row in rows if _in_report(session, row, donation)]


def _proof(session: Session, row: m.AuditReport, donation: m.Donation) -> dict:
    gifts = gifts_tree(session, row.period, row.head_seq)
    index = gifts.donation_ids.index(donation.id)
    leaf, path = gifts.leaves[index], gifts.tree.inclusion_proof(index)
    stored_root = bytes.fromhex(row.gifts_root)
    found = root_from_path(leaf, index, row.gifts_tree_size, path)
    proof_verifies = verify_inclusion(leaf, index, row.gifts_tree_size, path, stored_root)
    entry = repo.get_entry(session, donation.entry_id)
    chart = repo.current_chart(session)
    entry_intact = entry_hash(entry, chart.account_names, chart.fund_names) == entry.hash
    problems = []
    if not entry_intact:
        problems.append(f"entry {entry.number}, which recorded this gift, no longer gives its stored hash: it was "
                        "altered after it was recorded")
    if not proof_verifies:
        problems.append(f"the gifts recorded in {row.period} no longer give the root the report printed"
                        + (f" ({gifts.tree.size} gifts now, {row.gifts_tree_size} then)"
                           if gifts.tree.size != row.gifts_tree_size else ""))
    return {"report_id": row.id, "period": row.period, "replaced_by": replaced_by(session, row.id),
            "report_sha256": row.sha256, "issued_at": row.issued_at, "root": row.gifts_root,
            "tree_size": row.gifts_tree_size, "leaf_index": index, "leaf": leaf.decode("utf-8"),
            "leaf_hash": gifts.tree.leaf_hash(index).hex(), "path": [p.hex() for p in path],
            "computed_root": found.hex() if found is not None else None, "leaf_formula": GIFT_LEAF_FORMULA,
            "proof_verifies": proof_verifies, "entry_intact": entry_intact,
            "matches": proof_verifies and entry_intact, "problems": problems,
            "gift": {"receipt_number": receipt_number(donation.receipt_year, donation.receipt_seq),
                     "amount": donation.amount, "received_on": repo.as_date(donation.received_on).isoformat(),
                     "fund": donation.fund_code, "entry": entry.number}}


__all__ = ["Issue", "prepare_issue", "store_issued", "get_report", "report_pdf", "list_reports", "verify_upload",
           "check_upload", "ledger_check", "MAX_UPLOAD", "TooLarge", "gift_proof", "gift_proofs", "gifts_tree", "NO_PROOF"]
