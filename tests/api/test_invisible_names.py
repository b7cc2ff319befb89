"""Names are shown to the public and printed on PDFs: a name holding a character nobody can see (a bidirectional
override, a zero-width space, DEL, a newline, a line separator, a BOM) is refused with the field and its code, on
the API and on the page, and nothing is written."""
from __future__ import annotations

import pytest
from sqlalchemy import text

HIDDEN = ["爱心\u202e企业", "爱心\u200b企业", "爱心\x7f企业", "爱心\n企业", "爱心\u2028企业", "\ufeff爱心企业",
          "爱心\u200d企业", "爱心\ue000企业"]


def _count(app, table: str) -> int:
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.mark.parametrize("name", HIDDEN)
def test_a_donor_or_organisation_name_with_a_hidden_character_is_refused(app, client, api_token, name):
    headers = {"Authorization": f"Bearer {api_token('manager')}"}
    donors, organisations = _count(app, "donors"), _count(app, "organisations")
    response = client.post("/api/v1/donors", headers=headers, json={"name": name, "kind": "organisation"})
    assert response.status_code == 400
    assert response.get_json()["codes"]["name"] == ["text.control"], response.get_json()
    response = client.post("/api/v1/organisations", headers=headers,
                           json={"name": name, "credit_code": "91370303MA3C1234X5"})
    assert response.status_code == 400 and "name" in response.get_json()["errors"], response.get_json()
    assert (_count(app, "donors"), _count(app, "organisations")) == (donors, organisations)


def test_visible_chinese_and_punctuation_pass(client, api_token):
    headers = {"Authorization": f"Bearer {api_token('manager')}"}
    response = client.post("/api/v1/donors", headers=headers,
                           json={"name": "淄博·张店区（女）企业家协会 — 爱力量", "kind": "organisation"})
    assert response.status_code == 201, response.get_json()


def test_the_page_refuses_the_same_name(app, login):
    manager = login("manager")
    before = _count(app, "donors")
    response = manager.post("/donors", data={"name": "爱心\u200b企业", "kind": "organisation",
                                             "csrf_token": manager.csrf_token})
    assert response.status_code == 400
    assert "aria-invalid" in response.get_data(as_text=True)
    assert _count(app, "donors") == before
