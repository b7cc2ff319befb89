"""信息公开: the items the fund publishes (annual reports, project updates, notices...), append-only; the register
of related parties; the manager's notes texts and the submitted annual work reports (append-only); settings."""
from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

KINDS = ("audit_report", "annual_report", "project_update", "leftover_notice", "related_party", "major_transaction",
         "other")


class PublishedItem(Base):
    """A published item: a text or a PDF, kept as published with the SHA-256 of the bytes anyone downloads.

    Append-only (triggers): never edited, never deleted. A correction is a new item naming the one it
    corrects (``corrects_id``); both stay listed. Issued audit reports are published too, but listed from
    their own table (``audit_reports``), not copied here.
    """

    __tablename__ = "published_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    period: Mapped[str | None] = mapped_column(String(16))
    """What it covers (``2026``, ``2026-Q3``, ``2026-10``), when it covers a period."""
    body: Mapped[str] = mapped_column(Text, default="")
    """The text, for a text item (its UTF-8 bytes are the download); empty for a PDF."""
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    duty: Mapped[str | None] = mapped_column(String(48), index=True)
    """The disclosure duty it answers (``ledger.disclosure_calendar``: ``annual_report:2026``...)."""
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("published_items.id"), index=True)
    published_at: Mapped[str] = mapped_column(String(32))
    published_by: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        CheckConstraint("kind IN (" + ",".join(f"'{k}'" for k in KINDS) + ")", name="kind"),
        CheckConstraint("(pdf IS NULL) <> (body = '')", name="text_or_pdf"),
    )


class RelatedParty(Base):
    """The register of related parties (关联方): people and organisations related to the fund, a donor (linked by
    ``donor_id``), a grantee (``organisation_id``) or neither (an officer who has not given). A relation is
    ended by setting ``until``, never by deleting the row; every change is in the audit log. Transactions with
    a party (gifts from its donor, payments to its organisation) dated within ``since``..``until`` are
    related-party transactions, disclosed within 30 days (``ledger.disclosure_calendar``)."""

    __tablename__ = "related_parties"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    relation: Mapped[str] = mapped_column(String(100))
    """How it is related: 发起单位, 理事, 理事的近亲属, 高管控制的企业..."""
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    since: Mapped[date | None] = mapped_column(Date)
    """From when (None: from the start of the books)."""
    until: Mapped[date | None] = mapped_column(Date)
    """Until when (None: still related)."""
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        CheckConstraint("kind IN ('person','organisation')", name="kind"),
        CheckConstraint("until IS NULL OR since IS NULL OR until >= since", name="dates"),
    )


class ReportText(Base):
    """The manager's own words for a year's notes to the accounts (会计报表附注): accounting policies, significant
    events, other matters. Append-only: each save is a new row, the newest per (year, section) is current, and a
    submitted annual report names the rows it printed."""

    __tablename__ = "report_texts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[str] = mapped_column(String(32))
    written_by: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        CheckConstraint("section IN ('policies','events','other')", name="section"),
        Index("ix_report_texts_year_section", "year", "section"),
    )


class AnnualReport(Base):
    """A submitted annual work report (年度工作报告): the figures as submitted (canonical JSON), the PDF and the
    XLSX as downloaded, with their SHA-256. Append-only like audit reports: a resubmission is a new row naming
    the one it replaces (with the reason); a draft is never stored, it is the books read now."""

    __tablename__ = "annual_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    figures: Mapped[str] = mapped_column(Text)
    audit_reference: Mapped[str] = mapped_column(String(200), default="")
    """The auditor's report: an issued audit report's number here, or the outside auditor's reference."""
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    xlsx: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    xlsx_sha256: Mapped[str] = mapped_column(String(64))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("annual_reports.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[str] = mapped_column(String(32))
    submitted_by: Mapped[str] = mapped_column(String(64))


class Setting(Base):
    """A fund-wide setting the manager changes (each change in the audit log): ``major_transaction_fen``, the
    amount from which a single gift or payment is a major transaction (重大交易) to disclose within 30 days."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[str] = mapped_column(String(32))
    updated_by: Mapped[str] = mapped_column(String(64))
