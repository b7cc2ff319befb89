"""Every aim of ``../shared/PERFORMANCE.md`` (the 2026-12-06 table, issue 14), each measure next to its reference
in the same run, ``fund-ledger verify`` on every database a measure wrote; JSON in ``bench/out/aims.json``
(``bench/aims_table.py`` writes it into ``docs/benchmarks.md``). ``make bench`` runs both.

    .venv/bin/python bench/aims.py [--size full|small] [--db sqlite pg]

Measures, in this order (each records the load average before and after it):
- gifts through the service layer, one per transaction (``services.donations.record_donation``) and 1,000 per
  call (``record_donations``), on SQLite and PostgreSQL, interleaved over the rounds with their references:
  raw SQLite (``post.raw_sqlite``: 1 entry row, 2 postings, 2 balance upserts per gift, one transaction per gift
  or per 1,000) and pgbench TPC-B ``-c 1`` on a scratch database;
- gifts over HTTP (``http_gifts.bench_db``: ``POST /api/v1/donations`` with an Idempotency-Key each) against
  gunicorn with 4 workers as the README runs it in production (``--workers 4``, sync workers), 8 and then 32
  keep-alive clients, a fresh ledger each; on PostgreSQL between two runs of ``pgbench -c 8 -j 2``;
- the bench CSV of ``import_donations.py`` imported as ``fund-ledger import donations`` does it
  (``imports.import_file``), in a child process (its peak RSS is the import's), next to raw batched SQLite
  writing as many entries;
- the 10,000-line general journal PDF of ``journal_pdf.py``, rendered in a child process.

``--size small`` (a few minutes) shrinks every count: a smoke run proving the chain works, whose figures say
little; the aims stated per 100,000 rows or 10,000 lines are then not judged.
"""
from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
import traceback
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from common import (ACTOR, DAYS, FIRST_DAY, OUT, TODAY, drop_pg, fresh_pg, fresh_sqlite, loadavg, machine_details,
                    make_ledger, psql, verify_cli)
from post import PGBENCH, pgbench, raw_sqlite

HERE = Path(__file__).resolve().parent
SIZES = {
    "full": dict(single_sqlite=5000, single_pg=2000, batch_sqlite=100_000, batch_pg=20_000, raw_single=5000,
                 rounds=3, pgbench_seconds=20, http_requests=2000, import_rows=100_000, pdf_lines=10_000),
    "small": dict(single_sqlite=300, single_pg=200, batch_sqlite=5000, batch_pg=3000, raw_single=2000,
                  rounds=1, pgbench_seconds=5, http_requests=200, import_rows=5000, pdf_lines=1000),
}
BATCH = 1000
HTTP_WORKERS = 4
MB = 1_000_000 / 2**20  # MiB per MB: the aims are in MB


class Run:
    """The measures of one run, as they are taken: value, reference, load before and after, verify."""

    def __init__(self, size: str):
        self.result = {"size": size, "counts": SIZES[size], "machine": machine_details(), "raw": {}, "errors": []}
        self.raw = self.result["raw"]

    def timed(self, name: str, fn, *args, **kwargs):
        """Call ``fn``; keep its answer under ``raw[name]`` (a list: one per round) with the load around it.
        A failure is recorded, not raised: the other measures still run."""
        before = loadavg()
        t0 = time.perf_counter()
        try:
            value = fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - recorded in the JSON and the table
            self.result["errors"].append({"measure": name, "error": f"{type(err).__name__}: {err}",
                                          "traceback": traceback.format_exc()[-3000:]})
            print(f"  {name}: FAILED {type(err).__name__}: {err}", flush=True)
            value = None
        entry = {"value": value, "seconds": round(time.perf_counter() - t0, 2), "load_before": before,
                 "load_after": loadavg()}
        self.raw.setdefault(name, []).append(entry)
        if value is not None:
            shown = value if isinstance(value, (int, float)) else {k: v for k, v in value.items()
                                                                   if not isinstance(v, (dict, list))}
            print(f"  {name}: {shown}  (load {before[0]} -> {entry['load_after'][0]})", flush=True)
        return value

    def save(self) -> Path:
        from aims_table import measures

        path = OUT / "aims.json"
        self.result["measures"] = measures(self.result)
        path.write_text(json.dumps(self.result, indent=2, ensure_ascii=False, default=str))
        return path


# --- gifts through the service layer --------------------------------------------------------------

def gift_ledger(url: str):
    """A fresh ledger with one donor; the engine, the donor's and the general fund's ids."""
    from sqlalchemy import select

    from fund_ledger.db import models as m
    from fund_ledger.db.engine import write_session
    from fund_ledger.ledger.accounts import GENERAL_FUND_CODE
    from fund_ledger.services.donations import create_donor

    engine = make_ledger(url)
    with write_session(engine) as s, s.begin():
        donor_id = create_donor(s, ACTOR, name="张店区女企业家协会", kind="organisation").id
        fund_id = s.scalar(select(m.Fund.id).where(m.Fund.code == GENERAL_FUND_CODE))
    return engine, donor_id, fund_id


def gift(i: int, donor_id: int, fund_id: int):
    from fund_ledger.services.donations import Gift

    return Gift(donor_id=donor_id, fund=fund_id, amount=100_00 + (i * 7919) % 1_000_000_00,
                received_on=FIRST_DAY + timedelta(days=i % DAYS), channel=("bank", "cash", "wechat", "alipay")[i % 4],
                reference=f"B{i}")


def service_gifts(db: str, n: int, batch: int) -> dict:
    """``n`` gifts on a fresh ledger: one ``record_donation`` per transaction (``batch`` 1) or ``record_donations``
    of ``batch`` gifts per transaction; then ``fund-ledger verify`` on it (untimed)."""
    from fund_ledger.db.engine import write_session
    from fund_ledger.services.donations import record_donation, record_donations

    url = fresh_sqlite("/tmp/fl_bench_aims.sqlite3") if db == "sqlite" else fresh_pg("fl_bench_aims")
    engine, donor_id, fund_id = gift_ledger(url)
    try:
        t0 = time.perf_counter()
        for lo in range(0, n, batch):
            with write_session(engine) as s, s.begin():
                if batch == 1:
                    record_donation(s, ACTOR, gift(lo, donor_id, fund_id), today=TODAY)
                else:
                    record_donations(s, ACTOR, [gift(i, donor_id, fund_id) for i in range(lo, min(lo + batch, n))],
                                     today=TODAY)
        seconds = time.perf_counter() - t0
        engine.dispose()
        return {"gifts": n, "per_call": batch, "seconds": seconds, "per_s": n / seconds, "verify": verify_cli(url)}
    finally:
        engine.dispose()
        drop_pg("fl_bench_aims") if db == "pg" else fresh_sqlite("/tmp/fl_bench_aims.sqlite3")


def posting(run: Run, c: dict, dbs: list[str]) -> None:
    for r in range(c["rounds"]):  # interleaved, so drift on a shared machine hits ours and the references alike
        print(f"service layer, round {r + 1}/{c['rounds']}", flush=True)
        if "sqlite" in dbs:
            run.timed("raw_sqlite_single", raw_sqlite, c["raw_single"], 1)
            run.timed("sqlite_single", service_gifts, "sqlite", c["single_sqlite"], 1)
            run.timed("raw_sqlite_batch", raw_sqlite, c["batch_sqlite"], BATCH)
            run.timed("sqlite_batch", service_gifts, "sqlite", c["batch_sqlite"], BATCH)
        if "pg" in dbs:
            run.timed("pgbench_c1", pgbench, 1, c["pgbench_seconds"])
            run.timed("pg_single", service_gifts, "pg", c["single_pg"], 1)
            run.timed("pg_batch", service_gifts, "pg", c["batch_pg"], BATCH)
            if "sqlite" not in dbs:
                run.timed("raw_sqlite_batch", raw_sqlite, c["batch_sqlite"], BATCH)


# --- gifts over HTTP ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(db: str, clients: int, requests: int) -> dict:
    from http_gifts import GUNICORN, bench_db

    if not GUNICORN.exists():
        raise RuntimeError(f"{GUNICORN} is missing: install the project's test extras")
    a = SimpleNamespace(requests=requests, clients=clients, workers=HTTP_WORKERS, worker_class="sync", threads=1,
                        port=free_port())
    out = bench_db(db, a, after=verify_cli)
    return {"per_s": out["gifts"]["per_s"], "p50_ms": out["gifts"]["p50_ms"], "p99_ms": out["gifts"]["p99_ms"],
            "per_s_by_quarter": out["gifts"]["per_s_by_quarter"], "statuses": out["gifts"]["statuses"],
            "all_201": out["all_201"], "books_ok": out["books"]["ok"], "verify": out["after"],
            "healthz_per_s": (out["healthz"]["per_s"] + out["healthz_after"]["per_s"]) / 2,
            "fund_read_per_s": out["fund_read"]["per_s"], "fund_read_p99_ms": out["fund_read"]["p99_ms"],
            "gunicorn": f"--workers {a.workers} -k {a.worker_class}", "clients": clients, "requests": requests}


def over_http(run: Run, c: dict, dbs: list[str]) -> None:
    print("gifts over HTTP", flush=True)
    if "pg" in dbs:
        run.timed("pgbench_c8", pgbench, 8, c["pgbench_seconds"])
        for clients in (8, 32):
            run.timed(f"http_pg_{clients}", http, "pg", clients, c["http_requests"])
        run.timed("pgbench_c8", pgbench, 8, c["pgbench_seconds"])
    if "sqlite" in dbs:
        for clients in (8, 32):
            run.timed(f"http_sqlite_{clients}", http, "sqlite", clients, c["http_requests"])


# --- import and PDF -------------------------------------------------------------------------------

def import_csv(db: str, path: Path, spec: dict) -> dict:
    from import_donations import check, prepare, run_child

    url = prepare(db)
    try:
        out = run_child("file", url, path)
        try:
            out["books"] = check(url, spec)
        except AssertionError as err:
            out["books"] = {"ok": False, "error": str(err)}
        out["verify"] = verify_cli(url)
        return out
    finally:
        drop_pg("fl_bench_import") if db == "pg" else fresh_sqlite("/tmp/fl_bench_import.sqlite3")


def imports(run: Run, c: dict, dbs: list[str]) -> None:
    from import_donations import write_csv

    print("CSV import", flush=True)
    path = Path(f"/tmp/fl_bench_gifts_{c['import_rows']}.csv")
    spec = write_csv(path, c["import_rows"])
    for db in dbs:
        run.timed("raw_sqlite_import_rows", raw_sqlite, c["import_rows"], BATCH)
        run.timed(f"import_{db}", import_csv, db, path, spec)
    path.unlink(missing_ok=True)


def journal_pdf(lines: int) -> dict:
    import journal_pdf as jp

    t0 = time.perf_counter()
    url = jp.build(OUT / f"journal_{lines}.sqlite3", lines)
    built = time.perf_counter() - t0
    out = subprocess.run([sys.executable, str(HERE / "journal_pdf.py"), "--render", url], capture_output=True,
                         text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["build_s"] = round(built, 2)
    result["verify"] = verify_cli(url)
    return result


# --- the run --------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="full")
    ap.add_argument("--db", nargs="+", choices=["sqlite", "pg"], default=["sqlite", "pg"])
    ap.add_argument("--skip", nargs="*", default=[], choices=["posting", "http", "import", "pdf"])
    a = ap.parse_args()
    c = SIZES[a.size]
    run = Run(a.size)
    run.result.update(dbs=a.db, started_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                      load_start=loadavg())
    print(f"== aims, size {a.size}, databases {' '.join(a.db)}; load {run.result['load_start']}", flush=True)
    if "pg" in a.db:
        run.result["machine"]["pgbench"] = subprocess.run([PGBENCH, "--version"], capture_output=True,
                                                          text=True).stdout.strip()
        drop_pg("fl_bench_pgbench")
        psql('CREATE DATABASE "fl_bench_pgbench"')
        subprocess.run([PGBENCH, "-h", "127.0.0.1", "-U", "postgres", "-i", "-q", "fl_bench_pgbench"], check=True,
                       capture_output=True)
    try:
        steps = {"posting": posting, "http": over_http, "import": imports}
        for name, step in steps.items():
            if name not in a.skip:
                step(run, c, a.db)
                run.save()
        if "pdf" not in a.skip:
            print("journal PDF", flush=True)
            run.timed("journal_pdf", journal_pdf, c["pdf_lines"])
    finally:
        if "pg" in a.db:
            drop_pg("fl_bench_pgbench")
        run.result.update(finished_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), load_end=loadavg())
        print(f"== wrote {run.save()}", flush=True)


if __name__ == "__main__":
    main()
