"""Closing a fund on the funds page and through the API: refused with the reason when it still holds money,
asked to confirm when it is empty, closed on confirmation; the API says the same."""
from __future__ import annotations

from sqlalchemy import text

from fund_ledger.db.engine import write_session
from fund_ledger.services.funds import create_fund
from tests.factories import MANAGER


def _closed(app, code: str):
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text("SELECT closed_on FROM funds WHERE code = :c"), {"c": code}).scalar_one()


def test_a_fund_holding_money_is_not_closed_and_an_empty_one_is_after_confirming(app, login):
    with write_session(app.extensions["fund_ledger.engine"]) as s, s.begin():
        create_fund(s, MANAGER, code="HUHUA", name="护花行动", restricted=True, purpose="女童安全教育")
    manager = login("manager")
    with app.extensions["fund_ledger.engine"].connect() as conn:
        ids = dict(conn.execute(text("SELECT code, id FROM funds")).all())
    held = manager.post(f"/funds/{ids['AILILIANG']}/close", data={"csrf_token": manager.csrf_token,
                                                                  "closed_on": "2026-11-27", "confirm": "1"})
    assert held.status_code == 422 and "该基金仍有余额或未结清的款项：1002 银行存款" in held.get_data(as_text=True)
    asked = manager.post(f"/funds/{ids['HUHUA']}/close", data={"csrf_token": manager.csrf_token,
                                                                    "closed_on": "2026-11-01"})
    assert asked.status_code == 200 and 'id="confirm-close"' in asked.get_data(as_text=True)
    assert _closed(app, "HUHUA") is None  # asking changes nothing
    done = manager.post(f"/funds/{ids['HUHUA']}/close", data={"csrf_token": manager.csrf_token,
                                                                   "closed_on": "2026-11-01", "confirm": "1"})
    assert done.status_code == 302 and str(_closed(app, "HUHUA")) == "2026-11-01"
    assert "已于 2026-11-01 关闭" in manager.get("/funds").get_data(as_text=True)


def test_the_api_closes_an_empty_fund_and_refuses_by_field(app, client, api_token):
    with write_session(app.extensions["fund_ledger.engine"]) as s, s.begin():
        create_fund(s, MANAGER, code="HUHUA", name="护花行动", restricted=True, purpose="女童安全教育")
    headers = {"Authorization": f"Bearer {api_token('manager')}"}
    with app.extensions["fund_ledger.engine"].connect() as conn:
        fund_id = conn.execute(text("SELECT id FROM funds WHERE code = 'HUHUA'")).scalar_one()
    future = client.post(f"/api/v1/funds/{fund_id}/close", json={"closed_on": "2099-01-01"}, headers=headers)
    assert future.status_code == 400 and "closed_on" in future.get_json()["errors"]
    bad = client.post(f"/api/v1/funds/{fund_id}/close", json={"closed_on": "2026-02-30"}, headers=headers)
    assert bad.status_code == 400 and "closed_on" in bad.get_json()["errors"]
    done = client.post(f"/api/v1/funds/{fund_id}/close", json={"closed_on": "2026-11-01"}, headers=headers)
    assert done.status_code == 200 and done.get_json()["closed_on"] == "2026-11-01"
    assert client.post(f"/api/v1/funds/{fund_id}/close", json={"closed_on": "2026-11-01"},
                       headers=headers).status_code == 409
