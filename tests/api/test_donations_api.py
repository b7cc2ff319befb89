"""Donors, funds and gifts through the JSON API, as another program would use it, on both databases.

Money is a JSON string; bad input is a problem+json naming the field; an Idempotency-Key makes a retried
gift safe, even when the retries race each other.
"""
from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from fund_ledger.db.engine import write_session
from fund_ledger.clock import local_today
from fund_ledger.services.periods import close_period
from tests.factories import MANAGER, grant_draft, post

PROBLEM = "application/problem+json"


# ---------------------------------------------------------------------------------------------- helpers

def engine_of(app):
    return app.extensions["fund_ledger.engine"]


def sql(app, statement: str, **params):
    with engine_of(app).begin() as conn:
        result = conn.execute(text(statement), params)
        return result.all() if result.returns_rows else None


def count(app, table: str) -> int:
    return sql(app, f"SELECT count(*) FROM {table}")[0][0]


def money_counts(app) -> dict[str, int]:
    return {t: count(app, t) for t in ("entries", "donations", "donors", "idempotency_keys")}


def assert_problem(response, statuses, field: str | None = None) -> dict:
    statuses = (statuses,) if isinstance(statuses, int) else statuses
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == PROBLEM, response.mimetype
    body = response.get_json()
    assert {"type", "title", "status", "detail", "errors"} <= body.keys(), body
    assert body["status"] == response.status_code
    if field is not None:
        assert field in body["errors"], body
    return body


class Api:
    """A client with a bearer token: ``api.post("/donations", {...}, key="k1")``."""

    def __init__(self, client, token: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", headers=self.headers, query_string=params)

    def post(self, path: str, body=None, key: str | None = None, **kw):
        headers = {**self.headers, **({"Idempotency-Key": key} if key is not None else {})}
        return self.client.post(f"/api/v1{path}", json=body, headers=headers, **kw)


@pytest.fixture
def api(client, api_token):
    return Api(client, api_token("manager"))


@pytest.fixture
def fund_ids(api):
    items = api.get("/funds", per_page=200).get_json()["items"]
    return {f["code"]: f["id"] for f in items}


@pytest.fixture
def donor_id(api):
    response = api.post("/donors", {"name": "张店区女企业家协会", "kind": "organisation", "phone": "0533-1234567"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def gift(donor_id, fund_ids):
    def _gift(**kw):
        return {"donor_id": donor_id, "fund_id": fund_ids["AILILIANG"], "amount": "100000.00",
                "received_on": "2026-11-20", "channel": "bank", "reference": "ICBC-001", "memo": "爱力量", **kw}
    return _gift


def fund(api, code: str) -> dict:
    return next(f for f in api.get("/funds", per_page=200).get_json()["items"] if f["code"] == code)


# ---------------------------------------------------------------------------------------------- recording a gift

def test_a_gift_is_recorded_with_its_entry_and_acknowledgement_number(api, gift, app):
    before = fund(api, "AILILIANG")
    last_receipt = sql(app, "SELECT coalesce(max(receipt_seq), 0) FROM donations WHERE receipt_year = 2026")[0][0]
    last_entry = sql(app, "SELECT coalesce(max(year_seq), 0) FROM entries WHERE year = 2026")[0][0]
    response = api.post("/donations", gift(), key="gift-1")
    assert response.status_code == 201 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["amount"] == "100000.00" and body["channel"] == "bank" and body["fund_code"] == "AILILIANG"
    assert body["receipt_number"] == f"JZ2026-{last_receipt + 1:06d}" and body["refunded"] is False
    assert body["entry_number"] == f"2026-{last_entry + 1:06d}"
    assert len(body["verification_code"]) == 10 and body["official_receipt_number"] is None
    lines = sql(app, "SELECT account_code, fund_code, debit, credit FROM postings p JOIN entries e "
                     "ON e.id = p.entry_id WHERE e.year = 2026 AND e.year_seq = :n ORDER BY line_no", n=last_entry + 1)
    assert [tuple(r) for r in lines] == [("1002", "AILILIANG", 100_000_00, 0), ("4101", "AILILIANG", 0, 100_000_00)]
    after = fund(api, "AILILIANG")
    assert Decimal(after["balance"]) - Decimal(before["balance"]) == Decimal("100000.00")
    assert api.get(f"/donations/{body['id']}").get_json() == body
    second = api.post("/donations", gift(amount="8000", channel="wechat"))
    assert second.get_json()["receipt_number"] == f"JZ2026-{last_receipt + 2:06d}"


BAD_AMOUNTS = ["0", "0.00", "-1", "1.001", "1e5", "NaN", "Infinity", "", " ", "¥100", "1,00", "0x10",
               "1000000000000000", "1000000000000000.00", 100, 100.5, 1e15, None, True, ["1"], {"yuan": "1"}]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=[repr(a) for a in BAD_AMOUNTS])
def test_a_bad_amount_is_a_400_naming_the_amount_and_moves_nothing(api, gift, app, amount):
    before = money_counts(app)
    body = assert_problem(api.post("/donations", gift(amount=amount), key=f"bad-{amount!r}"), 400, "amount")
    assert list(body["errors"]) == ["amount"]
    assert money_counts(app) == before


@pytest.mark.parametrize("field, value", [
    ("donor_id", 999_999), ("donor_id", "1"), ("donor_id", None), ("fund_id", 999_999), ("fund_id", "AILILIANG"),
    ("received_on", "2999-01-01"), ("received_on", "9999-12-31"), ("received_on", "2026-1-1"),
    ("received_on", "2026-11-20T00:00:00"), ("received_on", "2026-02-30"), ("received_on", 20261120),
    ("channel", "paypal"), ("channel", "BANK"), ("reference", "R" * 65), ("memo", "m" * 501),
    ("anonymous", "yes"), ("pledge_id", 999_999),
])
def test_a_bad_field_is_a_400_naming_it_and_moves_nothing(api, gift, app, field, value):
    before = money_counts(app)
    assert_problem(api.post("/donations", gift(**{field: value}), key="bad-field"), 400, field)
    assert money_counts(app) == before


def test_tomorrow_is_in_the_future(api, gift):
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    assert "future" in assert_problem(api.post("/donations", gift(received_on=tomorrow)), 400, "received_on")["detail"]


def test_missing_fields_are_each_named(api):
    body = assert_problem(api.post("/donations", {}), 400)
    assert {"donor_id", "fund_id", "amount", "received_on", "channel"} <= body["errors"].keys()


@pytest.mark.parametrize("payload", [b"{", b"[]", b'"gift"', b"null", b"123", b'{"amount": "1"',
                                     '{"a": "\x00"}'.encode()])
def test_a_body_that_is_not_a_json_object_is_a_400(api, app, payload):
    before = money_counts(app)
    response = api.client.post("/api/v1/donations", data=payload, content_type="application/json",
                               headers=api.headers)
    assert_problem(response, 400)
    assert money_counts(app) == before


def test_a_closed_fund_is_refused_naming_the_fund(api, gift, app, fund_ids):
    sql(app, "UPDATE funds SET closed_on = '2026-11-01' WHERE code = 'TONGMENG'")
    before = money_counts(app)
    assert_problem(api.post("/donations", gift(fund_id=fund_ids["TONGMENG"])), (400, 409, 422), "fund_id")
    assert money_counts(app) == before
    assert fund(api, "TONGMENG")["closed"] is True


def _close_september(app) -> None:
    with write_session(engine_of(app)) as session, session.begin():
        close_period(session, MANAGER, "2026-09")


def test_a_date_in_a_closed_period_is_a_rule_broken_and_moves_nothing(api, gift, app):
    _close_september(app)
    before = money_counts(app)
    body = assert_problem(api.post("/donations", gift(received_on="2026-09-30"), key="closed"), (409, 422))
    assert "2026-09" in body["detail"]
    assert money_counts(app) == before


@pytest.mark.parametrize("day", ["2026-09-30", "1999-12-31"])
def test_a_date_the_books_refuse_names_received_on(api, gift, app, day):
    _close_september(app)
    before = money_counts(app)
    assert_problem(api.post("/donations", gift(received_on=day)), (400, 409, 422), "received_on")
    assert money_counts(app) == before


@pytest.mark.both_databases  # input PostgreSQL refuses and SQLite takes (NUL, huge ids, long text)
@pytest.mark.parametrize("huge", [2**31, 10**30], ids=["2**31", "10**30"])
@pytest.mark.parametrize("method, path, body_field", [
    ("POST", "/donations", "donor_id"), ("POST", "/donations", "fund_id"), ("POST", "/donations", "pledge_id"),
    ("GET", "/donors/{huge}", None), ("GET", "/donations/{huge}", None), ("GET", "/funds/{huge}", None),
    ("GET", "/donations?donor_id={huge}", None), ("GET", "/donations?fund_id={huge}", None),
])
def test_an_id_beyond_any_integer_column_is_never_a_500(api, gift, method, path, body_field, huge):
    """An id the integer columns cannot hold names nothing: 400 or 404, never an overflow in the database."""
    if method == "POST":
        response = api.post(path, gift(**{body_field: huge}))
    else:
        response = api.client.get("/api/v1" + path.format(huge=huge), headers=api.headers)
    assert_problem(response, (400, 404))


# ---------------------------------------------------------------------------------------------- idempotency

@pytest.mark.both_databases
def test_the_same_key_and_body_answer_the_same_gift_and_post_one_entry(api, gift, app):
    before = money_counts(app)
    first = api.post("/donations", gift(), key="retry-me")
    again = api.post("/donations", gift(), key="retry-me")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    after = money_counts(app)
    assert (after["entries"] - before["entries"], after["donations"] - before["donations"]) == (1, 1)
    assert api.get("/donations", donor_id=first.get_json()["donor_id"]).get_json()["total"] == 1


@pytest.mark.both_databases
def test_the_same_key_with_another_amount_is_a_409_and_moves_nothing(api, gift, app):
    api.post("/donations", gift(), key="k-409")
    before = money_counts(app)
    body = assert_problem(api.post("/donations", gift(amount="100001.00"), key="k-409"), 409, "Idempotency-Key")
    assert "different request" in body["detail"]
    assert money_counts(app) == before


@pytest.mark.both_databases
def test_keys_belong_to_their_user(api, gift, app, client, api_token):
    other = Api(client, api_token("manager2"))
    a = api.post("/donations", gift(), key="shared-key").get_json()
    b = other.post("/donations", gift(), key="shared-key").get_json()
    assert a["id"] != b["id"] and len(api.get("/donations", donor_id=a["donor_id"]).get_json()["items"]) == 2


@pytest.mark.parametrize("key", ["", "   ", "k" * 201, "tab\tkey"])
def test_a_malformed_key_is_a_400(api, gift, app, key):
    before = money_counts(app)
    assert_problem(api.post("/donations", gift(), key=key), 400, "Idempotency-Key")
    assert money_counts(app) == before


@pytest.mark.both_databases
@pytest.mark.slow
def test_concurrent_retries_with_one_key_record_one_gift(app, api_token, gift):
    token = api_token("manager")
    body = gift(amount="3000.00")
    before = count(app, "donations")
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    answers, lock = [], threading.Lock()

    def worker():
        c = app.test_client()
        barrier.wait()
        r = c.post("/api/v1/donations", json=body,
                   headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"})
        with lock:
            answers.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s for s, _ in answers] == [201] * threads_n, answers
    assert len({a["id"] for _, a in answers}) == 1
    assert count(app, "donations") == before + 1
    assert sql(app, "SELECT count(*) FROM entries WHERE source = :s",
               s="donation:" + answers[0][1]["receipt_number"])[0][0] == 1


# ---------------------------------------------------------------------------------------------- who may

def test_a_grantee_reads_funds_but_not_the_books_of_gifts(client, api_token, api, gift):
    d = api.post("/donations", gift()).get_json()
    grantee = Api(client, api_token("zhuren"))
    assert_problem(grantee.get("/donations"), 403)
    assert_problem(grantee.get(f"/donations/{d['id']}"), 403)
    assert_problem(grantee.get("/donors"), 403)
    assert_problem(grantee.get(f"/donors/{d['donor_id']}"), 403)
    assert grantee.get("/funds").status_code == 200


def test_an_auditor_reads_gifts_and_donors(client, api_token, api, gift):
    d = api.post("/donations", gift()).get_json()
    auditor = Api(client, api_token("auditor"))
    assert [x["id"] for x in auditor.get("/donations", donor_id=d["donor_id"]).get_json()["items"]] == [d["id"]]
    assert auditor.get(f"/donations/{d['id']}").get_json() == d
    assert auditor.get(f"/donors/{d['donor_id']}").status_code == 200
    assert auditor.get("/funds").status_code == 200


@pytest.mark.parametrize("role", ["grantee", "auditor"])
def test_grantees_and_auditors_may_not_write_gifts_donors_or_funds(app, client, api_token, api, gift, role):
    d = api.post("/donations", gift()).get_json()
    who = Api(client, api_token({"grantee": "zhuren", "auditor": "auditor"}[role]))
    before = money_counts(app)
    assert_problem(who.post("/donations", gift(), key="w1"), 403)
    assert_problem(who.post("/donors", {"name": "x", "kind": "person"}), 403)
    assert_problem(who.post(f"/donations/{d['id']}/refund", {"reason": "x"}), 403)
    assert_problem(who.post(f"/donations/{d['id']}/official-receipt", {"number": "x"}), 403)
    assert_problem(who.post("/funds", {"code": "NEWFUND", "name": "新基金", "restricted": False}), 403)
    assert money_counts(app) == before


def test_no_token_is_a_401(client, gift):
    assert_problem(client.post("/api/v1/donations", json=gift()), 401)
    assert_problem(client.get("/api/v1/donations"), 401)


# ---------------------------------------------------------------------------------------------- lists

def test_donations_are_filtered_by_donor_and_fund_and_paginated(api, gift, fund_ids, donor_id):
    other = api.post("/donors", {"name": "王秀兰", "kind": "person"}).get_json()["id"]
    general_before = api.get("/donations", fund_id=fund_ids["GENERAL"]).get_json()["total"]
    everything_before = api.get("/donations").get_json()["total"]
    plan = [(donor_id, "AILILIANG"), (donor_id, "AILILIANG"), (donor_id, "TONGMENG"), (other, "AILILIANG"),
            (other, "GENERAL"), (donor_id, "AILILIANG")]
    ids = [api.post("/donations", gift(donor_id=d, fund_id=fund_ids[f], amount=f"{i + 1}.00")).get_json()["id"]
           for i, (d, f) in enumerate(plan)]
    listing = api.get("/donations", donor_id=donor_id, fund_id=fund_ids["AILILIANG"]).get_json()
    assert listing["total"] == 3 and sorted(x["id"] for x in listing["items"]) == sorted([ids[0], ids[1], ids[5]])
    assert {x["donor_id"] for x in listing["items"]} == {donor_id}
    assert api.get("/donations", donor_id=other).get_json()["total"] == 2
    assert api.get("/donations", fund_id=fund_ids["GENERAL"]).get_json()["total"] == general_before + 1
    assert api.get("/donations").get_json()["total"] == everything_before + 6
    assert api.get("/donations", donor_id=999_999).get_json() == {"items": [], "total": 0, "page": 1, "per_page": 50}
    pages = [api.get("/donations", donor_id=donor_id, per_page=3, page=p).get_json() for p in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [3, 1, 0] and all(p["total"] == 4 for p in pages)
    assert [x["id"] for p in pages for x in p["items"]] == sorted([ids[0], ids[1], ids[2], ids[5]], reverse=True)
    assert (pages[1]["page"], pages[1]["per_page"]) == (2, 3)
    donor = api.get(f"/donors/{donor_id}").get_json()
    assert (donor["gifts"], donor["total"]) == (4, "12.00")  # 1 + 2 + 3 + 6 (amounts are positions in the plan)
    found = api.get("/donors", q="王秀兰", per_page=200).get_json()["items"]
    assert other in [d["id"] for d in found] and all("王秀兰" in d["name"] for d in found)


@pytest.mark.parametrize("params, field", [({"per_page": 201}, "per_page"), ({"per_page": 0}, "per_page"),
                                            ({"page": 0}, "page"), ({"page": "x"}, "page"),
                                            ({"donor_id": "abc"}, "donor_id"), ({"fund_id": "1.5"}, "fund_id")])
def test_bad_list_parameters_are_a_400(api, params, field):
    assert_problem(api.get("/donations", **params), 400, field)


def test_an_unknown_donation_or_donor_is_a_404(api):
    assert_problem(api.get("/donations/999999"), 404)
    assert_problem(api.get("/donors/999999"), 404)
    assert_problem(api.post("/donations/999999/refund", {"reason": "x"}), 404)


# ---------------------------------------------------------------------------------------------- funds move

def yuan(text: str) -> Decimal:
    return Decimal(text)


def test_fund_balance_reserved_and_available_move_with_gifts_refunds_and_spending(api, gift, fund_ids, app):
    start = fund(api, "AILILIANG")
    others = {code: fund(api, code)["balance"] for code in ("TONGMENG", "GENERAL")}
    assert yuan(start["available"]) == yuan(start["balance"]) - yuan(start["reserved"]) >= 0
    d = api.post("/donations", gift(amount="1234.56"), key="m1").get_json()
    one = api.get(f"/funds/{fund_ids['AILILIANG']}").get_json()
    assert yuan(one["balance"]) - yuan(start["balance"]) == Decimal("1234.56")
    assert yuan(one["available"]) - yuan(start["available"]) == Decimal("1234.56")
    assert one["reserved"] == start["reserved"]
    spend_fen = int((yuan(one["available"]) - Decimal("1000.00")) * 100)
    with write_session(engine_of(app)) as session, session.begin():
        post(session, grant_draft("AILILIANG", spend_fen, day=date(2026, 11, 21)))
    assert fund(api, "AILILIANG")["available"] == "1000.00"
    before = money_counts(app)
    body = assert_problem(api.post(f"/donations/{d['id']}/refund", {"reason": "捐赠人要求退回"}, key="r1"), 422,
                          "postings")
    assert "available" in body["detail"]  # only 1,000.00 is left: refunding 1,234.56 would overdraw the fund
    assert money_counts(app) == before and fund(api, "AILILIANG")["available"] == "1000.00"
    assert api.get(f"/donations/{d['id']}").get_json()["refunded"] is False
    small = api.post("/donations", gift(amount="500.00"), key="m2").get_json()
    refund = api.post(f"/donations/{small['id']}/refund", {"reason": "捐赠人要求退回"}, key="r2")
    assert refund.status_code == 201, refund.get_json()
    assert refund.get_json()["refunded"] is True and refund.get_json()["refund_entry"]
    again = api.post(f"/donations/{small['id']}/refund", {"reason": "捐赠人要求退回"}, key="r2")
    assert again.get_json() == refund.get_json()  # the retried refund answers the same and moves nothing more
    end = fund(api, "AILILIANG")
    assert end["available"] == "1000.00"
    assert yuan(end["balance"]) == yuan(end["reserved"]) + Decimal("1000.00")
    assert_problem(api.post(f"/donations/{small['id']}/refund", {"reason": "again"}), 409)
    assert {code: fund(api, code)["balance"] for code in others} == others  # no other fund moved
    assert api.get("/audit/verify").get_json()["ok"] is True


def test_the_official_receipt_number_is_set_once(api, gift):
    d = api.post("/donations", gift()).get_json()
    set_ = api.post(f"/donations/{d['id']}/official-receipt", {"number": "鲁财0012345"})
    assert set_.status_code == 200 and set_.get_json()["official_receipt_number"] == "鲁财0012345"
    assert_problem(api.post(f"/donations/{d['id']}/official-receipt", {"number": "X"}), 409)
    assert_problem(api.post(f"/donations/{d['id']}/official-receipt", {"number": ""}), 400, "number")
    assert api.get(f"/donations/{d['id']}").get_json()["official_receipt_number"] == "鲁财0012345"


# ---------------------------------------------------------------------------------------------- funds and donors

def test_a_fund_is_created_and_starts_empty(api, app):
    response = api.post("/funds", {"code": "XIYUEHUI", "name": "喜悦绘", "restricted": True, "purpose": "儿童美育",
                                   "end_date": "2027-12-31"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["code"], body["restricted"], body["balance"], body["available"], body["closed"]) == \
        ("XIYUEHUI", True, "0.00", "0.00", False)
    assert api.get(f"/funds/{body['id']}").get_json()["end_date"] == "2027-12-31"
    assert sql(app, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1")[0][0] == "fund.create"


@pytest.mark.parametrize("body, field", [
    ({"code": "xiyue", "name": "喜悦绘", "restricted": False}, "code"),
    ({"code": "X", "name": "喜悦绘", "restricted": False}, "code"),
    ({"code": "喜悦", "name": "喜悦绘", "restricted": False}, "code"),
    ({"name": "喜悦绘", "restricted": False}, "code"),
    ({"code": "XIYUE", "name": "", "restricted": False}, "name"),
    ({"code": "XIYUE", "name": "喜" * 101, "restricted": False}, "name"),
    ({"code": "XIYUE", "name": "喜悦绘"}, "restricted"),
    ({"code": "XIYUE", "name": "喜悦绘", "restricted": "true"}, "restricted"),
    ({"code": "XIYUE", "name": "喜悦绘", "restricted": 1}, "restricted"),
    ({"code": "XIYUE", "name": "喜悦绘", "restricted": True}, "purpose"),
    ({"code": "XIYUE", "name": "喜悦绘", "restricted": True, "purpose": "   "}, "purpose"),
    ({"code": "XIYUE", "name": "喜悦绘", "restricted": False, "end_date": "2027/12/31"}, "end_date"),
    ({"code": "XIYUE", "name": "喜悦绘", "restricted": False, "purpose": "p" * 2001}, "purpose"),
])
def test_a_bad_fund_is_a_400_naming_the_field(api, app, body, field):
    before = count(app, "funds")
    assert_problem(api.post("/funds", body), 400, field)
    assert count(app, "funds") == before


def test_a_fund_code_or_name_already_used_is_a_409(api, app):
    before = count(app, "funds")
    assert_problem(api.post("/funds", {"code": "AILILIANG", "name": "新的", "restricted": False}), 409)
    assert_problem(api.post("/funds", {"code": "NEWCODE", "name": "爱力量", "restricted": False}), 409)
    assert count(app, "funds") == before


def test_a_donor_is_created_and_read_back(api):
    response = api.post("/donors", {"name": "孙丽", "kind": "person", "phone": "+86 138 0000 0000",
                                    "email": "sun@example.cn", "related_party": True, "related_note": "协会理事",
                                    "display_name": "孙女士"})
    assert response.status_code == 201
    body = response.get_json()
    assert api.get(f"/donors/{body['id']}").get_json() == body
    assert (body["related_party"], body["gifts"], body["total"]) == (True, 0, "0.00")


@pytest.mark.parametrize("body, field", [
    ({"kind": "person"}, "name"),
    ({"name": "", "kind": "person"}, "name"),
    ({"name": "   ", "kind": "person"}, "name"),
    ({"name": "张" * 101, "kind": "person"}, "name"),
    ({"name": "张三"}, "kind"),
    ({"name": "张三", "kind": "robot"}, "kind"),
    ({"name": "张三", "kind": "个人"}, "kind"),
    ({"name": "张三", "kind": "person", "phone": "call me"}, "phone"),
    ({"name": "张三", "kind": "person", "phone": "1" * 33}, "phone"),
    ({"name": "张三", "kind": "person", "email": "nobody"}, "email"),
    ({"name": "张三", "kind": "person", "related_party": "yes"}, "related_party"),
    ({"name": "张三", "kind": "person", "related_party": 1}, "related_party"),
    ({"name": 42, "kind": "person"}, "name"),
    ({"name": "bell\x07", "kind": "person"}, "name"),
])
def test_a_bad_donor_is_a_400_naming_the_field(api, app, body, field):
    before = count(app, "donors")
    assert_problem(api.post("/donors", body), 400, field)
    assert count(app, "donors") == before


def test_the_openapi_document_describes_money_as_a_string(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    amount = spec["components"]["schemas"]["DonationIn"]["properties"]["amount"]
    assert amount["type"] == "string" and "pattern" in amount
    assert "/api/v1/donations" in spec["paths"] and "post" in spec["paths"]["/api/v1/donations"]
