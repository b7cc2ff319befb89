"""The ledger's PostgreSQL guards per row (migration 0001, as they stood until 0015) against the set-based
guards of migration 0016 (statement-level triggers over transition tables, entries sent in multi-row
statements), posting gifts through ``post_entries`` in batches and one per transaction. The variants
alternate within each round (the machine is shared: only a comparison inside one run means anything).

    .venv/bin/python bench/set_based_guards.py [--size 10000] [--single 10000] [--batch 500] [--repeat 2]
        [--variants per-row generic set-based]

Variants, each on a fresh database built by ``make_ledger`` (``fund-ledger init``'s ANALYZE included):
- ``per-row``: 0015's per-row triggers (re-created from 0016's downgrade), one INSERT per row (psycopg's
  executemany), as the code posted until 0016;
- ``generic``: the same with ``plan_cache_mode`` reset on the two checking functions (PL/pgSQL's cached
  generic plans instead of a fresh plan for every query of every row);
- ``set-based``: the schema at head and the code as it is.
After each run (untimed) ``verify_ledger`` must pass.
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import time

from sqlalchemy import text

from common import ROOT, TODAY, drop_pg, fresh_pg, make_ledger, median, post_range, psql, save
from fund_ledger.db import repository as repo
from fund_ledger.db.engine import read_session
from fund_ledger.services.verify import verify_ledger

DB = "fl_bench_guards"


def _migration_0016():
    path = ROOT / "migrations" / "versions" / "0016_set_based_guards.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("m0016", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


M0016 = _migration_0016()
AS_IS = repo.insert_entries


def _per_row(engine) -> None:
    if M0016 is not None:
        with engine.begin() as conn:
            for statement in M0016.POSTGRESQL_DOWNGRADE:
                conn.execute(text(statement))
    repo.insert_entries = lambda session, entries: repo.insert_each(session.connection(), entries)


def _generic(engine) -> None:
    _per_row(engine)
    with engine.begin() as conn:
        for fn in ("fund_ledger_entry_check", "fund_ledger_entry_post"):
            conn.exec_driver_sql(f"ALTER FUNCTION {fn}() RESET plan_cache_mode")


def _set_based(engine) -> None:
    repo.insert_entries = AS_IS


VARIANTS = {"per-row": _per_row, "generic": _generic, "set-based": _set_based}


def run(variant: str, n: int, batch: int) -> dict:
    engine = make_ledger(fresh_pg(DB))
    VARIANTS[variant](engine)
    try:
        seconds = post_range(engine, 0, n, batch)
        with read_session(engine) as s, s.begin():
            report = verify_ledger(s)
        assert report.ok, (variant, report.problems[:3])
        return {"seconds": seconds, "per_s": n / seconds}
    finally:
        repo.insert_entries = AS_IS
        engine.dispose()
        drop_pg(DB)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=10_000, help="gifts posted in batches")
    ap.add_argument("--single", type=int, default=10_000, help="gifts posted one per transaction")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--variants", nargs="+", default=[v for v in VARIANTS if v != "set-based" or M0016])
    a = ap.parse_args()
    runs: dict[str, list[float]] = {}
    loads = []
    for r in range(a.repeat):
        order = a.variants if r % 2 == 0 else list(reversed(a.variants))
        for mode, n, batch in (("batch", a.size, a.batch), ("single", a.single, 1)):
            if not n:
                continue
            for variant in order:
                loads.append(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
                res = run(variant, n, batch)
                runs.setdefault(f"{variant} | {mode}", []).append(res["per_s"])
                print(f"round {r + 1} {mode:6} {variant:10} {res['seconds']:8.1f} s {res['per_s']:8,.0f}/s"
                      f"   [{loads[-1].split('load average:')[1].strip()}]", flush=True)
    med = {k: median(v) for k, v in runs.items()}
    table = [f"| variant | {a.size:,} gifts, {a.batch} per call (gifts/s) | {a.single:,} gifts, 1 per call (gifts/s) |",
             "|---|---|---|"]
    table += [f"| {v} | {med.get(f'{v} | batch', float('nan')):,.0f} | {med.get(f'{v} | single', float('nan')):,.0f} |"
              for v in a.variants]
    save("set_based_guards", {"args": vars(a), "runs": runs, "median": med, "loads": loads, "table": table})
    print("\n".join(table))


if __name__ == "__main__":
    main()
