"""Who is acting: every service takes one, so nothing reads the user from a request."""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "manager", "grantee", "auditor")


@dataclass(frozen=True, slots=True)
class Actor:
    username: str
    role: str
    organisation_id: int | None = None
    """The grantee's organisation; None for every other role."""
    address: str | None = None
    """The network address the request came from, for the audit log."""


SYSTEM = Actor("system", "system")
"""The ledger itself, for set-up done by ``fund-ledger init`` and ``demo``."""

NOBODY = Actor("", "anonymous")
"""Somebody not logged in."""
