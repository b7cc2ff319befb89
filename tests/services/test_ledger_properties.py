"""Properties of the whole ledger, on both databases, for any sequence of operations hypothesis invents.

1. Whatever is attempted, every fund and the whole ledger stay in balance, no fund's money goes below
   what it has promised, what was refused changed nothing, and ``verify`` passes.
2. Changing any single stored field of any entry or posting behind the triggers' back makes ``verify``
   fail and name that entry.

Each example runs in one transaction that is rolled back, so examples do not see each other.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from fund_ledger.db import repository as repo
from fund_ledger.db.engine import write_session
from fund_ledger.ledger.balances import money_delta
from fund_ledger.ledger.entries import EntryCode
from fund_ledger.reports.trial_balance import build_trial_balance
from fund_ledger.services.errors import Conflict, RuleBroken
from fund_ledger.services.ledger import reverse_entry
from fund_ledger.services.verify import verify_ledger
from tests.db.tamper import disable_guards
from tests.factories import MANAGER, TODAY, gift_draft, grant_draft, make_fund, post

FUNDS = ["GENERAL", "AILILIANG", "TONGMENG"]
days = st.dates(date(2026, 1, 1), TODAY)
amounts = st.integers(1, 10**11)  # fen: up to a billion yuan
operation = st.one_of(
    st.tuples(st.just("gift"), st.sampled_from(FUNDS), st.sampled_from(["1001", "1002", "1009"]), amounts, days),
    st.tuples(st.just("grant"), st.sampled_from(FUNDS), amounts, days),
    st.tuples(st.just("reverse"), st.integers(0, 1000), days),
)
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _setup(session):
    make_fund(session, "AILILIANG", "爱力量")
    make_fund(session, "TONGMENG", "童梦童行", purpose="暑期课堂")


def _run(session, ops):
    """Apply ``ops`` through the services, keeping an independent model of each fund's money."""
    accounts = repo.load_accounts(session)
    money = dict.fromkeys(FUNDS, 0)
    posted = []
    for op in ops:
        if op[0] == "gift":
            _, fund, account, fen, day = op
            posted.append(post(session, gift_draft(fund, fen, day, account)))
            money[fund] += fen
        elif op[0] == "grant":
            _, fund, fen, day = op
            if money[fund] >= fen:
                posted.append(post(session, grant_draft(fund, fen, day)))
                money[fund] -= fen
            else:
                with pytest.raises(RuleBroken) as err:
                    post(session, grant_draft(fund, fen, day))
                assert err.value.code == "insufficient_funds"
        elif posted:
            _, index, day = op
            target = posted[index % len(posted)]
            delta = money_delta(target.postings, accounts)
            already = target.code is EntryCode.REVERSAL or any(e.reverses == target.seq for e in posted)
            overdraws = any(money[f] - d < 0 for f, d in delta.items())
            if already or overdraws:
                with pytest.raises((Conflict, RuleBroken)):
                    reverse_entry(session, MANAGER, target.number, "test", accounting_date=day, today=TODAY)
            else:
                posted.append(reverse_entry(session, MANAGER, target.number, "更正", accounting_date=day, today=TODAY))
                for f, d in delta.items():
                    money[f] -= d
    return posted, money


@SETTINGS
@given(ops=st.lists(operation, min_size=1, max_size=12))
def test_any_sequence_keeps_every_fund_balanced_and_verifiable(engine, ops):
    with write_session(engine) as session:
        session.begin()
        _setup(session)
        posted, money = _run(session, ops)

        report = verify_ledger(session)
        assert report.ok, report.problems
        assert report.entries == len(posted)
        per_fund = dict(session.execute(text("SELECT fund_code, sum(debit) - sum(credit) FROM postings GROUP BY fund_code")).all())
        assert all(v == 0 for v in per_fund.values()), per_fund
        tb = build_trial_balance(session, today=TODAY)
        assert tb.total_debit == tb.total_credit
        positions = {f.code: f for f in tb.funds}
        for fund in FUNDS:
            assert positions[fund].balance == money[fund]
            assert positions[fund].available >= 0
        session.rollback()


ENTRY_FIELDS = ["id", "year", "year_seq", "accounting_date", "recorded_at", "code", "memo", "actor", "source",
                "reverses_id", "prev_hash", "hash", "hash_version"]
POSTING_FIELDS = ["entry_id", "line_no", "account_code", "fund_code", "amount"]


def _tamper_entry(session, entry, field) -> set[int]:
    """Change one field of ``entry``'s row; the chain positions verify may rightly name."""
    values = {
        "id": 10_000 + entry.seq, "year": entry.year + 1, "year_seq": entry.year_seq + 100_000,
        "accounting_date": entry.accounting_date - timedelta(days=1), "recorded_at": "1999" + entry.recorded_at[4:],
        "code": "manual" if entry.code is not EntryCode.MANUAL else "donation", "memo": entry.memo + "。",
        "actor": entry.actor + "x", "source": (entry.source or "") + "x",
        "reverses_id": entry.seq, "prev_hash": "f" * 64, "hash": "e" * 64, "hash_version": 2,
    }
    if field == "reverses_id":
        assume(entry.reverses is None and repo.reversed_by(session, entry.seq) is None)
    if field == "id":
        assume(repo.reversed_by(session, entry.seq) is None and entry.reverses is None)
    session.execute(text(f"UPDATE entries SET {field} = :v WHERE id = :id"), {"v": values[field], "id": entry.seq})
    return {entry.seq}


def _tamper_posting(session, entries, entry, line, field) -> set[int]:
    p = entry.postings[line]
    where = {"e": entry.seq, "l": line + 1}
    if field == "amount":
        column = "debit" if p.debit else "credit"
        session.execute(text(f"UPDATE postings SET {column} = {column} + 1 WHERE entry_id = :e AND line_no = :l"), where)
    elif field == "line_no":
        session.execute(text("UPDATE postings SET line_no = line_no + 10 WHERE entry_id = :e AND line_no = :l"), where)
    elif field == "account_code":
        other = "1001" if p.account != "1001" else "1002"
        session.execute(text("UPDATE postings SET account_code = :a WHERE entry_id = :e AND line_no = :l"), {**where, "a": other})
    elif field == "fund_code":
        other = "GENERAL" if p.fund != "GENERAL" else "AILILIANG"
        session.execute(text("UPDATE postings SET fund_code = :f WHERE entry_id = :e AND line_no = :l"), {**where, "f": other})
    else:  # move the posting to another entry, at a line number that entry does not use
        assume(len(entries) > 1)
        target = entries[0] if entries[0].seq != entry.seq else entries[1]
        assume(len(target.postings) < line + 1)
        session.execute(text("UPDATE postings SET entry_id = :t WHERE entry_id = :e AND line_no = :l"), {**where, "t": target.seq})
        return {min(entry.seq, target.seq)}
    return {entry.seq}


@SETTINGS
@given(ops=st.lists(operation, min_size=1, max_size=8), data=st.data())
def test_any_single_changed_field_is_found_and_named(engine, ops, data):
    with write_session(engine) as session:
        session.begin()
        _setup(session)
        posted, _ = _run(session, ops)
        assume(posted)
        entries = list(repo.iter_entries(session, chunk=None))
        entry = data.draw(st.sampled_from(entries), label="entry")
        disable_guards(session)
        if data.draw(st.booleans(), label="posting?"):
            line = data.draw(st.integers(0, len(entry.postings) - 1), label="line")
            field = data.draw(st.sampled_from(POSTING_FIELDS), label="posting field")
            expected = _tamper_posting(session, entries, entry, line, field)
        else:
            field = data.draw(st.sampled_from(ENTRY_FIELDS), label="entry field")
            expected = _tamper_entry(session, entry, field)

        report = verify_ledger(session)
        assert not report.ok
        assert report.first_bad_seq in expected, (field, report.problems)
        session.rollback()
