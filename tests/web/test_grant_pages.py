"""The grant pages, end to end on SQLite and PostgreSQL: 筑仁成长 asks for 30,000 yuan from 爱力量, another
manager approves, a manager pays, the grantee acknowledges; the fund, the trial balance, the tracing and
the audit log tell the same story. Forbidden steps refuse and change nothing; another organisation's
request is not found; a double click acts once."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fund_ledger.db import models as m
from fund_ledger.db import repository as repo
from fund_ledger.reports.trial_balance import build_trial_balance
from fund_ledger.services import tracing
from fund_ledger.clock import local_today

YUAN = 100


def _db(app) -> Session:
    return Session(app.extensions["fund_ledger.engine"])


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def _state(app) -> dict:
    """Everything a step may change: counts of requests, events, entries, audit rows, and the fund's money."""
    with _db(app) as s:
        pos = repo.money_by_fund(s)["AILILIANG"]
        return {"requests": s.scalar(select(func.count()).select_from(m.Disbursement)),
                "statuses": dict(s.execute(select(m.Disbursement.id, m.Disbursement.status)).all()),
                "events": s.scalar(select(func.count()).select_from(m.DisbursementEvent)),
                "entries": s.scalar(select(func.count()).select_from(m.Entry)),
                "balance": pos.balance, "reserved": pos.reserved}


def _fund_id(app, code="AILILIANG") -> int:
    with _db(app) as s:
        return s.scalar(select(m.Fund.id).where(m.Fund.code == code))


def _request_30000(app, zhuren) -> int:
    page = zhuren.get("/disbursements/new")
    assert page.status_code == 200
    response = zhuren.post("/disbursements/new", data={
        "csrf_token": zhuren.csrf_token, "idempotency_key": _key(page.get_data(as_text=True)),
        "fund_id": _fund_id(app), "amount": "30,000.00", "purpose": "困境儿童帮扶项目第三期",
        "budget": "学习用品与图书 12000\n困境儿童家庭走访与心理辅导 18,000.00\n"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _post(client, url: str, **data):
    """Post a step's form as the request's page offers it; a step that cannot be undone (pay, acknowledge,
    reject, cancel) is posted as from its confirmation (``confirm=1``) unless ``confirm`` is given."""
    page = client.get(url.rsplit("/", 1)[0]).get_data(as_text=True)
    data.setdefault("confirm", "1")
    return client.post(url, data={"csrf_token": client.csrf_token, "idempotency_key": _key(page), **data})


def _number(ident: int) -> str:
    return f"BK-{ident:06d}"


def test_the_full_path_through_the_pages(app, login):
    zhuren, manager, manager2, auditor = login("zhuren"), login("manager"), login("manager2"), login("auditor")
    before = _state(app)
    ident = _request_30000(app, zhuren)
    mine = zhuren.get("/disbursements").get_data(as_text=True)
    assert _number(ident) in mine and "已提交" in mine and "30,000.00" in mine

    # the manager's queue shows it, with the fund's available balance beside it
    queue = manager2.get("/disbursements").get_data(as_text=True)
    assert _number(ident) in queue and "78,000.00" in queue  # 108,000 given, 30,000 already paid

    today = local_today().isoformat()
    assert _post(manager2, f"/disbursements/{ident}/approve").status_code == 302
    after_approval = _state(app)
    assert after_approval["reserved"] == before["reserved"] + 30_000 * YUAN
    assert after_approval["balance"] == before["balance"]
    assert _post(manager, f"/disbursements/{ident}/pay", paid_on=today, reference="ZD-PAY-1127").status_code == 302
    paid = _state(app)
    assert paid["reserved"] == before["reserved"] and paid["balance"] == before["balance"] - 30_000 * YUAN
    assert paid["entries"] == before["entries"] + 1
    assert _post(zhuren, f"/disbursements/{ident}/acknowledge", received_on=today).status_code == 302

    detail = zhuren.get(f"/disbursements/{ident}").get_data(as_text=True)
    assert "已确认到账" in detail and "ZD-PAY-1127" in detail
    assert "资金来源" in detail and "张店区女企业家协会" in detail  # FIFO: still the first 100,000 gift
    for word in ("提交申请", "批准", "拨付", "确认到账"):
        assert word in detail
    assert "张店区女企业家协会" in auditor.get(f"/funds/{_fund_id(app)}/tracing").get_data(as_text=True)

    with _db(app) as s:
        row = s.get(m.Disbursement, ident)
        assert (row.status, row.paid_on.isoformat(), row.acknowledged_on.isoformat()) == ("acknowledged", today, today)
        tb = build_trial_balance(s)
        assert tb.total_debit == tb.total_credit
        fund = next(f for f in tb.funds if f.code == "AILILIANG")
        assert (fund.balance, fund.reserved) == (paid["balance"], 0)
        expense = s.scalar(select(func.sum(m.Posting.debit)).where(m.Posting.account_code == "5101",
                                                                   m.Posting.fund_code == "AILILIANG"))
        assert expense == 60_000 * YUAN  # the demo's 30,000 and this one
        sources = tracing.donors_for_disbursement(s, ident)
        assert [(x.donor_name, x.amount) for x in sources] == [("张店区女企业家协会", 30_000 * YUAN)]
        audit = s.execute(select(m.AuditLog.actor, m.AuditLog.action).where(
            m.AuditLog.object_type == "disbursement", m.AuditLog.object_id == str(ident)).order_by(m.AuditLog.id)).all()
        assert [tuple(a) for a in audit] == [("zhuren", "disbursement.submit"), ("manager2", "disbursement.approve"),
                                             ("manager", "disbursement.pay"), ("zhuren", "disbursement.acknowledge")]
        events = s.execute(select(m.DisbursementEvent.actor, m.DisbursementEvent.action).where(
            m.DisbursementEvent.disbursement_id == ident).order_by(m.DisbursementEvent.id)).all()
        assert [tuple(e) for e in events] == [tuple(a[:1]) + (a[1].split(".")[1],) for a in audit]


def test_forbidden_steps_through_the_pages_refuse_and_change_nothing(app, login):
    zhuren, manager, manager2 = login("zhuren"), login("manager"), login("manager2")
    ident = _request_30000(app, zhuren)
    today = local_today().isoformat()
    before = _state(app)
    refused = [
        (manager, f"/disbursements/{ident}/pay", {"paid_on": today, "reference": "X-1"}, 409),  # before approval
        (zhuren, f"/disbursements/{ident}/acknowledge", {"received_on": today}, 409),  # not paid
        (manager, f"/disbursements/{ident}/acknowledge", {"received_on": today}, 403),  # a manager
        (zhuren, f"/disbursements/{ident}/approve", {}, 403),  # a grantee approves nothing
        (manager, f"/disbursements/{ident}/reject", {"reason": "  "}, 400),  # no reason
    ]
    for client, url, data, status in refused:
        response = _post(client, url, **data)
        assert response.status_code in ((status,) if status == 403 else (status, 422, 400, 409)), (url, response.status_code)
        assert response.status_code != 302
        assert _state(app) == before, url
    # approve twice: the second is refused and changes nothing
    assert _post(manager2, f"/disbursements/{ident}/approve").status_code == 302
    approved = _state(app)
    again = _post(manager, f"/disbursements/{ident}/approve")
    assert again.status_code >= 400 and "cannot take the step" in again.get_data(as_text=True)
    assert _state(app) == approved


def test_nobody_approves_their_own_request(app, login):
    from fund_ledger.db.engine import write_session
    from fund_ledger.services import disbursements as svc
    from fund_ledger.services.actor import Actor

    with write_session(app.extensions["fund_ledger.engine"]) as s, s.begin():
        org = s.scalar(select(m.Organisation.id).where(m.Organisation.name == "喜悦绘"))
        ident = svc.submit(s, Actor("manager2", "manager"), organisation_id=org, fund="AILILIANG", amount=500_00,
                           purpose="代为提交").id
    manager2 = login("manager2")
    page = manager2.get(f"/disbursements/{ident}").get_data(as_text=True)
    assert "这是您提交的申请，须由另一位基金管理员批准" in page and f'/disbursements/{ident}/approve"' not in page
    before = _state(app)
    response = _post(manager2, f"/disbursements/{ident}/approve")
    assert response.status_code >= 400 and "不能批准自己提交的申请" in response.get_data(as_text=True)
    assert _state(app) == before
    assert _post(login("manager"), f"/disbursements/{ident}/approve").status_code == 302


def test_another_organisations_request_is_not_found(app, login):
    with _db(app) as s:
        other = s.scalar(select(m.Disbursement.id).join(m.Organisation).where(m.Organisation.name == "喜悦绘"))
        ours = s.scalar(select(m.Disbursement.id).join(m.Organisation).where(
            m.Organisation.name == "筑仁成长公益服务中心", m.Disbursement.status == "submitted"))
    zhuren = login("zhuren")
    assert zhuren.get(f"/disbursements/{other}").status_code == 404
    assert zhuren.get(f"/disbursements/{2**40}").status_code == 404
    assert "喜悦绘" not in zhuren.get("/disbursements").get_data(as_text=True)
    before = _state(app)
    for action, data in (("cancel", {}), ("acknowledge", {"received_on": local_today().isoformat()})):
        response = zhuren.post(f"/disbursements/{other}/{action}",
                               data={"csrf_token": zhuren.csrf_token, "idempotency_key": "k-" + action, **data})
        assert response.status_code == 404
    assert _state(app) == before
    assert zhuren.get(f"/disbursements/{ours}").status_code == 200
    assert login("manager").get(f"/disbursements/{other}").status_code == 200


def test_a_double_click_acts_once(app, login):
    zhuren, manager, manager2 = login("zhuren"), login("manager"), login("manager2")
    page = zhuren.get("/disbursements/new").get_data(as_text=True)
    data = {"csrf_token": zhuren.csrf_token, "idempotency_key": _key(page), "fund_id": _fund_id(app),
            "amount": "1000", "purpose": "双击测试", "budget": ""}
    before = _state(app)
    first, second = zhuren.post("/disbursements/new", data=data), zhuren.post("/disbursements/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _state(app)["requests"] == before["requests"] + 1
    ident = int(first.headers["Location"].rsplit("/", 1)[1])

    for client, action, extra in ((manager2, "approve", {}),
                                  (manager, "pay", {"paid_on": local_today().isoformat(), "reference": "DBL-1"})):
        key = _key(client.get(f"/disbursements/{ident}").get_data(as_text=True))
        body = {"csrf_token": client.csrf_token, "idempotency_key": key, "confirm": "1", **extra}
        assert client.post(f"/disbursements/{ident}/{action}", data=body).status_code == 302
        once = _state(app)
        assert client.post(f"/disbursements/{ident}/{action}", data=body).status_code == 302
        assert _state(app) == once
    with _db(app) as s:
        assert s.scalar(select(func.count()).select_from(m.Entry).where(m.Entry.source == f"disbursement:{ident}")) == 1


@pytest.mark.parametrize("budget,amount,field", [
    ("书 100\n辅导 200", "400", "预算各行合计"),
    ("只有项目", "400", "第 1 行"),
    ("书 1.234", "400", "第 1 行"),
])
def test_the_request_form_checks_the_budget_and_keeps_what_was_typed(app, login, budget, amount, field):
    zhuren = login("zhuren")
    page = zhuren.get("/disbursements/new").get_data(as_text=True)
    before = _state(app)
    response = zhuren.post("/disbursements/new", data={
        "csrf_token": zhuren.csrf_token, "idempotency_key": _key(page), "fund_id": _fund_id(app),
        "amount": amount, "purpose": "预算测试", "budget": budget})
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 422) and field in html and "预算测试" in html
    assert _state(app) == before


def test_the_review_queue_and_the_waiting_list(app, login):
    manager = login("manager")
    html = manager.get("/disbursements").get_data(as_text=True)
    assert "待审核" in html and "困境儿童帮扶项目第二期" in html and "78,000.00" in html
    assert "尚未确认到账" in html and "ZD-PAY-1110" in html  # 喜悦绘 has not acknowledged the 童梦童行 payment
    days = (local_today() - __import__("datetime").date(2026, 11, 10)).days
    assert f"{days} 天" in html
    assert login("auditor").get("/disbursements").status_code == 200
    assert 'action="/disbursements/' not in login("auditor").get("/disbursements").get_data(as_text=True)
