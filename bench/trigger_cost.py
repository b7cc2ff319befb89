"""What the real schema's triggers and indexes cost on SQLite (a diagnostic): prepared entries inserted with the
sqlite3 module into the real schema, one entry per transaction and 1,000 per transaction, with all guards, then
with one trigger dropped at a time, then with no triggers, then with no triggers and no secondary indexes.

    .venv/bin/python bench/trigger_cost.py [--size N] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sqlite3
import time

from common import fresh_sqlite, make_ledger, median, save
from post_floor import prepared

PATH = "/tmp/fl_bench_trig.sqlite3"
VARIANTS = {
    "all guards": [],
    "without entries_post (balances, daily totals, overdraft check)": ["DROP TRIGGER entries_post"],
    "without entries_check (chain link, period, count, balance)": ["DROP TRIGGER entries_check"],
    "without postings_sealed": ["DROP TRIGGER postings_sealed"],
    "no triggers": ["DROP TRIGGER entries_post", "DROP TRIGGER entries_check", "DROP TRIGGER postings_sealed"],
    "no triggers, no secondary indexes": [
        "DROP TRIGGER entries_post", "DROP TRIGGER entries_check", "DROP TRIGGER postings_sealed",
        "DROP INDEX ix_entries_accounting_date", "DROP INDEX ix_entries_source", "DROP INDEX ix_postings_account_entry",
        "DROP INDEX ix_postings_fund_entry", "DROP INDEX ix_daily_totals_day"],
}


def run(entries, batch: int, ddl: list[str]) -> float:
    make_ledger(fresh_sqlite(PATH)).dispose()
    db = sqlite3.connect(PATH, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    for stmt in ddl:
        db.execute(stmt)
    t0 = time.perf_counter()
    for lo in range(0, len(entries), batch):
        chunk = entries[lo:lo + batch]
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO postings (entry_id, line_no, account_code, fund_code, debit, credit) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       [(e.seq, i, p.account, p.fund, p.debit, p.credit)
                        for e in chunk for i, p in enumerate(e.postings, start=1)])
        db.executemany("INSERT INTO entries (id, year, year_seq, accounting_date, recorded_at, code, memo, actor,"
                       " source, reverses_id, prev_hash, hash, hash_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       [(e.seq, e.year, e.year_seq, e.accounting_date.isoformat(), e.recorded_at, e.code.value,
                         e.memo, e.actor, e.source, None, e.prev_hash, e.hash, e.hash_version) for e in chunk])
        db.execute("COMMIT")
    seconds = time.perf_counter() - t0
    db.close()
    fresh_sqlite(PATH)
    return len(entries) / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=50_000, help="entries for the batched runs (single: a tenth)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    big, small = prepared(a.size), prepared(max(a.size // 10, 100))
    runs: dict[str, list[float]] = {}
    for r in range(a.repeat):
        for name, ddl in VARIANTS.items():
            for label, entries, batch in (("1/tx", small, 1), ("1000/tx", big, 1000)):
                runs.setdefault(f"{name} | {label}", []).append(run(entries, batch, ddl))
        print(f"round {r + 1} done", flush=True)
    med = {k: median(v) for k, v in runs.items()}
    table = ["| schema variant | 1 entry/tx (entries/s) | 1,000/tx (entries/s) |", "|---|---|---|"]
    table += [f"| {name} | {med[f'{name} | 1/tx']:,.0f} | {med[f'{name} | 1000/tx']:,.0f} |" for name in VARIANTS]
    save("trigger_cost", {"args": vars(a), "runs": runs, "median": med, "table": table})
    print("\n".join(table))


if __name__ == "__main__":
    main()
