"""Importing a CSV list of gifts through ``services.imports.import_donations`` (all rows, one transaction) on
SQLite and PostgreSQL: time and peak memory, next to references measured in the same run.

    .venv/bin/python bench/import_donations.py [--rows 100000] [--db sqlite pg] [--repeat 1]

Each import runs in a child process of its own, so its peak RSS (``getrusage``) is the import's alone; the
child also reports its RSS just before the import (interpreter, SQLAlchemy, the file's bytes), so the
import's own growth is the difference. References, in the same run:
- raw batched SQLite from ``post.py`` (sqlite3 module, 1 entry row + 2 postings + 2 balance upserts per
  entry, 1,000 entries per transaction): the floor for writing that many entries from Python;
- reading and checking the same file alone (``read_table`` + ``parse_rows``, no database writes), in a
  child of its own: what the import pays before it writes anything.
After each import (untimed): the counts, ``verify_ledger``, and a second import of the same file (which
must record nothing new, and is timed: it only hashes the file).
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from common import (DAYS, FIRST_DAY, PG_BASE, TODAY, drop_pg, fresh_pg, fresh_sqlite, make_ledger, peak_rss_mib, save)

HERE = Path(__file__).resolve().parent
FUNDS = [("AILILIANG", "爱力量", "帮助困境儿童"), ("TONGMENG", "童梦童行", "暑期课堂"), ("JIAXUEYUAN", "家学苑", "社区家庭教育")]
FUND_REFS = ["AILILIANG", "爱力量", "TONGMENG", "童梦童行", "GENERAL", "家学苑"]
CHANNELS = ["银行转账", "bank", "微信", "支付宝", "现金", "other"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"


def write_csv(path: Path, rows: int) -> dict:
    """A fund manager's list: Chinese headers, 4,000 donors, amounts from 1 yuan to ~1,000,000 (a quarter of
    them written with thousands separators), three restricted funds and the general fund by code or name."""
    sums: dict[str, int] = {}
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["捐赠人", "类型", "基金", "金额", "日期", "方式", "凭证号", "备注"])
        for i in range(rows):
            fen = 100 + (i * 7919) % 1_000_000_00
            amount = f"{fen // 100:,}.{fen % 100:02d}" if i % 4 == 0 else f"{fen // 100}.{fen % 100:02d}"
            donor = f"{SURNAMES[i % len(SURNAMES)]}捐赠人{(i * 31) % 2000:04d}"
            fund = FUND_REFS[i % len(FUND_REFS)]
            w.writerow([donor, "单位" if i % 7 == 0 else "个人", fund, amount,
                        (FIRST_DAY + timedelta(days=i % DAYS)).isoformat(), CHANNELS[i % len(CHANNELS)],
                        f"REF{i:07d}", "" if i % 3 else f"第{i}笔"])
            sums[fund] = sums.get(fund, 0) + fen
    return {"bytes": path.stat().st_size, "rows": rows, "total_fen": sum(sums.values())}


def prepare(db: str) -> str:
    """A fresh ledger (schema, chart, general fund, ANALYZE as `fund-ledger init` does) with the three funds."""
    from common import ACTOR
    from fund_ledger.db.engine import write_session
    from fund_ledger.services.funds import create_fund

    url = fresh_sqlite("/tmp/fl_bench_import.sqlite3") if db == "sqlite" else fresh_pg("fl_bench_import")
    engine = make_ledger(url)
    with write_session(engine) as s, s.begin():
        for code, name, purpose in FUNDS:
            create_fund(s, ACTOR, code=code, name=name, restricted=True, purpose=purpose)
    engine.dispose()
    return url


def child(mode: str, url: str, path: str) -> dict:
    """Run in a child process: ``import`` (the timed import, all rows in one transaction), ``file`` (the timed
    import as ``fund-ledger import donations`` runs it: ``import_file``, checked first, then in chunks) or
    ``parse`` (read and check only)."""
    from common import ACTOR
    from fund_ledger.db.engine import create_db_engine, read_session, write_session
    from fund_ledger.services.imports import (CHUNK_ROWS, SQLITE_PAUSE, import_donations,
                                             import_file, parse_rows, read_table)

    engine = create_db_engine(url)
    data = Path(path).read_bytes()
    with read_session(engine) as s, s.begin():  # connect and load the models before measuring
        from fund_ledger.db import models as m
        from sqlalchemy import select
        funds = list(s.scalars(select(m.Fund)))
    rss_before = peak_rss_mib()
    t0 = time.perf_counter()
    if mode == "parse":
        header, rows, _ = read_table(data, Path(path).name)
        parsed, problems = parse_rows(header, rows, TODAY, {**{f.code: f for f in funds}, **{f.name: f for f in funds}})
        assert not problems, problems[:3]
        out = {"rows": len(parsed)}
    elif mode == "file":
        chunks = []
        result = import_file(engine, ACTOR, data, Path(path).name, today=TODAY,
                             progress=lambda done, rows: chunks.append(done))
        out = {"rows": result.rows, "total_fen": result.total, "new_donors": result.new_donors,
               "already_imported": result.already_imported, "chunks": len(chunks), "chunk_rows": CHUNK_ROWS,
               "sqlite_pause_s": SQLITE_PAUSE if engine.dialect.name == "sqlite" else 0.0}
    else:
        with write_session(engine) as s, s.begin():
            result = import_donations(s, ACTOR, data, Path(path).name, today=TODAY)
        out = {"rows": result.rows, "total_fen": result.total, "new_donors": result.new_donors,
               "already_imported": result.already_imported}
    seconds = time.perf_counter() - t0
    engine.dispose()
    return {**out, "seconds": seconds, "rss_before_mib": rss_before, "peak_rss_mib": peak_rss_mib()}


def run_child(mode: str, url: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, url, str(path)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def check(url: str, expect: dict) -> dict:
    """Untimed: what the import left in the books."""
    from sqlalchemy import text

    from fund_ledger.db.engine import create_db_engine, read_session
    from fund_ledger.services.verify import verify_ledger

    engine = create_db_engine(url)
    with read_session(engine) as s, s.begin():
        counts = {t: s.scalar(text(f"SELECT count(*) FROM {t}")) for t in ("entries", "donations", "donors")}
        total = int(s.scalar(text("SELECT sum(amount) FROM donations")))
        t0 = time.perf_counter()
        report = verify_ledger(s)
        verify_s = time.perf_counter() - t0
    engine.dispose()
    assert counts["entries"] == counts["donations"] == expect["rows"], counts
    assert total == expect["total_fen"], (total, expect["total_fen"])
    assert report.ok, report.problems[:3]
    return {**counts, "verify_ok": report.ok, "verify_seconds": verify_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--db", nargs="+", choices=["sqlite", "pg"], default=["sqlite", "pg"])
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    from post import raw_sqlite  # noqa: E402 - the reference of post.py, same rows per entry

    path = Path(f"/tmp/fl_bench_gifts_{a.rows}.csv")
    spec = write_csv(path, a.rows)
    print(f"{path}: {spec['rows']:,} rows, {spec['bytes'] / 2**20:.1f} MiB", flush=True)
    runs = []
    for r in range(a.repeat):
        for db in a.db:
            raw_before = raw_sqlite(a.rows, 1000)
            parse = run_child("parse", prepare(db), path)
            url = prepare(db)
            imported = run_child("import", url, path)
            again = run_child("import", url, path)
            raw_after = raw_sqlite(a.rows, 1000)
            assert imported["rows"] == a.rows and not imported["already_imported"]
            assert again["already_imported"]
            books = check(url, spec)
            raw = (raw_before + raw_after) / 2
            run = {"round": r + 1, "db": db, "import": imported, "again": again, "parse_only": parse,
                   "raw_sqlite_batched_entries_per_s": [raw_before, raw_after], "books": books,
                   "gifts_per_s": a.rows / imported["seconds"], "ratio_to_raw": a.rows / imported["seconds"] / raw}
            runs.append(run)
            print(f"  {db}: import {imported['seconds']:.1f} s ({run['gifts_per_s']:,.0f} gifts/s), peak RSS "
                  f"{imported['peak_rss_mib']:.0f} MiB (before {imported['rss_before_mib']:.0f}); parse only "
                  f"{parse['seconds']:.1f} s, {parse['peak_rss_mib']:.0f} MiB; again {again['seconds']:.2f} s; "
                  f"raw batched SQLite {raw_before:,.0f} / {raw_after:,.0f} entries/s; ratio {run['ratio_to_raw']:.3f};"
                  f" verify {books['verify_seconds']:.1f} s ok", flush=True)
            if db == "pg":
                drop_pg("fl_bench_import")
    fresh_sqlite("/tmp/fl_bench_import.sqlite3")
    save(f"import_donations_{a.rows}_{'_'.join(a.db)}", {"args": vars(a), "file": spec, "runs": runs, "pg": PG_BASE})


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3], sys.argv[4])))
    else:
        main()
