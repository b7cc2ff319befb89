"""Posting through the service layer (one entry per transaction, and 1,000 per ``post_entries`` call) on
SQLite (file in /tmp, WAL) and PostgreSQL, next to references measured in the same run: raw SQLite
(sqlite3 module, same work per entry on a scratch schema) and pgbench TPC-B with 1 and 8 clients.

    .venv/bin/python bench/post.py [--size N] [--batch-size N] [--repeat 3] [--pgbench-seconds 20]
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sqlite3
import subprocess
import time

from common import (DAYS, FIRST_DAY, drop_pg, fresh_pg, fresh_sqlite, make_ledger, median, post_range, psql, row,
                    save)
from datetime import timedelta

PGBENCH = "pgbench"

RAW_SCHEMA = """
CREATE TABLE entries (id INTEGER PRIMARY KEY, accounting_date TEXT NOT NULL, code TEXT NOT NULL, memo TEXT NOT NULL,
  source TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE);
CREATE TABLE postings (entry_id INTEGER NOT NULL, line_no INTEGER NOT NULL, account_code TEXT NOT NULL,
  fund_code TEXT NOT NULL, debit INTEGER NOT NULL, credit INTEGER NOT NULL, PRIMARY KEY (entry_id, line_no)) WITHOUT ROWID;
CREATE TABLE balances (account_code TEXT NOT NULL, fund_code TEXT NOT NULL, debits INTEGER NOT NULL,
  credits INTEGER NOT NULL, PRIMARY KEY (account_code, fund_code)) WITHOUT ROWID;
"""
UPSERT = ("INSERT INTO balances VALUES (?, ?, ?, ?) ON CONFLICT (account_code, fund_code) DO UPDATE SET "
          "debits = debits + excluded.debits, credits = credits + excluded.credits")


def raw_sqlite(n: int, batch: int, synchronous: str = "NORMAL") -> float:
    """Entries/s: 1 entry row + 2 postings + 2 balance upserts per entry, ``batch`` entries per transaction."""
    path = "/tmp/fl_bench_raw.sqlite3"
    fresh_sqlite(path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.executescript(RAW_SCHEMA)
    prev = "0" * 64
    t0 = time.perf_counter()
    for lo in range(0, n, batch):
        db.execute("BEGIN")
        for i in range(lo + 1, min(lo + batch, n) + 1):
            fen = 100_00 + (i * 7919) % 1_000_000_00
            h = hashlib.sha256(f"{prev}{i}".encode()).hexdigest()
            db.execute("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (i, (FIRST_DAY + timedelta(days=i % DAYS)).isoformat(), "donation", f"捐赠 第{i}笔 银行到账",
                        f"bench:gift:{i}", prev, h))
            db.execute("INSERT INTO postings VALUES (?, 1, '1002', 'GENERAL', ?, 0)", (i, fen))
            db.execute("INSERT INTO postings VALUES (?, 2, '4101', 'GENERAL', 0, ?)", (i, fen))
            db.execute(UPSERT, ("1002", "GENERAL", fen, 0))
            db.execute(UPSERT, ("4101", "GENERAL", 0, fen))
            prev = h
        db.execute("COMMIT")
    seconds = time.perf_counter() - t0
    db.close()
    fresh_sqlite(path)
    return n / seconds


def service(url_factory, n: int, batch: int) -> float:
    url, cleanup = url_factory()
    engine = make_ledger(url)
    try:
        return n / post_range(engine, 0, n, batch)
    finally:
        engine.dispose()
        cleanup()


def sqlite_url():
    path = "/tmp/fl_bench_post.sqlite3"
    return fresh_sqlite(path), lambda: fresh_sqlite(path)


def pg_url():
    return fresh_pg("fl_bench_post"), lambda: drop_pg("fl_bench_post")


def pgbench(clients: int, seconds: int) -> float:
    out = subprocess.run([PGBENCH, "-h", "127.0.0.1", "-U", "postgres", "-c", str(clients), "-j", str(min(clients, 2)),
                          "-T", str(seconds), "fl_bench_pgbench"], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=5000, help="entries posted one per transaction (default 5000)")
    ap.add_argument("--batch-size", type=int, default=100_000, help="entries posted in batches (default 100000)")
    ap.add_argument("--pg-batch-size", type=int, default=20_000,
                    help="entries posted in batches on PostgreSQL (default 20000: on a database without statistics"
                         " the rate falls as the journal grows, see pg_growth.py)")
    ap.add_argument("--batch", type=int, default=1000, help="entries per post_entries call (default 1000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pgbench-seconds", type=int, default=20)
    ap.add_argument("--skip-pg", action="store_true")
    a = ap.parse_args()

    runs: dict[str, list[float]] = {}

    def measure(name, fn):
        v = fn()
        runs.setdefault(name, []).append(v)
        print(f"  {name}: {v:,.1f}", flush=True)

    if not a.skip_pg:
        subprocess.run([PGBENCH, "--version"], check=True)
        drop_pg("fl_bench_pgbench")
        psql('CREATE DATABASE "fl_bench_pgbench"')
        subprocess.run([PGBENCH, "-h", "127.0.0.1", "-U", "postgres", "-i", "-q", "fl_bench_pgbench"], check=True,
                       capture_output=True)
    # Interleave the repetitions so drift on a shared machine hits ours and the references alike.
    for r in range(a.repeat):
        print(f"round {r + 1}/{a.repeat}", flush=True)
        measure("raw_sqlite_single_normal", lambda: raw_sqlite(a.size * 4, 1))
        measure("raw_sqlite_single_full", lambda: raw_sqlite(a.size, 1, "FULL"))
        measure("raw_sqlite_batch", lambda: raw_sqlite(a.batch_size, a.batch))
        measure("sqlite_single", lambda: service(sqlite_url, a.size, 1))
        measure("sqlite_batch", lambda: service(sqlite_url, a.batch_size, a.batch))
        if not a.skip_pg:
            measure("pgbench_c1", lambda: pgbench(1, a.pgbench_seconds))
            measure("pgbench_c8", lambda: pgbench(8, a.pgbench_seconds))
            measure("pg_single", lambda: service(pg_url, a.size, 1))
            measure("pg_batch", lambda: service(pg_url, a.pg_batch_size, a.batch))
    if not a.skip_pg:
        drop_pg("fl_bench_pgbench")

    med = {k: median(v) for k, v in runs.items()}
    table = ["| measure | ours | reference | ratio | aim |", "|---|---|---|---|---|",
             row("SQLite, 1 entry/transaction vs raw SQLite (NORMAL)", med["sqlite_single"],
                 med["raw_sqlite_single_normal"], "entries/s", ">= 0.5"),
             row(f"SQLite, {a.batch:,} entries/call vs raw batched", med["sqlite_batch"], med["raw_sqlite_batch"],
                 "entries/s", ">= 0.2")]
    if not a.skip_pg:
        table += [row("PostgreSQL, 1 entry/transaction vs pgbench -c 1", med["pg_single"], med["pgbench_c1"],
                      "entries/s vs tps", ">= 0.5"),
                  row(f"PostgreSQL, {a.batch:,} entries/call ({a.pg_batch_size:,}) vs raw SQLite batched", med["pg_batch"],
                      med["raw_sqlite_batch"], "entries/s", "(info)")]
    save("post", {"args": vars(a), "runs": runs, "median": med, "table": table})
    print("\n".join(table))


if __name__ == "__main__":
    main()
