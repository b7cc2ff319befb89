"""The API's log-in (bearer tokens) and the audit endpoints, used as a program would."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from fund_ledger import clock

DEMO_PASSWORD = "aililiang-2026"
PROBLEM = "application/problem+json"


def engine_of(app):
    return app.extensions["fund_ledger.engine"]


def sql(app, statement: str, **params):
    with engine_of(app).begin() as conn:
        result = conn.execute(text(statement), params)
        return result.all() if result.returns_rows else None


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == PROBLEM, response.mimetype
    body = response.get_json()
    assert {"type", "title", "status", "detail", "errors"} <= body.keys(), body
    assert body["status"] == status
    if field is not None:
        assert field in body["errors"], body
    return body


# ---------------------------------------------------------------------------------------------- tokens

def test_a_good_log_in_gives_a_token_that_expires(client):
    before = clock.now()
    response = client.post("/api/v1/tokens", json={"username": "auditor", "password": DEMO_PASSWORD})
    assert response.status_code == 201 and response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    assert len(body["token"]) >= 32
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert before + timedelta(hours=1) < expires <= clock.now() + timedelta(hours=24)
    assert client.get("/api/v1/audit/verify", headers=bearer(body["token"])).status_code == 200


@pytest.mark.parametrize("username, password", [
    ("auditor", "wrong-password-1"), ("nobody-at-all", DEMO_PASSWORD), ("Auditor", DEMO_PASSWORD), ("auditor", ""),
])
def test_bad_credentials_are_a_401_problem_saying_the_same_thing(client, username, password):
    response = client.post("/api/v1/tokens", json={"username": username, "password": password})
    if password == "":
        assert_problem(response, 400, "password")  # an empty password is malformed, not a wrong one
        return
    body = assert_problem(response, 401)
    assert body["detail"] == "wrong username or password, or the account is disabled"
    assert "token" not in body


@pytest.mark.parametrize("kwargs, field", [
    (dict(json={"username": 12345, "password": DEMO_PASSWORD}), "username"),
    (dict(json={"username": "auditor", "password": 12345}), "password"),
    (dict(json={"username": "auditor", "password": None}), "password"),
    (dict(json={"username": ["auditor"], "password": DEMO_PASSWORD}), "username"),
    (dict(json={"username": {"$ne": ""}, "password": DEMO_PASSWORD}), "username"),
    (dict(json={"password": DEMO_PASSWORD}), "username"),
    (dict(json={"username": "auditor"}), "password"),
    (dict(json={"username": "", "password": DEMO_PASSWORD}), "username"),
    (dict(json={"username": "a" * 100_000, "password": DEMO_PASSWORD}), "username"),
    (dict(json={"username": "auditor", "password": "p" * 1_000_000}), "password"),
    (dict(json={}), "username"),
    (dict(json={"username": "auditor", "password": DEMO_PASSWORD, "role": "admin"}), "role"),
])
def test_malformed_log_ins_are_a_400_naming_the_field(client, kwargs, field):
    assert_problem(client.post("/api/v1/tokens", **kwargs), 400, field)


@pytest.mark.parametrize("kwargs", [
    dict(data="username=auditor&password=x", content_type="application/json"),
    dict(data='{"username": "auditor", "password": ', content_type="application/json"),
    dict(data=b"\xff\xfe\x00garbage", content_type="application/json"),
    dict(json=[{"username": "auditor", "password": DEMO_PASSWORD}]),
    dict(json="auditor"),
    dict(json=None, data="null", content_type="application/json"),
    dict(json=12),
    dict(data={"username": "auditor", "password": DEMO_PASSWORD}),  # a form, not JSON
    dict(data="", content_type="application/json"),
])
def test_bodies_that_are_not_a_json_object_are_a_400(client, kwargs):
    kwargs = {k: v for k, v in kwargs.items() if not (k == "json" and v is None)}
    response = client.post("/api/v1/tokens", **kwargs)
    assert_problem(response, 400)


@pytest.mark.both_databases  # input PostgreSQL refuses and SQLite takes (NUL, huge ids, long text)
@pytest.mark.parametrize("username", ["audi\x00tor", "\x00", "auditor\x00", "审计\U0001F600", " auditor\t", "a\nb"])
def test_odd_characters_in_a_username_never_give_a_500(client, username):
    """PostgreSQL refuses NUL in text: it must be refused as bad input before it reaches a query."""
    response = client.post("/api/v1/tokens", json={"username": username, "password": DEMO_PASSWORD})
    if username == " auditor\t":
        assert response.status_code == 201  # surrounding white space is not part of a name
        return
    assert response.status_code in (400, 401), response.get_data(as_text=True)[:300]
    assert response.mimetype == PROBLEM


def test_a_token_is_stored_only_as_its_sha256(app, client, api_token):
    token = api_token("manager")
    rows = sql(app, "SELECT * FROM api_tokens")
    assert rows, "the token must be stored"
    stored = " ".join(str(v) for row in rows for v in row)
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    logged = " ".join(str(v) for row in sql(app, "SELECT * FROM audit_log") for v in row)
    assert token not in logged and DEMO_PASSWORD not in logged


def test_an_expired_token_is_refused(app, client, api_token):
    token = api_token("auditor")
    assert client.get("/api/v1/audit/verify", headers=bearer(token)).status_code == 200
    sql(app, "UPDATE api_tokens SET expires_at = '2026-01-01T00:00:00.000000Z' WHERE token_hash = :h",
        h=hashlib.sha256(token.encode()).hexdigest())
    assert_problem(client.get("/api/v1/audit/verify", headers=bearer(token)), 401)


def test_a_revoked_token_is_refused_and_others_still_work(app, client, api_token):
    token, other = api_token("auditor"), api_token("auditor")
    assert client.post("/api/v1/tokens/revoke", headers=bearer(token)).status_code == 204
    assert_problem(client.get("/api/v1/audit/log", headers=bearer(token)), 401)
    assert_problem(client.post("/api/v1/tokens/revoke", headers=bearer(token)), 401)
    assert client.get("/api/v1/audit/log", headers=bearer(other)).status_code == 200
    revoked = sql(app, "SELECT revoked_at FROM api_tokens WHERE token_hash = :h",
                  h=hashlib.sha256(token.encode()).hexdigest())
    assert revoked[0][0] is not None


@pytest.mark.both_databases  # input PostgreSQL refuses and SQLite takes (NUL, huge ids, long text)
@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Bearer not-a-token", "Basic YXVkaXRvcjphaWxpbGlhbmctMjAyNg==",
    "Bearer " + "x" * 10_000, "Token abc", "Bearer \x00",
])
def test_no_or_a_bad_token_is_a_401(client, header):
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/api/v1/audit/log", headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_browser_session_does_not_authenticate_the_api(login):
    auditor = login("auditor")
    assert auditor.get("/audit").status_code == 200  # the session works for pages
    assert_problem(auditor.get("/api/v1/audit/log"), 401)
    assert_problem(auditor.get("/api/v1/audit/verify"), 401)
    assert_problem(auditor.post("/api/v1/tokens/revoke"), 401)


def test_a_token_does_not_open_the_pages(client, api_token):
    response = client.get("/overview", headers=bearer(api_token("auditor")))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_token_user_disabled_means_401_at_once(app, client, api_token):
    token = api_token("manager")
    assert client.get("/api/v1/audit/log", headers=bearer(token)).status_code == 200
    sql(app, "UPDATE users SET active = :f, session_version = session_version + 1 WHERE username = 'manager'", f=False)
    assert_problem(client.get("/api/v1/audit/log", headers=bearer(token)), 401)
    assert_problem(client.post("/api/v1/tokens", json={"username": "manager", "password": DEMO_PASSWORD}), 401)


def test_throttled_api_log_ins_are_a_429_with_retry_after(client):
    for _ in range(5):
        assert_problem(client.post("/api/v1/tokens", json={"username": "manager", "password": "guess-guess"}), 401)
    response = client.post("/api/v1/tokens", json={"username": "manager", "password": DEMO_PASSWORD})
    assert_problem(response, 429)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60 + 1
    elsewhere = client.post("/api/v1/tokens", json={"username": "manager", "password": DEMO_PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert elsewhere.status_code == 201


# ---------------------------------------------------------------------------------------------- the audit log

def test_the_audit_log_pages(client, api_token):
    token = api_token("auditor")
    first = client.get("/api/v1/audit/log?per_page=3", headers=bearer(token))
    assert first.status_code == 200 and first.mimetype == "application/json"
    body = first.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert (body["page"], body["per_page"], len(body["items"])) == (1, 3, 3)
    assert body["total"] > 10  # the demo's set-up, its log-ins and this token
    seqs = [r["seq"] for r in body["items"]]
    assert seqs == sorted(seqs, reverse=True)  # newest first
    record = body["items"][0]
    assert {"seq", "at", "actor", "role", "address", "action", "object_type", "object_id", "outcome", "detail",
            "prev_hash", "hash"} <= record.keys()
    second = client.get("/api/v1/audit/log?per_page=3&page=2", headers=bearer(token)).get_json()
    assert [r["seq"] for r in second["items"]] == [s - 3 for s in seqs]
    everything = client.get("/api/v1/audit/log?per_page=200", headers=bearer(token)).get_json()
    assert len(everything["items"]) == min(everything["total"], 200)
    beyond = client.get("/api/v1/audit/log?page=1000000", headers=bearer(token)).get_json()
    assert beyond["items"] == [] and beyond["total"] == body["total"]


@pytest.mark.parametrize("query, field", [
    ("per_page=201", "per_page"), ("per_page=0", "per_page"), ("per_page=-1", "per_page"), ("per_page=abc", "per_page"),
    ("page=0", "page"), ("page=x", "page"), ("page=99999999999999999999", "page"), ("outcome=maybe", "outcome"),
    ("since=yesterday", "since"), ("until=2026-13-45T00:00:00", "until"), ("actor=" + "a" * 65, "actor"),
])
def test_bad_audit_log_queries_are_a_400_naming_the_field(client, api_token, query, field):
    assert_problem(client.get(f"/api/v1/audit/log?{query}", headers=bearer(api_token("auditor"))), 400, field)


def test_the_audit_log_filters_by_actor_action_and_outcome(client, api_token):
    client.post("/api/v1/tokens", json={"username": "zhuren", "password": DEMO_PASSWORD})
    for _ in range(5):  # failures are counted apart; the fifth engages the lock and leaves one record
        client.post("/api/v1/tokens", json={"username": "zhuren", "password": "wrong-password"})
    token = api_token("auditor")

    def items(query):
        response = client.get(f"/api/v1/audit/log?per_page=200&{query}", headers=bearer(token))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    assert items("action=login&outcome=failed") == []
    throttled = items("action=login.throttled&outcome=denied")
    assert [(r["actor"], r["object_id"], r["outcome"], r["address"]) for r in throttled] == [
        ("zhuren", "zhuren", "denied", "127.0.0.1")]
    assert "wrong-password" not in str(throttled)
    by_zhuren = items("actor=zhuren")
    assert {r["action"] for r in by_zhuren} >= {"login", "token.issue"}
    assert all(r["actor"] == "zhuren" for r in by_zhuren)
    ok_logins = items("action=login&outcome=ok&actor=zhuren")
    assert len(ok_logins) == 1 and ok_logins[0]["role"] == "grantee"
    assert items("actor=zhuren&outcome=denied") == throttled
    assert items("object_type=user&object_id=zhuren&action=user.create")[0]["actor"] == "system"


@pytest.mark.both_databases
def test_the_audit_log_filters_by_time(client, api_token):
    token = api_token("auditor")
    newest = client.get("/api/v1/audit/log?per_page=1", headers=bearer(token)).get_json()["items"][0]
    at = datetime.strptime(newest["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    since = (at - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    after = client.get(f"/api/v1/audit/log?since={since}", headers=bearer(token)).get_json()
    assert newest["seq"] in [r["seq"] for r in after["items"]]
    future = (at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert client.get(f"/api/v1/audit/log?since={future}", headers=bearer(token)).get_json()["total"] == 0
    assert client.get(f"/api/v1/audit/log?until={since}", headers=bearer(token)).get_json()["total"] < after["total"] + 100


@pytest.mark.both_databases
def test_audit_log_times_with_an_offset_mean_the_same_instant(client, api_token):
    token = api_token("auditor")
    newest = client.get("/api/v1/audit/log?per_page=1", headers=bearer(token)).get_json()["items"][0]
    at = datetime.strptime(newest["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    beijing = (at - timedelta(seconds=1)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    since = beijing.isoformat(timespec="seconds").replace("+", "%2B")
    items = client.get(f"/api/v1/audit/log?since={since}", headers=bearer(token)).get_json()["items"]
    assert newest["seq"] in [r["seq"] for r in items]


@pytest.mark.both_databases  # input PostgreSQL refuses and SQLite takes (NUL, huge ids, long text)
@pytest.mark.parametrize("query", ["actor=%00", "action=log%00in", "object_id=%00%00", "actor=%E5%AE%A1%00"])
def test_nul_characters_in_audit_log_filters_never_give_a_500(client, api_token, query):
    response = client.get(f"/api/v1/audit/log?{query}", headers=bearer(api_token("auditor")))
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    if response.status_code == 200:
        assert response.get_json()["items"] == []


@pytest.mark.parametrize("username", ["manager", "admin"])
def test_managers_and_admins_read_the_audit_log_too(client, api_token, username):
    assert client.get("/api/v1/audit/log", headers=bearer(api_token(username))).status_code == 200


def test_a_grantee_may_not_read_the_audit_log_and_the_refusal_is_logged(client, api_token):
    grantee = api_token("zhuren")
    body = assert_problem(client.get("/api/v1/audit/log", headers=bearer(grantee)), 403)
    assert "grantee" in body["detail"]
    assert_problem(client.get("/api/v1/audit/verify", headers=bearer(grantee)), 403)
    denied = client.get("/api/v1/audit/log?outcome=denied&action=access",
                        headers=bearer(api_token("auditor"))).get_json()["items"]
    assert [(r["actor"], r["role"], r["object_id"]) for r in denied] == [
        ("zhuren", "grantee", "api.audit_verify"), ("zhuren", "grantee", "api.audit_log")]
    assert denied[1]["detail"]["path"] == "/api/v1/audit/log" and denied[1]["detail"]["method"] == "GET"


def test_without_a_token_the_audit_log_is_a_401(client):
    assert_problem(client.get("/api/v1/audit/log"), 401)
    assert_problem(client.get("/api/v1/audit/verify"), 401)


@pytest.mark.both_databases
def test_audit_verify_is_ok_on_the_demo(client, api_token):
    response = client.get("/api/v1/audit/verify", headers=bearer(api_token("auditor")))
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["first_bad_entry"] is None
    assert body["entries"] == 12 and len(body["head_hash"]) == 64
    assert body["audit_records"] > 10 and body["first_bad_audit_record"] is None


@pytest.mark.both_databases
def test_audit_verify_finds_a_tampered_audit_record(app, client, api_token):
    from sqlalchemy.orm import Session

    from tests.db.tamper import disable_guards

    token = api_token("auditor")
    with Session(engine_of(app)) as s, s.begin():
        disable_guards(s)
        s.execute(text("UPDATE audit_log SET detail = '{\"role\":\"admin\"}' WHERE id = 3"))  # this test's own db
    body = client.get("/api/v1/audit/verify", headers=bearer(token)).get_json()
    assert body["ok"] is False and body["first_bad_audit_record"] == 3
    assert body["first_bad_entry"] is None


# ---------------------------------------------------------------------------------------------- OpenAPI

def test_the_openapi_document_describes_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/tokens", "/api/v1/tokens/revoke", "/api/v1/audit/log", "/api/v1/audit/verify"} <= set(spec["paths"])
    assert "post" in spec["paths"]["/api/v1/tokens"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    params = {p["name"] for p in spec["paths"]["/api/v1/audit/log"]["get"].get("parameters", [])}
    assert {"page", "per_page", "actor", "action", "outcome"} <= params


def test_unknown_api_paths_and_methods_are_problems(client, api_token):
    token = api_token("auditor")
    assert_problem(client.get("/api/v1/nothing-here", headers=bearer(token)), 404)
    assert_problem(client.get("/api/v1/tokens"), 405)
    assert_problem(client.delete("/api/v1/audit/log", headers=bearer(token)), 405)
