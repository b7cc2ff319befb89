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


# --- closing a fund (issue 13: a fund opened and closed within the year) -------------------------------------

def _fund_with_grant(session, *, spend_all: bool):
    """A restricted fund that received ¥6,000 on 2026-05-06 and paid ¥6,000 (or ¥5,000) to a grantee on 2026-07-01."""
    from fund_ledger.services import disbursements as d
    from fund_ledger.services.donations import Gift, create_donor, record_donation
    from fund_ledger.services.funds import create_fund
    from fund_ledger.services.organisations import create_organisation

    create_fund(session, MANAGER, code="TONGMENG", name="童梦童行", restricted=True, purpose="暑期课堂")
    donor = create_donor(session, MANAGER, name="路人甲", kind="person")
    record_donation(session, MANAGER, Gift(donor.id, "TONGMENG", 6_000_00, date(2026, 5, 6), "bank"), today=TODAY)
    org = create_organisation(session, MANAGER, name="筑仁成长公益服务中心", credit_code="52370303MJD123451B")
    row = d.submit(session, MANAGER, organisation_id=org.id, fund="TONGMENG",
                   amount=6_000_00 if spend_all else 5_000_00, purpose="暑期课堂", today=TODAY)
    d.approve(session, Actor("manager2", "manager"), row.id)
    d.pay(session, MANAGER, row.id, paid_on=date(2026, 7, 1), reference="P-1", today=TODAY)
    return session.scalar(text("SELECT id FROM funds WHERE code = 'TONGMENG'")), org


def test_an_empty_fund_closes_once_and_takes_nothing_after(session):
    from fund_ledger.db import models as m
    from fund_ledger.reports import statements as st
    from fund_ledger.services.funds import close_fund

    fund_id, _org = _fund_with_grant(session, spend_all=True)
    with pytest.raises(InvalidInput) as info:  # before its last entry (the grant, 2026-07-01)
        close_fund(session, MANAGER, fund_id, closed_on=date(2026, 6, 30))
    assert "closed_on" in info.value.errors
    with pytest.raises(InvalidInput):  # ahead of today
        close_fund(session, MANAGER, fund_id, closed_on=date(2026, 11, 28))
    close_fund(session, MANAGER, fund_id, closed_on=date(2026, 8, 31))
    with pytest.raises(Conflict):
        close_fund(session, MANAGER, fund_id, closed_on=date(2026, 9, 30))
    with pytest.raises(RuleBroken) as info:  # the ledger's rules refuse a posting to it now
        post_entry(session, MANAGER, gift_draft("TONGMENG", 100_00, date(2026, 9, 1)), today=TODAY)
    assert "TONGMENG" in str(info.value.detail) or "童梦童行" in str(info.value.detail)
    assert session.get(m.Fund, fund_id).closed_on == date(2026, 8, 31)
    a = st.activities(session, date(2026, 1, 1), date(2026, 12, 31), fund_id)  # it stays in the year's reports
    assert a.figures.income["donations"].total == 6_000_00
    assert verify_ledger(session).ok


def test_a_fund_that_holds_money_or_is_the_general_fund_does_not_close(session):
    from fund_ledger.ledger.accounts import GENERAL_FUND_CODE
    from fund_ledger.services.funds import close_fund

    fund_id, _org = _fund_with_grant(session, spend_all=False)
    with pytest.raises(RuleBroken) as info:
        close_fund(session, MANAGER, fund_id, closed_on=date(2026, 8, 31))
    assert info.value.code == "fund_not_empty" and "1002" in info.value.detail
    general = session.scalar(text("SELECT id FROM funds WHERE code = :c"), {"c": GENERAL_FUND_CODE})
    with pytest.raises(RuleBroken) as info:
        close_fund(session, MANAGER, general, closed_on=date(2026, 8, 31))
    assert info.value.code == "general_fund"
    with pytest.raises(Forbidden):
        close_fund(session, Actor("auditor", "auditor"), fund_id, closed_on=date(2026, 8, 31))
    assert session.scalar(text("SELECT count(*) FROM funds WHERE closed_on IS NOT NULL")) == 0
