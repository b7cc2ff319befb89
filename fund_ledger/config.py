"""The settings: every environment variable the application reads is read here and nowhere else (a test walks
the source to keep it so), and each is listed in the README's configuration table.

``settings()`` gives one frozen :class:`Settings`, parsed and checked as a whole the first time it is asked
for (the app factory and the command line ask at start-up), so a bad value stops the start with a message
naming the variable instead of a traceback from deep inside a request. It is parsed again only when a
``FUND_LEDGER_*`` variable has changed since (tests set them with ``monkeypatch``).

A leaf: it imports nothing from the rest of the package, so any layer may import it.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "FUND_LEDGER_"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"


class SettingsError(ValueError):
    """A variable holds a value the application cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    """The environment, read and checked once. Money in fen, sizes in bytes."""

    database_url: str
    """FUND_LEDGER_DATABASE_URL; default the SQLite file ``fund_ledger.sqlite3`` in :attr:`instance_dir`."""
    instance_dir: Path
    """FUND_LEDGER_INSTANCE: the folder for the SQLite file (default ``instance/`` in the project)."""
    secret_key: str | None
    """FUND_LEDGER_SECRET_KEY: signs sessions; the app refuses to start without one outside demo and tests."""
    demo: bool
    """FUND_LEDGER_DEMO: demo mode (``make run``)."""
    public_url: str
    """FUND_LEDGER_PUBLIC_URL: where the public reaches the site (printed on PDFs and in QR codes); no trailing /."""
    today: date | None
    """FUND_LEDGER_TODAY: the date treated as today (rehearsals, checks); None for the real date."""
    dual_approval_above: int
    """FUND_LEDGER_DUAL_APPROVAL_ABOVE (yuan): requests above this many fen need two managers' approval."""
    attachment_max_bytes: int
    """FUND_LEDGER_ATTACHMENT_MAX_MB: the largest attachment accepted."""
    max_upload_bytes: int
    """FUND_LEDGER_MAX_UPLOAD_MB: no request body beyond this is read at all (413)."""
    verify_per_10_min: int
    """FUND_LEDGER_VERIFY_PER_10_MIN: audit-report verifications one address may ask for in ten minutes."""
    spending_ratio_min: Fraction
    """FUND_LEDGER_SPENDING_RATIO_MIN (%): charitable spending at least this share of last year's income."""
    management_ratio_max: Fraction
    """FUND_LEDGER_MANAGEMENT_RATIO_MAX (%): management costs at most this share of this year's spending."""
    trusted_proxies: int
    """FUND_LEDGER_TRUSTED_PROXIES: reverse proxies in front whose X-Forwarded-For is trusted."""
    cheap_password_hashes: bool
    """FUND_LEDGER_CHEAP_PASSWORD_HASHES: argon2's cheapest parameters, for test suites only."""
    job_worker_thread: bool
    """FUND_LEDGER_JOB_WORKER_THREAD: the app runs background jobs in a thread of its own (default: in demo mode)."""
    job_lease_seconds: int
    """FUND_LEDGER_JOB_LEASE_SECONDS: a running job's claim lapses this long after its worker last showed life."""
    job_max_attempts: int
    """FUND_LEDGER_JOB_MAX_ATTEMPTS: a job whose worker died or failed this many times is marked failed."""
    log_format: str
    """FUND_LEDGER_LOG_FORMAT: ``json`` (one object a line, for a log collector) or ``text``; default json outside
    demo mode."""


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every variable of ``environ`` (default: the process's environment)."""
    env = _Reader(os.environ if environ is None else environ)
    instance_dir = Path(env.text("INSTANCE") or PROJECT_ROOT / "instance").absolute()
    demo = env.flag("DEMO")
    return Settings(
        database_url=env.text("DATABASE_URL") or _sqlite_in(instance_dir),
        instance_dir=instance_dir,
        secret_key=env.text("SECRET_KEY"),
        demo=demo,
        public_url=env.url("PUBLIC_URL", DEFAULT_PUBLIC_URL),
        today=env.day("TODAY"),
        dual_approval_above=env.whole("DUAL_APPROVAL_ABOVE", 50_000, 0, 10**12, "yuan") * 100,
        attachment_max_bytes=env.whole("ATTACHMENT_MAX_MB", 10, 1, 1024, "megabytes") * 1024 * 1024,
        max_upload_bytes=env.whole("MAX_UPLOAD_MB", 32, 1, 4096, "megabytes") * 1024 * 1024,
        verify_per_10_min=env.whole("VERIFY_PER_10_MIN", 10, 1, 10**6, "verifications"),
        spending_ratio_min=env.percent("SPENDING_RATIO_MIN", "70"),
        management_ratio_max=env.percent("MANAGEMENT_RATIO_MAX", "10"),
        trusted_proxies=env.whole("TRUSTED_PROXIES", 0, 0, 10, "proxies"),
        cheap_password_hashes=env.flag("CHEAP_PASSWORD_HASHES"),
        job_worker_thread=env.flag("JOB_WORKER_THREAD", default=demo),
        job_lease_seconds=env.whole("JOB_LEASE_SECONDS", 60, 1, 3600, "seconds"),
        job_max_attempts=env.whole("JOB_MAX_ATTEMPTS", 3, 1, 100, "attempts"),
        log_format=env.choice("LOG_FORMAT", ("json", "text"), "text" if demo else "json"),
    )


_cache: tuple[tuple[tuple[str, str], ...], Settings] | None = None


def settings() -> Settings:
    """The settings of this process's environment (parsed again only after a FUND_LEDGER_ variable changes)."""
    global _cache
    seen = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(PREFIX)))
    cached = _cache
    if cached is None or cached[0] != seen:
        cached = _cache = (seen, load_settings(dict(seen)))
    return cached[1]


def database_url() -> str:
    """The database's URL; the default SQLite file's folder is made when missing."""
    s = settings()
    if s.database_url == _sqlite_in(s.instance_dir):
        s.instance_dir.mkdir(parents=True, exist_ok=True)
    return s.database_url


def _sqlite_in(folder: Path) -> str:
    return f"sqlite:///{folder / 'fund_ledger.sqlite3'}"


def child_environment(**extra: str) -> dict[str, str]:
    """The environment a program this one starts runs with (``pg_dump``'s PATH, PG* variables): this
    process's, plus ``extra``. Here so that nothing else touches ``os.environ``."""
    return {**os.environ, **extra}


def parse_percent(text: str) -> Fraction:
    """A threshold in percent such as ``70`` or ``6.5``: 0 to 100, at most two decimals."""
    s = text.strip()
    whole, _, frac = s.partition(".")
    if not whole.isdigit() or not whole.isascii() or (frac and (not frac.isdigit() or not frac.isascii() or len(frac) > 2)):
        raise ValueError(f"a percentage such as 70 or 6.5, not {text!r}")
    value = Fraction(s)
    if not 0 <= value <= 100:
        raise ValueError(f"a percentage from 0 to 100, not {text!r}")
    return value


class _Reader:
    """Typed reads of ``FUND_LEDGER_<name>``; an empty value counts as unset."""

    TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}

    def __init__(self, environ: Mapping[str, str]):
        self.environ = environ

    def text(self, name: str) -> str | None:
        value = self.environ.get(PREFIX + name, "").strip()
        return value or None

    def _refuse(self, name: str, expected: str) -> SettingsError:
        return SettingsError(f"{PREFIX}{name}={self.environ.get(PREFIX + name)!r}: expected {expected}")

    def flag(self, name: str, default: bool = False) -> bool:
        value = (self.text(name) or ("1" if default else "0")).lower()
        if value not in self.TRUE | self.FALSE:
            raise self._refuse(name, "1 or 0 (true/false, yes/no, on/off)")
        return value in self.TRUE

    def whole(self, name: str, default: int, low: int, high: int, unit: str) -> int:
        value = self.text(name)
        if value is None:
            return default
        if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
            raise self._refuse(name, f"a whole number of {unit} from {low} to {high}")
        return int(value)

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = (self.text(name) or default).strip().lower()
        if value not in choices:
            raise self._refuse(name, " or ".join(choices))
        return value

    def percent(self, name: str, default: str) -> Fraction:
        try:
            return parse_percent(self.text(name) or default)
        except ValueError as err:
            raise self._refuse(name, str(err)) from None

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            if len(value) != 10 or not value.isascii():
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            raise self._refuse(name, "a date written YYYY-MM-DD") from None

    def url(self, name: str, default: str) -> str:
        value = self.text(name) or default
        scheme, sep, rest = value.partition("://")
        if scheme not in ("http", "https") or not sep or not rest.strip("/") or any(c.isspace() for c in value):
            raise self._refuse(name, "an address such as https://fund.example.org")
        return value.rstrip("/")
