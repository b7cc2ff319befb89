"""Drive posting for a profiler: N gifts through post_entries, BATCH per transaction, on a fresh ledger.

    .venv/bin/py-spy record -f raw -r 250 -o /tmp/fl_bench_prof.txt -- \\
        .venv/bin/python bench/profile_post.py sqlite|pg BATCH N
    .venv/bin/python bench/profsum.py /tmp/fl_bench_prof.txt
"""
import sys

from common import drop_pg, fresh_pg, fresh_sqlite, make_ledger, post_range

db, batch, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
url = fresh_pg("fl_bench_prof") if db == "pg" else fresh_sqlite("/tmp/fl_bench_prof.sqlite3")
engine = make_ledger(url)
seconds = post_range(engine, 0, n, batch)
print(f"{n / seconds:,.0f} entries/s")
engine.dispose()
if db == "pg":
    drop_pg("fl_bench_prof")
