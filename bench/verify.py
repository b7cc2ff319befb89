"""``verify_ledger`` over ledgers of 100,000 and 1,000,000 entries (built by build_ledger.py if missing),
next to the reference measured in the same run: canonical JSON (``json.dumps(sort_keys=True)``) + SHA-256
of a ~312-byte entry. Each verify runs in a child process so its peak RSS is its own.

    .venv/bin/python bench/verify.py [--size 100000 --size 1000000] [--db sqlite|pg] [--repeat 3]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time

from common import ROOT, gift, median, peak_rss_mib, read_session, save
from build_ledger import ensure_ledger

# A 312-byte entry in the chain's shape (two postings, no account/fund names, fewer fields): the reference's input.
REF_ENTRY = {
    "accounting_date": "2026-03-01", "actor": "mgr", "code": "gift", "memo": "gift 12345", "postings": [
        {"account": "1002", "credit": 0, "debit": 10000000, "fund": "GENERAL"},
        {"account": "4101", "credit": 10000000, "debit": 0, "fund": "GENERAL"}],
    "prev_hash": "0" * 64, "seq": 12345,
}


def json_sha256_rate(n: int = 200_000) -> tuple[float, int]:
    """Entries/s of json.dumps(sort_keys) + SHA-256 on REF_ENTRY (the seq varies); and its byte length."""
    e = dict(REF_ENTRY)
    size = len(json.dumps(e, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
    t0 = time.perf_counter()
    for i in range(n):
        e["seq"] = i
        hashlib.sha256(json.dumps(e, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
    return n / (time.perf_counter() - t0), size


def child(url: str) -> None:
    from fund_ledger.db.engine import create_db_engine
    from fund_ledger.services.verify import verify_ledger

    engine = create_db_engine(url)
    t0 = time.perf_counter()
    with read_session(engine) as s, s.begin():
        report = verify_ledger(s)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "entries": report.entries, "ok": report.ok,
                      "problems": report.problems[:3], "peak_rss_mib": peak_rss_mib()}))


def run_child(url: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", url], check=True, capture_output=True, text=True,
                         cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, action="append", help="ledger size (repeatable); default 100000 and 1000000")
    ap.add_argument("--db", choices=["sqlite", "pg"], action="append", help="default sqlite")
    ap.add_argument("--repeat", type=int, default=3, help="verify runs per size (1M runs at most this many)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child)
    sizes = a.size or [100_000, 1_000_000]
    dbs = a.db or ["sqlite"]
    results, table = {}, ["| ledger | verify time | ours (entries/s) | reference JSON+SHA-256 (entries/s) | ratio |"
                          " aim (ratio >= 1/3) | peak RSS |", "|---|---|---|---|---|---|---|"]
    for db in dbs:
        for size in sizes:
            ledger = ensure_ledger(db, size)
            runs, refs = [], []
            for _ in range(a.repeat):
                refs.append(json_sha256_rate()[0])
                runs.append(run_child(ledger["url"]))
                print(f"  {db} {size:,}: {runs[-1]}  ref {refs[-1]:,.0f}/s", flush=True)
            sec = median([r["seconds"] for r in runs])
            rate, ref = size / sec, median(refs)
            rss = max(r["peak_rss_mib"] for r in runs)
            ok = all(r["ok"] and r["entries"] == size for r in runs)
            results[f"{db}_{size}"] = {"ledger": ledger, "runs": runs, "ref_runs": refs, "median_seconds": sec,
                                       "entries_per_s": rate, "ref_entries_per_s": ref, "ratio": rate / ref,
                                       "peak_rss_mib": rss, "all_ok": ok}
            table.append(f"| {db} {size:,} entries | {sec:.2f} s | {rate:,.0f} | {ref:,.0f} | {rate / ref:.3f} | "
                         f"{'met' if rate / ref >= 1 / 3 else 'NOT met'} | {rss:,.0f} MiB |")
    ref_rate, ref_bytes = json_sha256_rate()
    save("verify_" + "_".join(dbs), {"args": vars(a), "ref_entry_bytes": ref_bytes, "results": results, "table": table})
    print("\n".join(table))


if __name__ == "__main__":
    main()
