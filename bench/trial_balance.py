"""The trial balance, current (from the running balances) and as of a past date (2026-06-30, from the daily
totals), at 100,000 and 1,000,000 entries: the median of several calls, each in a fresh read session; next
to ``hledger -f EXPORT bal`` on the same journal exported with ``fund-ledger export --format ledger``.

    .venv/bin/python bench/trial_balance.py [--size N ...] [--db sqlite|pg ...] [--calls 21] [--no-hledger]

hledger runs under /usr/bin/time -v (wall time and peak RSS); 3 times up to 100k entries, once above.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from common import ROOT, TODAY, median, peak_rss_mib, read_session, save
from build_ledger import ensure_ledger

AS_OF = date(2026, 6, 30)
HLEDGER = os.environ.get("HLEDGER", "/usr/bin/hledger")


def child(url: str, calls: int) -> None:
    from fund_ledger.db.engine import create_db_engine
    from fund_ledger.reports.trial_balance import build_trial_balance

    engine = create_db_engine(url)
    out = {}
    for name, as_of in (("current", None), ("as_of", AS_OF)):
        with read_session(engine) as s, s.begin():  # warm-up: connect and fill the statement caches, untimed
            build_trial_balance(s, as_of, today=TODAY)
        times = []
        for _ in range(calls):
            t0 = time.perf_counter()
            with read_session(engine) as s, s.begin():
                tb = build_trial_balance(s, as_of, today=TODAY)
            times.append(time.perf_counter() - t0)
        out[name] = {"median_ms": median(times) * 1000, "min_ms": min(times) * 1000, "max_ms": max(times) * 1000,
                     "entries": tb.entries, "total_debit": tb.total_debit, "balanced": tb.total_debit == tb.total_credit,
                     "accounts": {r.code: r.balance for r in tb.accounts}}
    out["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(out))


def run_child(url: str, calls: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", url, "--calls", str(calls)], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def export(url: str, path: Path) -> float | None:
    """Seconds to export the journal for hledger, or None when the export command is not there yet."""
    if not (ROOT / "fund_ledger" / "reports" / "export.py").exists():
        return None
    t0 = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "fund-ledger"), "export", "--format", "ledger", "-o", str(path)],
                   check=True, env={**os.environ, "FUND_LEDGER_DATABASE_URL": url}, cwd=ROOT)
    return time.perf_counter() - t0


def hledger(path: Path, *extra: str) -> dict:
    """Wall seconds and peak RSS of ``hledger -f path bal [extra]``; its output's last line (the total)."""
    p = subprocess.run(["/usr/bin/time", "-v", HLEDGER, "-f", str(path), "bal", *extra], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"hledger failed: {p.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    h, m_, s = wall.groups()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    return {"seconds": int(h or 0) * 3600 + int(m_) * 60 + float(s), "peak_rss_mib": rss / 1024,
            "lines": len(p.stdout.splitlines()), "tail": p.stdout.strip().splitlines()[-3:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, action="append", help="ledger size (repeatable); default 100000 and 1000000")
    ap.add_argument("--db", choices=["sqlite", "pg"], action="append", help="default: sqlite and pg")
    ap.add_argument("--calls", type=int, default=21, help="calls per figure; the median is reported")
    ap.add_argument("--no-hledger", action="store_true")
    ap.add_argument("--hledger-db", choices=["sqlite", "pg"], default="sqlite", help="ledger exported for hledger")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child, a.calls)
    sizes = a.size or [100_000, 1_000_000]
    dbs = a.db or ["sqlite", "pg"]
    results: dict = {}
    for size in sizes:
        for db in dbs:
            ledger = ensure_ledger(db, size)
            results[f"{db}_{size}"] = r = run_child(ledger["url"], a.calls)
            print(f"  {db} {size:,}: current {r['current']['median_ms']:.2f} ms, as of {AS_OF}: "
                  f"{r['as_of']['median_ms']:.2f} ms, rss {r['peak_rss_mib']:.0f} MiB", flush=True)
        if a.no_hledger:
            continue
        ledger = ensure_ledger(a.hledger_db, size)
        path = Path(f"/tmp/fl_bench_ledger_{size}.journal")
        secs = export(ledger["url"], path)
        if secs is None:
            print("  fund_ledger/reports/export.py does not exist yet: hledger comparison skipped", flush=True)
            results[f"hledger_{size}"] = None
            continue
        runs = [hledger(path) for _ in range(3 if size <= 100_000 else 1)]
        asof = hledger(path, "-e", "2026-07-01") if size <= 100_000 else None
        results[f"hledger_{size}"] = {"export_seconds": secs, "journal_mib": path.stat().st_size / 2**20,
                                      "runs": runs, "median_seconds": median([x["seconds"] for x in runs]),
                                      "peak_rss_mib": max(x["peak_rss_mib"] for x in runs), "as_of_run": asof}
        print(f"  hledger {size:,}: {results[f'hledger_{size}']['median_seconds']:.1f} s, "
              f"{results[f'hledger_{size}']['peak_rss_mib']:.0f} MiB (export {secs:.1f} s)", flush=True)

    table = ["| ledger | current TB (median) | as-of 2026-06-30 TB (median) | hledger bal | hledger / as-of | "
             "aim: current < 20 ms; hledger/as-of >= 50 | our peak RSS |", "|---|---|---|---|---|---|---|"]
    for size in sizes:
        h = results.get(f"hledger_{size}")
        for db in dbs:
            r = results[f"{db}_{size}"]
            cur, past = r["current"]["median_ms"], r["as_of"]["median_ms"]
            ratio = h["median_seconds"] * 1000 / past if h else None
            verdict = ("met" if cur < 20 else "NOT met") + " / " + (
                "n/a" if ratio is None else "met" if ratio >= 50 else "NOT met")
            hl = "not run" if not h else f"{h['median_seconds']:.1f} s, {h['peak_rss_mib']:,.0f} MiB"
            rt = "n/a" if ratio is None else f"{ratio:,.0f}x"
            table.append(f"| {db} {size:,} entries ({2 * size:,} postings) | {cur:.2f} ms | {past:.2f} ms | {hl} | "
                         f"{rt} | {verdict} | {r['peak_rss_mib']:.0f} MiB |")
    save("trial_balance_" + "_".join(dbs) + ("_nohledger" if a.no_hledger else ""), {"args": vars(a), "as_of": AS_OF.isoformat(), "results": results, "table": table})
    print("\n".join(table))


if __name__ == "__main__":
    main()
