"""Accounts and funds as plain records, and the chart of accounts as data.

The chart of the 民间非营利组织会计制度 (2004) ships as ``data/chart_2004.csv``; the 2024 revision
renumbers some expense accounts, so the chart is data that a later revision can replace, not code.
"""
from __future__ import annotations

import csv
import enum
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources


class AccountType(str, enum.Enum):
    ASSET = "asset"
    LIABILITY = "liability"
    NET_ASSETS = "net_assets"
    INCOME = "income"
    EXPENSE = "expense"


class Side(str, enum.Enum):
    DEBIT = "debit"
    CREDIT = "credit"


ACCOUNT_CODE_RE = re.compile(r"^[1-5][0-9]{3}(?:\.[0-9]{2}){0,3}$")
"""A top-level code has four digits; a sub-account appends ``.NN`` to its parent's code (``1002.01``)."""

FUND_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")

GENERAL_FUND_CODE = "GENERAL"


@dataclass(frozen=True, slots=True)
class Account:
    code: str
    """Stable identifier, e.g. ``"1002"`` or ``"1002.01"``; never changes once used."""
    name: str
    """The Chinese name shown in the books (会计科目名称), e.g. ``"银行存款"``."""
    name_en: str
    type: AccountType
    normal_side: Side
    """The side on which the balance normally stands; contra accounts (累计折旧) differ from their type."""
    monetary: bool = False
    """Cash-like (现金, 银行存款, 其他货币资金): a fund's balance is the money it holds in these accounts."""
    parent: str | None = None

    def signed_balance(self, debits: int, credits: int) -> int:
        """The balance on the account's normal side (positive when normal)."""
        return debits - credits if self.normal_side is Side.DEBIT else credits - debits


@dataclass(frozen=True, slots=True)
class Fund:
    code: str
    """Stable identifier in ASCII capitals, e.g. ``"GENERAL"`` or ``"AILILIANG"``."""
    name: str
    restricted: bool
    """Donor-imposed purpose (限定性): money may leave it only towards that purpose."""
    purpose: str = ""
    name_en: str = ""
    end_date: date | None = None


def load_chart(name: str = "chart_2004.csv") -> tuple[Account, ...]:
    """The standard chart of accounts shipped with the package."""
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    return tuple(
        Account(
            code=row["code"],
            name=row["name"],
            name_en=row["name_en"],
            type=AccountType(row["type"]),
            normal_side=Side(row["normal_side"]),
            monetary=row["monetary"] == "1",
        )
        for row in csv.DictReader(text.splitlines())
    )


def sub_account_errors(parent: Account | None, code: str, name: str) -> list[str]:
    """Why a sub-account may not be added under ``parent`` (empty when it may)."""
    errors = []
    if parent is None:
        return ["parent account does not exist"]
    if not ACCOUNT_CODE_RE.match(code) or not code.startswith(parent.code + ".") or code.count(".") != parent.code.count(".") + 1:
        errors.append(f"a sub-account of {parent.code} is coded {parent.code}.NN (two digits)")
    if not name.strip() or len(name) > 60:
        errors.append("name must be 1 to 60 characters")
    return errors
