"""Tables. Entries, postings and period seals are append-only: the database's own triggers (see the
initial migration) refuse UPDATE and DELETE, refuse an entry that does not balance or does not
continue the hash chain, and keep the balance tables current in the same transaction."""
from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, ForeignKey, ForeignKeyConstraint, Index, Integer,
    MetaData, SmallInteger, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


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
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash_version: Mapped[int] = mapped_column(SmallInteger)
    __table_args__ = (UniqueConstraint("year", "year_seq", name="uq_entries_number"),)


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
