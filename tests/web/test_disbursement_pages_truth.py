"""The disbursement and refund pages tell the truth and guard the steps that cannot be undone (issue 12, D1).

A 60,000 yuan request needs two managers: after the first approval every page says "1 of 2 approvals,
waiting for another manager", the manager who approved has no approve button and a second approval of theirs
is refused, changing nothing; the other manager's approval moves it on. The list approves nothing (approval is
on the request's page, beside its attachments). The manager who pays sees the payee's bank account. Paying,
acknowledging receipt and refunding a gift are asked twice without JavaScript: the first submit shows what will
happen and changes nothing, the confirmed one acts once. Requests are named by their number (BK-000004).
Runs on SQLite and PostgreSQL (the ``app`` fixture holds the demo story)."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fund_ledger.clock import local_today
from fund_ledger.db import models as m
from fund_ledger.db import repository as repo

YUAN = 100
WAITING = "已获 1/2 位管理员批准，等待另一位管理员"
CANNOT_UNDO = "此操作不可撤销"


def _db(app) -> Session:
    return Session(app.extensions["fund_ledger.engine"])


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def _number(ident: int) -> str:
    return f"BK-{ident:06d}"


def _state(app) -> dict:
    """Everything a step may change: requests and their statuses, events, entries, donations, audit rows, money."""
    with _db(app) as s:
        pos = repo.money_by_fund(s)["AILILIANG"]
        return {"statuses": dict(s.execute(select(m.Disbursement.id, m.Disbursement.status)).all()),
                "events": s.scalar(select(func.count()).select_from(m.DisbursementEvent)),
                "entries": s.scalar(select(func.count()).select_from(m.Entry)),
                "donations": s.scalar(select(func.count()).select_from(m.Donation)),
                "audit": s.scalar(select(func.count()).select_from(m.AuditLog)),
                "balance": pos.balance, "reserved": pos.reserved}


def _request(app, zhuren, amount: str, purpose: str = "困境儿童暑期课堂") -> int:
    page = zhuren.get("/disbursements/new").get_data(as_text=True)
    with _db(app) as s:
        fund = s.scalar(select(m.Fund.id).where(m.Fund.code == "AILILIANG"))
    response = zhuren.post("/disbursements/new", data={
        "csrf_token": zhuren.csrf_token, "idempotency_key": _key(page), "fund_id": fund, "amount": amount,
        "purpose": purpose, "budget": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _post(client, ident: int, step: str, **data):
    """Post a step with a key the request's page offers (a fresh one, as a new visit would)."""
    key = _key(client.get(f"/disbursements/{ident}").get_data(as_text=True))
    return client.post(f"/disbursements/{ident}/{step}",
                       data={"csrf_token": client.csrf_token, "idempotency_key": key, **data})


def _approved(app, zhuren, manager2, amount="1000") -> int:
    ident = _request(app, zhuren, amount)
    assert _post(manager2, ident, "approve").status_code == 302
    return ident


def _paid(app, zhuren, manager, manager2, amount="1000") -> int:
    ident = _approved(app, zhuren, manager2, amount)
    response = _post(manager, ident, "pay", paid_on=local_today().isoformat(), reference="ZD-PAY-D1", confirm="1")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return ident


def _main(html: str) -> str:
    return html.split("<main", 1)[1]


def test_two_approvers_the_pages_say_one_of_two_and_the_same_manager_cannot_approve_again(app, login, client,
                                                                                        api_token):
    zhuren, manager, manager2 = login("zhuren"), login("manager"), login("manager2")
    auditor = {"Authorization": f"Bearer {api_token('auditor')}"}
    ident = _request(app, zhuren, "60,000.00", "困境儿童家庭教育与心理辅导（两人批准）")
    assert _post(manager, ident, "approve").status_code == 302
    once = _state(app)
    assert once["statuses"][ident] == "submitted"

    # the request's page, the lists and the timeline all say it waits for another manager
    mine = manager.get(f"/disbursements/{ident}").get_data(as_text=True)
    h1 = re.search(r"<h1>(.*?)</h1>", mine, re.S).group(1)
    assert WAITING in h1 and _number(ident) in h1
    timeline = mine.split('class="timeline"', 1)[1]
    assert WAITING in timeline
    notice = re.search(r'<p class="notice flash[^"]*"[^>]*>(.*?)</p>', mine, re.S).group(1)
    assert f"您对申请 {_number(ident)} 的批准已记录：还须另一位基金管理员批准" in notice  # not "approved"
    queue_row = re.search(rf"<tr[^>]*>\s*<td><a [^>]*>{_number(ident)}</a>.*?</tr>", manager.get("/disbursements")
                          .get_data(as_text=True), re.S).group(0)
    assert WAITING in queue_row
    assert WAITING in zhuren.get("/disbursements").get_data(as_text=True)
    assert WAITING in zhuren.get(f"/disbursements/{ident}").get_data(as_text=True)
    api = client.get(f"/api/v1/disbursements/{ident}", headers=auditor).get_json()  # the API asks the same helper
    assert (api["number"], api["approved_by"], api["waiting_for_approval"]) == (_number(ident), ["manager"], True)

    # the manager who approved: a plain note, no approve button; a second approval is refused, changing nothing
    assert f'/disbursements/{ident}/approve"' not in mine
    assert "您已批准这份申请，还须另一位基金管理员批准" in mine
    again = _post(manager, ident, "approve")
    assert again.status_code == 409
    assert "您已批准过这份申请，还须另一位基金管理员批准" in again.get_data(as_text=True)
    assert _state(app) == once

    # the other manager sees the button, and their approval reserves the money
    other = manager2.get(f"/disbursements/{ident}").get_data(as_text=True)
    assert f'action="/disbursements/{ident}/approve"' in other
    assert _post(manager2, ident, "approve").status_code == 302
    after = _state(app)
    assert after["statuses"][ident] == "approved"
    assert after["reserved"] == once["reserved"] + 60_000 * YUAN and after["balance"] == once["balance"]
    page = manager2.get(f"/disbursements/{ident}").get_data(as_text=True)
    assert WAITING not in re.search(r"<h1>(.*?)</h1>", page, re.S).group(1) and "已批准" in page
    assert "的批准已记录" not in page
    # the irreversible steps' first forms land on their confirmation, not the top of a long page on a phone
    assert f'action="/disbursements/{ident}/pay#confirm"' in page
    with _db(app) as s:
        approvers = s.scalars(select(m.DisbursementEvent.actor).where(
            m.DisbursementEvent.disbursement_id == ident, m.DisbursementEvent.action == "approve")
            .order_by(m.DisbursementEvent.id)).all()
    assert approvers == ["manager", "manager2"]


def test_the_list_approves_nothing_it_sends_the_manager_to_the_requests_page(app, login):
    zhuren, manager, manager2 = login("zhuren"), login("manager"), login("manager2")
    waiting = _request(app, zhuren, "55,000.00", "一键批准测试")
    approved = _approved(app, zhuren, manager2)
    html = _main(manager.get("/disbursements").get_data(as_text=True))
    assert "/approve" not in html and "/reject" not in html and "/pay" not in html
    assert 'method="post"' not in html  # only the filters' GET form is left
    assert f'href="/disbursements/{waiting}#review"' in html and f'href="/disbursements/{approved}#pay"' in html
    # a request is named by its number, not "#4"
    assert _number(waiting) in html and f">#{waiting}<" not in html


def test_the_pay_panel_shows_the_payees_bank_account(app, login):
    zhuren, manager, manager2 = login("zhuren"), login("manager"), login("manager2")
    ident = _approved(app, zhuren, manager2)
    with _db(app) as s:
        org = s.scalar(select(m.Organisation).where(m.Organisation.name == "筑仁成长公益服务中心"))
        bank, account = org.bank_name, org.bank_account
    assert account  # the demo records one
    page = manager.get(f"/disbursements/{ident}").get_data(as_text=True)
    pay = page.split('id="pay"', 1)[1].split("</section>", 1)[0]
    assert "筑仁成长公益服务中心" in pay and bank in pay and account in pay and "收款单位" in pay
    assert account not in zhuren.get(f"/disbursements/{ident}").get_data(as_text=True)  # managers' eyes only


def test_paying_is_asked_first_and_the_confirmation_restates_the_payee(app, login):
    zhuren, manager, manager2 = login("zhuren"), login("manager"), login("manager2")
    ident = _approved(app, zhuren, manager2, "2,345.00")
    today = local_today().isoformat()
    before = _state(app)
    key = _key(manager.get(f"/disbursements/{ident}").get_data(as_text=True))
    data = {"csrf_token": manager.csrf_token, "idempotency_key": key, "paid_on": today, "reference": "ZD-PAY-ASK"}
    asked = manager.post(f"/disbursements/{ident}/pay", data=data)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and _state(app) == before
    panel = html.split('id="confirm"', 1)[1]
    for fact in ("¥2,345.00", "9020000012345678901", "ZD-PAY-ASK", today, CANNOT_UNDO, 'name="confirm" value="1"',
                 f'value="{key}"'):
        assert fact in panel, fact
    assert 'class="danger"' in panel
    done = manager.post(f"/disbursements/{ident}/pay", data={**data, "confirm": "1"})
    assert done.status_code == 302
    assert manager.post(f"/disbursements/{ident}/pay", data={**data, "confirm": "1"}).status_code == 302  # twice
    after = _state(app)
    assert after["statuses"][ident] == "paid" and after["entries"] == before["entries"] + 1
    assert after["balance"] == before["balance"] - 2_345 * YUAN


def test_a_bad_payment_is_refused_before_the_confirmation(app, login):
    zhuren, manager, manager2 = login("zhuren"), login("manager"), login("manager2")
    ident, unapproved = _approved(app, zhuren, manager2), _request(app, zhuren, "100")
    before = _state(app)
    refused = _post(manager, ident, "pay", paid_on="2999-01-01", reference="X")
    assert refused.status_code == 400 and 'id="confirm"' not in refused.get_data(as_text=True)
    not_yet = _post(manager, unapproved, "pay", paid_on=local_today().isoformat(), reference="X")
    assert not_yet.status_code == 422  # the request's state refuses it, before any confirmation
    assert _state(app) == before


def test_acknowledging_receipt_is_asked_first_and_happens_once(app, login):
    zhuren, manager, manager2 = login("zhuren"), login("manager"), login("manager2")
    ident = _paid(app, zhuren, manager, manager2, "1,200.00")
    today = local_today().isoformat()
    page = zhuren.get(f"/disbursements/{ident}").get_data(as_text=True)
    assert re.search(r'<button type="submit" class="danger">确认到账', page)
    key = _key(page.split('id="acknowledge"', 1)[1])
    data = {"csrf_token": zhuren.csrf_token, "idempotency_key": key, "received_on": today}
    before = _state(app)
    asked = zhuren.post(f"/disbursements/{ident}/acknowledge", data=data)
    assert asked.status_code == 200 and _state(app) == before
    panel = asked.get_data(as_text=True).split('id="confirm"', 1)[1]
    for fact in ("¥1,200.00", "爱力量", "筑仁成长公益服务中心", "ZD-PAY-D1", today, CANNOT_UNDO):
        assert fact in panel, fact
    assert "9020000012345678901" not in panel  # the grantee is not shown the bank account
    assert zhuren.post(f"/disbursements/{ident}/acknowledge", data={**data, "confirm": "1"}).status_code == 302
    assert zhuren.post(f"/disbursements/{ident}/acknowledge", data={**data, "confirm": "1"}).status_code == 302
    after = _state(app)
    assert after["statuses"][ident] == "acknowledged" and after["events"] == before["events"] + 1
    assert after["entries"] == before["entries"]
    assert f"已确认 {_number(ident)} 到账" in zhuren.get(f"/disbursements/{ident}").get_data(as_text=True)


def test_a_date_of_receipt_out_of_range_is_refused_before_the_confirmation(app, login):
    zhuren, manager, manager2 = login("zhuren"), login("manager"), login("manager2")
    ident = _paid(app, zhuren, manager, manager2)
    before = _state(app)
    refused = _post(zhuren, ident, "acknowledge", received_on="2000-01-01")
    assert refused.status_code == 400 and 'id="confirm"' not in refused.get_data(as_text=True)
    assert _state(app) == before


def test_rejecting_and_cancelling_are_asked_first(app, login):
    zhuren, manager = login("zhuren"), login("manager")
    rejected, cancelled = _request(app, zhuren, "300"), _request(app, zhuren, "400")
    before = _state(app)
    asked = _post(manager, rejected, "reject", reason="预算不清楚")
    assert asked.status_code == 200 and "确认驳回" in asked.get_data(as_text=True) and _state(app) == before
    asked = _post(zhuren, cancelled, "cancel", reason="")
    assert asked.status_code == 200 and "确认撤销" in asked.get_data(as_text=True) and _state(app) == before
    assert _post(manager, rejected, "reject", reason="预算不清楚", confirm="1").status_code == 302
    assert _post(zhuren, cancelled, "cancel", reason="", confirm="1").status_code == 302
    statuses = _state(app)["statuses"]
    assert (statuses[rejected], statuses[cancelled]) == ("rejected", "cancelled")


def test_a_refund_is_asked_first_and_happens_once(app, login):
    manager = login("manager")
    with _db(app) as s:
        donation = s.scalar(select(m.Donation).where(m.Donation.fund_code == "AILILIANG").order_by(m.Donation.id.desc())
                            .limit(1))
        ident, amount = donation.id, donation.amount
        donor = s.get(m.Donor, donation.donor_id).name
    path = f"/donations/{ident}"
    page = manager.get(path).get_data(as_text=True)
    assert re.search(r'<button type="submit" class="danger">以冲销分录退回', page)
    key = _key(page)
    data = {"csrf_token": manager.csrf_token, "idempotency_key": key, "reason": "捐赠人要求退回（重复汇款）", "on": ""}
    before = _state(app)
    asked = manager.post(f"{path}/refund", data=data)
    assert asked.status_code == 200 and _state(app) == before
    html = asked.get_data(as_text=True)
    panel = html.split('id="confirm-refund"', 1)[1]
    for fact in (f"¥{amount / 100:,.2f}", donor, local_today().isoformat(), "捐赠人要求退回（重复汇款）", CANNOT_UNDO,
                 "冲销分录", 'name="confirm" value="1"', f'value="{key}"'):
        assert fact in panel, fact
    assert 'class="danger"' in panel
    assert manager.post(f"{path}/refund", data={**data, "confirm": "1"}).status_code == 302
    assert manager.post(f"{path}/refund", data={**data, "confirm": "1"}).status_code == 302  # a double click
    after = _state(app)
    assert after["entries"] == before["entries"] + 1 and after["donations"] == before["donations"]
    with _db(app) as s:
        assert s.scalar(select(func.count()).select_from(m.Entry).where(m.Entry.reverses_id.is_not(None))) >= 1
    assert "已退回" in manager.get(path).get_data(as_text=True)


def test_a_refund_dated_in_the_future_is_refused_before_the_confirmation(app, login):
    manager = login("manager")
    with _db(app) as s:
        ident = s.scalar(select(m.Donation.id).order_by(m.Donation.id.desc()).limit(1))
    before = _state(app)
    response = manager.post(f"/donations/{ident}/refund", data={
        "csrf_token": manager.csrf_token, "idempotency_key": "k-future", "reason": "误记", "on": "2999-01-01"})
    assert response.status_code == 400 and 'id="confirm-refund"' not in response.get_data(as_text=True)
    assert _state(app) == before
