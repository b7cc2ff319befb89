"""The canonical form is plain canonical JSON, so an outsider can recompute a hash without our code."""
from __future__ import annotations

import hashlib
import json
from dataclasses import fields, replace
from datetime import date

import pytest

from fund_ledger.ledger.chain import GENESIS_HASH, canonical_bytes, chain_problem, entry_hash
from fund_ledger.ledger.entries import Entry, EntryCode, Posting

NAMES = {"1002": "银行存款", "4101": "捐赠收入"}
FUNDS = {"AILILIANG": "爱力量"}
ENTRY = Entry(seq=1, year=2026, year_seq=1, accounting_date=date(2026, 9, 8), recorded_at="2026-09-08T02:00:00.000000Z",
              code=EntryCode.DONATION, memo='区女企业家协会 "爱力量"\n捐赠', actor="manager",
              postings=(Posting("1002", "AILILIANG", debit=10_000_000), Posting("4101", "AILILIANG", credit=10_000_000)),
              source="donation:1", prev_hash=GENESIS_HASH)


def test_canonical_bytes_equal_sorted_compact_json():
    expected = {
        "accounting_date": "2026-09-08", "actor": "manager", "code": "donation", "hash_version": 1,
        "memo": ENTRY.memo, "prev_hash": GENESIS_HASH, "recorded_at": ENTRY.recorded_at, "reverses": None, "seq": 1,
        "source": "donation:1", "year": 2026, "year_seq": 1,
        "postings": [
            {"account": "1002", "account_name": "银行存款", "credit": 0, "debit": 10_000_000, "fund": "AILILIANG",
             "fund_name": "爱力量", "line": 1},
            {"account": "4101", "account_name": "捐赠收入", "credit": 10_000_000, "debit": 0, "fund": "AILILIANG",
             "fund_name": "爱力量", "line": 2},
        ],
    }
    reference = json.dumps(expected, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical_bytes(ENTRY, NAMES, FUNDS) == reference
    assert entry_hash(ENTRY, NAMES, FUNDS) == hashlib.sha256(reference).hexdigest()


@pytest.mark.parametrize("name", [f.name for f in fields(Entry) if f.name not in ("hash",)])
def test_every_field_changes_the_hash(name):
    changed = {
        "seq": 2, "year": 2027, "year_seq": 2, "accounting_date": date(2026, 9, 9), "recorded_at": "2026-09-08T02:00:00.000001Z",
        "code": EntryCode.MANUAL, "memo": ENTRY.memo + " ", "actor": "other", "source": None, "reverses": 7,
        "prev_hash": "1" * 64, "hash_version": 1,
        "postings": (Posting("1002", "AILILIANG", debit=10_000_001), Posting("4101", "AILILIANG", credit=10_000_001)),
    }[name]
    if name == "hash_version":
        with pytest.raises(ValueError):
            canonical_bytes(replace(ENTRY, hash_version=2), NAMES, FUNDS)
        return
    assert entry_hash(replace(ENTRY, **{name: changed}), NAMES, FUNDS) != entry_hash(ENTRY, NAMES, FUNDS)


def test_renaming_an_account_or_fund_changes_the_hash():
    base = entry_hash(ENTRY, NAMES, FUNDS)
    assert entry_hash(ENTRY, {**NAMES, "1002": "现金"}, FUNDS) != base
    assert entry_hash(ENTRY, NAMES, {"AILILIANG": "爱的力量"}) != base


def test_chain_problem_names_what_broke():
    sealed = replace(ENTRY, hash=entry_hash(ENTRY, NAMES, FUNDS))
    assert chain_problem(sealed, 1, GENESIS_HASH, NAMES, FUNDS) is None
    assert "prev_hash" in chain_problem(sealed, 1, "a" * 64, NAMES, FUNDS)
    assert "expected entry #2" in chain_problem(sealed, 2, GENESIS_HASH, NAMES, FUNDS)
    assert "contents" in chain_problem(replace(sealed, memo="x"), 1, GENESIS_HASH, NAMES, FUNDS)
    assert "hash version" in chain_problem(replace(sealed, hash_version=9), 1, GENESIS_HASH, NAMES, FUNDS)
