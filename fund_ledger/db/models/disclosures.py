"""信息公开: the items the fund publishes (annual reports, project updates, notices...). Append-only."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

KINDS = ("audit_report", "annual_report", "project_update", "leftover_notice", "related_party", "other")


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
