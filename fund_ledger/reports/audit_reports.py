"""Issuing an audit report: checked and numbered by the service, laid out here, kept by the service.

The use case spans two layers: the rules and the storage are ``services.audit_reports``; laying out the PDF
(WeasyPrint, ``audit_bundle``) is a report's work, and services never import reports.
"""
from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..db import models as m
from ..db.engine import read_session, write_session
from ..services import audit_reports as svc
from ..services.actor import Actor
from ..services.errors import Conflict
from .audit_bundle import ReportFacts, render_bundle

TRIES = 3


def issue_report(session: Session, actor: Actor, period: str, *, replaces: int | None = None,
                 reason: str = "") -> m.AuditReport:
    """Issue the audit report of closed ``period`` (or reissue it, naming the report it replaces, with a
    reason); the caller commits."""
    issue = svc.prepare_issue(session, actor, period, replaces=replaces, reason=reason)
    pdf, sections = _render(session, issue)
    return svc.store_issued(session, actor, issue, pdf, sections)


def issue_report_apart(engine: Engine, actor: Actor, period: str, *, replaces: int | None = None,
                       reason: str = "") -> m.AuditReport:
    """Issue as :func:`issue_report` does, but lay the PDF out (seconds of WeasyPrint) outside the ledger's write
    lock, so that gifts and payments go on meanwhile: the report is prepared and laid out on a read snapshot (the
    period is closed and sealed, so what it prints cannot change), then a short write transaction checks again,
    under the lock, that its number is still the next one and that nothing was issued for the period meanwhile,
    and stores it (committed here). Two managers issuing at once: the second lays out again with the next number
    (at most ``TRIES`` times)."""
    for _ in range(TRIES):
        with read_session(engine) as reading, reading.begin():
            issue = svc.prepare_issue(reading, actor, period, replaces=replaces, reason=reason, lock=False)
            pdf, sections = _render(reading, issue)
        with write_session(engine) as writing, writing.begin():
            now = svc.prepare_issue(writing, actor, period, replaces=replaces, reason=reason)  # under the lock
            if now.report_id == issue.report_id:
                return svc.store_issued(writing, actor, issue, pdf, sections)
    raise Conflict("other audit reports were being issued at the same moment: try again", code="busy")


def _render(session: Session, issue) -> tuple[bytes, tuple[str, ...]]:
    return render_bundle(ReportFacts(
        session=session, report_id=issue.report_id, period=issue.period, issued_at=issue.issued_at,
        issued_by=issue.issued_by, replaces=issue.replaces, reason=issue.reason, open_before=issue.open_before,
        gifts_root=issue.gifts_root, gifts_tree_size=issue.gifts_tree_size))


__all__ = ["issue_report", "issue_report_apart"]
