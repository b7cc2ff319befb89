"""The books: accounts, funds, entries and postings (append-only, hash-chained), the running balances and
per-day totals the triggers keep, period seals, and the audit reports issued on them."""
from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, ForeignKey, ForeignKeyConstraint, Index, Integer, LargeBinary,
    SmallInteger, String, Text, UniqueConstraint, false,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Account(Base):
    __tablename__ = "accounts"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    type: Mapped[str] = mapped_column(String(16))
    normal_side: Mapped[str] = mapped_column(String(6))
    monetary: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("accounts.code"))
    created_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        CheckConstraint("type IN ('asset','liability','net_assets','income','expense')", name="type"),
        CheckConstraint("normal_side IN ('debit','credit')", name="normal_side"),
    )


class Fund(Base):
    __tablename__ = "funds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100), default="")
    restricted: Mapped[bool] = mapped_column(Boolean)
    purpose: Mapped[str] = mapped_column(Text, default="")
    end_date: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[str] = mapped_column(String(32))


class Entry(Base):
    __tablename__ = "entries"
    # The chain position, assigned by the ledger under its lock; a trigger demands prev_hash equal the
    # hash of entry id-1, so positions are dense and the chain cannot fork.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(SmallInteger)
    year_seq: Mapped[int] = mapped_column(Integer)
    accounting_date: Mapped[date] = mapped_column(Date, index=True)
    recorded_at: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(16))
    memo: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(64), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"), unique=True)
    # No unique index on the hashes: the chain trigger (prev_hash = hash of id - 1) with the dense
    # primary key already rules out a fork, and random 64-character keys are costly to index.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    hash_version: Mapped[int] = mapped_column(SmallInteger)
    __table_args__ = (
        UniqueConstraint("year", "year_seq", name="uq_entries_number"),
        # the statements read the few opening, closing and release entries of a period by their code
        Index("ix_entries_code_accounting_date", "code", "accounting_date"),
    )


class Posting(Base):
    __tablename__ = "postings"
    # Postings are written before their entry; the entry's insert checks that they balance and seals
    # them (a later posting for the same entry is refused). The deferred key lets the entry come last.
    entry_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    line_no: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    account_code: Mapped[str] = mapped_column(ForeignKey("accounts.code"))
    fund_code: Mapped[str] = mapped_column(ForeignKey("funds.code"))
    debit: Mapped[int] = mapped_column(BigInteger)
    credit: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (
        ForeignKeyConstraint(["entry_id"], ["entries.id"], deferrable=True, initially="DEFERRED",
                             name="fk_postings_entry_id_entries"),
        CheckConstraint("debit >= 0 AND credit >= 0 AND (debit = 0) <> (credit = 0)", name="one_side"),
        CheckConstraint("debit <= 99999999999999 AND credit <= 99999999999999", name="not_absurd"),
        Index("ix_postings_account_entry", "account_code", "entry_id"),
        Index("ix_postings_fund_entry", "fund_code", "entry_id"),
        {"sqlite_with_rowid": False},
    )


class AccountBalance(Base):
    """Running totals per account and fund, kept by the database's triggers as entries are posted."""

    __tablename__ = "account_balances"
    account_code: Mapped[str] = mapped_column(ForeignKey("accounts.code"), primary_key=True)
    fund_code: Mapped[str] = mapped_column(ForeignKey("funds.code"), primary_key=True)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)


class DailyTotal(Base):
    """Per account, fund and accounting day: balances as of a past date sum these, not the journal."""

    __tablename__ = "daily_totals"
    account_code: Mapped[str] = mapped_column(ForeignKey("accounts.code"), primary_key=True)
    fund_code: Mapped[str] = mapped_column(ForeignKey("funds.code"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    debits: Mapped[int] = mapped_column(BigInteger, default=0)
    credits: Mapped[int] = mapped_column(BigInteger, default=0)
    __table_args__ = (Index("ix_daily_totals_day", "day"),)


class Period(Base):
    """A closed month, sealed: nothing may be dated in it afterwards. Inserting the row closes it."""

    __tablename__ = "periods"
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[str] = mapped_column(String(32))
    closed_by: Mapped[str] = mapped_column(String(64))
    entry_count: Mapped[int] = mapped_column(Integer)
    """Entries dated in the period."""
    head_seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    seal: Mapped[str] = mapped_column(String(64))
    """SHA-256 over the hashes of the period's entries and the chain head at closing."""


class AuditReport(Base):
    """An issued audit report: the PDF bundle of a closed period's statements, kept as the bytes issued.

    Append-only (triggers): never regenerated, never edited; a reissue is a new row naming the one it
    replaces. The digest it prints (the period's head and seal) is kept beside the bytes for verification.
    """

    __tablename__ = "audit_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """Chosen under the ledger's lock before rendering: the PDF prints its own id."""
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    head_seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    seal: Mapped[str] = mapped_column(String(64))
    entry_count: Mapped[int] = mapped_column(Integer)
    sections: Mapped[str] = mapped_column(Text)
    """JSON list of the statements in the bundle, in order (``["trial-balance", "general-journal"]``)."""
    issued_at: Mapped[str] = mapped_column(String(32))
    issued_by: Mapped[str] = mapped_column(String(64))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("audit_reports.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    """Why it was reissued (empty for a first issue)."""
    gifts_root: Mapped[str | None] = mapped_column(String(64))
    """RFC 6962 Merkle root (hex) over the leaves of the period's gifts (``ledger.merkle.gift_leaf``), in chain
    order: a donor proves their gift is in the report without seeing anyone else's."""
    gifts_tree_size: Mapped[int | None] = mapped_column(Integer)
    """How many gifts (leaves) that tree holds."""
    for_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Anyone may download it (the public 信息公开 list and ``/public/audit-reports``): its journal names gifts by
    acknowledgement number, never the donor. Reports issued before that (migration 0015) stay with managers and
    auditors until reissued."""
