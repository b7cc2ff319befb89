"""Grants: disbursement requests and their events, grant programmes and their members, use reports and
attachments."""
from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger, CheckConstraint, Date, ForeignKey, Integer, LargeBinary,
    SmallInteger, String, Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Disbursement(Base):
    """A grantee's request for money from a fund, and where it stands.

    The row holds the current state; every step is also an append-only event (``DisbursementEvent``).
    Approval reserves the amount in the fund (pending balances); payment posts it.
    """

    __tablename__ = "disbursements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    fund_code: Mapped[str] = mapped_column(ForeignKey("funds.code"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(Text)
    budget: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of {item, amount} lines: the budget breakdown."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    approvals_needed: Mapped[int] = mapped_column(SmallInteger, default=1)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[str] = mapped_column(String(32))
    payment_entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"))
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(String(64))
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("grant_programmes.id"), index=True)
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive"),
        CheckConstraint("status IN ('submitted','approved','rejected','cancelled','paid','acknowledged')",
                        name="status"),
    )


class DisbursementEvent(Base):
    """One step of a disbursement: who did what, when, from which state to which. Append-only."""

    __tablename__ = "disbursement_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    disbursement_id: Mapped[int] = mapped_column(ForeignKey("disbursements.id"), index=True)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class GrantProgramme(Base):
    """A grant programme (资助项目): a fund, a budget, a period, and the organisations taking part."""

    __tablename__ = "grant_programmes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    fund_code: Mapped[str] = mapped_column(ForeignKey("funds.code"))
    budget: Mapped[int] = mapped_column(BigInteger)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        CheckConstraint("budget > 0", name="positive"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
    )


class ProgrammeOrganisation(Base):
    """An organisation taking part in a programme. Append-only."""

    __tablename__ = "programme_organisations"
    programme_id: Mapped[int] = mapped_column(ForeignKey("grant_programmes.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[str] = mapped_column(String(32))


class DisbursementReport(Base):
    """A grantee's report of how a disbursement was spent, and what it returns to the fund.

    The figures and text are fixed once submitted; a manager decides once (received or sent back), and a
    received report with money returned names the entry that put the money back into the fund.
    """

    __tablename__ = "disbursement_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    disbursement_id: Mapped[int] = mapped_column(ForeignKey("disbursements.id"), index=True)
    spent: Mapped[int] = mapped_column(BigInteger)
    returned: Mapped[int] = mapped_column(BigInteger)
    narrative: Mapped[str] = mapped_column(Text)
    lines: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of {item, amount}: what the money was spent on."""
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[str | None] = mapped_column(String(32))
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    return_entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"))
    returned_on: Mapped[date | None] = mapped_column(Date)
    return_reference: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        CheckConstraint("spent >= 0 AND returned >= 0", name="not_negative"),
        CheckConstraint("status IN ('submitted','received','sent_back')", name="status"),
    )


class DisbursementAttachment(Base):
    """A PDF or image supporting a request or its use report: stored as bytes, served only as a download."""

    __tablename__ = "disbursement_attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    disbursement_id: Mapped[int] = mapped_column(ForeignKey("disbursements.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("disbursement_reports.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        CheckConstraint("content_type IN ('application/pdf','image/png','image/jpeg')", name="type"),
    )
