"""What the statements share: the account codes they name, totals of debits and credits, and a line of a layout."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

UNRESTRICTED_NET_ASSETS = "3101"
RESTRICTED_NET_ASSETS = "3102"
GRANT_EXPENSE = "5101"
MANAGEMENT_EXPENSE = "5201"
DONATION_INCOME = "4101"


def top_code(code: str) -> str:
    """``1002.01`` belongs to ``1002``: statements add sub-accounts into their top-level account."""
    return code.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Totals:
    """Debits and credits of one account (or a group of them), in fen."""

    debits: int = 0
    credits: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.debits + other.debits, self.credits + other.credits)

    def __sub__(self, other: Totals) -> Totals:
        return Totals(self.debits - other.debits, self.credits - other.credits)

    @property
    def debit_balance(self) -> int:
        return self.debits - self.credits

    @property
    def credit_balance(self) -> int:
        return self.credits - self.debits


TotalsByAccountFund = Mapping[tuple[str, str], Totals]
"""(account code, fund code) -> totals."""


@dataclass(frozen=True, slots=True)
class LineSpec:
    """One line of a statement's layout: a label and the top-level codes it adds up."""

    key: str
    zh: str
    en: str
    codes: tuple[str, ...] = ()
    kind: str = "line"
    """``heading`` (a caption, no figures), ``line``, ``subtotal`` (adds the lines of its section) or ``total``."""
    indent: int = 1


def _l(key, zh, en, *codes, kind="line", indent=1) -> LineSpec:
    return LineSpec(key, zh, en, tuple(codes), kind, indent)


def _line_of(specs: Iterable[LineSpec]) -> dict[str, str]:
    return {code: spec.key for spec in specs for code in spec.codes}


def _keys(specs: tuple[LineSpec, ...]) -> frozenset[str]:
    return frozenset(s.key for s in specs)
