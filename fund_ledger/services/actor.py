"""Who is acting: every service takes one, so nothing reads the user from a request."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    username: str
    role: str
    organisation_id: int | None = None


SYSTEM = Actor("system", "system")
"""The ledger itself, for set-up done by ``fund-ledger init`` and ``demo``."""
