"""Report pages as an auditor sees them, at 1,000,000 entries (2,000,000 postings): the median time of
GET /overview (the trial balance page), /reports/trial-balance, /reports/activities,
/reports/financial-position and the journal's first and last pages, through the whole Flask stack
(log-in session, access check, queries, template), in one process, after one warm-up call each.

    .venv/bin/python bench/report_pages.py [--db sqlite|pg] [--size 1000000] [--calls 15]

The aim (issue 6): a trial balance page under 100 ms at a million postings.
"""
from __future__ import annotations

import argparse
import os
import re
import time

from common import ROOT, median, peak_rss_mib, save  # noqa: F401  (ROOT puts the project on sys.path)
from build_ledger import ensure_ledger

PAGES = ["/overview", "/reports/trial-balance", "/reports/activities?from=2026-01-01&to=2026-11-20",
         "/reports/financial-position?as_of=2026-11-20", "/journal", "/journal?page=20000"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite", choices=["sqlite", "pg"])
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--calls", type=int, default=15)
    args = ap.parse_args()
    os.environ["FUND_LEDGER_CHEAP_PASSWORD_HASHES"] = "1"
    url = ensure_ledger(args.db, args.size)["url"]

    from fund_ledger import create_app
    from fund_ledger.db.engine import create_db_engine, write_session
    from fund_ledger.services.actor import SYSTEM
    from sqlalchemy import select

    from fund_ledger.db import models as m
    from fund_ledger.services.users import create_user

    engine = create_db_engine(url)
    with write_session(engine) as s, s.begin():
        if s.scalar(select(m.User.id).where(m.User.username == "bench-auditor")) is None:
            create_user(s, SYSTEM, username="bench-auditor", role="auditor", password="bench-password-2026")
    engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench"})
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": "bench-auditor", "password": "bench-password-2026",
                                       "csrf_token": token}).status_code == 302
    results = {}
    for page in PAGES:
        assert client.get(page).status_code == 200, page  # warm-up
        times = []
        for _ in range(args.calls):
            t0 = time.perf_counter()
            response = client.get(page)
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200
        results[page] = {"median_ms": round(median(times) * 1000, 1), "max_ms": round(max(times) * 1000, 1),
                         "bytes": len(response.data)}
        print(f"{page:55s} median {results[page]['median_ms']:8.1f} ms  max {results[page]['max_ms']:8.1f} ms")
    results["peak_rss_mib"] = peak_rss_mib()
    save(f"report_pages_{args.db}_{args.size}", {"db": args.db, "size": args.size, "pages": results})


if __name__ == "__main__":
    main()
