"""Drive verify_ledger for a profiler on an existing ledger URL.

    .venv/bin/py-spy record -f raw -r 200 -o /tmp/fl_bench_prof_verify.txt -- \\
        .venv/bin/python bench/profile_verify.py sqlite:////tmp/fl_bench_ledger_100000.sqlite3
"""
import sys
import time

from common import create_db_engine, read_session

from fund_ledger.services.verify import verify_ledger

engine = create_db_engine(sys.argv[1])
t0 = time.perf_counter()
with read_session(engine) as s, s.begin():
    report = verify_ledger(s)
print(report.ok, report.entries, f"{report.entries / (time.perf_counter() - t0):,.0f} entries/s")
