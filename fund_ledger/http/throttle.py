"""A guard for the public checks that re-read the whole ledger (verifying an uploaded audit report): at most
a few per client address in a window, and one at a time per process, so an anonymous visitor cannot keep
the machine's cores busy. Kept in memory: it bounds one process, which is what it protects."""
from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager

from ..services.errors import TooBusy


class CostlyCheck:
    def __init__(self, per_address: int = 10, window_seconds: float = 600, wait_seconds: float = 60):
        self.per_address, self.window, self.wait = per_address, window_seconds, wait_seconds
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._one_at_a_time = threading.Semaphore(1)

    def _count(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:  # forget the quiet addresses rather than grow without end
                self._seen = {a: q for a, q in self._seen.items() if q and q[-1] > now - self.window}
            recent = self._seen.setdefault(address, deque())
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.per_address:
                raise TooBusy(f"at most {self.per_address} checks in {int(self.window // 60)} minutes from one "
                              f"address: try again in a few minutes")
            recent.append(now)

    @contextmanager
    def run(self, address: str | None):
        self._count(address or "?")
        if not self._one_at_a_time.acquire(timeout=self.wait):
            raise TooBusy("another check is running: try again in a minute")
        try:
            yield
        finally:
            self._one_at_a_time.release()


def verify_guard() -> CostlyCheck:
    """The app's guard for verifying uploaded audit reports (the page and the API share it); its limit per
    address is the setting VERIFY_PER_ADDRESS (FUND_LEDGER_VERIFY_PER_10_MIN, default 10)."""
    from flask import current_app

    guard = current_app.extensions.get("fund_ledger.verify_guard")
    if guard is None:
        guard = current_app.extensions["fund_ledger.verify_guard"] = CostlyCheck(
            per_address=int(current_app.config.get("VERIFY_PER_ADDRESS", 10)))
    return guard
