"""The whole journal as plain-text accounting files, so outside tools can check our sums.

Two formats, with the same account names so their balances compare one to one:

- ``beancount`` (Beancount 3, checked by ``bean-check``);
- ``ledger`` (Ledger / hledger journal, read by hledger 1.25, also with ``--strict``); each account is
  declared with its hledger type (``; type: C`` on cash, so ``hledger cashflow`` finds it).

An account is named ``{Top}:{code}-{name}:{FUND}``, e.g. ``Assets:1002-银行存款:AILILIANG`` or
``Assets:1002-01-银行存款-工商银行:GENERAL`` for the sub-account ``1002.01``. Top is Assets,
Liabilities, Equity, Income or Expenses by the account's type. Beancount allows in a component only
letters, decimal digits and ``-``, beginning with a capital or a digit, so ``.`` in codes, ``_`` in
fund codes and anything else in names (spaces, brackets, punctuation) become ``-``. Debits are
positive and credits negative, in yuan with exactly two decimals.

The journal is streamed entry by entry, so memory stays bounded at any journal size. That is why the
account declarations (Beancount ``open``, hledger ``account``) come *after* the transactions: only then
is it known which (account, fund) pairs are used and the journal's earliest date, on which they are
all opened. Both tools order directives by date, not by their place in the file.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from datetime import date
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..db import models as m
from ..db import repository as repo
from ..ledger.accounts import Account, AccountType
from ..ledger.entries import Entry, format_number
from ..ledger.money import fen_to_str
from ..ledger.statements.cash_flow import is_cash

CURRENCY = "CNY"
TITLE = "妇女儿童事业发展基金 Fund Ledger"
FORMATS = ("beancount", "ledger")

TOP_LEVEL = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.NET_ASSETS: "Equity",
    AccountType.INCOME: "Income",
    AccountType.EXPENSE: "Expenses",
}


# --- names -------------------------------------------------------------------------------------

def _component_char_ok(ch: str) -> bool:
    """A letter, a decimal digit or ``-``: what Beancount allows inside an account component."""
    category = unicodedata.category(ch)
    return ch == "-" or category[0] == "L" or category == "Nd"


def is_valid_component(text: str) -> bool:
    """Beancount's rule for a component after the first: ``[\\p{Lu}\\p{Nd}][\\p{L}\\p{Nd}-]*``."""
    return (bool(text) and unicodedata.category(text[0]) in ("Lu", "Nd")
            and all(_component_char_ok(ch) for ch in text))


def _dashed(text: str) -> str:
    """``text`` with every run of characters a component may not hold turned into one ``-``."""
    chars = "".join(ch if _component_char_ok(ch) else "-" for ch in unicodedata.normalize("NFC", text))
    return re.sub(r"-{2,}", "-", chars).strip("-")


def account_component(account: Account) -> str:
    """``1002-银行存款``; ``1002.01 银行存款（工商银行）`` gives ``1002-01-银行存款-工商银行``."""
    code = account.code.replace(".", "-")
    name = _dashed(account.name)
    return f"{code}-{name}" if name else code


def fund_component(fund_code: str) -> str:
    """``GENERAL``; ``FUND_2`` gives ``FUND-2`` (fund codes never hold ``-``, so no two collide)."""
    return fund_code.replace("_", "-")


def account_name(account: Account, fund_code: str) -> str:
    """``Assets:1002-银行存款:AILILIANG``: the name both formats give ``account`` within a fund."""
    parts = (account_component(account), fund_component(fund_code))
    bad = [p for p in parts if not is_valid_component(p)]
    if bad:
        raise ValueError(f"cannot export account {account.code} in fund {fund_code}: {bad[0]!r} is not a valid account component")
    return ":".join((TOP_LEVEL[account.type], *parts))


class AccountNames:
    """Exported names per (account code, fund code), remembering which were used.

    Refuses, up front, a chart in which two accounts would get the same name (``1002.01`` named ``01 x``
    beside ``1002.01.01`` named ``x``): their balances would silently merge in the other tools.
    """

    def __init__(self, accounts: Mapping[str, Account]):
        self._accounts = accounts
        self._names: dict[tuple[str, str], str] = {}
        seen: dict[str, str] = {}
        for code, account in accounts.items():
            prefix = f"{TOP_LEVEL[account.type]}:{account_component(account)}"
            if prefix in seen:
                raise ValueError(f"accounts {seen[prefix]} and {code} would both export as {prefix}: rename one")
            seen[prefix] = code

    def __call__(self, code: str, fund: str) -> str:
        name = self._names.get((code, fund))
        if name is None:
            if code not in self._accounts:
                raise ValueError(f"a posting uses account {code!r}, which is not in the chart")
            name = self._names[(code, fund)] = account_name(self._accounts[code], fund)
        return name

    @property
    def used(self) -> list[str]:
        return sorted(self._names.values())

    @property
    def used_accounts(self) -> list[tuple[str, Account]]:
        """(exported name, account) of every pair used, by name."""
        return sorted((name, self._accounts[code]) for (code, _fund), name in self._names.items())


# --- text --------------------------------------------------------------------------------------

_CONTROL_TO_SPACE = {code: " " for code in (*range(32), 0x7F)}


def one_line(text: str) -> str:
    """``text`` with newlines, tabs and other control characters turned into spaces."""
    return text.translate(_CONTROL_TO_SPACE)


def beancount_string(text: str) -> str:
    """A Beancount string literal: one line, with ``\\`` and ``"`` escaped."""
    return '"' + one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def ledger_text(text: str) -> str:
    """Text for an hledger description or comment: one line, ``;`` replaced by the full-width ``；``.

    hledger ends a description at ``;`` (the rest would become a comment), so a memo such as
    ``捐赠; 备注`` is written ``捐赠； 备注``; no other character is changed.
    """
    return one_line(text).replace(";", "；")


def ledger_tag_value(text: str) -> str:
    """A tag value in an hledger comment: as :func:`ledger_text`, and ``,`` (which ends a tag) as ``，``."""
    return ledger_text(text).replace(",", "，")


def _code(entry: Entry) -> str:
    return getattr(entry.code, "value", entry.code)


# --- Beancount ---------------------------------------------------------------------------------

def beancount_header(title: str = TITLE) -> str:
    return (f"option \"title\" {beancount_string(title)}\n"
            f"option \"operating_currency\" \"{CURRENCY}\"\n"
            f"; Accounts are opened at the end of the file, on the journal's earliest date.\n")


def beancount_transaction(entry: Entry, names: AccountNames, reverses: str | None = None) -> str:
    """One entry as a Beancount transaction; ``reverses`` is the reversed entry's number."""
    lines = [f"\n{entry.accounting_date.isoformat()} * {beancount_string(entry.memo)}",
             f"  number: \"{entry.number}\"",
             f"  code: {beancount_string(_code(entry))}",
             f"  hash: {beancount_string(entry.hash)}"]
    if entry.source is not None:
        lines.append(f"  source: {beancount_string(entry.source)}")
    if reverses is not None:
        lines.append(f"  reverses: {beancount_string(reverses)}")
    lines += [f"  {names(p.account, p.fund)}  {fen_to_str(p.debit - p.credit)} {CURRENCY}" for p in entry.postings]
    return "\n".join(lines) + "\n"


def beancount_footer(names: AccountNames, opened_on: date | None) -> str:
    if opened_on is None:
        return ""
    return "\n" + "".join(f"{opened_on.isoformat()} open {name} {CURRENCY}\n" for name in names.used)


# --- Ledger / hledger --------------------------------------------------------------------------

def ledger_header(title: str = TITLE) -> str:
    return (f"; {ledger_text(title)}\n"
            f"; Accounts are declared at the end of the file.\n\n"
            f"commodity {CURRENCY} 1,000.00\n")


def ledger_transaction(entry: Entry, names: AccountNames, reverses: str | None = None) -> str:
    """One entry as an hledger transaction: ``DATE * NUMBER | MEMO``, a tag comment, the postings."""
    tags = [f"code:{ledger_tag_value(_code(entry))}", f"hash:{ledger_tag_value(entry.hash)}"]
    if entry.source is not None:
        tags.append(f"source:{ledger_tag_value(entry.source)}")
    if reverses is not None:
        tags.append(f"reverses:{ledger_tag_value(reverses)}")
    lines = [f"\n{entry.accounting_date.isoformat()} * {entry.number} | {ledger_text(entry.memo)}",
             f"    ; {', '.join(tags)}"]
    lines += [f"    {names(p.account, p.fund)}  {CURRENCY} {fen_to_str(p.debit - p.credit)}" for p in entry.postings]
    return "\n".join(lines) + "\n"


LEDGER_TYPES = {AccountType.ASSET: "A", AccountType.LIABILITY: "L", AccountType.NET_ASSETS: "E",
                AccountType.INCOME: "R", AccountType.EXPENSE: "X"}
"""hledger's account types. Cash (1001, 1002, 1009 and their sub-accounts) is ``C``, so that ``hledger cashflow``
reads the same cash as our 现金流量表; hledger would not guess it from names such as ``1002-银行存款``."""


def ledger_account_type(account: Account) -> str:
    return "C" if is_cash(account.code) else LEDGER_TYPES[account.type]


def ledger_footer(names: AccountNames, opened_on: date | None) -> str:
    used = names.used_accounts
    return ("\n" + "".join(f"account {name}  ; type: {ledger_account_type(account)}\n"
                           for name, account in used)) if used else ""


_WRITERS = {
    "beancount": (beancount_header, beancount_transaction, beancount_footer),
    "ledger": (ledger_header, ledger_transaction, ledger_footer),
}


# --- the export --------------------------------------------------------------------------------

def write_journal(entries: Iterable[Entry], accounts: Mapping[str, Account], fmt: str, out: TextIO, *,
                  reversed_numbers: Iterable[tuple[int, str]] = (), title: str = TITLE) -> int:
    """Write ``entries`` (in chain order) to ``out`` in ``fmt``; return how many were written.

    ``reversed_numbers`` gives (position of a reversal, number of the entry it reverses) in order of
    position, so the number can be written without holding the whole journal in memory.
    """
    if fmt not in _WRITERS:
        raise ValueError(f"unknown export format {fmt!r} (expected one of {', '.join(FORMATS)})")
    header, transaction, footer = _WRITERS[fmt]
    names = AccountNames(accounts)
    lookup = _OrderedLookup(reversed_numbers)
    out.write(header(title))
    count, earliest = 0, None
    for entry in entries:
        reverses = None
        if entry.reverses is not None:
            reverses = lookup.get(entry.seq) or f"#{entry.reverses}"  # "#n": the chain position, if the number is lost
        out.write(transaction(entry, names, reverses))
        count += 1
        if earliest is None or entry.accounting_date < earliest:
            earliest = entry.accounting_date
    out.write(footer(names, earliest))
    return count


class _OrderedLookup:
    """Values by ascending key from a stream sorted by key, read in step with ascending queries."""

    def __init__(self, pairs: Iterable[tuple[int, str]]):
        self._pairs = pairs
        self._head: tuple[int, str] | None = None
        self._started = False

    def get(self, key: int) -> str | None:
        if not self._started:  # read on first use, after the journal's own queries have begun
            self._pairs, self._started = iter(self._pairs), True
            self._head = next(self._pairs, None)
        while self._head is not None and self._head[0] < key:
            self._head = next(self._pairs, None)
        return self._head[1] if self._head is not None and self._head[0] == key else None


def _reversed_numbers(session: Session, chunk: int = 5000) -> Iterator[tuple[int, str]]:
    """(position of each reversal, number of the entry it reverses), in chain order, streamed."""
    original = aliased(m.Entry)
    query = (select(m.Entry.id, original.year, original.year_seq)
             .join(original, original.id == m.Entry.reverses_id).order_by(m.Entry.id))
    with session.connection().execute(query.execution_options(yield_per=chunk)) as rows:
        for seq, year, year_seq in rows:
            yield seq, format_number(year, year_seq)


def export_journal(session: Session, fmt: str, out: TextIO, *, through: date | None = None) -> int:
    """Stream the journal to ``out`` as ``beancount`` or ``ledger`` (hledger) text; return the entry count.

    ``through``: only the entries dated on or before that day (the books as they stood at its end, as a
    statement as of that date shows them); by default the whole journal.
    """
    accounts = repo.load_accounts(session)
    where = m.Entry.accounting_date <= through if through is not None else None
    # closing(): cursors left part-read (always the reversals', the journal's on an error) close now, not when collected.
    with closing(_reversed_numbers(session)) as reversed_numbers, \
            closing(repo.iter_entries(session, where=where)) as entries:
        return write_journal(entries, accounts, fmt, out, reversed_numbers=reversed_numbers)


__all__ = ["export_journal", "write_journal", "account_name", "account_component", "fund_component",
           "beancount_string", "ledger_text", "is_valid_component", "FORMATS"]
