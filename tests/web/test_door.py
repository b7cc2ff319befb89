"""Hostile bodies are refused at the door with a 400 that names the problem, never a 500, and change nothing:
a lone surrogate in JSON text, JSON nested 50,000 deep, a multipart part without a name."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from fund_ledger.http.door import MAX_JSON_DEPTH, BodyError, strict_json_loads

NAMELESS = b'--XX\r\nContent-Disposition: form-data\r\n\r\nhello\r\n--XX--\r\n'
NAMELESS_FILE = (b'--XX\r\nContent-Disposition: form-data; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
                 b'%PDF-1.4\r\n--XX--\r\n')


def _audit_rows(app) -> int:
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()


@pytest.mark.parametrize(("body", "words"), [
    ('{"username": "\\ud800", "password": "x"}', "lone surrogate"),
    ('{"username": "a", "password": "\\udfff"}', "lone surrogate"),
    ('{"\\ud800": 1}', "lone surrogate"),
    ("[" * 50_000, "nested more than"),
    ("[" * 50_000 + "]" * 50_000, "nested more than"),
    ('{"a":' * 40 + "1" + "}" * 40, "nested more than"),
])
def test_the_token_door_refuses_hostile_json_with_a_400(app, client, body, words):
    before = _audit_rows(app)
    response = client.post("/api/v1/tokens", data=body, content_type="application/json")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert words in response.get_json()["detail"]
    assert _audit_rows(app) == before  # nothing recorded, not even a failed log-in


def test_json_that_is_fine_passes_the_door(client):
    # a real pair of surrogates is one character (an emoji), and brackets inside strings do not count as depth
    response = client.post("/api/v1/tokens", json={"username": "😀" + "[" * 40, "password": "x" * 12})
    assert response.status_code == 401


def test_hostile_json_to_an_authenticated_write_is_a_400(client, api_token):
    headers = {"Authorization": f"Bearer {api_token('manager')}"}
    response = client.post("/api/v1/donors", data='{"name": "\\ud800", "kind": "person"}',
                           content_type="application/json", headers=headers)
    assert response.status_code == 400 and "lone surrogate" in response.get_json()["detail"]
    response = client.post("/api/v1/donors", data="[" * 50_000, content_type="application/json", headers=headers)
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/login", "/audit-reports/verify", "/api/v1/tokens",
                                  "/api/v1/audit-reports/verify"])
@pytest.mark.parametrize("body", [NAMELESS, NAMELESS_FILE])
def test_a_form_part_without_a_name_is_a_400(app, client, path, body):
    before = _audit_rows(app)
    response = client.post(path, data=body, content_type="multipart/form-data; boundary=XX")
    assert response.status_code == 400
    assert "has no name" in response.get_data(as_text=True)
    assert _audit_rows(app) == before


def test_the_strict_loader_alone():
    assert strict_json_loads(b'{"a": ["[", "{"]}') == {"a": ["[", "{"]}
    assert strict_json_loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    for bad in ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), '"\\ud800"', b"\xff\xfe"):
        with pytest.raises(BodyError):
            strict_json_loads(bad)
