#!/usr/bin/env bash
# Every benchmark at full size, one after another (never in parallel: they would measure each other).
# Results: bench/out/*.json and bench/out/run_all.log. Ledgers are built once and reused:
# /tmp/fl_bench_ledger_N.sqlite3 and PostgreSQL databases fl_bench_ledger_N. SQLite first; the PostgreSQL
# million (the longest build) last.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p bench/out
exec > >(tee -a bench/out/run_all.log) 2>&1
echo "== $(date -u) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
$PY bench/post.py
$PY bench/post_floor.py --db sqlite
$PY bench/post_floor.py --db pg
$PY bench/trigger_cost.py
$PY bench/pg_growth.py
$PY bench/pg_trigger_plan.py
$PY bench/count_statements.py sqlite 300
$PY bench/count_statements.py pg 200
for n in 100000 1000000; do $PY bench/build_ledger.py --db sqlite --size $n; done
$PY bench/verify.py --db sqlite
$PY bench/trial_balance.py --db sqlite
$PY bench/report_pages.py --db sqlite --size 1000000
$PY bench/import_donations.py
$PY bench/journal_pdf.py
$PY bench/verify_prototype.py sqlite:////tmp/fl_bench_ledger_100000.sqlite3
$PY bench/build_ledger.py --db pg --size 100000
$PY bench/build_ledger.py --db pg --size 1000000
$PY bench/verify.py --db pg
$PY bench/trial_balance.py --db pg --no-hledger
$PY bench/verify_prototype.py postgresql+psycopg://postgres@127.0.0.1:5432/fl_bench_ledger_100000
$PY bench/http_gifts.py   # gunicorn comes with the project's test extras
echo "== done $(date -u)"
