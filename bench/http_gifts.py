"""Gifts recorded per second over HTTP: ``POST /api/v1/donations`` (each with its own Idempotency-Key) against
the app served by gunicorn on 127.0.0.1, with a few concurrent keep-alive clients and a bounded number of
requests; next to references measured in the same run against the same server and clients:
``GET /healthz`` (no database: the floor of HTTP + Flask + our before-request hooks) and
``GET /api/v1/funds/{id}`` (token check and a balance read).

    .venv/bin/python bench/http_gifts.py [--db sqlite pg] [--requests 2000] [--clients 4]
                                         [--workers 2] [--worker-class gthread] [--threads 4] [--port 8765]

Needs gunicorn beside the Python that runs this (the project's test extras install it). The order per
database is healthz, fund read, gifts, healthz again. Afterwards (untimed) every answer must have been
201, the books must hold exactly that many gifts with distinct acknowledgement numbers, and
``verify_ledger`` must pass (``bench_db`` records these; the command fails when one does not hold).
gunicorn's standard error goes to ``bench/out/gunicorn_PORT.log``.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from common import OUT, TODAY, drop_pg, fresh_pg, fresh_sqlite, make_ledger, save

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
PASSWORD = "aililiang-2026"


def prepare(db: str) -> tuple[str, int, int, int]:
    """A ledger holding the demo story (users, funds, its gifts) and one more donor; its URL, the donor and
    fund ids, and how many donations the demo recorded."""
    from sqlalchemy import func, select

    from fund_ledger.db import models as m
    from fund_ledger.db.engine import write_session
    from fund_ledger.services.demo import DEMO_MANAGER, load_demo
    from fund_ledger.services.donations import create_donor

    url = fresh_sqlite("/tmp/fl_bench_http.sqlite3") if db == "sqlite" else fresh_pg("fl_bench_http")
    engine = make_ledger(url)
    with write_session(engine) as s, s.begin():
        load_demo(s, today=TODAY)
        donor = create_donor(s, DEMO_MANAGER, name="张店区女企业家协会", kind="organisation")
        fund_id = s.scalar(select(m.Fund.id).where(m.Fund.code == "AILILIANG"))
        donor_id = donor.id
        demo_gifts = s.scalar(select(func.count()).select_from(m.Donation))
    engine.dispose()
    return url, donor_id, fund_id, demo_gifts


def start_server(url: str, port: int, workers: int, threads: int, worker_class: str = "gthread") -> subprocess.Popen:
    """gunicorn serving the app on ``url``; its standard error (the app's request log too) goes to a file, not a
    pipe nobody reads, which would fill and stall the workers."""
    env = {**os.environ, "FUND_LEDGER_DATABASE_URL": url, "FUND_LEDGER_SECRET_KEY": "bench-" + uuid.uuid4().hex}
    log = OUT / f"gunicorn_{port}.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen([str(GUNICORN), "-w", str(workers), "-k", worker_class, "--threads", str(threads),
                                 "-b", f"127.0.0.1:{port}", "--log-level", "warning", "fund_ledger:create_app()"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not answer /healthz within 30 s: " + log.read_text(errors="replace")[-2000:])


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)  # gunicorn's graceful stop of its own workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def request(conn: http.client.HTTPConnection, method: str, path: str, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers={**({"Content-Type": "application/json"} if data else {}),
                                                    **(headers or {})})
    response = conn.getresponse()
    return response.status, response.read()


def load(port: int, clients: int, total: int, make) -> dict:
    """``total`` requests shared by ``clients`` threads, each on its own keep-alive connection."""
    latencies: list[float] = []
    finished: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(total))
    barrier = threading.Barrier(clients + 1)

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine, ends, codes = [], [], {}
        barrier.wait()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, body, headers = make(i)
            t0 = time.perf_counter()
            status, _ = request(conn, method, path, body, headers)
            ends.append(time.perf_counter())
            mine.append(ends[-1] - t0)
            codes[status] = codes.get(status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            finished.extend(ends)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    latencies.sort()
    finished.sort()
    q = len(finished) // 4  # the rate in each quarter of the run: does it fall as the journal grows?
    quarters = [q / (finished[(k + 1) * q - 1] - (finished[k * q - 1] if k else t0)) for k in range(4)] if q else []
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000  # noqa: E731
    return {"requests": total, "seconds": seconds, "per_s": total / seconds, "statuses": statuses,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "mean_ms": statistics.fmean(latencies) * 1000,
            "per_s_by_quarter": quarters}


def check(url: str, expect: int, demo_gifts: int) -> dict:
    from sqlalchemy import text

    from fund_ledger.db.engine import create_db_engine, read_session
    from fund_ledger.services.verify import verify_ledger

    engine = create_db_engine(url)
    with read_session(engine) as s, s.begin():
        n, distinct = s.execute(text("SELECT count(*), count(DISTINCT receipt_seq) FROM donations")).one()
        report = verify_ledger(s)
    engine.dispose()
    return {"donations": n, "expected": expect + demo_gifts, "distinct_receipts": distinct,
            "verify_ok": report.ok, "problems": [str(p) for p in report.problems[:3]], "entries": report.entries,
            "ok": n - demo_gifts == expect and distinct == n and report.ok}


def bench_db(db: str, a, after=None) -> dict:
    """One database: serve, load, stop, check. ``after(url)``, when given, runs on the database before it is
    dropped; its answer is kept as ``out["after"]``."""
    url, donor_id, fund_id, demo_gifts = prepare(db)
    proc = start_server(url, a.port, a.workers, a.threads, getattr(a, "worker_class", "gthread"))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
        status, body = request(conn, "POST", "/api/v1/tokens", {"username": "manager", "password": PASSWORD})
        assert status == 201, body
        auth = {"Authorization": "Bearer " + json.loads(body)["token"]}
        conn.close()
        run_id = uuid.uuid4().hex[:8]

        def healthz(_i):
            return "GET", "/healthz", None, None

        def fund(_i):
            return "GET", f"/api/v1/funds/{fund_id}", None, auth

        def gift(i):
            fen = 100 + (i * 7919) % 1_000_000_00
            return "POST", "/api/v1/donations", {
                "donor_id": donor_id, "fund_id": fund_id, "amount": f"{fen // 100}.{fen % 100:02d}",
                "received_on": "2026-11-20", "channel": ("bank", "cash", "wechat", "alipay")[i % 4],
                "reference": f"B{i}"}, {**auth, "Idempotency-Key": f"{run_id}-{i}"}

        warm = min(50, a.requests // 10)
        load(a.port, a.clients, warm * 4, healthz)
        load(a.port, a.clients, warm, fund)
        load(a.port, a.clients, warm, lambda i: gift(10_000_000 + i))  # warm-up gifts
        out = {"healthz": load(a.port, a.clients, a.requests * 2, healthz),
               "fund_read": load(a.port, a.clients, a.requests, fund),
               "gifts": load(a.port, a.clients, a.requests, gift),
               "healthz_after": load(a.port, a.clients, a.requests * 2, healthz)}
    finally:
        stop_server(proc)
    out["all_201"] = out["gifts"]["statuses"] == {201: a.requests}
    out["books"] = check(url, a.requests + warm, demo_gifts)
    if after is not None:
        out["after"] = after(url)
    ref = (out["healthz"]["per_s"] + out["healthz_after"]["per_s"]) / 2
    out["ratio_gifts_to_healthz"] = out["gifts"]["per_s"] / ref
    if db == "pg":
        drop_pg("fl_bench_http")
    else:
        fresh_sqlite("/tmp/fl_bench_http.sqlite3")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", nargs="+", choices=["sqlite", "pg"], default=["sqlite", "pg"])
    ap.add_argument("--requests", type=int, default=2000, help="gifts per database (and fund reads; 2x healthz)")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--worker-class", default="gthread", help="gunicorn -k (default gthread; production: sync)")
    ap.add_argument("--port", type=int, default=8765)
    a = ap.parse_args()
    if not GUNICORN.exists():
        sys.exit(f"{GUNICORN} is missing: .venv/bin/pip install gunicorn (for this benchmark only)")
    results = {}
    for db in a.db:
        r = results[db] = bench_db(db, a)
        assert r["all_201"], r["gifts"]["statuses"]
        assert r["books"]["ok"], r["books"]
        quarters = ", ".join(f"{x:,.0f}" for x in r["gifts"]["per_s_by_quarter"])
        print(f"  {db}: gifts {r['gifts']['per_s']:,.0f}/s (p50 {r['gifts']['p50_ms']:.1f} ms, p99 "
              f"{r['gifts']['p99_ms']:.1f} ms; by quarter {quarters}); GET fund {r['fund_read']['per_s']:,.0f}/s (p99 "
              f"{r['fund_read']['p99_ms']:.1f} ms); healthz {r['healthz']['per_s']:,.0f}/s before, "
              f"{r['healthz_after']['per_s']:,.0f}/s after; ratio {r['ratio_gifts_to_healthz']:.3f}; "
              f"books {r['books']}", flush=True)
    save("http_gifts", {"args": vars(a), "results": results})


if __name__ == "__main__":
    main()
