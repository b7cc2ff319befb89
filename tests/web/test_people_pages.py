"""The people pages: my account, the administrator's users, and the audit log, used through their forms."""
from __future__ import annotations

import re

import pytest

from fund_ledger import clock

DEMO_PASSWORD = "aililiang-2026"  # the demo users' password (tests/conftest.py)

NEW_PASSWORD = "xin-mima-2026!"


def post(client, url: str, **data):
    if not getattr(client, "token_after_login", False):
        # The log-in clears the session and with it the CSRF secret: take the token a page now shows.
        page = client.get("/account").get_data(as_text=True)
        client.csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.token_after_login = True
    return client.post(url, data={"csrf_token": client.csrf_token, **data})


def user_id(admin, username: str) -> int:
    page = admin.get("/admin/users").get_data(as_text=True)
    return int(re.search(rf'href="/admin/users/(\d+)">{re.escape(username)}<', page).group(1))


def organisation_id(admin, name: str) -> str:
    page = admin.get("/admin/users").get_data(as_text=True)
    return re.search(rf'<option value="(\d+)"[^>]*>{re.escape(name)}<', page).group(1)


def try_login(app, username: str, password: str):
    c = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
    return c.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_admin_adds_a_grantee_who_can_then_log_in(app, login):
    admin = login("admin")
    org = organisation_id(admin, "喜悦绘")
    response = post(admin, "/admin/users", username="li.na", display_name="喜悦绘 李娜", role="grantee",
                    organisation_id=org, password=NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "已添加用户 li.na" in page  # the notice, once
    assert "已添加用户" not in admin.get("/admin/users").get_data(as_text=True)
    assert re.search(r"li\.na</a></td>\s*<td>喜悦绘 李娜</td>\s*<td>受助机构</td>\s*<td>喜悦绘</td>", page)

    li_na = login("li.na", NEW_PASSWORD)
    assert li_na.get("/").headers["Location"] == "/home"  # the grantee's own dashboard
    account = li_na.get("/account").get_data(as_text=True)
    assert "li.na" in account and "喜悦绘" in account and "受助机构" in account


def test_a_non_grantee_ignores_a_leftover_organisation_choice(login):
    admin = login("admin")
    org = organisation_id(admin, "喜悦绘")
    response = post(admin, "/admin/users", username="sun.li", role="auditor", organisation_id=org,
                    password=NEW_PASSWORD)
    assert response.status_code == 302
    assert re.search(r"sun\.li</a></td>\s*<td>—</td>\s*<td>审计人员</td>\s*<td>—</td>",
                     admin.get("/admin/users").get_data(as_text=True))


def test_role_change_takes_effect_and_ends_the_old_session(app, login):
    admin, manager2 = login("admin"), login("manager2")
    uid = user_id(admin, "manager2")
    org = organisation_id(admin, "筑仁成长公益服务中心")
    response = post(admin, f"/admin/users/{uid}", action="role", role="grantee", organisation_id=org)
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/users/{uid}"
    page = admin.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert "角色已修改" in page and "受助机构" in page and "筑仁成长公益服务中心" in page
    assert manager2.get("/overview").status_code == 302  # permissions changed: log in again
    again = login("manager2")
    assert again.get("/overview").status_code == 403
    assert again.get("/funds").status_code == 200


def test_an_administrator_keeps_their_own_role(login):
    admin = login("admin")
    uid = user_id(admin, "admin")
    response = post(admin, f"/admin/users/{uid}", action="role", role="auditor")
    assert response.status_code == 409
    assert "管理员不能取消自己的管理员角色" in response.get_data(as_text=True)
    assert admin.get("/admin/users").status_code == 200  # still an administrator, still logged in


def test_disabling_a_user_ends_their_session_at_once(app, login):
    admin, zhuren = login("admin"), login("zhuren")
    assert zhuren.get("/funds").status_code == 200
    uid = user_id(admin, "zhuren")
    response = post(admin, f"/admin/users/{uid}", action="disable")
    assert response.status_code == 302
    assert "已停用" in admin.get(f"/admin/users/{uid}").get_data(as_text=True)

    response = zhuren.get("/funds")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert try_login(app, "zhuren", DEMO_PASSWORD).status_code == 401

    assert post(admin, f"/admin/users/{uid}", action="enable").status_code == 302
    assert login("zhuren").get("/funds").status_code == 200


def test_an_administrator_cannot_disable_themselves(login):
    admin = login("admin")
    response = post(admin, f"/admin/users/{user_id(admin, 'admin')}", action="disable")
    assert response.status_code == 409
    assert "管理员不能停用自己的账户" in response.get_data(as_text=True)
    assert admin.get("/admin/users").status_code == 200


def test_reset_password(app, login):
    admin, manager2 = login("admin"), login("manager2")
    uid = user_id(admin, "manager2")
    response = post(admin, f"/admin/users/{uid}", action="reset_password", password=NEW_PASSWORD,
                    password_repeat=NEW_PASSWORD)
    assert response.status_code == 302
    assert "密码已重设" in admin.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert manager2.get("/overview").status_code == 302  # the old session ended
    assert try_login(app, "manager2", DEMO_PASSWORD).status_code == 401
    assert login("manager2", NEW_PASSWORD).get("/overview").status_code == 200


def test_change_own_password_keeps_me_logged_in(app, login):
    manager = login("manager")
    response = post(manager, "/account", old_password=DEMO_PASSWORD, new_password=NEW_PASSWORD,
                    new_password_repeat=NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "密码已修改" in manager.get("/account").get_data(as_text=True)
    assert manager.get("/overview").status_code == 200  # this session goes on
    assert try_login(app, "manager", DEMO_PASSWORD).status_code == 401
    assert login("manager", NEW_PASSWORD).get("/overview").status_code == 200


def test_change_own_password_with_the_wrong_current_one(app, login):
    manager = login("manager")
    response = post(manager, "/account", old_password="not-my-password", new_password=NEW_PASSWORD,
                    new_password_repeat=NEW_PASSWORD)
    assert response.status_code == 400
    assert "不正确" in response.get_data(as_text=True)
    assert login("manager").get("/overview").status_code == 200


@pytest.mark.parametrize("form, status, shown", [
    (dict(username="li.na", role="manager", password="short"), 400, "至少 10 个字符"),
    (dict(username="manager", role="manager", password=NEW_PASSWORD), 409, "已存在"),
    (dict(username="li.na", role="grantee", organisation_id="", password=NEW_PASSWORD), 400, "受助机构用户须属于一个机构"),
    (dict(username="li.na", role="grantee", organisation_id="99999999999999999999", password=NEW_PASSWORD), 400,
     "请选择一个机构"),
    (dict(username="li.na", role="grantee", organisation_id="abc", password=NEW_PASSWORD), 400, "请选择一个机构"),
    (dict(username="Li Na", role="manager", password=NEW_PASSWORD), 400, "3 至 32 个字符"),
    (dict(username="li.na", role="boss", password=NEW_PASSWORD), 400, "one of admin"),
])
def test_a_bad_new_user_gives_the_form_back_and_changes_nothing(login, form, status, shown):
    admin = login("admin")
    before = admin.get("/admin/users").get_data(as_text=True).count("<tr")
    response = post(admin, "/admin/users", display_name="李娜", **form)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert shown in page and 'class="field-error"' in page
    assert 'value="李娜"' in page  # what was typed comes back (but never the password)
    assert form["password"] not in page
    after = admin.get("/admin/users").get_data(as_text=True)
    assert after.count("<tr") == before and "li.na" not in after


@pytest.mark.both_databases  # input PostgreSQL refuses and SQLite takes (NUL, huge ids, long text)
def test_a_nul_character_in_a_form_is_bad_input_not_a_500(login):
    admin = login("admin")
    response = post(admin, "/admin/users", username="li.na", display_name="李\x00娜", role="manager",
                    password=NEW_PASSWORD)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'display_name: <span class="message" data-field="display_name" ' \
        'data-code="text.nul">' in page and "不能含 NUL 字符" in page and "NUL characters are not allowed" in page
    assert "li.na" not in admin.get("/admin/users").get_data(as_text=True)


@pytest.mark.parametrize("url, form, field", [
    ("/account", dict(old_password=DEMO_PASSWORD, new_password=NEW_PASSWORD, new_password_repeat="something-else"),
     "new_password_repeat"),
    ("/account", dict(old_password=DEMO_PASSWORD, new_password="short", new_password_repeat="short"), "new_password"),
])
def test_bad_password_changes_change_nothing(app, login, url, form, field):
    manager = login("manager")
    response = post(manager, url, **form)
    assert response.status_code == 400
    assert re.search(rf'name="{field}"[^>]*><span class="field-error"', response.get_data(as_text=True))
    assert manager.get("/overview").status_code == 200
    assert login("manager").get("/overview").status_code == 200  # the old password still works


def test_a_mismatched_or_short_reset_changes_nothing(app, login):
    admin = login("admin")
    uid = user_id(admin, "manager2")
    response = post(admin, f"/admin/users/{uid}", action="reset_password", password=NEW_PASSWORD,
                    password_repeat="something-else")
    assert response.status_code == 400 and "两次输入不一致" in response.get_data(as_text=True)
    response = post(admin, f"/admin/users/{uid}", action="reset_password", password="short", password_repeat="short")
    assert response.status_code == 400 and "至少 10 个字符" in response.get_data(as_text=True)
    assert login("manager2").get("/overview").status_code == 200


@pytest.mark.both_databases  # input PostgreSQL refuses and SQLite takes (NUL, huge ids, long text)
def test_unknown_users_and_actions(login):
    admin = login("admin")
    assert admin.get("/admin/users/999999").status_code == 404
    assert admin.get(f"/admin/users/{2**31}").status_code == 404
    assert admin.get(f"/admin/users/{10**30}").status_code == 404
    assert post(admin, "/admin/users/999999", action="disable").status_code == 404
    assert post(admin, f"/admin/users/{user_id(admin, 'manager2')}", action="delete").status_code == 400


@pytest.mark.parametrize("username", ["manager", "auditor", "zhuren"])
def test_only_an_administrator_manages_users(login, username):
    someone = login(username)
    assert someone.get("/admin/users").status_code == 403
    assert someone.get("/admin/users/1").status_code == 403
    assert "用户管理" not in someone.get("/account").get_data(as_text=True)  # nor sees it in the menu


def test_a_refused_form_post_is_a_403(login):
    manager = login("manager")
    assert post(manager, "/admin/users", username="li.na", role="admin", password=NEW_PASSWORD).status_code == 403
    assert post(manager, "/admin/users/1", action="disable").status_code == 403
    assert "li.na" not in login("admin").get("/admin/users").get_data(as_text=True)


def test_pages_need_a_log_in_and_forms_need_the_csrf_token(client, login):
    assert client.get("/account").headers["Location"].startswith("/login")
    assert client.get("/admin/users").headers["Location"].startswith("/login")
    assert client.get("/audit").headers["Location"].startswith("/login")
    admin = login("admin")
    assert admin.post("/admin/users", data={"username": "li.na", "role": "admin",
                                            "password": NEW_PASSWORD}).status_code == 400
    assert "li.na" not in admin.get("/admin/users").get_data(as_text=True)


def test_the_audit_log_shows_what_was_done_and_filters_by_actor_and_action(login):
    admin = login("admin")
    post(admin, "/admin/users", username="li.na", role="auditor", password=NEW_PASSWORD)
    post(admin, f"/admin/users/{user_id(admin, 'manager2')}", action="disable")
    auditor = login("auditor")

    page = auditor.get("/audit?actor=admin&action=user.create").get_data(as_text=True)
    assert "user: li.na" in page and ">user.disable<" not in page and ">entry.post<" not in page
    rows = auditor.get("/audit?actor=admin").get_data(as_text=True).split("<tbody>")[1]
    assert rows.index(">user.disable<") < rows.index(">user.create<")  # newest first
    assert "user: manager2" in rows and ">entry.post<" not in rows
    page = auditor.get("/audit?action=login&outcome=ok").get_data(as_text=True)
    assert "user: auditor" in page and ">user.create<" not in page
    assert 'class="outcome ok"' in page

    today = clock.now().date().isoformat()
    page = auditor.get(f"/audit?action=user.create&since={today}&until={today}").get_data(as_text=True)
    assert "user: li.na" in page  # "until" a date includes that day
    page = auditor.get(f"/audit?action=user.create&until={today}T00:00:00").get_data(as_text=True)
    assert "user: li.na" not in page
    assert login("manager").get("/audit").status_code == 200
    assert login("zhuren").get("/audit").status_code == 403


def test_the_audit_log_pages(login):
    auditor = login("auditor")
    page = auditor.get("/audit?per_page=5").get_data(as_text=True)
    assert page.count('<td class="num">') == 5 and "较早 Older" in page
    assert "?per_page=5&amp;page=2" in page or "page=2&amp;per_page=5" in page
    assert auditor.get("/audit?per_page=5&page=999").status_code == 200


@pytest.mark.parametrize("query, field", [
    ("since=garbage", "since"), ("until=2026-02-30", "until"), ("outcome=maybe", "outcome"),
    ("per_page=1000", "per_page"), ("page=0", "page"), ("page=abc", "page"), ("actor=" + "x" * 65, "actor"),
    ("until=9999-12-31", "until"), ("since=0999-01-01", "since"), ("actor=%00", "actor"), ("action=log%00in", "action"), ("object_id=%E5%AE%A1%00", "object_id"),
])
def test_bad_audit_filters_are_a_400_naming_the_field(login, query, field):
    response = login("auditor").get("/audit?" + query)
    assert response.status_code == 400
    assert f"{field}:" in response.get_data(as_text=True)
