"""Build (or top up) a benchmark ledger of N gift entries through ``post_entries``, in batches, one
transaction per batch. Reused by verify.py and trial_balance.py; an existing ledger of the right size is kept.

    .venv/bin/python bench/build_ledger.py --size 1000000 --db sqlite|pg [--batch 5000] [--fresh]

SQLite: /tmp/fl_bench_ledger_N.sqlite3; PostgreSQL: database fl_bench_ledger_N.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from common import PG_BASE, upgrade, create_db_engine, entry_count, fresh_pg, fresh_sqlite, make_ledger, post_range, psql, save


def ledger_url(db: str, size: int) -> str:
    return f"sqlite:////tmp/fl_bench_ledger_{size}.sqlite3" if db == "sqlite" else f"{PG_BASE}/fl_bench_ledger_{size}"


def pg_exists(name: str) -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def ensure_ledger(db: str, size: int, batch: int = 5000, fresh: bool = False) -> dict:
    """The ledger of ``size`` entries, built if missing; its URL and, when built now, the build rate."""
    url = ledger_url(db, size)
    exists = os.path.exists(url.removeprefix("sqlite:///")) if db == "sqlite" else pg_exists(f"fl_bench_ledger_{size}")
    if exists and not fresh:
        engine = create_db_engine(url)
        upgrade(engine)  # the schema may have moved on since the ledger was built: add what is new
        have = entry_count(engine)
        engine.dispose()
        if have == size:
            return {"url": url, "built": False, "entries": have}
        print(f"{url} has {have:,} entries, want {size:,}: rebuilding", file=sys.stderr)
    url = fresh_sqlite(url.removeprefix("sqlite:///")) if db == "sqlite" else fresh_pg(f"fl_bench_ledger_{size}")
    engine = make_ledger(url)
    print(f"building {url}: {size:,} entries in batches of {batch:,}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    if db == "pg":
        # This server runs with autovacuum off: without statistics the triggers' per-fund checks read every
        # posting of the fund for each entry (see pg_growth.py). Do what autovacuum would: VACUUM ANALYZE
        # after the first 10,000 entries and every 100,000 (time included in the rate).
        seconds, done = 0.0, 0
        for stop in sorted({min(size, 10_000), *range(100_000, size, 100_000), size}):
            seconds += post_range(engine, done, stop, batch, progress=True)
            t1 = time.perf_counter()
            psql("VACUUM ANALYZE", f"fl_bench_ledger_{size}")
            seconds += time.perf_counter() - t1
            done = stop
            print(f"  .. {done:,} entries, {done / seconds:,.0f}/s (with VACUUM ANALYZE)", file=sys.stderr, flush=True)
    else:
        seconds = post_range(engine, 0, size, batch, progress=True)
    engine.dispose()
    if db == "pg":
        psql("VACUUM ANALYZE", f"fl_bench_ledger_{size}")
    total = time.perf_counter() - t0
    return {"url": url, "built": True, "entries": size, "post_seconds": seconds, "total_seconds": total,
            "entries_per_s": size / seconds, "batch": batch}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--fresh", action="store_true", help="rebuild even if a ledger of this size exists")
    a = ap.parse_args()
    result = ensure_ledger(a.db, a.size, a.batch, a.fresh)
    save(f"build_{a.db}_{a.size}", {"args": vars(a), **result})


if __name__ == "__main__":
    main()
