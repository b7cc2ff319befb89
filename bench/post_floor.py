"""Where the time of posting one entry per transaction goes (a diagnostic, not a reference): the same entries
posted on SQLite (file in /tmp, WAL, synchronous=NORMAL) four ways, in the same run:

  raw_scratch   sqlite3 module, the scratch schema of post.py (no triggers): the reference of PERFORMANCE.md
  raw_real      sqlite3 module, the real schema with its triggers: BEGIN IMMEDIATE, 2 postings, 1 entry, COMMIT
  sa_insert     write_session + lock_ledger + repository.insert_entries (entries prepared beforehand)
  service       post_entries (reads the ledger's state under the lock, validates, hashes, inserts)

    .venv/bin/python bench/post_floor.py [--size N] [--repeat 3] [--db sqlite|pg]
"""
from __future__ import annotations

import argparse
import sqlite3
import time
from dataclasses import replace

from common import (ACTOR, TODAY, drop_pg, fresh_pg, fresh_sqlite, gift, make_ledger, median, post_range, save,
                    write_session)
from post import raw_sqlite

from fund_ledger.db import repository as repo
from fund_ledger.db.engine import lock_ledger
from fund_ledger.ledger.chain import GENESIS_HASH, HASH_VERSION
from fund_ledger.ledger.entries import Entry

PATH = "/tmp/fl_bench_floor.sqlite3"


def prepared(n: int) -> list[Entry]:
    """Entries 1..n chained with stand-in hashes (the trigger checks the links, not the digests)."""
    out, prev = [], GENESIS_HASH
    for i in range(n):
        d = gift(i)
        h = f"{i + 1:064x}"
        out.append(Entry(seq=i + 1, year=2026, year_seq=i + 1, accounting_date=d.accounting_date,
                         recorded_at="2026-11-27T00:00:00.000000Z", code=d.code, memo=d.memo, actor="manager",
                         postings=d.postings, source=d.source, reverses=None, prev_hash=prev, hash=h,
                         hash_version=HASH_VERSION))
        prev = h
    return out


def new_ledger(db: str):
    if db == "sqlite":
        return make_ledger(fresh_sqlite(PATH))
    return make_ledger(fresh_pg("fl_bench_floor"))


def raw_real(n: int) -> float:
    make_ledger(fresh_sqlite(PATH)).dispose()
    entries = prepared(n)
    db = sqlite3.connect(PATH, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    t0 = time.perf_counter()
    for e in entries:
        db.execute("BEGIN IMMEDIATE")
        for i, p in enumerate(e.postings, start=1):
            db.execute("INSERT INTO postings (entry_id, line_no, account_code, fund_code, debit, credit) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (e.seq, i, p.account, p.fund, p.debit, p.credit))
        db.execute("INSERT INTO entries (id, year, year_seq, accounting_date, recorded_at, code, memo, actor, source,"
                   " reverses_id, prev_hash, hash, hash_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (e.seq, e.year, e.year_seq, e.accounting_date.isoformat(), e.recorded_at, e.code.value, e.memo,
                    e.actor, e.source, None, e.prev_hash, e.hash, e.hash_version))
        db.execute("COMMIT")
    seconds = time.perf_counter() - t0
    db.close()
    return n / seconds


def sa_insert(n: int, db: str) -> float:
    engine = new_ledger(db)
    entries = prepared(n)
    t0 = time.perf_counter()
    for e in entries:
        with write_session(engine) as s, s.begin():
            lock_ledger(s)
            repo.insert_entries(s, [e])
    seconds = time.perf_counter() - t0
    engine.dispose()
    return n / seconds


def service(n: int, db: str) -> float:
    engine = new_ledger(db)
    seconds = post_range(engine, 0, n, 1)
    engine.dispose()
    return n / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    a = ap.parse_args()
    runs: dict[str, list[float]] = {}
    for r in range(a.repeat):
        steps = [("raw_scratch", lambda: raw_sqlite(a.size, 1))]
        if a.db == "sqlite":
            steps.append(("raw_real", lambda: raw_real(a.size)))
        steps += [("sa_insert", lambda: sa_insert(a.size, a.db)), ("service", lambda: service(a.size, a.db))]
        for name, fn in steps:
            runs.setdefault(name, []).append(fn())
            print(f"  round {r + 1} {name}: {runs[name][-1]:,.0f} entries/s", flush=True)
    if a.db == "pg":
        drop_pg("fl_bench_floor")
    fresh_sqlite(PATH)
    med = {k: median(v) for k, v in runs.items()}
    table = ["| way | entries/s | µs/entry | share of raw_scratch rate |", "|---|---|---|---|"]
    table += [f"| {k} ({'sqlite, scratch schema' if k == 'raw_scratch' else a.db}) | {v:,.0f} | {1e6 / v:,.0f} | {v / med['raw_scratch']:.3f} |" for k, v in med.items()]
    save(f"post_floor_{a.db}", {"args": vars(a), "runs": runs, "median": med, "table": table})
    print("\n".join(table))


if __name__ == "__main__":
    main()
