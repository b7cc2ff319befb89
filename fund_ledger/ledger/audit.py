"""The audit log's records and their hash chain, beside the journal's own.

Every action that changes anything or touches security is one record: who, when, from where, what,
on which object, and the outcome. Records are hashed like entries: canonical JSON (sorted keys, no
whitespace, UTF-8), version 1, over every field and the previous record's hash.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from json.encoder import encode_basestring as _quote

AUDIT_HASH_VERSION = 1


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    """Position in the audit chain, 1 for the first record."""
    at: str
    """UTC time as ISO 8601 text with microseconds and ``Z``."""
    actor: str | None
    """Username, or None for nobody logged in."""
    role: str | None
    address: str | None
    """The client's network address, as the server saw it."""
    action: str
    """What was attempted, e.g. ``login``, ``user.create``, ``entry.post``, ``access``."""
    object_type: str | None
    object_id: str | None
    outcome: str
    """``ok``, ``denied`` (not allowed), ``failed`` (wrong password, broken rule) or ``error``."""
    detail: str
    """Canonical JSON text of further facts (never a password or a token)."""
    prev_hash: str
    hash: str = ""
    hash_version: int = AUDIT_HASH_VERSION


def _q(value: str | None) -> str:
    return "null" if value is None else _quote(value)


def audit_canonical_bytes(r: AuditRecord) -> bytes:
    if r.hash_version != AUDIT_HASH_VERSION:
        raise ValueError(f"unknown audit hash version {r.hash_version}")
    return (
        f'{{"action":{_q(r.action)},"actor":{_q(r.actor)},"address":{_q(r.address)},"at":{_q(r.at)},'
        f'"detail":{_q(r.detail)},"hash_version":{r.hash_version},"object_id":{_q(r.object_id)},'
        f'"object_type":{_q(r.object_type)},"outcome":{_q(r.outcome)},"prev_hash":{_q(r.prev_hash)},'
        f'"role":{_q(r.role)},"seq":{r.seq}}}'
    ).encode("utf-8")


def audit_hash(r: AuditRecord) -> str:
    return hashlib.sha256(audit_canonical_bytes(r)).hexdigest()
