"""User accounts through the API (CONTRACT.md): an administrator lists, adds, disables, enables and changes roles;
each of the last three ends every earlier token of that user; nobody else may; bad input is a 400 naming the field."""
from __future__ import annotations

import pytest

DEMO_PASSWORD = "aililiang-2026"
NEW_PASSWORD = "zibo-fund-2026!"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(api_token):
    return bearer(api_token("admin"))


def _id(client, admin, username: str) -> int:
    items = client.get("/api/v1/users?per_page=200", headers=admin).get_json()["items"]
    return next(u["id"] for u in items if u["username"] == username)


def test_an_administrator_lists_and_adds_users(client, admin):
    listed = client.get("/api/v1/users", headers=admin)
    assert listed.status_code == 200
    body = listed.get_json()
    assert {"items", "total", "page", "per_page"} <= set(body)
    assert {u["username"] for u in body["items"]} >= {"admin", "manager", "manager2", "zhuren", "auditor"}
    assert all("password" not in u and "password_hash" not in u for u in body["items"])

    made = client.post("/api/v1/users", headers=admin,
                       json={"username": "li.na", "role": "auditor", "password": NEW_PASSWORD})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["role"] == "auditor" and made.get_json()["active"] is True
    token = client.post("/api/v1/tokens", json={"username": "li.na", "password": NEW_PASSWORD})
    assert token.status_code == 201


@pytest.mark.parametrize(("body", "field"), [
    ({"username": "li.na", "role": "king", "password": NEW_PASSWORD}, "role"),
    ({"username": "Li Na!", "role": "auditor", "password": NEW_PASSWORD}, "username"),
    ({"username": "li.na", "role": "auditor", "password": "short"}, "password"),
    ({"username": "li.na", "role": "grantee", "password": NEW_PASSWORD}, "organisation_id"),
    ({"username": "li.na", "role": "auditor", "password": NEW_PASSWORD, "organisation_id": "1"}, "organisation_id"),
    ({"role": "auditor", "password": NEW_PASSWORD}, "username"),
])
def test_a_bad_user_is_a_400_naming_the_field_and_adds_nothing(client, admin, body, field):
    before = client.get("/api/v1/users", headers=admin).get_json()["total"]
    response = client.post("/api/v1/users", headers=admin, json=body)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"], response.get_json()
    assert client.get("/api/v1/users", headers=admin).get_json()["total"] == before


def test_a_username_taken_is_a_409(client, admin):
    response = client.post("/api/v1/users", headers=admin,
                           json={"username": "manager", "role": "auditor", "password": NEW_PASSWORD})
    assert response.status_code == 409


def test_disable_enable_and_role_end_every_earlier_token(client, admin, api_token):
    manager2 = _id(client, admin, "manager2")
    first = bearer(api_token("manager2"))
    assert client.get("/api/v1/funds", headers=first).status_code == 200

    disabled = client.post(f"/api/v1/users/{manager2}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.get_json()["active"] is False
    assert client.get("/api/v1/funds", headers=first).status_code == 401
    assert client.post("/api/v1/tokens", json={"username": "manager2", "password": DEMO_PASSWORD}).status_code == 401

    enabled = client.post(f"/api/v1/users/{manager2}/enable", headers=admin)
    assert enabled.status_code == 200 and enabled.get_json()["active"] is True
    assert client.get("/api/v1/funds", headers=first).status_code == 401  # not revived
    second = bearer(api_token("manager2"))
    assert client.post("/api/v1/funds", headers=second, json={}).status_code == 400  # a manager may write

    changed = client.post(f"/api/v1/users/{manager2}/role", headers=admin, json={"role": "auditor"})
    assert changed.status_code == 200 and changed.get_json()["role"] == "auditor"
    assert client.get("/api/v1/funds", headers=second).status_code == 401
    third = bearer(api_token("manager2"))
    assert client.post("/api/v1/funds", headers=third, json={}).status_code == 403  # an auditor writes nothing


def test_an_administrator_keeps_their_own_access(client, admin):
    me = _id(client, admin, "admin")
    assert client.post(f"/api/v1/users/{me}/disable", headers=admin).status_code == 409
    assert client.post(f"/api/v1/users/{me}/role", headers=admin, json={"role": "auditor"}).status_code == 409
    assert client.post("/api/v1/users/999999/disable", headers=admin).status_code == 404
    assert client.post(f"/api/v1/users/{me}/role", headers=admin, json={"role": "boss"}).status_code == 400


@pytest.mark.parametrize("username", ["manager", "auditor", "zhuren"])
def test_only_an_administrator_manages_users(client, admin, api_token, username):
    headers = bearer(api_token(username))
    target = _id(client, admin, "manager2")
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert client.post("/api/v1/users", headers=headers,
                       json={"username": "x.y", "role": "admin", "password": NEW_PASSWORD}).status_code == 403
    assert client.post(f"/api/v1/users/{target}/disable", headers=headers).status_code == 403
    assert client.post(f"/api/v1/users/{target}/role", headers=headers, json={"role": "admin"}).status_code == 403
    assert client.get("/api/v1/users").status_code == 401
