"""Count the SQL statements (each a round trip on PostgreSQL) that posting one entry costs, and time them.

    .venv/bin/python bench/count_statements.py sqlite|pg [N]
"""
import collections
import sys
import time

from sqlalchemy import event

from common import drop_pg, fresh_pg, fresh_sqlite, make_ledger, post_range

db, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200
engine = make_ledger(fresh_pg("fl_bench_count") if db == "pg" else fresh_sqlite("/tmp/fl_bench_count.sqlite3"))
post_range(engine, 0, 20, 1)  # warm the caches
count, spent = collections.Counter(), collections.Counter()


@event.listens_for(engine, "before_cursor_execute")
def _before(conn, cursor, statement, params, context, many):
    conn.info["t0"] = time.perf_counter()


@event.listens_for(engine, "after_cursor_execute")
def _after(conn, cursor, statement, params, context, many):
    key = " ".join(statement.split())[:90]
    count[key] += 1
    spent[key] += time.perf_counter() - conn.info["t0"]


for name in ("begin", "commit"):
    event.listen(engine, name, lambda conn, _n=name: count.update([f"<{_n}>"]))
t0 = time.perf_counter()
post_range(engine, 20, 20 + n, 1)
total = time.perf_counter() - t0
print(f"{db}: {n / total:,.0f} entries/s, {1e6 * total / n:,.0f} µs per entry; per entry:")
for key, c in count.most_common():
    print(f"  {c / n:4.1f} x {1e6 * spent[key] / n:7.0f} µs  {key}")
print(f"  statements in cursor.execute: {1e6 * sum(spent.values()) / n:,.0f} µs of {1e6 * total / n:,.0f} µs")
engine.dispose()
if db == "pg":
    drop_pg("fl_bench_count")
