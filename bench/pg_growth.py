"""How the PostgreSQL posting rate changes as the journal grows (a diagnostic): gifts posted through
``post_entries`` in batches of 1,000 into a fresh database, the rate reported per chunk; once as is (this
server runs with autovacuum off, so the tables never get statistics) and once with ``VACUUM ANALYZE`` after
the first chunk and every few chunks (what autovacuum would do). Without statistics the planner runs the
triggers' per-fund checks through ix_postings_fund_entry, reading every posting of the fund for each entry.

    .venv/bin/python bench/pg_growth.py [--size 50000] [--chunk 10000]
"""
from __future__ import annotations

import argparse

from common import drop_pg, fresh_pg, make_ledger, post_range, psql, save


def growth(size: int, chunk: int, analyze_every: int | None) -> list[float]:
    engine = make_ledger(fresh_pg("fl_bench_growth"))
    rates = []
    for k, lo in enumerate(range(0, size, chunk)):
        n = min(chunk, size - lo)
        rates.append(n / post_range(engine, lo, lo + n, 1000))
        print(f"  {'analyze' if analyze_every else 'as is'}: entries {lo + n:,}: {rates[-1]:,.0f}/s", flush=True)
        if analyze_every and k % analyze_every == 0:
            psql("VACUUM ANALYZE", "fl_bench_growth")
    engine.dispose()
    drop_pg("fl_bench_growth")
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=50_000)
    ap.add_argument("--chunk", type=int, default=10_000)
    a = ap.parse_args()
    as_is = growth(a.size, a.chunk, None)
    analyzed = growth(a.size, a.chunk, 2)
    table = ["| journal size after chunk | as is (entries/s) | with VACUUM ANALYZE (entries/s) |", "|---|---|---|"]
    table += [f"| {min((k + 1) * a.chunk, a.size):,} | {x:,.0f} | {y:,.0f} |" for k, (x, y) in enumerate(zip(as_is, analyzed))]
    save("pg_growth", {"args": vars(a), "as_is": as_is, "analyzed": analyzed, "table": table})
    print("\n".join(table))


if __name__ == "__main__":
    main()
