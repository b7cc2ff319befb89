"""The hash chain: each entry's SHA-256 covers a canonical byte form of every field of the entry,
every field of every posting, and the previous entry's hash.

Version 1 of the canonical form is UTF-8 JSON with keys sorted, no whitespace, non-ASCII text kept
as is (``ensure_ascii=False``), integers for amounts and positions, and ``null`` for absent values.
Any canonical-JSON encoder reproduces it, so an outsider can recompute a hash without our code::

    {"accounting_date":"2026-03-01","actor":"manager","code":"donation","hash_version":1,
     "memo":"...","postings":[{"account":"1002","account_name":"银行存款","credit":0,
     "debit":10000000,"fund":"AILILIANG","fund_name":"爱力量","line":1}, ...],
     "prev_hash":"000…0","recorded_at":"2026-03-01T02:00:00.000000Z","reverses":null,
     "seq":1,"source":"donation:1","year":2026,"year_seq":1}

Account and fund *names* are hashed as well as codes: a reader of the books sees the name, so a
renamed account would change what the books say (Odoo's chain missed the account; ours does not).
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from json.encoder import encode_basestring as _quote  # C-accelerated, ensure_ascii=False semantics

from .entries import Entry

HASH_VERSION = 1
GENESIS_HASH = "0" * 64


def _q(value: str | None) -> str:
    return "null" if value is None else _quote(value)


def _n(value: int | None) -> str:
    return "null" if value is None else str(int(value))


class CanonicalWriter:
    """Writes canonical bytes (version 1) from plain values.

    Written out by hand rather than with json.dumps(sort_keys=True): the same bytes, several times
    faster, and verify spends nearly all its time here. The quoted account and fund part of a posting
    is kept per (account, fund), so a million entries quote each pair once. Keys are in sorted order.
    """

    def __init__(self, account_names: Mapping[str, str], fund_names: Mapping[str, str]):
        self._accounts, self._funds = account_names, fund_names
        self._pieces: dict[tuple[str, str], tuple[str, str]] = {}

    def posting(self, line: int, account: str, fund: str, debit: int, credit: int) -> str:
        pieces = self._pieces.get((account, fund))
        if pieces is None:
            pieces = self._pieces[(account, fund)] = (
                f'{{"account":{_quote(account)},"account_name":{_q(self._accounts.get(account))},',
                f',"fund":{_quote(fund)},"fund_name":{_q(self._funds.get(fund))},"line":')
        return f'{pieces[0]}"credit":{credit},"debit":{debit}{pieces[1]}{line}}}'

    def entry(self, *, seq: int, year: int, year_seq: int, accounting_date: str, recorded_at: str, code: str,
              memo: str, actor: str, source: str | None, reverses: int | None, prev_hash: str, hash_version: int,
              postings: list[str]) -> bytes:
        if hash_version != HASH_VERSION:
            raise ValueError(f"unknown hash version {hash_version}")
        return (
            f'{{"accounting_date":"{accounting_date}","actor":{_quote(actor)},"code":{_quote(code)},'
            f'"hash_version":{hash_version},"memo":{_quote(memo)},"postings":[{",".join(postings)}],'
            f'"prev_hash":{_quote(prev_hash)},"recorded_at":{_quote(recorded_at)},'
            f'"reverses":{_n(reverses)},"seq":{seq},"source":{_q(source)},'
            f'"year":{year},"year_seq":{year_seq}}}'
        ).encode("utf-8")


def canonical_bytes(entry: Entry, account_names: Mapping[str, str], fund_names: Mapping[str, str]) -> bytes:
    """The exact bytes that are hashed for ``entry`` (format version 1)."""
    w = CanonicalWriter(account_names, fund_names)
    return w.entry(
        seq=entry.seq, year=entry.year, year_seq=entry.year_seq, accounting_date=entry.accounting_date.isoformat(),
        recorded_at=entry.recorded_at, code=getattr(entry.code, "value", entry.code), memo=entry.memo,
        actor=entry.actor, source=entry.source, reverses=entry.reverses, prev_hash=entry.prev_hash,
        hash_version=entry.hash_version,
        postings=[w.posting(i, p.account, p.fund, p.debit, p.credit) for i, p in enumerate(entry.postings, start=1)])


def entry_hash(entry: Entry, account_names: Mapping[str, str], fund_names: Mapping[str, str]) -> str:
    """Hex SHA-256 of the entry's canonical bytes (which include ``prev_hash``)."""
    return hashlib.sha256(canonical_bytes(entry, account_names, fund_names)).hexdigest()


def chain_problem(entry: Entry, expected_seq: int, expected_prev: str,
                  account_names: Mapping[str, str], fund_names: Mapping[str, str]) -> str | None:
    """What is wrong with ``entry`` as the next link of a chain, or None when it is sound."""
    if entry.seq != expected_seq:
        return f"expected entry #{expected_seq} in the chain, found #{entry.seq}"
    if entry.prev_hash != expected_prev:
        return "prev_hash does not match the previous entry's hash"
    if entry.hash_version != HASH_VERSION:
        return f"unknown hash version {entry.hash_version}"
    if entry_hash(entry, account_names, fund_names) != entry.hash:
        return "stored hash does not match the entry's contents"
    return None
