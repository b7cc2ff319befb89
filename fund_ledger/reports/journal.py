"""The general journal (序时账): entries in chain order, a page at a time."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..db import models as m
from ..db import repository as repo
from ..ledger.entries import Entry


def journal_page(session: Session, *, page: int = 1, per_page: int = 50) -> tuple[list[Entry], int]:
    """Newest first; the page is chosen on the primary key, so deep pages cost no more than the first."""
    total = repo.chain_head(session)[0]
    high = total - (page - 1) * per_page
    low = max(high - per_page, 0)
    if high <= 0:
        return [], total
    entries = list(repo.iter_entries(session, where=(m.Entry.id > low) & (m.Entry.id <= high), chunk=None))
    entries.reverse()
    return entries, total


__all__ = ["journal_page"]
