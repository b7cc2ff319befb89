"""The annual work report (年度工作报告) a charity files with 民政 by 31 May of the next year.

As with audit reports, the rules and the storage are here and the layout a layer above
(``reports.annual_report``: services never import reports). A year that has ended is a *draft* until it is
submitted: the figures read from the books now, downloadable marked 草稿 DRAFT, never stored. Submitting
(:func:`prepare_submit`, then :func:`store_submitted`) keeps the figures as canonical JSON and the PDF and XLSX
as laid out, each with its SHA-256; downloads serve the stored bytes. A year submitted again is a new row naming
the one it replaces, with a reason; the old one stays, marked replaced. The table is append-only (triggers).

Publishing (:func:`publish_submitted`) puts the submitted PDF, byte for byte, among the published items
(信息公开) answering the calendar's ``annual_report:Y`` duty; a later submission published again is a
correction of the earlier one.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..db import models as m
from ..db import repository as repo
from ..db.engine import lock_ledger
from ..schemas.annual_reports import MAX_REASON, MAX_REFERENCE
from ..schemas.messages import Message
from . import audit, disclosures
from .actor import Actor
from .audit_reports import current_report as current_audit_report
from .errors import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken

FIRST_YEAR, LAST_YEAR = 1901, 9998
FORMATS = {"pdf": "application/pdf",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _require_manager(actor: Actor) -> None:
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager submits the annual work report")


def check_year(year: int, today: date | None = None) -> int:
    """``year`` if its annual report may be drawn up: a year in range (400 naming ``year``) that has ended
    by the fund's today (422 ``year_not_ended``)."""
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("year: a year written YYYY, from 1901 to 9998", {"year": [Message("annual.year")]})
    today = today or clock.local_today()
    if year >= today.year:
        message = Message("annual.not_ended", year=year, next=year + 1)
        raise RuleBroken(message, {"year": [message]}, code="year_not_ended")
    return year


def current_report(session: Session, year: int) -> m.AnnualReport | None:
    """The year's submitted report that no other replaces, if any."""
    newer = select(m.AnnualReport.replaces_id).where(m.AnnualReport.replaces_id.is_not(None))
    return session.scalar(select(m.AnnualReport).where(m.AnnualReport.year == year, m.AnnualReport.id.not_in(newer))
                          .order_by(m.AnnualReport.id.desc()).limit(1))


def audit_reference(session: Session, year: int, entered: str = "") -> str:
    """What the report cites as the auditor's report: the audit report issued here for the year's December when
    there is one (with the manager's words after it, if any), else the manager's words."""
    issued = current_audit_report(session, f"{year}-12")
    entered = (entered or "").strip()
    if issued is None:
        return entered
    own = f"审计报告 Audit report No. {issued.id} ({issued.period}), SHA-256 {issued.sha256[:16]}…"
    return f"{own}; {entered}" if entered else own


@dataclass(frozen=True)
class Submission:
    """An annual report about to be stored: who, when, what it replaces and cites."""

    year: int
    submitted_at: str
    submitted_by: str
    replaces: int | None
    reason: str
    audit_reference: str


def prepare_submit(session: Session, actor: Actor, year: int, *, audit_reference_text: str = "", reason: str = "",
                   today: date | None = None) -> Submission:
    """Check that ``actor`` may submit ``year`` now (a year submitted before needs a reason), under the ledger's
    lock; the report is laid out by ``reports.annual_report.submit_annual_report``, which then calls
    :func:`store_submitted`."""
    _require_manager(actor)
    check_year(year, today)
    reason = (reason or "").strip()
    entered = (audit_reference_text or "").strip()
    errors = {}
    if len(reason) > MAX_REASON:
        errors["reason"] = [Message("text.too_long", max=MAX_REASON)]
    if len(entered) > MAX_REFERENCE:
        errors["audit_reference"] = [Message("text.too_long", max=MAX_REFERENCE)]
    if errors:
        raise InvalidInput("the annual report is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()),
                           errors)
    lock_ledger(session)
    current = current_report(session, year)
    if current is not None and not reason:
        message = Message("annual.reason", year=year)
        raise Conflict(message, {"reason": [message]}, code="already_submitted")
    cited = audit_reference(session, year, entered)
    if len(cited) > MAX_REFERENCE:  # the issued report's number and the manager's words together
        raise InvalidInput("audit_reference: too long beside the issued audit report's number",
                           {"audit_reference": [Message("text.too_long", max=MAX_REFERENCE - len(cited) + len(entered))]})
    return Submission(year, repo.utc_now_text(), actor.username, current.id if current else None,
                      reason if current else "", cited)


def store_submitted(session: Session, actor: Actor, sub: Submission, figures: str, pdf: bytes,
                    xlsx: bytes) -> m.AnnualReport:
    """Keep the figures (canonical JSON) and the laid-out files with their SHA-256; log it. The caller commits."""
    row = m.AnnualReport(year=sub.year, figures=figures, audit_reference=sub.audit_reference, pdf=pdf,
                         pdf_sha256=hashlib.sha256(pdf).hexdigest(), xlsx=xlsx,
                         xlsx_sha256=hashlib.sha256(xlsx).hexdigest(), replaces_id=sub.replaces, reason=sub.reason,
                         submitted_at=sub.submitted_at, submitted_by=sub.submitted_by)
    session.add(row)
    session.flush()
    audit.record(session, actor, "annual_report.submit", object_type="annual_report", object_id=row.id,
                 detail={"year": sub.year, "pdf_sha256": row.pdf_sha256, "xlsx_sha256": row.xlsx_sha256,
                         "figures_sha256": hashlib.sha256(figures.encode("utf-8")).hexdigest(),
                         "audit_reference": sub.audit_reference or None, "replaces": sub.replaces,
                         "reason": sub.reason or None})
    return row


def get_report(session: Session, report_id: int) -> m.AnnualReport:
    row = session.get(m.AnnualReport, report_id) if repo.is_row_id(report_id) else None
    if row is None:
        raise NotFound(f"no submitted annual report {report_id}")
    return row


def stored_file(session: Session, row: m.AnnualReport, fmt: str) -> tuple[bytes, str]:
    """The stored bytes of a submitted report's PDF or XLSX, and their SHA-256."""
    column = m.AnnualReport.pdf if fmt == "pdf" else m.AnnualReport.xlsx
    data = session.scalar(select(column).where(m.AnnualReport.id == row.id))
    return bytes(data), row.pdf_sha256 if fmt == "pdf" else row.xlsx_sha256


def replaced_by(session: Session, report_id: int) -> int | None:
    return session.scalar(select(m.AnnualReport.id).where(m.AnnualReport.replaces_id == report_id))


def report_json(row: m.AnnualReport, replaced_by_id: int | None = None, published_item: int | None = None) -> dict:
    return {"id": row.id, "year": row.year, "audit_reference": row.audit_reference, "pdf_sha256": row.pdf_sha256,
            "xlsx_sha256": row.xlsx_sha256, "replaces": row.replaces_id, "replaced_by": replaced_by_id,
            "reason": row.reason, "submitted_at": row.submitted_at, "submitted_by": row.submitted_by,
            "published_item": published_item}


def _published(session: Session, shas: list[str]) -> dict[str, int]:
    """The first published item holding each of these PDFs, by SHA-256."""
    if not shas:
        return {}
    rows = session.execute(select(m.PublishedItem.sha256, func.min(m.PublishedItem.id))
                           .where(m.PublishedItem.kind == "annual_report", m.PublishedItem.sha256.in_(shas))
                           .group_by(m.PublishedItem.sha256))
    return dict(rows.all())


def list_years(session: Session, today: date | None = None) -> list[dict]:
    """Every ended year from the books' first (at least last year), newest first: ``draft`` or ``submitted``
    with the current submission and the ones it replaced (newest first)."""
    today = today or clock.local_today()
    first = session.scalar(select(func.min(m.Entry.accounting_date)))
    first_submitted = session.scalar(select(func.min(m.AnnualReport.year)))
    candidates = [today.year - 1] + ([repo.as_date(first).year] if first is not None else []) + \
        ([first_submitted] if first_submitted is not None else [])
    earliest = max(min(candidates), FIRST_YEAR)
    rows = list(session.scalars(select(m.AnnualReport).order_by(m.AnnualReport.id.desc())))
    published = _published(session, [r.pdf_sha256 for r in rows])
    newer = {r.replaces_id: r.id for r in rows if r.replaces_id is not None}
    out = []
    for year in range(today.year - 1, earliest - 1, -1):
        mine = [report_json(r, newer.get(r.id), published.get(r.pdf_sha256)) for r in rows if r.year == year]
        current = next((r for r in mine if r["replaced_by"] is None), None)
        out.append({"year": year, "state": "submitted" if current else "draft", "current": current,
                    "history": [r for r in mine if r is not current]})
    return out


def publish_submitted(session: Session, actor: Actor, year: int) -> m.PublishedItem:
    """Publish the year's current submitted PDF (the stored bytes) as 信息公开, answering ``annual_report:Y``;
    when an earlier submission of the year was published, this one is published as its correction."""
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager publishes")
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("year: a year written YYYY, from 1901 to 9998", {"year": [Message("annual.year")]})
    row = current_report(session, year)
    if row is None:
        message = Message("annual.not_submitted", year=year)
        raise RuleBroken(message, {"year": [message]}, code="not_submitted")
    earlier = list(session.scalars(select(m.AnnualReport.pdf_sha256).where(m.AnnualReport.year == year,
                                                                             m.AnnualReport.id != row.id)))
    published = _published(session, [row.pdf_sha256, *earlier])
    if row.pdf_sha256 in published:
        message = Message("annual.published", year=year)
        raise Conflict(message, {"year": [message]}, code="already_published")
    corrects = max((published[s] for s in earlier if s in published), default=None)
    pdf, _sha = stored_file(session, row, "pdf")
    return disclosures.publish(session, actor, kind="annual_report", title=f"{year}年度工作报告 Annual work report {year}",
                               period=str(year), duty=f"annual_report:{year}", corrects_id=corrects, pdf=pdf)


__all__ = ["check_year", "current_report", "audit_reference", "Submission", "prepare_submit", "store_submitted",
           "get_report", "stored_file", "replaced_by", "report_json", "list_years", "publish_submitted", "FORMATS"]
