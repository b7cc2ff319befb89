"""The general journal (序时账) as PDF at 10,000 posting lines: wall time, CPU time and peak RSS of the
render (statement built from the database, laid out by WeasyPrint, written), in a child process so the
RSS is the render's alone.

    .venv/bin/python bench/journal_pdf.py [--lines 10000] [--runs 3]

Builds a fresh SQLite ledger of lines/2 gifts (Dr 1002 / Cr 4101, alternating the general fund and a
restricted one, memos of realistic length) under bench/out/, then renders
``/api/v1/reports/general-journal?format=pdf`` the way the API does it (and the web page's background
job: the same function), laid out in parts of ``fund_ledger.reports.pdf.PAGES_PER_PART`` pages, the posting
lines written by ``fund_ledger.reports.mono_text``. ``--render URL`` renders an existing ledger in this process
(to compare two checkouts on the same database file).
Prints the load average beside each run: on a shared machine, CPU time is the fairer number.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"


def build(path: Path, lines: int) -> str:
    from fund_ledger.db.engine import create_db_engine, write_session
    from fund_ledger.db.schema import upgrade
    from fund_ledger.ledger.entries import EntryCode, EntryDraft, Posting
    from fund_ledger.services.actor import Actor
    from fund_ledger.services.funds import create_fund
    from fund_ledger.services.ledger import post_entries
    from fund_ledger.services.setup import initialise

    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    upgrade(engine)
    actor = Actor("manager", "manager")
    with write_session(engine) as s, s.begin():
        initialise(s)
        create_fund(s, actor, code="AILILIANG", name="爱力量", restricted=True, purpose="困境儿童帮扶")
    drafts = []
    for i in range(lines // 2):
        fund = "AILILIANG" if i % 2 else "GENERAL"
        fen = 100_00 + (i * 7919) % 10_000_000
        drafts.append(EntryDraft(date(2026, 1, 1) + timedelta(days=i % 320), EntryCode.DONATION,
                                 f"淄博爱心企业第{i}号捐赠“爱力量”困境儿童帮扶项目（银行转账）",
                                 (Posting("1002", fund, debit=fen), Posting("4101", fund, credit=fen))))
    for k in range(0, len(drafts), 1000):
        with write_session(engine) as s, s.begin():
            post_entries(s, actor, drafts[k:k + 1000], today=date(2026, 11, 27), audit_action=None)
    engine.dispose()
    return url


def render(url: str) -> None:
    from fund_ledger.db.engine import create_db_engine, read_session
    from fund_ledger.reports import statement_render, statements

    wall, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    engine = create_db_engine(url)
    with read_session(engine) as s:
        journal = statements.general_journal(s, date(2026, 1, 1), date(2026, 12, 31), limit=20_000)
    built = time.perf_counter() - wall
    progress = []
    pdf = statement_render.render_general_journal_pdf(
        journal, generated_by="bench", generated_at="2026-11-27T08:00:00Z",
        progress=lambda done, total: progress.append((done, total)))
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    (OUT / "journal.pdf").write_bytes(pdf)
    print(json.dumps({"lines": journal.lines, "query_s": round(built, 2), "wall_s": round(time.perf_counter() - wall, 2),
                      "cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 2),
                      "peak_rss_mib": cpu1.ru_maxrss // 1024, "pdf_bytes": len(pdf),
                      "pages": progress[-1][1], "parts": len(progress) - 1}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--render", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:
        render(args.render)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    url = build(OUT / f"journal_{args.lines}.sqlite3", args.lines)
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, __file__, "--render", url], capture_output=True, text=True, check=True)
        print(out.stdout.strip(), "load", open("/proc/loadavg").read().split()[0], flush=True)


if __name__ == "__main__":
    main()
