"""The register of related parties and the major-transaction threshold over HTTP (pages and API), on both
databases: a manager registers and ends relations, bad input is named and writes nothing, other roles cannot
write, grantees and the public cannot read; the calendar lists a related organisation's grants and the major
transactions at or above the threshold, and publishing from it answers the duty."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.both_databases

ZHUREN_ORG = 1  # the demo's 筑仁成长公益服务中心: paid ¥30,000 on 2026-10-20 (disbursement 1)


def _q(app, sql: str, **params):
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text(sql), params).all()


def _parties(app) -> list[tuple]:
    return [tuple(r) for r in _q(app, "SELECT id, name, relation, organisation_id, until FROM related_parties ORDER BY id")]


def _post(c, url, **fields):
    return c.post(url, data={"csrf_token": c.csrf_token, **fields})


def _codes(html: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for field, code in re.findall(r'data-field="([^"]*)" data-code="([^"]*)"', html):
        out.setdefault(field, set()).add(code)
    return out


GOOD = {"kind": "organisation", "relation": "理事长任负责人的受助机构", "organisation_id": str(ZHUREN_ORG)}


@pytest.mark.parametrize("change, field, code", [
    ({"relation": ""}, "relation", "required"),
    ({"kind": "robot"}, "kind", "donor.kind"),
    ({"organisation_id": "99999"}, "organisation_id", "organisation.missing"),
    ({"organisation_id": "abc"}, "organisation_id", "id.invalid"),
    ({"organisation_id": "", "name": ""}, "name", "required"),
    ({"since": "2026-05-01", "until": "2026-04-30"}, "until", "related.dates"),
    ({"since": "2026-02-30"}, "since", "date.format"),
    ({"note": "a\u202eb"}, "note", "text.control"),
])
def test_bad_input_on_the_page_and_the_api_is_named_and_writes_nothing(app, login, api_token, client, change, field,
                                                                       code):
    before = _parties(app)
    page = _post(login("manager"), "/related-parties", **{**GOOD, **change})
    assert page.status_code == 400 and code in _codes(page.get_data(as_text=True)).get(field, set())
    body = {k: v for k, v in {**GOOD, **change}.items() if v != ""}
    if "organisation_id" in body and body["organisation_id"].isdigit():
        body["organisation_id"] = int(body["organisation_id"])
    api = client.post("/api/v1/related-parties", json=body, headers={"Authorization": f"Bearer {api_token('manager')}"})
    assert api.status_code == 400 and code in api.get_json()["codes"][field], api.get_json()
    assert _parties(app) == before


def test_a_manager_registers_on_the_page_and_ends_after_confirming(app, login):
    manager = login("manager")
    before = _parties(app)
    done = _post(manager, "/related-parties", **GOOD, since="2026-01-01")
    assert done.status_code == 302
    (party_id, name, relation, org, until), = set(_parties(app)) - set(before)
    assert (name, relation, org, until) == ("筑仁成长公益服务中心", "理事长任负责人的受助机构", ZHUREN_ORG, None)
    page = manager.get("/related-parties?year=2026").get_data(as_text=True)
    row = re.search(rf'<tr id="party-{party_id}".*?</tr>', page, re.S).group(0)
    assert "筑仁成长公益服务中心" in row and "2026-01-01" in row and '<td class="num">1</td>' in row  # one grant
    assert "30,000.00" in row
    grant = re.search(r'<tr data-kind="grant">.*?</tr>', page, re.S).group(0)
    assert "2026-10-20" in grant and "-30,000.00" in grant
    # ending asks first; a bad date or one before the relation began is refused and changes nothing
    for bad, code in (("2026-02-30", "date.format"), ("2025-12-31", "related.dates"), ("", "date.format")):
        refused = _post(manager, f"/related-parties/{party_id}/end", until=bad)
        assert refused.status_code == 400 and code in _codes(refused.get_data(as_text=True))["until"]
    asked = _post(manager, f"/related-parties/{party_id}/end", until="2026-10-19")
    assert asked.status_code == 200 and 'id="confirm-end"' in asked.get_data(as_text=True)
    assert _parties(app)[-1][4] is None
    assert _post(manager, f"/related-parties/{party_id}/end", until="2026-10-19", confirm="1").status_code == 302
    assert str(_parties(app)[-1][4]) == "2026-10-19"
    page = manager.get("/related-parties?year=2026").get_data(as_text=True)
    assert 'data-kind="grant"' not in page  # the grant was paid after the relation ended
    assert _post(manager, "/related-parties/99999/end", until="2026-10-19").status_code == 404


def test_the_api_registers_ends_and_lists(app, client, api_token):
    auth = {"Authorization": f"Bearer {api_token('manager')}"}
    made = client.post("/api/v1/related-parties", json={**GOOD, "organisation_id": ZHUREN_ORG}, headers=auth)
    assert made.status_code == 201, made.get_json()
    party = made.get_json()
    assert (party["name"], party["transactions"], party["total"], party["current"]) == (
        "筑仁成长公益服务中心", 1, "30000.00", True)
    found = client.get("/api/v1/related-parties/transactions?from=2026-10-01&to=2026-10-31", headers=auth).get_json()
    grant = [t for t in found["items"] if t["kind"] == "grant"]
    assert grant == [{"party_id": party["id"], "party": "筑仁成长公益服务中心", "relation": GOOD["relation"],
                      "kind": "grant", "on": "2026-10-20", "amount": "-30000.00", "fund_code": grant[0]["fund_code"],
                      "entry_id": grant[0]["entry_id"], "donation_id": None, "disbursement_id": 1,
                      "counterparty": "筑仁成长公益服务中心"}]
    assert client.get("/api/v1/related-parties/transactions?from=2026-11-01", headers=auth).get_json()["items"] == []
    bad = client.get("/api/v1/related-parties/transactions?from=2026-10-31&to=2026-10-01", headers=auth)
    assert bad.status_code == 400 and "to" in bad.get_json()["errors"]
    assert client.get("/api/v1/related-parties/transactions?from=yesterday", headers=auth).status_code == 400
    for body in ({}, {"until": "2026-13-01"}, {"until": 20261019}):
        refused = client.post(f"/api/v1/related-parties/{party['id']}/end", json=body, headers=auth)
        assert refused.status_code == 400 and "until" in refused.get_json()["errors"]
    ended = client.post(f"/api/v1/related-parties/{party['id']}/end", json={"until": "2026-10-19"}, headers=auth)
    assert ended.status_code == 200 and ended.get_json()["until"] == "2026-10-19"
    listed = client.get("/api/v1/related-parties?per_page=200", headers=auth).get_json()
    mine = [p for p in listed["items"] if p["id"] == party["id"]]
    assert mine[0]["transactions"] == 0 and mine[0]["current"] is False and listed["total"] == len(_parties(app))


def test_only_a_manager_writes_and_grantees_and_the_public_never_read(app, client, login, api_token):
    before = _parties(app)
    existing = before[0][0]
    for user in ("zhuren", "auditor"):
        c = login(user)
        assert _post(c, "/related-parties", **GOOD).status_code == 403
        assert _post(c, f"/related-parties/{existing}/end", until="2026-10-01", confirm="1").status_code == 403
        assert _post(c, "/disclosures/major-transaction", amount="1.00").status_code == 403
        auth = {"Authorization": f"Bearer {api_token(user)}"}
        assert client.post("/api/v1/related-parties", json=GOOD, headers=auth).status_code == 403
        assert client.post(f"/api/v1/related-parties/{existing}/end", json={"until": "2026-10-01"},
                           headers=auth).status_code == 403
        assert client.put("/api/v1/settings/major-transaction", json={"amount": "1.00"}, headers=auth).status_code == 403
    grantee = {"Authorization": f"Bearer {api_token('zhuren')}"}
    assert login("zhuren").get("/related-parties").status_code == 403
    for url in ("/api/v1/related-parties", "/api/v1/related-parties/transactions", "/api/v1/settings/major-transaction"):
        assert client.get(url, headers=grantee).status_code == 403
        assert client.get(url).status_code == 401
    anonymous = app.test_client()
    assert anonymous.get("/related-parties").headers["Location"].startswith("/login")
    assert anonymous.post("/related-parties", data=GOOD).status_code in (302, 400)
    assert anonymous.post("/api/v1/related-parties", json=GOOD).status_code == 401
    auditor = login("auditor").get("/related-parties").get_data(as_text=True)
    assert "李红梅" in auditor and 'action="/related-parties"' not in auditor and "/end" not in auditor
    assert _parties(app) == before and _q(app, "SELECT count(*) FROM settings")[0][0] == 0
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", login("manager").get("/account").get_data(as_text=True), re.S).group(1)
    assert 'href="/related-parties"' in nav


def test_the_calendar_lists_a_related_organisations_grant_and_publishing_answers_it(app, login):
    manager = login("manager")
    assert _post(manager, "/related-parties", **GOOD).status_code == 302
    page = manager.get("/disclosures/calendar").get_data(as_text=True)
    row = re.search(r'<tr data-duty="related_party:grant:1" data-state="late".*?</tr>', page, re.S).group(0)
    assert "2026-11-19" in row and "8" in row  # paid 2026-10-20, due 30 days later, 8 days late on 2026-11-27
    assert 'data-duty="related_party:5:' not in page and re.search(r'data-duty="related_party:\d+"', page)  # 李红梅's gifts
    link = re.search(r'href="(/disclosures/publish\?[^"]+)"', row).group(1).replace("&amp;", "&")
    form = manager.get(link).get_data(as_text=True)
    assert 'value="related_party:grant:1"' in form and 'value="related_party" selected' in form
    published = manager.post("/disclosures/publish", data={"csrf_token": manager.csrf_token, "kind": "related_party",
                                                           "title": "关联交易公告（资助 No. 1）", "body": "拨付30,000元",
                                                           "duty": "related_party:grant:1"})
    assert published.status_code == 302
    page = manager.get("/disclosures/calendar").get_data(as_text=True)
    assert re.search(r'<tr data-duty="related_party:grant:1" data-state="done_late"', page)


def test_major_transactions_follow_the_threshold_set_on_the_calendar(app, login, client, api_token):
    manager = login("manager")
    page = manager.get("/disclosures/calendar").get_data(as_text=True)
    assert 'data-threshold="none"' in page and 'href="#major-transaction"' in page and 'data-duty="major:' not in page
    for bad, code in (("1e5", "amount.exponent"), ("-5", "amount.negative"), ("0", "amount.zero"),
                      ("１００", "amount.not_ascii")):
        refused = _post(manager, "/disclosures/major-transaction", amount=bad)
        assert refused.status_code == 400 and code in _codes(refused.get_data(as_text=True))["amount"], bad
    auth = {"Authorization": f"Bearer {api_token('manager')}"}
    for bad in ({"amount": 100000}, {"amount": "0.001"}, {"limit": "1.00"}):
        assert client.put("/api/v1/settings/major-transaction", json=bad, headers=auth).status_code == 400
    assert _q(app, "SELECT count(*) FROM settings")[0][0] == 0
    assert _post(manager, "/disclosures/major-transaction", amount="100,000.00").status_code == 302
    page = manager.get("/disclosures/calendar").get_data(as_text=True)
    majors = re.findall(r'<tr data-duty="(major:\d+)" data-state="(\w+)"', page)
    gift_entry = _q(app, "SELECT entry_id FROM donations WHERE amount = 10000000")[0][0]
    assert majors == [(f"major:{gift_entry}", "late")]  # only the ¥100,000 gift of 2026-09-08 (due 2026-10-08)
    assert 'data-threshold="10000000"' in page
    assert client.get("/api/v1/settings/major-transaction",
                      headers={"Authorization": f"Bearer {api_token('auditor')}"}).get_json()["amount"] == "100000.00"
    raised = client.put("/api/v1/settings/major-transaction", json={"amount": "100000.01"}, headers=auth)
    assert raised.status_code == 200 and raised.get_json()["amount"] == "100000.01"
    assert 'data-duty="major:' not in manager.get("/disclosures/calendar").get_data(as_text=True)
    assert client.put("/api/v1/settings/major-transaction", json={"amount": "30000.00"}, headers=auth).status_code == 200
    page = manager.get("/disclosures/calendar").get_data(as_text=True)
    assert len(re.findall(r'data-duty="major:\d+"', page)) == 2  # the gift and the ¥30,000 grant
    row = re.search(rf'<tr data-duty="major:{gift_entry}".*?</tr>', page, re.S).group(0)
    link = re.search(r'href="(/disclosures/publish\?[^"]+)"', row).group(1).replace("&amp;", "&")
    assert 'value="major_transaction" selected' in manager.get(link).get_data(as_text=True)
    assert manager.post("/disclosures/publish", data={"csrf_token": manager.csrf_token, "kind": "major_transaction",
                                                      "title": "重大交易公告", "body": "收到捐赠100,000元",
                                                      "duty": f"major:{gift_entry}"}).status_code == 302
    page = manager.get("/disclosures/calendar").get_data(as_text=True)
    assert re.search(rf'<tr data-duty="major:{gift_entry}" data-state="done_late"', page)
    assert _post(manager, "/disclosures/major-transaction", amount="").status_code == 302  # unset
    page = manager.get("/disclosures/calendar").get_data(as_text=True)
    assert 'data-threshold="none"' in page
    assert 'data-duty="major:' not in page  # no threshold, no major duty (the notice stays published)
