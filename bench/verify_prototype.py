"""A prototype of a faster chain check, to size the fix proposed in docs/benchmarks.md (not a replacement for
``verify_ledger``: it checks only the hash chain and accumulates the balance and daily totals from the same stream). It streams plain
DBAPI tuples (no SQLAlchemy result processing, no Entry/Posting objects), builds the canonical bytes of
``ledger.chain`` straight from them with the quoted account/fund pieces memoised, and checks every stored hash.
It must agree with ``entry_hash`` byte for byte: any mismatch is counted and reported.

    .venv/bin/python bench/verify_prototype.py URL [--repeat 3]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
from json.encoder import encode_basestring as q

from common import create_db_engine, median, peak_rss_mib, save

from fund_ledger.ledger.chain import GENESIS_HASH

E_SQL = ("SELECT id, year, year_seq, accounting_date, recorded_at, code, memo, actor, source, reverses_id, prev_hash,"
         " hash, hash_version FROM entries ORDER BY id")
P_SQL = "SELECT entry_id, line_no, account_code, fund_code, debit, credit FROM postings ORDER BY entry_id, line_no"


def check(url: str) -> dict:
    engine = create_db_engine(url)
    raw = engine.raw_connection()
    dbapi = raw.driver_connection
    pg = engine.dialect.name == "postgresql"
    names_a = dict(dbapi.execute("SELECT code, name FROM accounts").fetchall())
    names_f = dict(dbapi.execute("SELECT code, name FROM funds").fetchall())
    if pg:
        ce, cp = dbapi.cursor(name="e"), dbapi.cursor(name="p")
        ce.itersize = cp.itersize = 5000
    else:
        ce, cp = dbapi.cursor(), dbapi.cursor()
    ce.execute(E_SQL)
    cp.execute(P_SQL)
    pieces: dict[tuple[str, str], tuple[str, str]] = {}

    def piece(account: str, fund: str) -> tuple[str, str]:
        an, fn = names_a.get(account), names_f.get(fund)
        p = (f'{{"account":{q(account)},"account_name":{"null" if an is None else q(an)},',
             f',"fund":{q(fund)},"fund_name":{"null" if fn is None else q(fn)},"line":')
        pieces[(account, fund)] = p
        return p

    sha = hashlib.sha256
    prev, n, bad = GENESIS_HASH, 0, 0
    totals: dict[tuple[str, str], list[int]] = {}
    days: dict[tuple, list[int]] = {}
    pit = iter(cp)
    pend = next(pit, None)
    t0 = time.perf_counter()
    for (eid, year, year_seq, day, recorded_at, code, memo, actor, source, reverses, prev_hash, h, hv) in ce:
        n += 1
        parts = []
        while pend is not None and pend[0] == eid:
            _, line, account, fund, debit, credit = pend
            a, b = pieces.get((account, fund)) or piece(account, fund)
            parts.append(f'{a}"credit":{credit},"debit":{debit}{b}{line}}}')
            t = totals.get((account, fund))
            if t is None:
                t = totals[(account, fund)] = [0, 0]
            t[0] += debit
            t[1] += credit
            k = (account, fund, day)
            d = days.get(k)
            if d is None:
                d = days[k] = [0, 0]
            d[0] += debit
            d[1] += credit
            pend = next(pit, None)
        text = (f'{{"accounting_date":"{day if type(day) is str else day.isoformat()}","actor":{q(actor)},'
                f'"code":{q(code)},"hash_version":{hv},"memo":{q(memo)},"postings":[{",".join(parts)}],'
                f'"prev_hash":{q(prev_hash)},"recorded_at":{q(recorded_at)},'
                f'"reverses":{"null" if reverses is None else reverses},"seq":{eid},'
                f'"source":{"null" if source is None else q(source)},"year":{year},"year_seq":{year_seq}}}')
        if eid != n or prev_hash != prev or sha(text.encode()).hexdigest() != h:
            bad += 1
        prev = h
    chain_s = time.perf_counter() - t0
    sums_s = 0.0  # totals and daily sums are accumulated in the loop above, as verify_ledger does
    raw.close()
    engine.dispose()
    return {"entries": n, "bad": bad, "chain_seconds": chain_s, "sum_seconds": sums_s,
            "seconds": chain_s + sums_s, "totals": len(totals), "days": len(days), "peak_rss_mib": peak_rss_mib()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    from verify import json_sha256_rate, run_child

    proto, full, refs = [], [], []
    for _ in range(a.repeat):  # interleaved: the machine's drift hits all three alike
        refs.append(json_sha256_rate()[0])
        full.append(run_child(a.url))
        proto.append(check(a.url))
        print(json.dumps({"ref": refs[-1], "verify_ledger": full[-1], "prototype": proto[-1]}), flush=True)
    n = proto[0]["entries"]
    ref = median(refs)
    v = n / median([r["seconds"] for r in full])
    p = n / median([r["seconds"] for r in proto])
    table = ["| on the same ledger, same run | entries/s | ratio to JSON+SHA-256 |", "|---|---|---|",
             f"| reference: json.dumps(sort_keys) + SHA-256, 312 bytes | {ref:,.0f} | 1 |",
             f"| verify_ledger | {v:,.0f} | {v / ref:.3f} |",
             f"| prototype (tuples, memoised pieces) | {p:,.0f} | {p / ref:.3f} |"]
    save("verify_prototype_" + ("pg" if a.url.startswith("postgresql") else "sqlite") + f"_{n}",
         {"url": a.url, "refs": refs, "verify_ledger": full, "prototype": proto, "mismatches": proto[0]["bad"],
          "table": table})
    print("\n".join(table))


if __name__ == "__main__":
    main()
