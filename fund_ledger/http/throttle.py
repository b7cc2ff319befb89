"""A guard for the public checks that re-read the whole ledger (verifying an uploaded audit report): at most a
few per client address in a window, and a few at a time, so an anonymous visitor cannot keep the machine's
cores busy. Both limits live in the database (``services.throttles``), so they hold across every app process
and machine that serves the ledger, not per worker."""
from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import timedelta

from flask import g

from ..db.engine import write_session
from ..services import throttles
from ..services.errors import TooBusy
from .db import engine

SCOPE = "verify"
AT_ONCE = 1
"""Checks that may run at once, over all processes."""
WAIT_SECONDS = 20
"""How long a check waits for a free slot before it is told to come back later."""
LEASE_SECONDS = 600
"""A slot not given back (its process was killed mid-check) is free again after this long."""


class CostlyCheck:
    def __init__(self, per_address: int = 10, window_seconds: float = 600, at_once: int = AT_ONCE,
                 wait_seconds: float = WAIT_SECONDS, lease_seconds: float = LEASE_SECONDS):
        self.per_address, self.window = per_address, timedelta(seconds=window_seconds)
        self.at_once, self.wait, self.lease = at_once, wait_seconds, timedelta(seconds=lease_seconds)

    def _count(self, session, address: str) -> None:
        allowed = throttles.count(session, SCOPE, address, self.per_address, self.window)
        session.commit()
        if not allowed:
            raise TooBusy(f"at most {self.per_address} checks in {int(self.window.total_seconds() // 60)} minutes "
                          f"from one address: try again in a few minutes")

    def _take(self, session) -> None:
        deadline = time.monotonic() + self.wait
        while True:
            taken = throttles.take_slot(session, SCOPE, self.at_once, self.lease)
            session.commit()
            if taken:
                return
            if time.monotonic() >= deadline:
                raise TooBusy("another check is running: try again in a minute")
            time.sleep(0.25)

    @contextmanager
    def run(self, address: str | None):
        """Count the check for ``address``, wait for a free slot (up to ``wait_seconds``), run the body, give
        the slot back; in short write transactions of its own (a GET's read session on PostgreSQL is read-only),
        never touching the request's session."""
        request_session = g.get("db_session")
        if request_session is not None and request_session.in_transaction():
            request_session.rollback()  # on SQLite a POST's transaction holds the write lock the count needs
        with write_session(engine()) as session:  # its own short transactions, whatever the request's session is
            self._count(session, address or "?")
            self._take(session)
        try:
            yield
        finally:
            with write_session(engine()) as session:
                throttles.give_back_slot(session, SCOPE)
                session.commit()


def verify_guard() -> CostlyCheck:
    """The app's guard for verifying uploaded audit reports (the page and the API share it); its limit per
    address is the setting VERIFY_PER_ADDRESS (FUND_LEDGER_VERIFY_PER_10_MIN, default 10)."""
    from flask import current_app

    return CostlyCheck(per_address=int(current_app.config.get("VERIFY_PER_ADDRESS", 10)), at_once=AT_ONCE,
                       wait_seconds=WAIT_SECONDS, lease_seconds=LEASE_SECONDS)
