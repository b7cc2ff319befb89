"""Fund-wide settings the manager changes (the ``settings`` table): each change is in the audit log with the value
before it. One today: ``major_transaction_fen``, the amount from which a single gift received or grant paid is a
major transaction (重大交易) the fund discloses within 30 days (``ledger.disclosure_calendar``). Unset, nothing is
major."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..db import models as m
from ..db import repository as repo
from ..ledger.money import MAX_AMOUNT_FEN
from ..schemas.messages import Message
from . import audit
from .actor import Actor
from .errors import Forbidden, InvalidInput

MAJOR_TRANSACTION = "major_transaction_fen"


def get(session: Session, key: str) -> str | None:
    row = session.get(m.Setting, key)
    return row.value if row is not None else None


def _set(session: Session, actor: Actor, key: str, value: str | None) -> None:
    """Store ``value`` under ``key`` (``None``: remove it), auditing the change; the caller commits."""
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager changes the fund's settings")
    row = session.get(m.Setting, key)
    before = row.value if row is not None else None
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(m.Setting(key=key, value=value, updated_at=repo.utc_now_text(), updated_by=actor.username))
    else:
        row.value, row.updated_at, row.updated_by = value, repo.utc_now_text(), actor.username
    session.flush()
    audit.record(session, actor, "setting.change", object_type="setting", object_id=key,
                 detail={"key": key, "value": value, "was": before})


def major_transaction_fen(session: Session) -> int | None:
    """The major-transaction threshold in fen, or ``None`` when it is not set."""
    value = get(session, MAJOR_TRANSACTION)
    return int(value) if value is not None and value.isdigit() else None


def set_major_transaction_fen(session: Session, actor: Actor, fen: int | None) -> int | None:
    """Set the threshold (fen, from the schema's money field) or unset it (``None``)."""
    if fen is not None and (isinstance(fen, bool) or not isinstance(fen, int) or not 0 < fen <= MAX_AMOUNT_FEN):
        raise InvalidInput("the threshold is an amount greater than zero", {"amount": [Message("amount.zero")]})
    _set(session, actor, MAJOR_TRANSACTION, None if fen is None else str(fen))
    return fen


__all__ = ["MAJOR_TRANSACTION", "get", "major_transaction_fen", "set_major_transaction_fen"]
