"""Shared helpers for the benchmarks: fresh ledgers on SQLite or PostgreSQL, the gift drafts, timing, RSS."""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from fund_ledger.db.engine import create_db_engine, read_session, write_session  # noqa: E402
from fund_ledger.db.schema import upgrade  # noqa: E402
from fund_ledger.ledger.accounts import GENERAL_FUND_CODE  # noqa: E402
from fund_ledger.ledger.entries import EntryCode, EntryDraft, Posting  # noqa: E402
from fund_ledger.services.actor import Actor  # noqa: E402
from fund_ledger.services.ledger import post_entries  # noqa: E402
from fund_ledger.services.setup import initialise  # noqa: E402

TODAY = date(2026, 11, 27)
FIRST_DAY = date(2026, 1, 1)
DAYS = (date(2026, 11, 20) - FIRST_DAY).days + 1  # 324 days: 2026-01-01 .. 2026-11-20
ACTOR = Actor("manager", "manager")
PG_BASE = os.environ.get("FL_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_ADMIN = dict(host="127.0.0.1", port=5432, user="postgres")
OUT = ROOT / "bench" / "out"
OUT.mkdir(parents=True, exist_ok=True)


def gift(i: int) -> EntryDraft:
    """Gift number ``i``: Dr 1002 / Cr 4101 in the general fund, dated round-robin over 2026-01-01..11-20."""
    fen = 100_00 + (i * 7919) % 1_000_000_00
    return EntryDraft(FIRST_DAY + timedelta(days=i % DAYS), EntryCode.DONATION, f"捐赠 第{i}笔 银行到账",
                      (Posting("1002", GENERAL_FUND_CODE, debit=fen), Posting("4101", GENERAL_FUND_CODE, credit=fen)),
                      source=f"bench:gift:{i}")


# --- databases ------------------------------------------------------------------------------------

def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(["psql", "-h", PG_ADMIN["host"], "-p", str(PG_ADMIN["port"]), "-U", PG_ADMIN["user"],
                           "-d", db, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def fresh_pg(name: str) -> str:
    """Drop and create database ``name`` (must start with fl_bench_); its SQLAlchemy URL."""
    assert name.startswith("fl_bench_"), name
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def drop_pg(name: str) -> None:
    assert name.startswith("fl_bench_"), name
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_sqlite(path: str | Path) -> str:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def make_ledger(url: str):
    """Schema + chart + general fund on an empty database; the engine."""
    engine = create_db_engine(url)
    upgrade(engine)
    with write_session(engine) as s, s.begin():
        initialise(s)
    return engine


def entry_count(engine) -> int:
    with read_session(engine) as s, s.begin():
        return s.scalar(text("SELECT count(*) FROM entries")) or 0


def post_range(engine, start: int, stop: int, batch: int, progress: bool = False) -> float:
    """Post gifts start..stop-1 in ``post_entries`` calls of ``batch`` drafts, one transaction each; seconds."""
    t0 = time.perf_counter()
    last = t0
    for lo in range(start, stop, batch):
        drafts = [gift(i) for i in range(lo, min(lo + batch, stop))]
        with write_session(engine) as s, s.begin():
            post_entries(s, ACTOR, drafts, today=TODAY)
        if progress and time.perf_counter() - last > 30:
            last = time.perf_counter()
            done = min(lo + batch, stop) - start
            print(f"  .. {done:,} entries, {done / (last - t0):,.0f}/s", file=sys.stderr, flush=True)
    return time.perf_counter() - t0


# --- measurement ----------------------------------------------------------------------------------

def median(xs):
    return statistics.median(xs)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout  # read-only
    import hashlib
    return {"nproc": os.cpu_count(), "cpu": cpu, "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "git_head": git("rev-parse", "HEAD").strip(),
            "git_diff_sha256": hashlib.sha256(git("diff", "HEAD").encode()).hexdigest()[:16]}


def save(name: str, result: dict) -> None:
    result = {"machine": machine(), **result}
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))


def row(label: str, ours: float, ref: float, unit: str, aim: str = "") -> str:
    ratio = ours / ref if ref else float("nan")
    return f"| {label} | {ours:,.1f} {unit} | {ref:,.1f} {unit} | {ratio:.3f} | {aim} |"


def loadavg() -> list[float]:
    """The 1, 5 and 15-minute load averages."""
    return [float(x) for x in open("/proc/loadavg").read().split()[:3]]


def machine_details() -> dict:
    """``machine()`` and what else a reader needs to weigh the figures: memory, versions, a dirty tree."""
    import platform
    import sqlite3

    import sqlalchemy

    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout  # noqa: E731
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    try:
        pg = psql("SHOW server_version")
        autovacuum = psql("SHOW autovacuum")
    except (OSError, subprocess.CalledProcessError) as err:
        pg, autovacuum = f"unreachable: {err}", "?"
    return {**machine(), "memory_gib": round(mem / 2**20, 1), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "postgresql": pg, "pg_autovacuum": autovacuum,
            "sqlalchemy": sqlalchemy.__version__, "git_dirty": bool(git("status", "--porcelain").strip()),
            "git_subject": git("log", "-1", "--format=%s").strip()[:100]}


def verify_cli(url: str) -> dict:
    """``fund-ledger verify --json`` on ``url``, run from this checkout; whether it passed, in how long."""
    env = {**os.environ, "FUND_LEDGER_DATABASE_URL": url}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", "from fund_ledger.cli import main; main()", "verify", "--json"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    try:
        report = json.loads(out.stdout)
    except ValueError:
        report = {}
    return {"ok": out.returncode == 0, "seconds": round(seconds, 2), "entries": report.get("entries"),
            "first_bad_entry": report.get("first_bad_entry"),
            "error": "" if out.returncode == 0 else (out.stderr or out.stdout)[-500:]}
