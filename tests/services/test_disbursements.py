"""Disbursements end to end on both databases: the path, every forbidden step, and no overspending."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text

from fund_ledger.db import models as m
from fund_ledger.db.engine import create_db_engine, write_session
from fund_ledger.db.repository import money_by_fund
from fund_ledger.reports.trial_balance import build_trial_balance
from fund_ledger.services import disbursements as d
from fund_ledger.services.actor import Actor
from fund_ledger.services.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken, ServiceError
from fund_ledger.services.verify import verify_ledger
from tests.factories import TODAY, gift_draft, make_fund, post

MANAGER, MANAGER2 = Actor("manager", "manager"), Actor("manager2", "manager")
AUDITOR = Actor("auditor", "auditor")


@pytest.fixture
def world(session):
    from fund_ledger.services.organisations import create_organisation

    make_fund(session)
    post(session, gift_draft("AILILIANG", 100_000_00, date(2026, 9, 8)))
    zhuren = create_organisation(session, MANAGER, name="筑仁成长公益服务中心", credit_code="52370303MJD123451B")
    other = create_organisation(session, MANAGER, name="等等心灵公益服务中心", credit_code="52370303MJD234562N")
    return {"grantee": Actor("zhuren", "grantee", zhuren.id), "org": zhuren.id,
            "stranger": Actor("dengdeng", "grantee", other.id)}


def _request(session, world, amount=30_000_00, who=None):
    return d.submit(session, who or world["grantee"], organisation_id=world["org"], fund="AILILIANG", amount=amount,
                    purpose="困境儿童帮扶项目首期", budget=[{"item": "学习用品", "amount": amount}])


def test_the_whole_path_moves_money_exactly_once(session, world):
    row = _request(session, world)
    assert row.status == "submitted"
    d.approve(session, MANAGER, row.id)
    pos = money_by_fund(session)["AILILIANG"]
    assert (pos.balance, pos.reserved, pos.available) == (100_000_00, 30_000_00, 70_000_00)
    d.pay(session, MANAGER, row.id, paid_on=date(2026, 10, 20), reference="HD-001", today=TODAY)
    pos = money_by_fund(session)["AILILIANG"]
    assert (pos.balance, pos.reserved, pos.available) == (70_000_00, 0, 70_000_00)
    d.acknowledge(session, world["grantee"], row.id, received_on=date(2026, 10, 21), today=TODAY)
    assert row.status == "acknowledged"
    assert [e.action for e in d.events(session, row)] == ["submit", "approve", "pay", "acknowledge"]
    tb = {a.code: a for a in build_trial_balance(session, today=TODAY).accounts}
    assert tb["5101"].debit == 30_000_00 and tb["3101"].credit == 30_000_00  # spent, and the restriction released
    assert verify_ledger(session).ok


@pytest.mark.parametrize("step", ["pay_before_approve", "approve_twice", "approve_own", "ack_by_manager",
                                  "ack_before_pay", "cancel_paid", "auditor_approves", "reject_approved"])
def test_forbidden_steps_change_nothing(session, world, step):
    row = _request(session, world)
    own = _request(session, world, 1_00, who=MANAGER)
    if step in ("approve_twice", "ack_before_pay", "cancel_paid", "reject_approved"):
        d.approve(session, MANAGER, row.id)
    if step == "cancel_paid":
        d.pay(session, MANAGER, row.id, paid_on=date(2026, 10, 20), reference="X", today=TODAY)
    entries = session.scalar(select(func.count()).select_from(m.Entry))
    expected = {"pay_before_approve": RuleBroken, "approve_twice": RuleBroken, "approve_own": RuleBroken,
                "ack_by_manager": Forbidden, "ack_before_pay": RuleBroken, "cancel_paid": RuleBroken,
                "auditor_approves": Forbidden, "reject_approved": RuleBroken}[step]
    with pytest.raises(expected):
        {"pay_before_approve": lambda: d.pay(session, MANAGER, row.id, paid_on=date(2026, 10, 20), reference="X", today=TODAY),
         "approve_twice": lambda: d.approve(session, MANAGER2, row.id),
         "approve_own": lambda: d.approve(session, MANAGER, own.id),
         "ack_by_manager": lambda: d.acknowledge(session, MANAGER, row.id, received_on=TODAY, today=TODAY),
         "ack_before_pay": lambda: d.acknowledge(session, world["grantee"], row.id, received_on=TODAY, today=TODAY),
         "cancel_paid": lambda: d.cancel(session, world["grantee"], row.id),
         "auditor_approves": lambda: d.approve(session, AUDITOR, row.id),
         "reject_approved": lambda: d.reject(session, MANAGER, row.id, "no")}[step]()
    assert session.scalar(select(func.count()).select_from(m.Entry)) == entries


def test_another_organisations_request_does_not_exist_for_a_grantee(session, world):
    row = _request(session, world)
    for act in (lambda: d.get_disbursement(session, world["stranger"], row.id),
                lambda: d.cancel(session, world["stranger"], row.id),
                lambda: d.submit(session, world["stranger"], organisation_id=world["org"], fund="AILILIANG",
                                 amount=100, purpose="x")):
        with pytest.raises(NotFound):
            act()
    assert d.list_for(session, world["stranger"])[1] == 0
    assert d.list_for(session, world["grantee"])[1] == 1


def test_large_requests_need_two_different_managers(session, world, monkeypatch):
    monkeypatch.setenv("FUND_LEDGER_DUAL_APPROVAL_ABOVE", "20000")
    row = _request(session, world)
    d.approve(session, MANAGER, row.id)
    assert row.status == "submitted" and money_by_fund(session)["AILILIANG"].reserved == 0
    with pytest.raises(Conflict):
        d.approve(session, MANAGER, row.id)
    d.approve(session, MANAGER2, row.id)
    assert row.status == "approved" and money_by_fund(session)["AILILIANG"].reserved == 30_000_00


def test_cancelling_an_approved_request_releases_the_reservation(session, world):
    row = _request(session, world)
    d.approve(session, MANAGER, row.id)
    d.cancel(session, world["grantee"], row.id, "项目延期")
    assert money_by_fund(session)["AILILIANG"].reserved == 0 and row.status == "cancelled"


def test_approval_cannot_promise_more_than_the_fund_holds(session, world, monkeypatch):
    monkeypatch.setenv("FUND_LEDGER_DUAL_APPROVAL_ABOVE", "1000000")  # one approval is enough here
    first = _request(session, world, 80_000_00)
    second = _request(session, world, 30_000_00)
    d.approve(session, MANAGER, first.id)
    with pytest.raises(RuleBroken, match="available"):
        d.approve(session, MANAGER, second.id)
    assert second.status == "submitted"


def test_the_database_refuses_a_reservation_beyond_the_money(session, world):
    with pytest.raises(Exception, match="promise more than it holds"):
        with session.begin_nested():
            session.execute(text("UPDATE account_balances SET credits_pending = credits_pending + 10000001 "
                                 "WHERE account_code = '1002' AND fund_code = 'AILILIANG'"))


@pytest.mark.parametrize("kwargs, field", [
    (dict(amount=0), "amount"), (dict(amount=10**15), "amount"), (dict(purpose=""), "purpose"),
    (dict(fund="NOPE"), "fund_id"), (dict(budget=[{"item": "x", "amount": 1}]), "budget"),
    (dict(organisation_id=999), "organisation_id"),
])
def test_bad_requests_name_the_field(session, world, kwargs, field):
    args = dict(organisation_id=world["org"], fund="AILILIANG", amount=100_00, purpose="p", budget=None) | kwargs
    with pytest.raises(InvalidInput) as err:
        d.submit(session, MANAGER, **args)
    assert field in err.value.errors


@pytest.mark.slow
def test_concurrent_approvals_never_promise_more_than_the_fund_holds(engine, db_url):
    """Twelve requests of 10,000 against 100,000: whatever the interleaving, exactly ten are approved."""
    with write_session(engine) as s, s.begin():
        from fund_ledger.services.organisations import create_organisation

        make_fund(s)
        post(s, gift_draft("AILILIANG", 100_000_00, date(2026, 9, 8)))
        org = create_organisation(s, MANAGER, name="筑仁成长公益服务中心", credit_code="52370303MJD123451B").id
        ids = [d.submit(s, MANAGER2, organisation_id=org, fund="AILILIANG", amount=10_000_00, purpose="p").id
               for _ in range(12)]
    eng = create_db_engine(db_url) if db_url.startswith("sqlite") else create_db_engine(db_url, pool_size=12)
    outcomes, lock = [], threading.Lock()
    barrier = threading.Barrier(len(ids))

    def approve(i):
        barrier.wait()
        with write_session(eng) as s:
            try:
                with s.begin():
                    d.approve(s, MANAGER, i)
                result = "approved"
            except ServiceError as err:
                result = err.code
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=approve, args=(i,)) for i in ids]
    [t.start() for t in threads]
    [t.join() for t in threads]
    eng.dispose()
    assert outcomes.count("approved") == 10 and outcomes.count("insufficient_funds") == 2, outcomes
    with write_session(engine) as s, s.begin():
        pos = money_by_fund(s)["AILILIANG"]
        assert (pos.reserved, pos.available) == (100_000_00, 0)
