"""Plans of the triggers' per-fund checks on a PostgreSQL ledger without statistics (a diagnostic): the query
as the migration writes it, and the same with the entry's lines read through a MATERIALIZED CTE (the fix
proposed in docs/benchmarks.md). Generic plans are forced, as a plpgsql trigger uses them after a few calls.

    .venv/bin/python bench/pg_trigger_plan.py [--size 20000]
"""
from __future__ import annotations

import argparse

from common import drop_pg, fresh_pg, make_ledger, post_range, psql, save

QUERIES = {
    "balance check, as written": "SELECT EXISTS (SELECT 1 FROM postings WHERE entry_id = $1 GROUP BY fund_code"
                                 " HAVING sum(debit) <> sum(credit))",
    "balance check, fenced CTE": "SELECT EXISTS (WITH lines AS MATERIALIZED (SELECT fund_code, debit, credit FROM postings"
                                 " WHERE entry_id = $1) SELECT 1 FROM lines GROUP BY fund_code"
                                 " HAVING sum(debit) <> sum(credit))",
    "overdraft check, as written": "SELECT EXISTS (SELECT 1 FROM postings p JOIN accounts a ON a.code = p.account_code"
                                   " AND a.monetary WHERE p.entry_id = $1 GROUP BY p.fund_code"
                                   " HAVING sum(p.debit) < sum(p.credit))",
    "overdraft check, fenced CTE": "SELECT EXISTS (WITH lines AS MATERIALIZED (SELECT p.fund_code, p.debit, p.credit"
                                   " FROM postings p JOIN accounts a ON a.code = p.account_code AND a.monetary"
                                   " WHERE p.entry_id = $1) SELECT 1 FROM lines GROUP BY fund_code"
                                   " HAVING sum(debit) < sum(credit))",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=20_000)
    a = ap.parse_args()
    db = "fl_bench_plan"
    engine = make_ledger(fresh_pg(db))
    post_range(engine, 0, a.size, 1000)
    engine.dispose()
    results = {}
    for name, sql in QUERIES.items():
        out = psql("SET plan_cache_mode = force_generic_plan; "
                   f"PREPARE q(bigint) AS {sql}; EXPLAIN (ANALYZE, COSTS OFF) EXECUTE q({a.size // 2});", db)
        scans = [line.strip() for line in out.splitlines() if "Scan" in line]
        ms = float(out.split("Execution Time:")[1].split("ms")[0])
        results[name] = {"scans": scans, "execution_ms": ms}
        print(f"{name}: {ms:.3f} ms; {scans}", flush=True)
    drop_pg(db)
    table = ["| query (generic plan, no statistics, %s entries) | postings scan | execution |" % f"{a.size:,}",
             "|---|---|---|"]
    table += [f"| {k} | {next((s for s in v['scans'] if 'postings' in s), '?')} | {v['execution_ms']:.3f} ms |"
              for k, v in results.items()]
    save("pg_trigger_plan", {"args": vars(a), "results": results, "table": table})
    print("\n".join(table))


if __name__ == "__main__":
    main()
