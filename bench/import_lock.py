"""How long a chunked import of donations holds the ledger's write lock, and how long single gifts posted
meanwhile wait.

    .venv/bin/python bench/import_lock.py --rows 10000 --db sqlite pg [--chunk 500]

One process: a thread imports a generated CSV (``bench/import_donations.py``'s file) through
``services.imports.import_file``, as the command line does (rows checked in a read session, the batch declared
in one short write transaction, then ``--chunk`` gifts per write transaction, default ``imports.CHUNK_ROWS``);
another thread posts one gift every 0.2 s through ``services.donations.record_donation`` while the import runs.

Measured, in the import thread, for every write transaction: its lock hold, from the statement that takes
the ledger's lock (``BEGIN IMMEDIATE`` on SQLite, the first ``pg_advisory_xact_lock`` of the transaction on
PostgreSQL; timed from when the statement is sent, so it includes any wait for the lock, which is also
reported on its own) to the end of that transaction's COMMIT (or ROLLBACK). Reported: the import's wall
time, the time before its first lock (reading and checking the file), the number of lock holds (the declare
step, one per chunk, and the last transaction that finds the batch complete), the longest and the sum of
them, the declare step's hold. For the single gifts posted during the import: how many, median and longest
wait (from the start of the gift's transaction to the end of its commit, or to its refusal), how many were
refused (SQLite's 60 s busy timeout: "database is locked"), and for the longest-waiting one, when it started
(seconds into the import) and across how many of the import's lock holds it waited (more than one: it did not
get in at the first gap between chunks). Ten gifts posted before the import give the wait of a gift alone.
"""
from __future__ import annotations

import argparse
import math
import statistics
import threading
import time
from datetime import date
from pathlib import Path

from common import ACTOR, TODAY, drop_pg, save
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from import_donations import prepare, write_csv


class LockClock:
    """Lock holds of the transactions of one thread (by name) on an engine: from the lock-taking statement to
    the end of the DBAPI commit or rollback. The commit's end is timed by wrapping the engine's dialect
    (``do_commit`` / ``do_rollback``): SQLAlchemy's ``commit`` event fires before the COMMIT is sent."""

    def __init__(self, engine, thread: str):
        self.thread = thread
        self.holds: list[float] = []          # seconds, in order
        self.spans: list[tuple[float, float]] = []  # (lock statement sent, commit ended) of each hold
        self.lock_waits: list[float] = []     # how long the lock-taking statement itself took
        self.first_lock: float | None = None
        self._since: float | None = None      # the open transaction's lock statement, if it took the lock
        self._sent: float | None = None
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_conn):
            commit(dbapi_conn)
            self._end()

        def do_rollback(dbapi_conn):
            rollback(dbapi_conn)
            self._end()

        dialect.do_commit, dialect.do_rollback = do_commit, do_rollback

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, params, context, executemany):
            if self._mine() and self._since is None and ("BEGIN IMMEDIATE" in statement
                                                         or "pg_advisory_xact_lock" in statement):
                self._since = self._sent = time.perf_counter()
                if self.first_lock is None:
                    self.first_lock = self._since

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, params, context, executemany):
            if self._mine() and self._sent is not None:
                self.lock_waits.append(time.perf_counter() - self._sent)
                self._sent = None

    def _mine(self) -> bool:
        return threading.current_thread().name == self.thread

    def _end(self) -> None:  # a pool's reset-on-return rollback after a commit finds no hold open: ignored
        if self._mine() and self._since is not None:
            end = time.perf_counter()
            self.holds.append(end - self._since)
            self.spans.append((self._since, end))
            self._since = None


def run(db: str, rows: int, chunk: int, path: Path) -> dict:
    from fund_ledger.db import models as m
    from fund_ledger.db.engine import create_db_engine, read_session, write_session
    from fund_ledger.services import donations as svc
    from fund_ledger.services import imports

    url = prepare(db)
    engine = create_db_engine(url)
    clock = LockClock(engine, "import")
    with write_session(engine) as s, s.begin():
        donor = svc.create_donor(s, ACTOR, name="探针", kind="person")
    data = path.read_bytes()

    def post_gift(i: int) -> None:
        with write_session(engine) as s, s.begin():
            svc.record_donation(s, ACTOR, svc.Gift(donor_id=donor.id, fund="GENERAL", amount=100 + i,
                                                   received_on=date(2026, 11, 1), channel="bank"), today=TODAY)

    alone = []
    for i in range(10):  # the wait of a gift with nobody else writing, for scale
        t0 = time.perf_counter()
        post_gift(i)
        alone.append(time.perf_counter() - t0)

    marks: dict[str, float] = {}
    result = {}
    commits: list[int] = []

    def do_import():
        marks["start"] = time.perf_counter()
        r = imports.import_file(engine, ACTOR, data, path.name, today=TODAY, chunk_rows=chunk,
                                progress=lambda written, total: commits.append(written))
        marks["end"] = time.perf_counter()
        result["rows"] = r.rows
        result["batch_id"] = r.batch_id

    waits: list[float] = []
    gift_spans: list[tuple[float, float]] = []
    refused: list[float] = []
    done = threading.Event()

    def probe():
        i = 10
        while not done.is_set():
            t0 = time.perf_counter()
            try:
                post_gift(i)
            except OperationalError:  # SQLite's busy timeout (60 s): the gift was refused, "database is locked"
                refused.append(time.perf_counter() - t0)
            waits.append(time.perf_counter() - t0)
            gift_spans.append((t0, time.perf_counter()))
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
    with read_session(engine) as s, s.begin():  # untimed: the import wrote every row once, in its batch
        in_batch = s.scalar(select(func.count()).select_from(m.Donation)
                            .where(m.Donation.import_batch_id == result["batch_id"]))
    engine.dispose()
    if db == "pg":
        drop_pg("fl_bench_import")
    chunks = math.ceil(rows / chunk)
    # the longest-waiting gift: how many of the import's lock holds overlapped its wait (more than one: it
    # did not get in at the first gap between chunks)
    g0, g1 = max(gift_spans, key=lambda g: g[1] - g[0], default=(0.0, 0.0))
    spanned = sum(1 for h0, h1 in clock.spans if h0 < g1 and h1 > g0)
    assert result["rows"] == rows == in_batch, (result, in_batch)
    assert len(commits) == chunks and commits[-1] == rows, commits[-3:]
    # the declare step, one hold per chunk, and the last transaction (it counts the batch complete and stops)
    assert len(clock.holds) == chunks + 2, (len(clock.holds), chunks)
    return {"db": db, "rows": result["rows"], "chunk": chunk, "import_s": marks["end"] - marks["start"],
            "before_lock_s": clock.first_lock - marks["start"], "lock_holds": len(clock.holds),
            "declare_hold_s": clock.holds[0], "longest_hold_s": max(clock.holds), "sum_holds_s": sum(clock.holds),
            "median_hold_s": statistics.median(clock.holds), "import_lock_wait_max_s": max(clock.lock_waits),
            "gift_alone_median_s": statistics.median(alone),
            "gifts_meanwhile": len(waits), "gift_wait_median_s": statistics.median(waits) if waits else float("nan"),
            "gift_wait_max_s": max(waits, default=float("nan")), "gift_wait_max_across_holds": spanned,
            "gift_wait_max_at_s": g0 - marks["start"], "gifts_refused": len(refused)}


def main() -> None:
    from fund_ledger.services import imports

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--db", nargs="+", choices=["sqlite", "pg"], default=["sqlite", "pg"])
    ap.add_argument("--chunk", type=int, default=imports.CHUNK_ROWS, help="gifts per write transaction")
    a = ap.parse_args()
    path = Path(f"/tmp/fl_bench_lock_{a.rows}.csv")
    write_csv(path, a.rows)
    runs = []
    for db in a.db:
        out = run(db, a.rows, a.chunk, path)
        runs.append(out)
        print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in out.items()), flush=True)
    save(f"import_lock_{a.rows}_{a.chunk}_{'_'.join(a.db)}", {"args": vars(a), "runs": runs})


if __name__ == "__main__":
    main()
