"""Log-in, log-out and the security around them, through the real pages of a test client."""
from __future__ import annotations

import json
import re
import time
import types
from datetime import timedelta

import pytest
from sqlalchemy import text

from fund_ledger import clock

DEMO_PASSWORD = "aililiang-2026"
LOGIN_FAILED = "wrong username or password, or the account is disabled"
HOME = {"admin": "/admin/users", "manager": "/overview", "manager2": "/overview", "auditor": "/overview",
        "zhuren": "/home"}


# ---------------------------------------------------------------------------------------------- helpers

def csrf_token(client, page: str = "/login") -> str:
    """The CSRF token a page shows now (the one shown before log-in dies with the session it belonged to)."""
    html = client.get(page).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def fresh_token(client) -> str:
    return csrf_token(client, "/account")


def try_login(client, username: str, password: str = DEMO_PASSWORD, next_: str | None = None, **kw):
    token = csrf_token(client)
    url = "/login" if next_ is None else "/login?" + next_
    return client.post(url, data={"username": username, "password": password, "csrf_token": token}, **kw)


def audit_rows(app, **where) -> list[dict]:
    clause = " AND ".join(f"{k} = :{k}" for k in where) or "1 = 1"
    with app.extensions["fund_ledger.engine"].connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM audit_log WHERE {clause} ORDER BY id"), where).mappings().all()
    return [dict(r) for r in rows]


def failure_counts(app) -> dict[tuple[str, str], int]:
    with app.extensions["fund_ledger.engine"].connect() as conn:
        rows = conn.execute(text("SELECT scope, key, failures FROM login_failures")).all()
    return {(scope, key): failures for scope, key, failures in rows}


def user_id(app, username: str) -> int:
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text("SELECT id FROM users WHERE username = :u"), {"u": username}).scalar_one()


# ---------------------------------------------------------------------------------------------- log-in

@pytest.mark.parametrize("username", list(HOME))
def test_each_demo_user_logs_in_to_their_home(app, username):
    c = app.test_client()
    response = try_login(c, username)
    assert response.status_code == 302 and response.headers["Location"] == HOME[username]
    assert c.get(HOME[username]).status_code == 200
    assert audit_rows(app, action="login", outcome="ok", actor=username)[-1]["address"] == "127.0.0.1"


def test_a_failed_log_in_says_the_same_for_an_unknown_name_and_a_wrong_password(app):
    c = app.test_client()
    wrong = try_login(c, "manager", "not-the-password")
    unknown = try_login(c, "no-such-user", DEMO_PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    wrong_page, unknown_page = wrong.get_data(as_text=True), unknown.get_data(as_text=True)
    assert LOGIN_FAILED in wrong_page and LOGIN_FAILED in unknown_page
    strip = lambda page: re.sub(r'name="csrf_token" value="[^"]+"', "", page)  # noqa: E731
    assert strip(wrong_page) == strip(unknown_page)  # nothing else tells them apart either
    assert c.get("/overview").status_code == 302  # still nobody
    assert [r for r in audit_rows(app, action="login") if r["outcome"] != "ok"] == []  # counted, not chained
    assert failure_counts(app) == {("account", "manager|127.0.0.1"): 1, ("account", "no-such-user|127.0.0.1"): 1,
                                   ("address", "127.0.0.1"): 2}
    assert "not-the-password" not in json.dumps(audit_rows(app)) + json.dumps(list(failure_counts(app)))


@pytest.mark.both_databases  # input PostgreSQL refuses and SQLite takes (NUL, huge ids, long text)
def test_an_empty_or_huge_log_in_form_is_refused_without_error(app):
    c = app.test_client()
    token = csrf_token(c)
    assert c.post("/login", data={"csrf_token": token}).status_code == 401
    assert c.post("/login", data={"csrf_token": token, "username": "m" * 100_000, "password": "p" * 100_000}
                  ).status_code == 401


def test_repeated_failures_throttle_that_account_from_that_address_only(app):
    attacker = app.test_client()
    for _ in range(5):
        assert try_login(attacker, "manager", "guess-guess-guess").status_code == 401
    records, counts = len(audit_rows(app)), failure_counts(app)
    throttled = try_login(attacker, "manager", DEMO_PASSWORD)  # even the right password must wait now
    assert throttled.status_code == 429
    assert "too many failed log-ins" in throttled.get_data(as_text=True)
    assert (len(audit_rows(app)), failure_counts(app)) == (records, counts)  # a throttled attempt writes nothing
    assert attacker.get("/overview").status_code == 302
    assert try_login(attacker, "auditor").status_code == 302  # another account from the same address

    real_user = app.test_client()
    response = try_login(real_user, "manager", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302 and response.headers["Location"] == "/overview"
    engaged = audit_rows(app, action="login.throttled", outcome="denied")  # once, when the lock engaged
    assert [(r["actor"], r["address"], json.loads(r["detail"])) for r in engaged] == [
        ("manager", "127.0.0.1", {"scope": "account", "failures": 5})]


def test_the_throttle_lifts_when_the_failures_are_old(app, set_today):
    from tests.conftest import TODAY

    now = set_today(TODAY)
    c = app.test_client()
    for _ in range(5):
        try_login(c, "manager", "guess-guess-guess")
    assert try_login(c, "manager").status_code == 429
    now.advance(timedelta(minutes=15, seconds=1))  # no lock outlasts 15 minutes
    assert try_login(c, "manager").status_code == 302
    assert ("account", "manager|127.0.0.1") not in failure_counts(app)  # the success cleared the key


def test_a_disabled_user_cannot_log_in(app, login):
    admin = login("admin")
    uid = user_id(app, "manager2")
    assert admin.post(f"/admin/users/{uid}", data={"action": "disable", "csrf_token": fresh_token(admin)}
                      ).status_code == 302
    response = try_login(app.test_client(), "manager2")
    assert response.status_code == 401 and LOGIN_FAILED in response.get_data(as_text=True)
    assert audit_rows(app, action="login", actor="manager2", outcome="failed") == []
    assert failure_counts(app)[("account", "manager2|127.0.0.1")] == 1  # counted like a wrong password


# ---------------------------------------------------------------------------------------------- CSRF

@pytest.mark.parametrize("token", [None, "", "forged-token", "IjQ4ZmM.Z.x"])
def test_log_in_without_a_valid_csrf_token_is_refused(app, token):
    c = app.test_client()
    csrf_token(c)  # the session now has a CSRF secret, just not this token
    data = {"username": "manager", "password": DEMO_PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    before = len(audit_rows(app))
    response = c.post("/login", data=data)
    assert response.status_code == 400
    assert c.get("/overview").status_code == 302  # not logged in
    assert len(audit_rows(app)) == before  # not even an attempt was made


def test_log_out_without_a_csrf_token_is_refused(app, login):
    manager = login("manager")
    assert manager.post("/logout").status_code == 400
    assert manager.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert manager.get("/overview").status_code == 200  # still logged in
    assert audit_rows(app, action="logout") == []
    response = manager.post("/logout", data={"csrf_token": fresh_token(manager)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert manager.get("/overview").status_code == 302
    assert [r["actor"] for r in audit_rows(app, action="logout")] == ["manager"]


def test_a_token_from_another_session_is_refused(app, login):
    manager, auditor = login("manager"), login("auditor")
    assert manager.post("/logout", data={"csrf_token": fresh_token(auditor)}).status_code == 400
    assert manager.get("/overview").status_code == 200


def test_the_token_shown_before_log_in_is_dead_after_it(app):
    """The log-in starts a new session with a new CSRF secret: a token planted before it is worthless."""
    c = app.test_client()
    before = csrf_token(c)
    assert c.post("/login", data={"username": "manager", "password": DEMO_PASSWORD, "csrf_token": before}
                  ).status_code == 302
    assert c.post("/logout", data={"csrf_token": before}).status_code == 400
    assert c.get("/overview").status_code == 200


def test_changing_a_password_without_a_csrf_token_changes_nothing(app, login):
    manager = login("manager")
    response = manager.post("/account", data={"old_password": DEMO_PASSWORD, "new_password": "xin-mima-2026!",
                                              "new_password_repeat": "xin-mima-2026!"})
    assert response.status_code == 400
    assert try_login(app.test_client(), "manager").status_code == 302  # the old password still works
    assert audit_rows(app, action="user.change_password") == []


# ---------------------------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("username", ["auditor", "manager", "zhuren"])
def test_a_write_to_the_admin_pages_is_403_and_logged(app, login, username):
    someone = login(username)
    token = fresh_token(someone)
    response = someone.post("/admin/users", data={"csrf_token": token, "username": "mallory", "role": "admin",
                                                  "password": "mallory-pass-2026"})
    assert response.status_code == 403
    uid = user_id(app, "manager2")
    assert someone.post(f"/admin/users/{uid}", data={"csrf_token": token, "action": "disable"}).status_code == 403
    denied = audit_rows(app, action="access", outcome="denied", actor=username)
    assert [(r["object_id"], json.loads(r["detail"])["method"]) for r in denied] == [
        ("web.users", "POST"), ("web.user_detail", "POST")]
    assert all(r["address"] == "127.0.0.1" for r in denied)
    assert try_login(app.test_client(), "manager2").status_code == 302  # not disabled
    assert "mallory" not in login("admin").get("/admin/users").get_data(as_text=True)


@pytest.mark.parametrize("username, path", [("auditor", "/admin/users"), ("zhuren", "/overview"),
                                            ("admin", "/journal/2026-000001"), ("zhuren", "/audit")])
def test_a_forbidden_page_is_403_and_logged(app, login, username, path):
    someone = login(username)
    response = someone.get(path)
    assert response.status_code == 403
    assert "403" in response.get_data(as_text=True)
    denied = audit_rows(app, action="access", outcome="denied", actor=username)
    assert [json.loads(r["detail"])["path"] for r in denied] == [path]


# ---------------------------------------------------------------------------------------------- disabling

def test_a_disabled_users_session_and_token_stop_working_at_once(app, login):
    manager2 = login("manager2")
    token = app.test_client().post("/api/v1/tokens", json={"username": "manager2", "password": DEMO_PASSWORD}
                                   ).get_json()["token"]
    assert manager2.get("/overview").status_code == 200
    assert manager2.get("/api/v1/audit/log", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    admin = login("admin")
    response = admin.post(f"/admin/users/{user_id(app, 'manager2')}",
                          data={"action": "disable", "csrf_token": fresh_token(admin)})
    assert response.status_code == 302

    after = manager2.get("/overview")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    assert manager2.get("/account").status_code == 302
    api = manager2.get("/api/v1/audit/log", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401 and api.mimetype == "application/problem+json"


def test_a_role_change_ends_the_old_session(app, login):
    manager2 = login("manager2")
    admin = login("admin")
    response = admin.post(f"/admin/users/{user_id(app, 'manager2')}",
                          data={"action": "role", "role": "auditor", "csrf_token": fresh_token(admin)})
    assert response.status_code == 302
    assert manager2.get("/overview").status_code == 302  # signed out: log in again with the new role


def _token(app, username: str) -> dict[str, str]:
    body = app.test_client().post("/api/v1/tokens", json={"username": username, "password": DEMO_PASSWORD}).get_json()
    return {"Authorization": f"Bearer {body['token']}"}


def _admin_does(app, login, username: str, **form) -> None:
    admin = login("admin")
    response = admin.post(f"/admin/users/{user_id(app, username)}", data={**form, "csrf_token": fresh_token(admin)})
    assert response.status_code == 302


def test_enabling_again_revives_no_old_session_or_token(app, login):
    manager2, token = login("manager2"), _token(app, "manager2")
    copied = manager2.get_cookie("fund_ledger_session").value
    _admin_does(app, login, "manager2", action="disable")
    _admin_does(app, login, "manager2", action="enable")
    assert manager2.get("/api/v1/audit/log", headers=token).status_code == 401
    assert manager2.get("/overview").status_code == 302
    thief = app.test_client()
    thief.set_cookie("fund_ledger_session", copied)
    assert thief.get("/overview").status_code == 302
    assert login("manager2").get("/overview").status_code == 200  # a new log-in works


def test_a_role_change_ends_the_old_tokens_too(app, login):
    token = _token(app, "manager2")
    assert app.test_client().get("/api/v1/audit/log", headers=token).status_code == 200
    _admin_does(app, login, "manager2", action="role", role="auditor")
    assert app.test_client().get("/api/v1/audit/log", headers=token).status_code == 401


def test_log_out_ends_a_copied_session_cookie_and_the_users_tokens(app, login):
    manager = login("manager")
    token = _token(app, "manager")
    copied = manager.get_cookie("fund_ledger_session").value
    other_device = login("manager")
    assert manager.post("/logout", data={"csrf_token": manager.csrf_token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("fund_ledger_session", copied)
    assert thief.get("/overview").status_code == 302
    assert other_device.get("/overview").status_code == 302  # every session of the user, server-side
    assert app.test_client().get("/api/v1/audit/log", headers=token).status_code == 401
    assert [r["action"] for r in audit_rows(app, action="logout")][-1:] == ["logout"]


# ---------------------------------------------------------------------------------------------- cookies and timeouts

def session_cookie_header(response) -> str:
    cookies = [v for k, v in response.headers.items() if k.lower() == "set-cookie"]
    assert cookies, "the log-in sets the session cookie"
    return cookies[-1]


def test_the_session_cookie_is_httponly(app):
    header = session_cookie_header(try_login(app.test_client(), "manager"))
    assert "httponly" in header.lower()


def test_the_session_cookie_is_samesite_lax(app):
    header = session_cookie_header(try_login(app.test_client(), "manager"))
    assert "samesite=lax" in header.lower()


def test_the_session_cookie_is_secure_outside_tests_and_demo(monkeypatch, db_url):
    from fund_ledger import create_app

    monkeypatch.setenv("FUND_LEDGER_SECRET_KEY", "k" * 64)
    monkeypatch.delenv("FUND_LEDGER_DEMO", raising=False)
    production = create_app({"DATABASE_URL": db_url})
    try:
        assert production.config["SESSION_COOKIE_SECURE"] is True
        assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    finally:
        production.extensions["fund_ledger.engine"].dispose()


def test_sessions_have_an_absolute_limit_of_12_hours(app, login):
    from fund_ledger.http.security import SESSION_MAX

    assert SESSION_MAX == timedelta(hours=12)
    manager = login("manager")
    with manager.session_transaction() as s:
        s["login_at"] = (clock.now() - timedelta(hours=11, minutes=50)).isoformat()
    assert manager.get("/overview").status_code == 200
    with manager.session_transaction() as s:
        s["login_at"] = (clock.now() - timedelta(hours=12, minutes=1)).isoformat()
    response = manager.get("/overview")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert manager.get("/account").status_code == 302  # and it stays ended


def test_an_idle_session_times_out(app, login, monkeypatch):
    import itsdangerous.timed

    assert app.config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=1)
    manager = login("manager")
    assert manager.get("/overview").status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: later))
    assert manager.get("/overview").status_code == 302


def test_a_session_in_use_stays_alive(app, login):
    manager = login("manager")
    for _ in range(3):
        assert manager.get("/overview").status_code == 200


# ---------------------------------------------------------------------------------------------- redirects

@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example", "http://evil.example/login", "///evil.example", "/\\evil.example",
    "\\\\evil.example", "javascript:alert(1)", "%2F%2Fevil.example", "https:evil.example", " //evil.example",
    "/%5Cevil.example",
])
def test_the_next_parameter_never_leaves_the_site(app, target):
    from urllib.parse import quote

    response = try_login(app.test_client(), "manager", next_="next=" + quote(target, safe="%"))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location, location
    assert "evil.example" not in location or location.startswith("/login")


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%09/evil.example/phish%3Fx%3D1"])
def test_a_tab_in_next_does_not_make_an_open_redirect(app, target):
    """Werkzeug writes Location through iri_to_uri, whose urlsplit drops tabs: '/<TAB>/x' would become '//x'."""
    response = try_login(app.test_client(), "manager", next_="next=" + target)
    assert response.status_code == 302
    assert not response.headers["Location"].startswith("//"), response.headers["Location"]


@pytest.mark.parametrize("target", ["/%0A/evil.example", "/%0D/evil.example", "/%0D%0ASet-Cookie:%20x=1"])
def test_newlines_in_next_do_not_break_the_log_in(app, target):
    """Werkzeug refuses a header holding a newline: such a `next` must be dropped, not make a 500."""
    response = try_login(app.test_client(), "manager", next_="next=" + target)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/") and "\n" not in response.headers["Location"]


@pytest.mark.parametrize("target", ["/journal/2026-000001", "/overview?as_of=2026-09-30", "/audit?actor=manager"])
def test_the_next_parameter_returns_to_a_local_page(app, target):
    from urllib.parse import quote

    response = try_login(app.test_client(), "manager", next_="next=" + quote(target))
    assert response.status_code == 302 and response.headers["Location"] == target


def test_a_protected_page_sends_nobody_to_log_in_and_back(app):
    c = app.test_client()
    response = c.get("/journal/2026-000001")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/login?next=")
    back = try_login(c, "auditor", next_=location.split("?", 1)[1])
    assert back.headers["Location"] == "/journal/2026-000001"


# ---------------------------------------------------------------------------------------------- headers

@pytest.mark.parametrize("path", ["/login", "/overview", "/api/v1/audit/log", "/api/v1/openapi.json", "/nothing"])
def test_security_headers_on_every_answer(login, path):
    headers = login("auditor").get(path).headers
    csp = headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (x.strip() for x in csp.split(";")) if d}
    script_sources = directives.get("script-src", directives.get("default-src"))
    assert script_sources is not None and "'unsafe-inline'" not in script_sources
    assert "'unsafe-eval'" not in script_sources and "*" not in script_sources
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives.get("object-src") == ["'none'"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("username", ["admin", "manager", "zhuren", "auditor"])
def test_pages_use_no_inline_script_or_style(login, username):
    someone = login(username)
    for path in [HOME[username], "/account"]:
        page = someone.get(path).get_data(as_text=True)
        assert "<script" not in page.lower() or re.search(r"<script[^>]+src=", page)
        assert not re.search(r"\son[a-z]+\s*=", page), path
        assert not re.search(r"\sstyle\s*=", page), path


@pytest.mark.both_databases  # input PostgreSQL refuses and SQLite takes (NUL, huge ids, long text)
def test_log_in_with_a_nul_character_is_refused_not_a_500(app):
    response = try_login(app.test_client(), "mana\x00ger")
    assert response.status_code in (400, 401)
    assert app.test_client().get("/overview").status_code == 302


@pytest.mark.both_databases  # input PostgreSQL refuses and SQLite takes (NUL, huge ids, long text)
@pytest.mark.parametrize("query", ["actor=%00", "action=login%00", "object_id=x%00y"])
def test_the_audit_page_with_a_nul_character_is_not_a_500(login, query):
    response = login("auditor").get(f"/audit?{query}")
    assert response.status_code in (200, 400)


def test_the_audit_log_page_shows_the_failure_counts(app, login):
    attacker = app.test_client()
    for _ in range(5):
        try_login(attacker, "manager", "guess-guess-guess", environ_base={"REMOTE_ADDR": "10.6.6.6"})
    page = login("auditor").get("/audit").get_data(as_text=True)
    counts = page.split('class="ledger login-failures"')[1]
    assert "manager|10.6.6.6" in counts and "<td class=\"num\">5</td>" in counts
    assert "login.throttled" in page.split('class="ledger audit"')[1]  # the one chained record of it
