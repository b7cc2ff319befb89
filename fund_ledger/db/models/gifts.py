"""Gifts: donors, pledges and their instalments, imported files, and donations."""
from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Donor(Base):
    """A person or organisation who gives. Contact details may change (each change is audited)."""

    __tablename__ = "donors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    related_party: Mapped[bool] = mapped_column(Boolean, default=False)
    """An officer of the fund or of a grantee, or close to one (关联方): disclosure rules care."""
    related_note: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(100), default="")
    """Shown publicly and on anonymous gifts instead of the name, e.g. 爱心人士."""
    created_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (CheckConstraint("kind IN ('person','organisation')", name="kind"),)


class Pledge(Base):
    """A promised gift, due in one or more instalments; received gifts settle it."""

    __tablename__ = "pledges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    fund_code: Mapped[str] = mapped_column(ForeignKey("funds.code"))
    memo: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))


class PledgeInstalment(Base):
    __tablename__ = "pledge_instalments"
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (CheckConstraint("amount > 0", name="positive"),)


class ImportBatch(Base):
    """A file of gifts imported all at once; its SHA-256 makes a second import of it a no-op."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))


class Donation(Base):
    """A gift received: posted as one journal entry, acknowledged with a yearly serial number.

    Never edited and never deleted (triggers); a refund or correction reverses its entry. The one field
    set later is the number of the official 公益事业捐赠票据, once, when it is issued outside the system.
    """

    __tablename__ = "donations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    fund_code: Mapped[str] = mapped_column(ForeignKey("funds.code"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(64), default="")
    memo: Mapped[str] = mapped_column(Text, default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), unique=True)
    receipt_year: Mapped[int] = mapped_column(SmallInteger)
    receipt_seq: Mapped[int] = mapped_column(Integer)
    verification_code: Mapped[str] = mapped_column(String(16), unique=True)
    official_receipt_number: Mapped[str | None] = mapped_column(String(64))
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledges.id"), index=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        UniqueConstraint("receipt_year", "receipt_seq", name="uq_donations_receipt"),
        CheckConstraint("amount > 0", name="positive"),
        CheckConstraint("channel IN ('bank','cash','wechat','alipay','other')", name="channel"),
        Index("ix_donations_import_batch_id", "import_batch_id"),
        Index("ix_donations_received_on", "received_on"),  # the gifts list's date filters (0012)
    )
