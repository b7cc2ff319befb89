"""The export, checked by outside witnesses: ``bean-check`` and hledger read our journal and must reach
exactly the balances the database keeps, account by account and fund by fund.

With ``CI=true`` a missing ``bean-check`` or ``hledger`` fails these tests instead of skipping them.
"""
from __future__ import annotations

import csv
import io
import os
import random
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import account as bc_account
from beancount.core import data as bc_data

from fund_ledger.db import repository as repo
from fund_ledger.ledger.accounts import GENERAL_FUND_CODE, Account, AccountType, Side
from fund_ledger.ledger.entries import Entry, EntryCode, EntryDraft, Posting
from fund_ledger.reports.export import (
    TOP_LEVEL, AccountNames, account_component, account_name, beancount_string, export_journal,
    is_valid_component, ledger_text, one_line, write_journal,
)
from fund_ledger.reports.trial_balance import build_trial_balance
from fund_ledger.services.demo import load_demo
from fund_ledger.services.funds import add_sub_account, create_fund
from fund_ledger.services.ledger import post_entry, reverse_entry
from tests.factories import MANAGER, TODAY

IN_CI = os.environ.get("CI", "").lower() == "true"

NASTY_MEMO = 'A "quoted" \\ back; semi | pipe\n第二行\t捐赠（现金）'


# --- helpers -----------------------------------------------------------------------------------

def require_tool(name: str) -> str:
    """Path of an outside tool; in CI its absence fails the test, elsewhere it skips it."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        message = f"{name} is not installed"
        if IN_CI:
            pytest.fail(f"{message}, and CI=true requires it")
        pytest.skip(message)
    return found


def run(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert result.returncode == 0, f"{args[0]} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def to_fen(number: Decimal) -> int:
    fen = number * 100
    assert fen == fen.to_integral_value(), f"{number} is not a whole number of fen"
    return int(fen)


def hledger_fen(text: str) -> int:
    """``CNY -1,234.50`` or ``0`` (hledger prints a zero balance without its commodity) as fen."""
    text = text.strip()
    if text == "0":
        return 0
    commodity, _, number = text.partition(" ")
    assert commodity == "CNY", f"unexpected hledger amount {text!r}"
    return to_fen(Decimal(number.replace(",", "")))


def export_to(session, fmt: str, path: Path) -> int:
    with open(path, "w", encoding="utf-8") as fh:
        return export_journal(session, fmt, fh)


def beancount_witness(path: Path) -> tuple[dict[str, int], list[bc_data.Transaction]]:
    """Balance per account as Beancount computes it from the file (and the transactions it read)."""
    entries, errors, options = loader.load_file(str(path))
    assert errors == [], errors
    assert options["operating_currency"] == ["CNY"]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    transactions = [e for e in entries if isinstance(e, bc_data.Transaction)]
    for t in transactions:
        for p in t.postings:
            assert p.units.currency == "CNY"
            totals[p.account] += p.units.number
    return {a: to_fen(n) for a, n in totals.items()}, transactions


def hledger_csv(hledger: str, path: Path, *args: str) -> dict[str, int]:
    rows = list(csv.reader(io.StringIO(run(hledger, "-f", str(path), "balance", "--empty", "--no-total",
                                           "-O", "csv", *args))))
    assert rows[0] == ["account", "balance"], rows[:1]
    return {account: hledger_fen(amount) for account, amount in rows[1:]}


def expected_balances(session) -> dict[str, int]:
    """Debits less credits per exported account name, from the ``account_balances`` table."""
    accounts = repo.load_accounts(session)
    return {account_name(accounts[code], fund): b.debits_posted - b.credits_posted
            for (code, fund), b in repo.stored_balances(session).items() if b.debits_posted or b.credits_posted}


def per_account(session, balances: dict[str, int]) -> dict[str, int]:
    """Sum a witness's (account, fund) balances over funds, keyed by our account code."""
    code_of = {f"{TOP_LEVEL[a.type]}:{account_component(a)}": code for code, a in repo.load_accounts(session).items()}
    totals: dict[str, int] = defaultdict(int)
    for name, fen in balances.items():
        totals[code_of[name.rsplit(":", 1)[0]]] += fen
    return dict(totals)


def check_witnesses(session, tmp_path: Path) -> None:
    """Export both formats; bean-check and hledger must accept them and agree with our balances."""
    bean_check, hledger = require_tool("bean-check"), require_tool("hledger")
    entry_count = repo.chain_head(session)[0]
    numbers = [e.number for e in repo.iter_entries(session)]
    beancount_file, ledger_file = tmp_path / "books.beancount", tmp_path / "books.journal"
    assert export_to(session, "beancount", beancount_file) == entry_count
    assert export_to(session, "ledger", ledger_file) == entry_count

    # The tools accept the files: bean-check silently, hledger even in strict mode (declared accounts
    # and commodities). Command: bean-check FILE; hledger -f FILE check --strict
    result = subprocess.run([bean_check, str(beancount_file)], capture_output=True, text=True, timeout=300)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    run(hledger, "-f", str(ledger_file), "check", "--strict")

    expected = expected_balances(session)
    beancount_balances, transactions = beancount_witness(beancount_file)
    # hledger -f FILE balance --empty --no-total -O csv --flat: one row per leaf account, zeros included.
    hledger_balances = hledger_csv(hledger, ledger_file, "--flat")
    assert beancount_balances == expected
    assert hledger_balances == expected
    assert sorted(t.meta["number"] for t in transactions) == sorted(numbers)

    # Per account, over all funds: the trial balance.
    tb = build_trial_balance(session, today=TODAY)
    ours = {r.code: r.debit - r.credit for r in tb.accounts}
    assert per_account(session, beancount_balances) == ours
    assert per_account(session, hledger_balances) == ours

    # Each fund balances on its own: hledger, with every account renamed to its fund, sums each to zero.
    per_fund = hledger_csv(hledger, ledger_file, "--alias", r"/^.*:([^:]+)$/=\1")
    assert set(per_fund) == {name.rsplit(":", 1)[1] for name in expected}
    assert per_fund == dict.fromkeys(per_fund, 0)


# --- names and escaping (pure) -----------------------------------------------------------------

def _account(code: str, name: str, type_: AccountType = AccountType.ASSET) -> Account:
    return Account(code, name, "", type_, Side.DEBIT, parent=code.rpartition(".")[0] or None)


def test_account_names_follow_beancount_rules():
    cases = {
        ("1002", "银行存款", AccountType.ASSET, "AILILIANG"): "Assets:1002-银行存款:AILILIANG",
        ("1002.01", "银行存款（工商银行） 张店支行", AccountType.ASSET, GENERAL_FUND_CODE):
            "Assets:1002-01-银行存款-工商银行-张店支行:GENERAL",
        ("2209.01.03", "Other payables / 其他", AccountType.LIABILITY, "FUND_2"): "Liabilities:2209-01-03-Other-payables-其他:FUND-2",
        ("3101", "非限定性净资产", AccountType.NET_ASSETS, "F2024"): "Equity:3101-非限定性净资产:F2024",
        ("4101", "捐赠收入", AccountType.INCOME, "TONGMENG"): "Income:4101-捐赠收入:TONGMENG",
        ("5101.02", "“喜悦绘”项目", AccountType.EXPENSE, "TONGMENG"): "Expenses:5101-02-喜悦绘-项目:TONGMENG",
        ("1002.02", "（）", AccountType.ASSET, "GENERAL"): "Assets:1002-02:GENERAL",
    }
    for (code, name, type_, fund), exported in cases.items():
        got = account_name(_account(code, name, type_), fund)
        assert got == exported
        assert bc_account.is_valid(got), got
        assert all(is_valid_component(c) for c in got.split(":")[1:])


def test_names_that_would_collide_are_refused():
    accounts = {"1002.01.01": _account("1002.01.01", "x"), "1002.01": _account("1002.01", "01 x")}
    with pytest.raises(ValueError, match="both export as Assets:1002-01-01-x"):
        AccountNames(accounts)


def test_memos_are_escaped_for_each_format():
    assert one_line(NASTY_MEMO) == 'A "quoted" \\ back; semi | pipe 第二行 捐赠（现金）'
    assert beancount_string(NASTY_MEMO) == '"A \\"quoted\\" \\\\ back; semi | pipe 第二行 捐赠（现金）"'
    assert ledger_text(NASTY_MEMO) == 'A "quoted" \\ back； semi | pipe 第二行 捐赠（现金）'


def test_beancount_reads_back_the_memo_and_metadata():
    accounts = {"1002.01": _account("1002.01", "银行存款（工商银行）"),
                "4101": _account("4101", "捐赠收入", AccountType.INCOME)}
    entries = [
        Entry(1, 2026, 1, date(2026, 9, 8), "2026-09-08T02:00:00.000000Z", EntryCode.DONATION, NASTY_MEMO, "manager",
              (Posting("1002.01", "FUND_2", debit=123_45), Posting("4101", "FUND_2", credit=123_45)),
              source='gift:"1"', hash="ab" * 32),
        Entry(2, 2026, 2, date(2026, 9, 1), "2026-09-09T02:00:00.000000Z", EntryCode.REVERSAL, "冲销", "manager",
              (Posting("1002.01", "FUND_2", credit=123_45), Posting("4101", "FUND_2", debit=123_45)),
              reverses=1, hash="cd" * 32),
    ]
    out = io.StringIO()
    assert write_journal(entries, accounts, "beancount", out, reversed_numbers=[(2, "2026-000001")]) == 2
    parsed, errors, _ = loader.load_string(out.getvalue())
    assert errors == []
    opens = [e for e in parsed if isinstance(e, bc_data.Open)]
    assert {o.date for o in opens} == {date(2026, 9, 1)}  # the earliest date, not the first entry's
    first, second = (e for e in parsed if isinstance(e, bc_data.Transaction))
    assert first.date == date(2026, 9, 1) and second.narration == one_line(NASTY_MEMO)
    assert (second.meta["number"], second.meta["code"], second.meta["source"]) == ("2026-000001", "donation", 'gift:"1"')
    assert (first.meta["number"], first.meta["reverses"]) == ("2026-000002", "2026-000001")
    assert [str(p.units) for p in second.postings] == ["123.45 CNY", "-123.45 CNY"]


def test_empty_journal_and_unknown_format():
    out = io.StringIO()
    assert write_journal([], {}, "ledger", out) == 0
    assert "commodity CNY 1,000.00" in out.getvalue()
    with pytest.raises(ValueError, match="unknown export format"):
        write_journal([], {}, "csv", io.StringIO())


# --- outside witnesses -------------------------------------------------------------------------

@pytest.mark.slow
def test_demo_ledger_matches_beancount_and_hledger(session, tmp_path):
    load_demo(session, today=TODAY)
    session.commit()
    check_witnesses(session, tmp_path)


MEMOS = ["捐赠", NASTY_MEMO, "(not a code) 张店区捐赠", "拨付；分期 1/3", "tab\there", "#1 王秀兰; \"小额\""]


def build_random_ledger(session, seed: int, steps: int = 120) -> None:
    """Gifts, grants and reversals over a few funds, sub-accounts and years, never overdrawing a fund."""
    rng = random.Random(seed)
    funds = {GENERAL_FUND_CODE: False}
    for code, name in [("AILILIANG", "爱力量"), ("TONG_MENG", "童梦童行"), ("F2024", "二〇二四专项")]:
        create_fund(session, MANAGER, code=code, name=name, restricted=True, purpose="测试")
        funds[code] = True
    add_sub_account(session, MANAGER, parent="1002", code="1002.01", name="银行存款（工商银行） 张店支行")
    add_sub_account(session, MANAGER, parent="1002", code="1002.02", name="Bank of China / 中国银行")
    cash_accounts = ["1002.01", "1002.02", "1001", "1009"]
    held: dict[tuple[str, str], int] = defaultdict(int)  # fen per (fund, cash account)
    reversible: list[tuple[Entry, str, str, int]] = []  # (entry, fund, cash account, fen into the fund)

    def day(after: date = date(2025, 1, 1)) -> date:
        return after + timedelta(days=rng.randint(0, (TODAY - after).days))

    for _ in range(steps):
        roll = rng.random()
        with_cash = [k for k, v in held.items() if v > 0]
        if roll < 0.5 or not with_cash:
            fund, account = rng.choice(sorted(funds)), rng.choice(cash_accounts)
            fen = rng.choice([rng.randint(1, 99), rng.randint(100, 10_000_00), rng.randint(1, 10**11)])
            entry = post_entry(session, MANAGER, EntryDraft(day(), EntryCode.DONATION, rng.choice(MEMOS), (
                Posting(account, fund, debit=fen), Posting("4101", fund, credit=fen)), source=f"gift:{rng.randint(1, 999)}"),
                today=TODAY)
            held[(fund, account)] += fen
            reversible.append((entry, fund, account, fen))
        elif roll < 0.8:
            fund, account = rng.choice(sorted(with_cash))
            fen = rng.randint(1, held[(fund, account)])
            postings = (Posting("5101", fund, debit=fen), Posting(account, fund, credit=fen))
            if funds[fund]:
                postings += (Posting("3102", fund, debit=fen), Posting("3101", fund, credit=fen))
            entry = post_entry(session, MANAGER, EntryDraft(day(), EntryCode.DISBURSEMENT, rng.choice(MEMOS), postings),
                               today=TODAY)
            held[(fund, account)] -= fen
            reversible.append((entry, fund, account, -fen))
        else:
            candidates = [r for r in reversible if held[(r[1], r[2])] >= r[3]]
            if not candidates:
                continue
            original, fund, account, fen = rng.choice(candidates)
            reversible.remove((original, fund, account, fen))
            reverse_entry(session, MANAGER, original.number, rng.choice(MEMOS),
                          accounting_date=day(original.accounting_date), today=TODAY)
            held[(fund, account)] -= fen
    session.commit()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [20261127, 7])
def test_random_ledger_matches_beancount_and_hledger(session, tmp_path, seed):
    build_random_ledger(session, seed)
    check_witnesses(session, tmp_path)

    # hledger read every description whole: ";" did not cut a memo short into a comment.
    hledger = require_tool("hledger")
    rows = list(csv.DictReader(io.StringIO(run(hledger, "-f", str(tmp_path / "books.journal"), "print", "-O", "csv"))))
    described = {(r["txnidx"], r["description"]) for r in rows}
    assert sorted(d for _, d in described) == sorted(f"{e.number} | {ledger_text(e.memo)}" for e in repo.iter_entries(session))
