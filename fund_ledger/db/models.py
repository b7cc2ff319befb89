"""Tables. Entries, postings and period seals are append-only: the database's own triggers (see the
initial migration) refuse UPDATE and DELETE, refuse an entry that does not balance or does not
continue the hash chain, and keep the balance tables current in the same transaction."""
from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, ForeignKey, ForeignKeyConstraint, Index, Integer, LargeBinary,
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


class Organisation(Base):
    """A grantee social organisation (受助机构)."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    contact: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(32))
    bank_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    """开户银行: shown only to managers and auditors."""
    bank_account: Mapped[str] = mapped_column(String(40), default="", server_default="")


class User(Base):
    """A person who logs in. Never deleted: past actions stay attributed; a user is disabled instead."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped when a user is disabled or their password changes: every older session stops working."""
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        CheckConstraint("role IN ('admin','manager','grantee','auditor')", name="role"),
        CheckConstraint("(role = 'grantee') = (organisation_id IS NOT NULL)", name="grantee_has_organisation"),
    )


class ApiToken(Base):
    """A bearer token for the API, stored only as its SHA-256."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[str | None] = mapped_column(String(32))


class AuditLog(Base):
    """The audit log: append-only and hash-chained like the journal (see ``ledger.audit``)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    hash_version: Mapped[int] = mapped_column(SmallInteger)
    __table_args__ = (
        Index("ix_audit_log_action_object_at", "action", "object_id", "at"),
        Index("ix_audit_log_action_address_at", "action", "address", "at"),
        Index("ix_audit_log_actor_at", "actor", "at"),
    )


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
    )


class IdempotencyKey(Base):
    """A write already answered: the same key and body get the same answer; another body is a 409."""

    __tablename__ = "idempotency_keys"
    actor: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(SmallInteger)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))


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
