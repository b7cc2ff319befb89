"""A donor's total given is net of refunds, the same on the donors page and in the API, read in one query for a
whole page of donors (not one per donor)."""
from __future__ import annotations

import re

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from fund_ledger.db import models as m
from fund_ledger.services import donations as svc


def _api(client, token, path, **params):
    return client.get(f"/api/v1{path}", query_string=params, headers={"Authorization": f"Bearer {token}"})


def test_a_refunded_gift_is_not_in_the_donors_total_on_the_page_or_in_the_api(app, client, login, api_token):
    token = api_token("manager")
    auth = {"Authorization": f"Bearer {token}"}
    with Session(app.extensions["fund_ledger.engine"]) as s:
        fund = s.scalar(select(m.Fund.id).where(m.Fund.code == "AILILIANG"))
    donor = client.post("/api/v1/donors", json={"name": "净额测试人", "kind": "person"}, headers=auth).get_json()["id"]
    gifts = [client.post("/api/v1/donations", headers=auth, json={
        "donor_id": donor, "fund_id": fund, "amount": amount, "received_on": "2026-11-20", "channel": "bank"})
        .get_json()["id"] for amount in ("100.00", "250.50")]
    assert client.post(f"/api/v1/donations/{gifts[0]}/refund", json={"reason": "退回"}, headers=auth).status_code == 201

    one = _api(client, token, f"/donors/{donor}").get_json()
    listed = next(d for d in _api(client, token, "/donors", q="净额测试人").get_json()["items"] if d["id"] == donor)
    assert (one["gifts"], one["total"]) == (listed["gifts"], listed["total"]) == (2, "250.50")

    page = login("manager").get("/donors", query_string={"q": "净额测试人", "lang": "en"}).get_data(as_text=True)
    row = re.search(r"<tr>(?:(?!</tr>).)*净额测试人.*?</tr>", page, re.S).group(0)
    assert "250.50" in row and "350.50" not in row

    with Session(app.extensions["fund_ledger.engine"]) as s:
        summary = svc.donor_summary(s, donor)
        assert (summary.gifts, summary.total) == (2, 25_050)


def _statements(app, read) -> int:
    statements = []
    engine = app.extensions["fund_ledger.engine"]

    def count(*_args, **_kw):
        statements.append(1)
    event.listen(engine, "before_cursor_execute", count)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_a_page_of_gifts_is_read_in_a_fixed_number_of_queries(app, client, api_token, login):
    token = api_token("manager")
    assert _api(client, token, "/donations", per_page=200).get_json()["total"] > 5
    few = _statements(app, lambda: _api(client, token, "/donations", per_page=2))
    many = _statements(app, lambda: _api(client, token, "/donations", per_page=200))
    assert many == few
    manager = login("manager")
    assert _statements(app, lambda: manager.get("/donations")) == _statements(app, lambda: manager.get("/donations?page=2"))


def test_a_page_of_donors_is_read_in_a_fixed_number_of_queries(app, client, api_token):
    token = api_token("manager")
    for i in range(30):
        client.post("/api/v1/donors", json={"name": f"查询计数{i}", "kind": "person"},
                    headers={"Authorization": f"Bearer {token}"})
    statements = []
    engine = app.extensions["fund_ledger.engine"]

    def count(*_args, **_kw):
        statements.append(1)
    event.listen(engine, "before_cursor_execute", count)
    try:
        _api(client, token, "/donors", per_page=2)
        few = len(statements)
        statements.clear()
        body = _api(client, token, "/donors", per_page=200).get_json()
        many = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(body["items"]) > 30 and many == few
