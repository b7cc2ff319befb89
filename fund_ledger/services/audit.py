"""The audit log: one hash-chained record for every action that changes anything or touches security.

A record of a successful change is written in the same transaction as the change, so either both
stand or neither. A record of a refusal or a failure is written on its own (``record_apart``), after
the failed work has been rolled back, so the refusal is remembered while nothing else changes.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .. import clock
from ..db import models as m
from ..db.engine import advisory_lock, write_session
from ..db.repository import utc_now_text
from ..ledger.audit import AuditRecord, audit_hash
from ..ledger.chain import GENESIS_HASH
from .actor import Actor

AUDIT_LOCK_KEY = 0x41554454  # "AUDT": serialises the audit chain, apart from the journal's lock
_HEAD = text("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
_INSERT = insert(m.AuditLog)


def _lock(session: Session) -> None:
    advisory_lock(session, AUDIT_LOCK_KEY)


def canonical_detail(detail: dict | None) -> str:
    return json.dumps(detail or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record(session: Session, actor: Actor | None, action: str, *, outcome: str = "ok", object_type: str | None = None,
           object_id: object = None, detail: dict | None = None) -> AuditRecord:
    """Append one record to the audit chain, inside the caller's transaction."""
    _lock(session)
    conn = session.connection()
    row = conn.execute(_HEAD).first()
    seq, prev = (row[0], row[1]) if row else (0, GENESIS_HASH)
    rec = AuditRecord(
        seq=seq + 1, at=utc_now_text(), actor=(actor.username or None) if actor else None,
        role=actor.role if actor and actor.username else None, address=actor.address if actor else None,
        action=action, object_type=object_type, object_id=None if object_id is None else str(object_id)[:64],
        outcome=outcome, detail=canonical_detail(detail), prev_hash=prev,
    )
    rec = replace(rec, hash=audit_hash(rec))
    conn.execute(_INSERT, {
        "id": rec.seq, "at": rec.at, "actor": rec.actor, "role": rec.role, "address": rec.address,
        "action": rec.action, "object_type": rec.object_type, "object_id": rec.object_id, "outcome": rec.outcome,
        "detail": rec.detail, "prev_hash": rec.prev_hash, "hash": rec.hash, "hash_version": rec.hash_version})
    return rec


def record_apart(engine: Engine, actor: Actor | None, action: str, **kwargs) -> AuditRecord:
    """Record in a transaction of its own: for refusals and failures whose own work was rolled back."""
    with write_session(engine) as session, session.begin():
        return record(session, actor, action, **kwargs)


def iter_audit(session: Session, chunk: int | None = 5000) -> Iterator[AuditRecord]:
    """The audit chain in order, streamed."""
    query = select(m.AuditLog.__table__).order_by(m.AuditLog.id)
    if chunk:  # on the statement, not the connection: Connection.execution_options() changes it in place
        query = query.execution_options(yield_per=chunk)
    result = session.connection().execute(query)
    try:
        for row in result:
            yield AuditRecord(seq=row.id, at=row.at, actor=row.actor, role=row.role, address=row.address,
                              action=row.action, object_type=row.object_type, object_id=row.object_id,
                              outcome=row.outcome, detail=row.detail, prev_hash=row.prev_hash, hash=row.hash,
                              hash_version=row.hash_version)
    finally:
        result.close()


# --- reading the log ----------------------------------------------------------------------------------

def audit_filters(q, args: dict):
    """The WHERE clauses for an audit-log search (the API's and the page's alike)."""
    a = m.AuditLog
    for name in ("actor", "action", "outcome", "object_type", "object_id"):
        if args.get(name):
            q = q.where(getattr(a, name) == args[name])
    if args.get("since"):
        q = q.where(a.at >= _utc_text(args["since"]))
    if args.get("until"):
        q = q.where(a.at < _utc_text(args["until"]))
    return q


_utc_text = clock.utc_stamp  # the log keeps UTC as text, as every table does


def audit_page(session: Session, args: dict) -> dict:
    """One page of a search (``args`` as :class:`fund_ledger.schemas.audit.AuditQuery` loads it), newest first."""
    total = session.scalar(audit_filters(select(func.count()).select_from(m.AuditLog), args))
    rows = session.scalars(audit_filters(select(m.AuditLog), args).order_by(m.AuditLog.id.desc())
                           .limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])).all()
    return {"items": rows, "total": total, "page": args["page"], "per_page": args["per_page"]}
