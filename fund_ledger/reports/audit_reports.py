"""Issuing an audit report: checked and numbered by the service, laid out here, kept by the service.

The use case spans two layers: the rules and the storage are ``services.audit_reports``; laying out the PDF
(WeasyPrint, ``audit_bundle``) is a report's work, and services never import reports.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..db import models as m
from ..services import audit_reports as svc
from ..services.actor import Actor
from .audit_bundle import ReportFacts, render_bundle


def issue_report(session: Session, actor: Actor, period: str, *, replaces: int | None = None,
                 reason: str = "") -> m.AuditReport:
    """Issue the audit report of closed ``period`` (or reissue it, naming the report it replaces, with a
    reason); the caller commits."""
    issue = svc.prepare_issue(session, actor, period, replaces=replaces, reason=reason)
    pdf, sections = render_bundle(ReportFacts(
        session=session, report_id=issue.report_id, period=issue.period, issued_at=issue.issued_at,
        issued_by=issue.issued_by, replaces=issue.replaces, reason=issue.reason, open_before=issue.open_before,
        gifts_root=issue.gifts_root, gifts_tree_size=issue.gifts_tree_size))
    return svc.store_issued(session, actor, issue, pdf, sections)


__all__ = ["issue_report"]
