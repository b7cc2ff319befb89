"""The same bad input gives the same answer on a page and in the API: the same status class, the same fields
with the same message codes, and nothing written. Both edges load through one schema (fund_ledger/schemas),
so this holds by construction; the test keeps it so.

A page shows each message beside its field as ``<span data-field=... data-code=...>``; the API's
problem+json has ``codes: {field: [code]}``. No input may give a 500.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fund_ledger.db import models as m

AMOUNTS = ["1e5", "NaN", "-5", "0.001", "１００", "1,00", "100000000000000000000", "", "¥100", "1_000"]
DATES = ["2026-02-30", "2026-W36-1", "２０２６-01-01", "20261105", "2026-12-01", "2026-11-27T10:00", ""]
"""(the tests' today is 2026-11-27: 2026-12-01 is in the future)"""
IDS = [0, -1, 2**31, "abc", "１", "1.5"]
TEXTS = ["x" * 10_000, "a\x00b", "a\u202eb", "   "]
OPTIONAL_TEXTS = TEXTS[:3]  # only spaces is simply empty for an optional field
PERIODS = ["2026-13", "２０２６-01", "abc", "2026-W36", "1999-12", "2026-1", "x" * 10_000]

TABLES = (m.Entry, m.Donation, m.Donor, m.Disbursement, m.DisbursementEvent, m.Organisation, m.Period,
          m.DisbursementReport, m.Fund, m.RelatedParty, m.Setting, m.AnnualReport, m.PublishedItem)


def _counts(app) -> dict:
    with Session(app.extensions["fund_ledger.engine"]) as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) for t in TABLES}


def _page_codes(html: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for field, code in re.findall(r'data-field="([^"]*)" data-code="([^"]*)"', html):
        out.setdefault(field, set()).add(code)
    return out


def _api_codes(body: dict) -> dict[str, set[str]]:
    return {field: set(codes) for field, codes in (body.get("codes") or {}).items()}


class Edges:
    def __init__(self, app, login, api_token):
        self.app = app
        self.pages = {u: login(u) for u in ("manager", "zhuren")}
        self.tokens = {u: api_token(u) for u in ("manager", "manager2", "zhuren")}
        with Session(app.extensions["fund_ledger.engine"]) as s:
            self.fund = s.scalar(select(m.Fund.id).where(m.Fund.code == "AILILIANG"))
            self.donor = s.scalar(select(m.Donor.id).order_by(m.Donor.id).limit(1))
            self.donation = s.scalar(select(m.Donation.id).order_by(m.Donation.id.desc()).limit(1))
            self.org = s.scalar(select(m.User.organisation_id).where(m.User.username == "zhuren"))

    def api(self, user, url, body):
        return self.page_client().post(f"/api/v1{url}", json=body,
                                       headers={"Authorization": f"Bearer {self.tokens[user]}"})

    def page_client(self):
        return self.app.test_client()

    def page(self, user, url, form):
        client = self.pages[user]
        return client.post(url, data={"csrf_token": client.csrf_token, **{k: str(v) for k, v in form.items()}})

    def disbursement(self, state: str) -> int:
        """A request of zhuren's for 100.00 from 爱力量, approved (and paid) through the API."""
        made = self.api("zhuren", "/disbursements", {"organisation_id": self.org, "fund_id": self.fund,
                                                     "amount": "100.00", "purpose": "对照测试"})
        assert made.status_code == 201, made.get_json()
        ident = made.get_json()["id"]
        assert self.api("manager", f"/disbursements/{ident}/approve", {}).status_code == 200
        if state == "paid":
            paid = self.api("manager", f"/disbursements/{ident}/pay", {"paid_on": "2026-11-27", "reference": "P-1"})
            assert paid.status_code == 200, paid.get_json()
        return ident


@pytest.fixture
def edges(app, login, api_token):
    return Edges(app, login, api_token)


def _same_answer(edges: Edges, user: str, page_url: str, api_url: str, base: dict, field: str, value, *,
                 api_user: str | None = None, page_value=None):
    """Send ``base`` with ``field`` set to ``value`` through both edges; both refuse it alike, writing nothing."""
    before = _counts(edges.app)
    page = edges.page(user, page_url, {**base, field: value if page_value is None else page_value})
    api = edges.api(api_user or user, api_url, {**base, field: value})
    assert page.status_code < 500 and api.status_code < 500, (field, value)
    assert page.status_code // 100 == api.status_code // 100 == 4, (field, value, page.status_code, api.status_code)
    body = api.get_json()
    assert body["status"] == api.status_code and body["code"] and field in body["errors"], body
    html = page.get_data(as_text=True)
    assert _page_codes(html) == _api_codes(body), (field, value, _page_codes(html), body)
    assert _counts(edges.app) == before, (field, value)
    return _api_codes(body)[field]


def _cases(spec: dict[str, list]) -> list[tuple[str, object]]:
    return [(field, value) for field, values in spec.items() for value in values]


def test_a_gift(edges):
    base = {"donor_id": edges.donor, "fund_id": edges.fund, "amount": "100.00", "received_on": "2026-11-20",
            "channel": "bank", "reference": "R-1", "memo": "对照"}
    seen = {}
    for field, value in _cases({"amount": AMOUNTS, "received_on": DATES, "donor_id": IDS, "fund_id": IDS,
                                "reference": OPTIONAL_TEXTS, "memo": OPTIONAL_TEXTS,
                                "channel": ["", "现金", "BANK", "\x00"]}):
        seen[(field, value)] = _same_answer(edges, "manager", "/donations/new", "/donations", base, field,
                                                      value)
    assert seen[("amount", "0.001")] == {"amount.too_many_decimals"}
    assert seen[("amount", "100000000000000000000")] == {"amount.too_large"}
    assert seen[("amount", "１００")] == {"amount.not_ascii"}
    assert seen[("amount", "1e5")] == {"amount.exponent"}
    assert seen[("amount", "-5")] == {"amount.negative"}
    assert seen[("amount", "")] == {"amount.empty"}
    assert seen[("received_on", "2026-12-01")] == {"date.future"}
    assert seen[("received_on", "2026-02-30")] == seen[("received_on", "２０２６-01-01")] == {"date.format"}
    assert seen[("donor_id", 2**31)] == seen[("fund_id", "abc")] == {"id.invalid"}
    assert seen[("memo", "a\x00b")] == {"text.nul"}  # refused at the door, on both edges
    assert seen[("reference", "a\u202eb")] == {"text.control"}
    assert seen[("memo", "x" * 10_000)] == {"text.too_long"}


def test_a_gift_of_a_json_number_or_a_padded_amount(edges):
    """A JSON number is never money (a form cannot send one); " 100" is 100.00 on both edges."""
    base = {"donor_id": edges.donor, "fund_id": edges.fund, "amount": "100.00", "received_on": "2026-11-20",
            "channel": "bank"}
    before = _counts(edges.app)
    for number in (100, 10**20, 1.5):
        answer = edges.api("manager", "/donations", {**base, "amount": number})
        assert answer.status_code == 400 and answer.get_json()["codes"] == {"amount": ["amount.not_string"]}
    assert _counts(edges.app) == before
    assert edges.page("manager", "/donations/new", {**base, "amount": " 100"}).status_code == 302
    assert edges.api("manager", "/donations", {**base, "amount": " 100"}).status_code == 201
    assert _counts(edges.app)["donations"] == before["donations"] + 2


def test_a_donor(edges):
    base = {"name": "对照测试人", "kind": "person", "phone": "138 0000 0000", "email": "a@example.org"}
    for field, value in _cases({"name": TEXTS, "kind": ["", "个人", "robot", "\x00"], "phone": ["call me", "\x00"],
                                "email": ["not-an-address", "a@b", "x" * 10_000]}):
        _same_answer(edges, "manager", "/donors", "/donors", base, field, value)


def test_a_refund(edges):
    url = f"/donations/{edges.donation}/refund"
    base = {"reason": "捐赠人要求退回"}
    for field, value in _cases({"reason": TEXTS, "on": [d for d in DATES if d]}):
        _same_answer(edges, "manager", url, url, base, field, value)


def test_a_related_party(edges):
    base = {"name": "对照关联方", "kind": "person", "relation": "理事", "since": "2026-01-01"}
    for field, value in _cases({"name": TEXTS[:3], "kind": ["", "个人", "robot"], "relation": TEXTS,
                                "donor_id": IDS + [99999], "organisation_id": IDS,
                                "since": [d for d in DATES if d and d != "2026-12-01"],  # (a relation may begin later)
                                "until": ["2026-02-30", "2025-12-31"], "note": OPTIONAL_TEXTS}):
        _same_answer(edges, "manager", "/related-parties", "/related-parties", base, field, value)
    with Session(edges.app.extensions["fund_ledger.engine"]) as s:
        party = s.scalar(select(m.RelatedParty.id).order_by(m.RelatedParty.id).limit(1))
    for value in ["2026-02-30", "２０２６-01-01", "", "2026-W36-1"]:
        _same_answer(edges, "manager", f"/related-parties/{party}/end", f"/related-parties/{party}/end", {}, "until",
                     value)


def test_a_major_transaction_threshold(edges):
    """The page posts the threshold; the API puts it."""
    for value in [a for a in AMOUNTS if a] + ["0"]:
        before = _counts(edges.app)
        page = edges.page("manager", "/disclosures/major-transaction", {"amount": value})
        api = edges.page_client().put("/api/v1/settings/major-transaction", json={"amount": value},
                                      headers={"Authorization": f"Bearer {edges.tokens['manager']}"})
        assert page.status_code == api.status_code == 400, (value, page.status_code, api.status_code)
        assert _page_codes(page.get_data(as_text=True)) == _api_codes(api.get_json()), value
        assert _counts(edges.app) == before


def test_an_organisation(edges):
    base = {"name": "对照测试机构", "credit_code": "91350100M000100Y43", "contact": "王老师"}
    for field, value in _cases({"name": TEXTS, "credit_code": TEXTS + ["91350100M000100Y4X", "１２３"],
                                "contact": OPTIONAL_TEXTS}):
        _same_answer(edges, "manager", "/organisations", "/organisations", base, field, value)


def test_a_disbursement_request(edges):
    """The grantee's page takes its own organisation; the API is sent it."""
    base = {"fund_id": edges.fund, "amount": "100.00", "purpose": "对照测试"}
    for field, value in _cases({"amount": AMOUNTS, "fund_id": IDS, "purpose": TEXTS}):
        before = _counts(edges.app)
        page = edges.page("zhuren", "/disbursements/new", {**base, field: value})
        api = edges.api("zhuren", "/disbursements", {**base, "organisation_id": edges.org, field: value})
        assert page.status_code // 100 == api.status_code // 100 == 4, (field, value)
        assert _page_codes(page.get_data(as_text=True)) == _api_codes(api.get_json()), (field, value)
        assert _counts(edges.app) == before


def test_a_payment_and_an_acknowledgement(edges):
    approved, paid = edges.disbursement("approved"), edges.disbursement("paid")
    base = {"paid_on": "2026-11-27", "reference": "ZD-1"}
    for field, value in _cases({"paid_on": DATES, "reference": TEXTS}):
        _same_answer(edges, "manager", f"/disbursements/{approved}/pay", f"/disbursements/{approved}/pay", base,
                     field, value)
    for value in DATES + ["2026-01-01"]:  # before the payment: out of range, like the future
        _same_answer(edges, "zhuren", f"/disbursements/{paid}/acknowledge", f"/disbursements/{paid}/acknowledge",
                     {}, "received_on", value)


def test_a_rejection(edges):
    made = edges.api("zhuren", "/disbursements", {"organisation_id": edges.org, "fund_id": edges.fund,
                                                  "amount": "100.00", "purpose": "对照测试"}).get_json()["id"]
    for value in TEXTS:
        _same_answer(edges, "manager", f"/disbursements/{made}/reject", f"/disbursements/{made}/reject", {}, "reason",
                     value)


def test_a_period_close(edges):
    """The API takes the period in the path; the page in the form (and asks to confirm)."""
    for value in PERIODS:
        before = _counts(edges.app)
        page = edges.page("manager", "/periods/close", {"period": value, "confirm": "yes"})
        api = edges.api("manager", f"/periods/{quote(value, safe='')}/close", {})
        assert page.status_code == api.status_code == 400, (value, page.status_code, api.status_code)
        assert _page_codes(page.get_data(as_text=True)) == _api_codes(api.get_json()) == {"period": {"period.format"}}
        assert _counts(edges.app) == before


def test_an_annual_report_submission(edges):
    """The year in the path, the auditor's reference and the reason in the body (the page asks to confirm)."""
    base = {"audit_reference": "鲁信审字〔2026〕第3号", "reason": ""}
    for field, value in _cases({"audit_reference": OPTIONAL_TEXTS, "reason": OPTIONAL_TEXTS}):
        before = _counts(edges.app)
        page = edges.page("manager", "/annual-reports/2025/submit", {**base, field: value, "confirm": "yes"})
        api = edges.api("manager", "/annual-reports/2025/submit", {**base, field: value})
        assert page.status_code == api.status_code == 400, (field, value, page.status_code, api.status_code)
        assert _page_codes(page.get_data(as_text=True)) == _api_codes(api.get_json()), (field, value)
        assert _counts(edges.app) == before
    for value, status, code in (("0", 400, "annual.year"), ("99999", 400, "annual.year"), ("abc", 400, "annual.year"),
                                ("２０２５", 400, "annual.year"), ("2026", 422, "annual.not_ended")):
        before = _counts(edges.app)
        page = edges.page("manager", f"/annual-reports/{quote(value)}/submit", {**base, "confirm": "yes"})
        api = edges.api("manager", f"/annual-reports/{quote(value)}/submit", base)
        assert page.status_code == api.status_code == status, (value, page.status_code, api.status_code)
        assert _page_codes(page.get_data(as_text=True)) == _api_codes(api.get_json()) == {"year": {code}}, value
        assert _counts(edges.app) == before


def test_an_import_row_says_what_the_page_and_the_api_say(edges):
    """A donations file's row is loaded with the gift's field types: the same codes, by row and column."""
    from fund_ledger.schemas.messages import code_of
    from fund_ledger.services.imports import parse_rows

    from datetime import date

    class Fund:
        code, name, closed_on, end_date = "AILILIANG", "爱力量", None, None
    header = ["donor", "fund", "amount", "received_on", "memo"]
    rows = [["李红梅", "AILILIANG", amount, "2026-11-20", ""] for amount in AMOUNTS] + \
           [["李红梅", "AILILIANG", "1", day, ""] for day in DATES] + \
           [["李红梅", "AILILIANG", "1", "2026-11-20", text] for text in OPTIONAL_TEXTS]
    parsed, problems = parse_rows(header, rows, date(2026, 11, 27), {"AILILIANG": Fund})
    assert parsed == []
    codes = {(n, column): code_of(message) for n, column, message in problems}
    base = {"donor_id": edges.donor, "fund_id": edges.fund, "amount": "100.00", "received_on": "2026-11-20",
            "channel": "bank"}
    n = 2
    for field, values in (("amount", AMOUNTS), ("received_on", DATES), ("memo", OPTIONAL_TEXTS)):
        for value in values:
            api = edges.api("manager", "/donations", {**base, field: value}).get_json()
            assert {codes[(n, field)]} == set(api["codes"][field]), (field, value)
            n += 1
