"""Idempotency keys: a retried write answers as the first did and moves no more money.

The same key with the same request gives back the stored answer; the same key with another request is
a 409. Keys belong to the acting user. The check runs under the ledger's lock, so two concurrent
retries cannot both run.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from sqlalchemy.orm import Session

from ..db import models as m
from ..db.engine import lock_ledger
from ..db.repository import utc_now_text
from .actor import Actor
from .errors import Conflict, InvalidInput

MAX_KEY_LENGTH = 200


def request_fingerprint(method: str, path: str, body: object) -> str:
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_once(session: Session, actor: Actor, key: str | None, fingerprint: str,
             run: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    """``run()`` the first time a key is seen; the stored (status, body) on a faithful retry."""
    if key is None:
        return run()
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters",
                           {"Idempotency-Key": ["invalid"]})
    lock_ledger(session)
    seen = session.get(m.IdempotencyKey, (actor.username, key))
    if seen is not None:
        if seen.request_hash != fingerprint:
            raise Conflict("this Idempotency-Key was already used for a different request",
                           {"Idempotency-Key": ["reused with a different request"]}, code="idempotency_key_reused")
        return seen.status, json.loads(seen.response)
    status, body = run()
    session.add(m.IdempotencyKey(actor=actor.username, key=key, request_hash=fingerprint, status=status,
                                 response=json.dumps(body, ensure_ascii=False, default=str), created_at=utc_now_text()))
    session.flush()
    return status, body
