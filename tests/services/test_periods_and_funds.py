"""Closing periods, creating funds and sub-accounts: the set-up a fund manager does around the entries."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from fund_ledger.services.actor import Actor
from fund_ledger.services.errors import Conflict, Forbidden, InvalidInput, RuleBroken
from fund_ledger.services.funds import add_sub_account
from fund_ledger.services.ledger import post_entry, reverse_entry
from fund_ledger.services.periods import close_period
from fund_ledger.services.verify import verify_ledger
from tests.db.tamper import disable_guards
from tests.factories import MANAGER, TODAY, gift_draft, make_fund, post


def test_a_closed_month_takes_no_more_entries_and_its_seal_verifies(session):
    make_fund(session)
    first = post(session, gift_draft("AILILIANG", 500_00, date(2026, 9, 8)))
    sealed = close_period(session, MANAGER, "2026-09", today=TODAY)
    assert sealed.entry_count == 1 and sealed.head_hash == first.hash
    with pytest.raises(RuleBroken) as err:
        post(session, gift_draft("AILILIANG", 1_00, date(2026, 9, 30)))
    assert err.value.code == "closed_period" and "2026-09 is closed" in err.value.detail
    # a mistake found later is corrected by a visible entry in an open period
    fix = reverse_entry(session, MANAGER, first.number, "记错基金", accounting_date=date(2026, 10, 1), today=TODAY)
    assert fix.reverses == first.seq
    assert verify_ledger(session).ok


def test_closing_is_one_way_and_only_for_ended_months(session):
    close_period(session, MANAGER, "2026-09", today=TODAY)
    with pytest.raises(Conflict, match="already closed"):
        close_period(session, MANAGER, "2026-09", today=TODAY)
    with pytest.raises(RuleBroken, match="has not ended"):
        close_period(session, MANAGER, "2026-11", today=TODAY)
    for bad in ["2026-9", "2026-13", "26-09", "", "2026-09-01"]:
        with pytest.raises(InvalidInput, match="YYYY-MM"):
            close_period(session, MANAGER, bad, today=TODAY)
    with pytest.raises(Forbidden):
        close_period(session, Actor("auditor", "auditor"), "2026-08", today=TODAY)


def test_verify_finds_an_entry_slipped_into_a_sealed_month(session):
    make_fund(session)
    post(session, gift_draft("AILILIANG", 500_00, date(2026, 9, 8)))
    close_period(session, MANAGER, "2026-09", today=TODAY)
    late = post(session, gift_draft("AILILIANG", 1_00, date(2026, 10, 8)))
    disable_guards(session)
    session.execute(text("UPDATE entries SET accounting_date = '2026-09-09' WHERE id = :id"), {"id": late.seq})
    report = verify_ledger(session)
    assert not report.ok
    assert any("period 2026-09" in p for p in report.problems)
    assert report.first_bad_entry == late.number


@pytest.mark.parametrize("kwargs, field", [
    (dict(code="ai li", name="爱力量"), "code"),
    (dict(code="GENERAL", name="又一个"), "code"),
    (dict(code="NEWFUND", name="爱力量"), "code"),
    (dict(code="NEWFUND", name=""), "name"),
    (dict(code="NEWFUND", name="x" * 101), "name"),
    (dict(code="NEWFUND", name="新基金", purpose=""), "purpose"),
])
def test_fund_validation_names_the_field(session, kwargs, field):
    make_fund(session)
    with pytest.raises((InvalidInput, Conflict)) as err:
        make_fund(session, **kwargs)
    assert field in err.value.errors


def test_grantees_cannot_create_funds(session):
    from fund_ledger.services.funds import create_fund

    with pytest.raises(Forbidden):
        create_fund(session, Actor("zhuren", "grantee", 1), code="X1", name="x", restricted=False)


def test_sub_accounts_take_postings_and_their_parent_no_longer_does(session):
    add_sub_account(session, MANAGER, parent="1002", code="1002.01", name="银行存款-工商银行张店支行")
    entry = post_entry(session, MANAGER, gift_draft(account="1002.01"), today=TODAY)
    assert entry.postings[0].account == "1002.01"
    with pytest.raises(InvalidInput, match="has sub-accounts"):
        post(session, gift_draft(account="1002"))
    for parent, code in [("1002", "1002.1"), ("1002", "1001.01"), ("9999", "9999.01"), ("1002", "1002.01")]:
        with pytest.raises((InvalidInput, Conflict)):
            add_sub_account(session, MANAGER, parent=parent, code=code, name="x")
    assert verify_ledger(session).ok
