"""Who acts: grantee organisations, users and their API tokens, the audit log, and remembered Idempotency-Keys."""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


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


class LoginFailure(Base):
    """Failed log-ins counted per key, the log-in throttle's only state: a small mutable table, not the audit chain.

    ``scope`` is ``account`` (key ``username|address``) or ``address`` (key: the address). One row per key:
    ``failures`` counts password checks reserved since ``window_start`` (a reservation is taken atomically
    before the check, see ``services.users``), and starts again at 1 once ``newest_at`` is older than the
    window. Rows not touched for a day are purged, so the table holds at most the keys that failed in the
    last day (two per failing request at worst), whatever the traffic."""

    __tablename__ = "login_failures"
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(140), primary_key=True)
    window_start: Mapped[str] = mapped_column(String(32))
    failures: Mapped[int] = mapped_column(Integer)
    newest_at: Mapped[str] = mapped_column(String(32), index=True)
    __table_args__ = (CheckConstraint("scope IN ('account','address')", name="scope"),)


class RateCount(Base):
    """Counts every app process shares (``services.throttles``): requests per key in a fixed window (``scope``
    ``verify``: public audit-report checks per client address), and slots taken at once (``scope`` ``slot``:
    ``count`` checks running now, ``newest_at`` the newest taken, a lapsed holder's slot freed after a lease).
    A small mutable table, not the audit chain; keys quiet for a day are purged."""

    __tablename__ = "rate_counts"
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(140), primary_key=True)
    window_start: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)
    newest_at: Mapped[str] = mapped_column(String(32), index=True)


class IdempotencyKey(Base):
    """A write already answered: the same key and body get the same answer; another body is a 409."""

    __tablename__ = "idempotency_keys"
    actor: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(SmallInteger)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))
