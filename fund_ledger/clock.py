"""The one clock: every "now" and every "today" the application uses comes from here.

Nothing else in the package reads the system time (a test walks the source to keep it so). The
clock is process-wide: the app sets it from its configuration (``CLOCK``, or ``TODAY`` / the
``FUND_LEDGER_TODAY`` setting), the command line from ``--today``, and the tests from a fixture, so
that a dated story gives the same answer whatever the real date is.

"Today" is the date where the fund keeps its books (China Standard Time, UTC+8, no daylight saving):
a gift received at 07:30 Beijing time on 1 January is a gift of 1 January, although it is still
31 December in UTC.
"""
from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as clock_time

LOCAL_TZ = timezone(timedelta(hours=8), "CST")
"""Asia/Shanghai: UTC+8 all year since 1991 (a fixed offset needs no tz database on the machine)."""


class Clock:
    """The system's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SetClock(Clock):
    """A clock that starts at a chosen instant and runs on from there with real time (so durations,
    expiries and orderings still behave), unless ``ticking`` is off; ``advance`` moves it on at once."""

    def __init__(self, start: datetime, *, ticking: bool = True):
        if start.tzinfo is None:
            raise ValueError("a clock starts at an aware datetime")
        self._start = start.astimezone(UTC)
        self._t0 = time.monotonic()
        self._ticking = ticking
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            elapsed = time.monotonic() - self._t0 if self._ticking else 0.0
            return self._start + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._start += delta

    @classmethod
    def on(cls, day: date, at: clock_time = clock_time(9, 0), **kwargs) -> SetClock:
        """A clock starting on ``day`` at ``at`` (Beijing time)."""
        return cls(datetime.combine(day, at, LOCAL_TZ), **kwargs)


_system = Clock()
_current: Clock = _system


def now() -> datetime:
    """This instant, in UTC (aware)."""
    return _current.now()


def local_now() -> datetime:
    """This instant, in Beijing time."""
    return now().astimezone(LOCAL_TZ)


def local_today() -> date:
    """Today where the fund keeps its books (China Standard Time)."""
    return local_now().date()


STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""How the database keeps a moment: ISO 8601 in UTC with microseconds, so that text order is time order."""


def utc_stamp(moment: datetime | None = None) -> str:
    """``moment`` (default: this instant) as the text the database stores (``2026-11-27T01:02:03.456789Z``);
    an aware moment is converted to UTC, a naive one is taken as UTC."""
    moment = now() if moment is None else moment
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(STAMP_FORMAT)


def from_stamp(text: str) -> datetime:
    """A stored stamp back as an aware UTC datetime."""
    return datetime.strptime(text, STAMP_FORMAT).replace(tzinfo=UTC)


def current() -> Clock:
    return _current


def set_clock(clock: Clock | None) -> Clock:
    """Use ``clock`` from now on (``None``: the system's); gives back the one it replaces."""
    global _current
    previous, _current = _current, clock or _system
    return previous


def clock_from_setting(value: object) -> Clock | None:
    """The clock a configuration value names: a Clock, a date, or ``YYYY-MM-DD`` (that day, 09:00 Beijing)."""
    if value is None or value == "":
        return None
    if isinstance(value, Clock):
        return value
    if isinstance(value, datetime):
        return SetClock(value)
    if isinstance(value, date):
        return SetClock.on(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10 and text.isascii():
            try:
                return SetClock.on(date.fromisoformat(text))
            except ValueError:
                pass
        raise ValueError(f"not a date written YYYY-MM-DD: {value!r}")
    raise TypeError(f"not a clock, date or YYYY-MM-DD: {value!r}")
