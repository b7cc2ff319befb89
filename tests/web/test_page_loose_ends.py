"""The loose ends of "pages people are glad to use": people by their names wherever a person reads who did
something, Beijing dates on the request lists, request numbers (BK-000004) on the programme and organisation
pages, the search page in the navigation, and refused forms that mark their controls aria-invalid on the server
(no script needed for a screen reader to hear what is wrong)."""
from __future__ import annotations

import re
from datetime import date, time

from sqlalchemy import text

ZHUREN = "筑仁成长 赵静"  # the demo grantee zhuren's display name
MANAGER = "基金管理员 王敏"  # the demo manager's


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": client.csrf_token, **data})


def sql(app, query: str, **params):
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text(query), params).all()


def key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def tag(html: str, pattern: str) -> str:
    """The one opening tag of a control, e.g. tag(page, r'<input name="amount"')."""
    found = re.findall(pattern + r"[^>]*>", html)
    assert len(found) == 1, found
    return found[0]


def submit_request(app, zhuren, purpose: str = "困境儿童帮扶项目第三期") -> int:
    page = zhuren.get("/disbursements/new").get_data(as_text=True)
    fund = sql(app, "SELECT id FROM funds WHERE code = 'AILILIANG'")[0][0]
    response = post(zhuren, "/disbursements/new", idempotency_key=key(page), fund_id=fund, amount="3000",
                    purpose=purpose, budget="")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


# --- people by their names ------------------------------------------------------------------------------

def test_the_request_pages_name_people(app, login):
    zhuren, manager = login("zhuren"), login("manager")
    ident = submit_request(app, zhuren)
    queue = manager.get("/disbursements").get_data(as_text=True)
    row = next(r for r in queue.split("<tr")[1:] if f"BK-{ident:06d}" in r)
    assert ZHUREN in row and ">zhuren<" not in row

    detail = manager.get(f"/disbursements/{ident}").get_data(as_text=True).split("<main>")[1]
    assert f"<dd>{ZHUREN} <small>" in detail  # Submitted
    assert f"· {ZHUREN}" in detail  # the timeline
    assert "zhuren" not in detail


def test_the_gift_and_programme_pages_name_who_recorded_them(app, login):
    manager = login("manager")
    gift = sql(app, "SELECT id, created_by FROM donations WHERE created_by = 'manager' ORDER BY id")[0][0]
    page = manager.get(f"/donations/{gift}").get_data(as_text=True)
    assert re.search(rf"<dd>{MANAGER} <small><time", page)
    programme = sql(app, "SELECT id FROM grant_programmes WHERE created_by = 'manager' ORDER BY id")[0][0]
    page = manager.get(f"/programmes/{programme}").get_data(as_text=True)
    assert re.search(rf"<dd>{MANAGER} <small><time", page)


def test_periods_and_audit_reports_name_who_closed_and_issued_with_the_username_for_the_auditor(app, login):
    manager = login("manager")
    assert post(manager, "/periods/close", period="2026-09", confirm="yes").status_code == 302
    assert post(manager, "/audit-reports/issue", period="2026-09").status_code == 302
    auditor = login("auditor")
    periods = auditor.get("/periods").get_data(as_text=True)
    row = next(r for r in periods.split("<tr")[1:] if "2026-09" in r)
    assert f'{MANAGER} <small class="code">manager</small>' in row
    reports = auditor.get("/audit-reports").get_data(as_text=True).split("<tbody>")[1]
    assert f'{MANAGER} <small class="code">manager</small>' in reports


# --- Beijing dates --------------------------------------------------------------------------------------

def test_the_request_lists_show_the_beijing_date(app, login, set_today):
    """Submitted at 00:30 on 1 January in Beijing (16:30 UTC on 31 December): the lists say 1 January."""
    set_today(date(2027, 1, 1), time(0, 30))
    zhuren = login("zhuren")
    ident = submit_request(app, zhuren)
    assert sql(app, "SELECT submitted_at FROM disbursements WHERE id = :i", i=ident)[0][0].startswith("2026-12-31")

    mine = zhuren.get("/disbursements").get_data(as_text=True)
    row = next(r for r in mine.split("<tr")[1:] if f"BK-{ident:06d}" in r)
    assert "2027-01-01" in row and "2026-12-31" not in row

    queue = login("manager").get("/disbursements").get_data(as_text=True)
    rows = [r for r in queue.split("<tr")[1:] if f"BK-{ident:06d}" in r]
    assert len(rows) == 2  # waiting for review, and among all requests
    assert all("2027-01-01" in r and "2026-12-31" not in r for r in rows)


# --- request numbers ------------------------------------------------------------------------------------

def test_programme_and_organisation_pages_number_requests_as_people_quote_them(app, login):
    manager = login("manager")
    ident, programme, organisation = sql(
        app, "SELECT id, programme_id, organisation_id FROM disbursements WHERE programme_id IS NOT NULL "
             "ORDER BY id")[0]
    for url in (f"/programmes/{programme}", f"/organisations/{organisation}"):
        page = manager.get(url).get_data(as_text=True)
        assert f">BK-{ident:06d}</a>" in page, url
        assert f">#{ident}</a>" not in page and "<th>#</th>" not in page, url


# --- the search page in the navigation ------------------------------------------------------------------

def test_the_navigation_leads_managers_and_auditors_to_search(login):
    for username in ("manager", "auditor"):
        nav = login(username).get("/overview").get_data(as_text=True).split("<nav")[1].split("</nav>")[0]
        assert re.search(r'<a href="/search"\s*>搜索 <small>Search</small></a>', nav), nav
        english = login(username).get("/overview?lang=en").get_data(as_text=True).split("<nav")[1]
        assert re.search(r'<a href="/search"\s*>Search</a>', english.split("</nav>")[0])
    for username, home in (("zhuren", "/home"), ("admin", "/admin/users")):
        assert 'href="/search"' not in login(username).get(home).get_data(as_text=True)
    page = login("manager").get("/search?q=爱").get_data(as_text=True).split("<nav")[1].split("</nav>")[0]
    assert re.search(r'<a href="/search"\s*aria-current="page">', page)


# --- refused forms mark their controls on the server ----------------------------------------------------

def test_a_refused_gift_marks_its_amount_invalid_without_a_script(app, login):
    manager = login("manager")
    form = manager.get("/donations/new").get_data(as_text=True)
    donor = sql(app, "SELECT id FROM donors ORDER BY id")[0][0]
    fund = sql(app, "SELECT id FROM funds WHERE code = 'AILILIANG'")[0][0]
    response = post(manager, "/donations/new", idempotency_key=key(form), donor_id=donor, fund_id=fund,
                    amount="100.001", received_on="2026-11-20", channel="bank", reference="", memo="")
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    amount = tag(page, r'<input name="amount"')
    assert 'aria-invalid="true"' in amount and 'aria-describedby="error-amount"' in amount
    assert re.search(r'<span class="field-error" id="error-amount" role="alert">', page)
    assert "aria-invalid" not in tag(page, r'<select name="fund_id"')  # a field without a message is not marked
    assert "100.001" in amount  # what was typed stays


def test_a_refused_refund_marks_its_date_invalid(app, login):
    manager = login("manager")
    gift = sql(app, "SELECT id FROM donations ORDER BY id")[0][0]
    page = manager.get(f"/donations/{gift}").get_data(as_text=True)
    response = post(manager, f"/donations/{gift}/refund", idempotency_key=key(page), reason="捐赠人要求退回",
                    on="2099-01-01")
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    on = tag(page, r'<input name="on"')
    assert 'aria-invalid="true"' in on and re.search(r'aria-describedby="error-on( error-accounting_date)?"', on)
    assert 'id="error-on"' in page
    assert "aria-invalid" not in tag(page, r'<input name="reason"')
    assert "aria-invalid" not in tag(page, r'<input name="number"')  # the other form on the page


def test_a_programme_without_a_fund_marks_the_fund(login):
    manager = login("manager")
    response = post(manager, "/programmes/new", name="2027 困境儿童", fund_id="", budget="10000",
                    starts_on="2027-01-01", ends_on="2027-12-31")
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    fund = tag(page, r'<select name="fund_id"')
    assert 'aria-invalid="true"' in fund and 'aria-describedby="error-fund_id"' in fund
    assert 'id="error-fund_id"' in page
