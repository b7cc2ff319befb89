"""How long an import of donations holds the ledger's write lock, and how long a single gift posted meanwhile waits.

    .venv/bin/python bench/import_lock.py --rows 10000 --db sqlite pg

One process: a thread imports a generated CSV (``bench/import_donations.py``'s file) the way the command line
does; another thread posts one gift every 0.2 s through ``services.donations.record_donation`` while the
import runs. Measured: the import's wall time, the time from the moment it took the lock (``BEGIN IMMEDIATE``
on SQLite, ``pg_advisory_xact_lock`` on PostgreSQL) to its commit, and the single gifts' waits (max, median).
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import date
from pathlib import Path

from common import ACTOR, TODAY, drop_pg  # noqa: F401
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from import_donations import prepare, write_csv


def run(db: str, rows: int, path: Path) -> dict:
    from fund_ledger.db.engine import create_db_engine, read_session, write_session
    from fund_ledger.services import donations as svc
    from fund_ledger.services import imports

    url = prepare(db)
    engine = create_db_engine(url)
    marks: dict[str, float] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _lock(conn, cursor, statement, params, context, executemany):
        if threading.current_thread().name == "import" and ("BEGIN IMMEDIATE" in statement
                                                            or "pg_advisory_xact_lock" in statement):
            marks.setdefault("locked", time.perf_counter())

    @event.listens_for(engine, "commit")
    def _commit(conn):
        if threading.current_thread().name == "import" and "locked" in marks:
            marks.setdefault("committed", time.perf_counter())

    with write_session(engine) as s, s.begin():
        donor = svc.create_donor(s, ACTOR, name="探针", kind="person")
    data = path.read_bytes()
    result = {}

    def do_import():
        t0 = time.perf_counter()
        marks["start"] = t0
        if hasattr(imports, "prepare_import"):  # the two-step import (checked outside the lock, then written)
            with read_session(engine) as s, s.begin():
                prepared = imports.prepare_import(s, ACTOR, data, path.name, today=TODAY)
            with write_session(engine) as s, s.begin():
                r = imports.import_donations(s, ACTOR, data, path.name, today=TODAY, prepared=prepared)
        else:
            with write_session(engine) as s, s.begin():
                r = imports.import_donations(s, ACTOR, data, path.name, today=TODAY)
        marks["end"] = time.perf_counter()
        result["rows"] = r.rows

    waits: list[float] = []
    timeouts: list[float] = []
    done = threading.Event()

    def probe():
        i = 0
        while not done.is_set():
            t0 = time.perf_counter()
            try:
                with write_session(engine) as s, s.begin():
                    svc.record_donation(s, ACTOR, svc.Gift(donor_id=donor.id, fund="GENERAL", amount=100 + i,
                                                           received_on=date(2026, 11, 1), channel="bank"), today=TODAY)
            except OperationalError:  # SQLite's busy timeout (60 s): the gift was refused, "database is locked"
                timeouts.append(time.perf_counter() - t0)
            waits.append(time.perf_counter() - t0)
            i += 1
            time.sleep(0.2)

    t = threading.Thread(target=do_import, name="import")
    p = threading.Thread(target=probe, name="probe")
    t.start()
    time.sleep(0.05)
    p.start()
    t.join()
    done.set()
    p.join()
    engine.dispose()
    if db == "pg":
        drop_pg("fl_bench_import")
    return {"db": db, "rows": result["rows"], "import_s": marks["end"] - marks["start"],
            "lock_held_s": marks["end"] - marks["locked"], "before_lock_s": marks["locked"] - marks["start"],
            "gifts_meanwhile": len(waits), "gift_wait_max_s": max(waits), "gift_wait_median_s": statistics.median(waits), "gifts_timed_out": len(timeouts)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--db", nargs="+", choices=["sqlite", "pg"], default=["sqlite", "pg"])
    a = ap.parse_args()
    path = Path(f"/tmp/fl_bench_lock_{a.rows}.csv")
    write_csv(path, a.rows)
    for db in a.db:
        out = run(db, a.rows, path)
        print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in out.items()), flush=True)


if __name__ == "__main__":
    main()
