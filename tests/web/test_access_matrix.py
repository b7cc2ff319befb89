"""One permission model for pages and API alike: every route declares its audience, and every route
answers every role (and nobody) as this one hand-written table says.

The table is written out here on purpose, independent of the ``@access`` declarations: a wrong
declaration then shows up as a difference between the two, and as a wrong answer in the walk.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, text

from fund_ledger.http.security import PUBLIC, SIGNED_IN, declared_access

DEMO_PASSWORD = "aililiang-2026"
ROLES = ("admin", "manager", "grantee", "auditor")
USERS = {"admin": "admin", "manager": "manager", "grantee": "zhuren", "auditor": "auditor"}
PUBLIC_ = {"public"}
EVERYONE_SIGNED_IN = set(ROLES)
BOOKS = {"manager", "auditor"}

EXPECTED: dict[str, set[str]] = {
    # endpoint: {"public"} or the roles that may use it (every method of the route alike)
    "static": PUBLIC_,
    "web.healthz": PUBLIC_,
    "web.home": PUBLIC_,
    "web.login": PUBLIC_,
    "web.logout": EVERYONE_SIGNED_IN,
    "web.account": EVERYONE_SIGNED_IN,
    "web.overview": BOOKS,
    "web.grantee_home": {"grantee"},
    "web.journal": BOOKS,
    "web.entry_detail": BOOKS,
    "web.funds": {"manager", "auditor", "grantee"},
    "web.audit_log": {"auditor", "manager", "admin"},
    "web.users": {"admin"},
    "web.user_detail": {"admin"},
    "api-docs.openapi_json": PUBLIC_,
    "api.create_token": PUBLIC_,
    "api.revoke_token": EVERYONE_SIGNED_IN,
    "api.audit_log": {"auditor", "manager", "admin"},
    "api.list_users": {"admin"},
    "api.create_user": {"admin"},
    "api.disable_user": {"admin"},
    "api.enable_user": {"admin"},
    "api.change_role": {"admin"},
    "api.audit_verify": {"auditor", "manager", "admin"},
    # CONTRACT.md: a manager does all writes but user management; an auditor reads everything (and writes
    # nothing but POST /audit-reports/verify); a grantee reads funds and its own organisation's disbursements.
    "api.post_fund": {"manager"},
    "api.list_funds": {"manager", "auditor", "grantee"},
    "api.get_fund": {"manager", "auditor", "grantee"},
    "api.post_donor": {"manager"},
    "api.list_donors": BOOKS,
    "api.get_donor": BOOKS,
    "api.post_donation": {"manager"},
    "api.list_donations": BOOKS,
    "api.get_donation": BOOKS,
    "api.refund_donation": {"manager"},
    "api.official_receipt": {"manager"},
    "api.donation_receipt_pdf": BOOKS,
    # the gift pages: a manager records, an auditor reads; a donor checks an acknowledgement without logging in
    "web.donors": BOOKS,
    "web.add_donor": {"manager"},
    "web.donor_detail": BOOKS,
    "web.donor_statement": BOOKS,
    "web.donations": BOOKS,
    "web.donations_csv": BOOKS,  # issue 12: the filtered gifts list as CSV
    "web.search": BOOKS,  # issue 12: one search over donors, organisations, gifts, requests
    "web.new_donation": {"manager"},
    "web.donation_detail": BOOKS,
    "web.donation_acknowledgement": BOOKS,
    "web.refund_donation": {"manager"},
    "web.official_receipt": {"manager"},
    "web.import_donations": {"manager"},
    "web.pledges": BOOKS,
    "web.add_pledge": {"manager"},
    "web.new_fund": {"manager"},
    "web.verify": PUBLIC_,
    "web.public_audit_report_pdf": PUBLIC_,  # the front door publishes issued audit reports
    # grants: a grantee submits, cancels, reads and acknowledges its own requests; a manager does the rest
    "api.post_organisation": {"manager"},
    "api.list_organisations": BOOKS,
    "api.get_organisation": BOOKS,
    "api.post_disbursement": {"grantee", "manager"},
    "api.list_disbursements": {"grantee", "manager", "auditor"},
    "api.get_disbursement": {"grantee", "manager", "auditor"},
    "api.approve_disbursement": {"manager"},
    "api.reject_disbursement": {"manager"},
    "api.cancel_disbursement": {"grantee", "manager"},
    "api.pay_disbursement": {"manager"},
    "api.acknowledge_disbursement": {"grantee"},
    # the grant pages: a grantee asks, cancels and acknowledges; a manager reviews and pays; an auditor reads
    "web.disbursements": {"grantee", "manager", "auditor"},
    "web.new_disbursement": {"grantee"},
    "web.disbursement_detail": {"grantee", "manager", "auditor"},
    "web.approve_disbursement": {"manager"},
    "web.reject_disbursement": {"manager"},
    "web.cancel_disbursement": {"grantee", "manager"},
    "web.pay_disbursement": {"manager"},
    "web.acknowledge_disbursement": {"grantee"},
    "web.fund_tracing": BOOKS,
    # after payment (issue 5): attachments, use reports, programmes, organisations and their bank accounts
    "web.add_attachment": {"grantee", "manager"},
    "web.download_attachment": {"grantee", "manager", "auditor"},
    "web.submit_use_report": {"grantee", "manager"},
    "web.receive_use_report": {"manager"},
    "web.send_back_use_report": {"manager"},
    "web.organisations": BOOKS,
    "web.add_organisation": {"manager"},
    "web.organisation_detail": BOOKS,
    "web.organisation_bank_account": {"manager"},
    "web.programmes": BOOKS,
    "web.new_programme": {"manager"},
    "web.programme_detail": BOOKS,
    "web.add_programme_member": {"manager"},
    "api.post_attachment": {"grantee", "manager"},
    "api.get_attachment": {"grantee", "manager", "auditor"},
    "api.post_use_report": {"grantee", "manager"},
    "api.receive_use_report": {"manager"},
    "api.send_back_use_report": {"manager"},
    "api.post_bank_account": {"manager"},
    "api.post_programme": {"manager"},
    "api.list_programmes": BOOKS,
    "api.get_programme": BOOKS,
    "api.post_programme_member": {"manager"},
    # exports for accountants (issue 6)
    "web.export": BOOKS,
    "web.export_journal": BOOKS,
    "api.export_journal": BOOKS,
    # entries, periods, audit reports (issue 6)
    "api.list_entries": BOOKS,
    "api.get_entry": BOOKS,
    "api.reverse_entry": {"manager"},
    "api.list_periods": BOOKS,
    "api.close_period": {"manager"},
    "api.issue_audit_report": {"manager"},
    "api.list_audit_reports": BOOKS,
    "api.get_audit_report": BOOKS,
    "api.audit_report_pdf": BOOKS,
    "api.verify_audit_report": PUBLIC_,
    "web.periods": BOOKS,
    "web.close_period": {"manager"},
    "web.audit_reports": BOOKS,
    "web.issue_audit_report": {"manager"},
    "web.audit_report_pdf": BOOKS,
    "web.verify_audit_report": PUBLIC_,
    # reports (issue 6)
    "web.reports": BOOKS,
    "web.report": BOOKS,
    "web.report_download": BOOKS,
    "api.statement_report": BOOKS,
    # Merkle inclusion proofs (issue 6): anyone holding a gift's verification code, like /verify
    "api.audit_report_gift_proof": PUBLIC_,
    # issue 13: 信息公开 (published items); a manager publishes, anyone reads and checks a copy
    "api.publish_disclosure": {"manager"},
    "api.public_disclosures": PUBLIC_,
    "api.verify_disclosure": PUBLIC_,
    "web.disclosures": PUBLIC_,
    "web.public_disclosure_file": PUBLIC_,
    "web.publish_disclosure": {"manager"},
    "web.disclosure_calendar": {"manager"},
    "web.verify_disclosure": PUBLIC_,
    "web.gift_proof": PUBLIC_,
    # issue 13: the register of related parties (a manager keeps it, an auditor reads it; grantees and the public
    # never see it) and the major-transaction threshold, a setting a manager changes
    "web.related_parties": BOOKS,
    "web.add_related_party": {"manager"},
    "web.end_related_party": {"manager"},
    "web.set_major_transaction": {"manager"},
    "web.close_fund": {"manager"},  # closing an empty fund (issue 13)
    "api.close_fund_api": {"manager"},
    "api.list_related_parties": BOOKS,
    "api.post_related_party": {"manager"},
    "api.end_related_party": {"manager"},
    "api.related_transactions": BOOKS,
    "api.get_major_transaction": BOOKS,
    "api.put_major_transaction": {"manager"},
    # issue 13: the annual work report; the books' readers read it (a draft or as submitted), a manager submits
    # and publishes it
    "web.annual_reports": BOOKS,
    "web.annual_report_file": BOOKS,
    "web.annual_report_version": BOOKS,
    "web.submit_annual_report": {"manager"},
    "web.publish_annual_report": {"manager"},
    "api.list_annual_reports": BOOKS,
    "api.get_annual_report": BOOKS,
    "api.annual_report_pdf": BOOKS,
    "api.annual_report_xlsx": BOOKS,
    "api.submit_annual_report_api": {"manager"},
    "api.publish_annual_report": {"manager"},
    # long report PDFs prepared in the background (issue 6): the books' readers, and then only who asked
    # (another reader gets 404, which the walk counts as allowed)
    "web.report_job": BOOKS,
    "web.report_job_file": BOOKS,
    # background jobs (issue 11): anyone signed in, and then only who started the job (others get 404)
    "api.get_job": EVERYONE_SIGNED_IN,
    "api.get_job_result": EVERYONE_SIGNED_IN,
    # issue 13: the notes' texts (the notes themselves are the report "notes"): a manager writes, the books' readers read
    "web.save_report_text": {"manager"},
    "api.put_report_text": {"manager"},
    "api.get_report_texts": BOOKS,
}


def _rules(app):
    return [r for r in app.url_map.iter_rules()]


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


# ---------------------------------------------------------------------------------------------- (a) and (b)

def test_every_route_declares_who_may_use_it(app):
    undeclared = sorted(f"{r.endpoint} ({r.rule})" for r in _rules(app) if declared_access(app, r.endpoint) is None)
    assert not undeclared, "routes that declare no audience (add @access(...)): " + ", ".join(undeclared)


def test_the_table_covers_every_route_and_nothing_else(app):
    endpoints = {r.endpoint for r in _rules(app)}
    assert not endpoints - EXPECTED.keys(), f"routes missing from EXPECTED: {sorted(endpoints - EXPECTED.keys())}"
    assert not EXPECTED.keys() - endpoints, f"EXPECTED names routes that do not exist: {sorted(EXPECTED.keys() - endpoints)}"


def test_the_declarations_agree_with_the_table(app):
    def expand(audience) -> set[str]:
        if audience is None:
            return set()
        if PUBLIC in audience:
            return PUBLIC_
        return (set(audience) - {SIGNED_IN}) | (EVERYONE_SIGNED_IN if SIGNED_IN in audience else set())

    wrong = {e: sorted(expand(declared_access(app, e))) for e in EXPECTED
             if e in app.view_functions and expand(declared_access(app, e)) != EXPECTED[e]}
    assert not wrong, f"declared audiences that differ from the table: {wrong}"


def test_an_undeclared_view_is_refused_and_logged(app, login):
    """A view that forgets @access is refused to everyone, even to nobody on a 'public-looking' page."""
    app.add_url_rule("/forgotten", "forgotten", lambda: "should never show")
    c = app.test_client()
    response = c.get("/forgotten")
    assert response.status_code == 403 and b"should never show" not in response.data
    assert login("admin").get("/forgotten").status_code == 403
    with app.extensions["fund_ledger.engine"].connect() as conn:
        rows = conn.execute(text("SELECT actor, object_id, detail FROM audit_log WHERE action = 'access' "
                                 "AND outcome = 'denied' ORDER BY id")).all()
    assert [(r[0], r[1]) for r in rows] == [(None, "forgotten"), ("admin", "forgotten")]
    assert "no access declared" in rows[0][2]


# ---------------------------------------------------------------------------------------------- (c) the walk

def _csrf(client, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _logged_in(app, role: str | None):
    c = app.test_client()
    if role is None:
        return c
    token = _csrf(c, "/login")
    response = c.post("/login", data={"username": USERS[role], "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return c


def _token(app, role: str) -> str:
    response = app.test_client().post("/api/v1/tokens", json={"username": USERS[role], "password": DEMO_PASSWORD})
    assert response.status_code == 201
    return response.get_json()["token"]


SAMPLE_ROWS = {"donor_id": "donors", "donation_id": "donations", "fund_id": "funds", "organisation_id": "organisations",
               "disbursement_id": "disbursements", "attachment_id": "disbursement_attachments",
               "programme_id": "grant_programmes", "item_id": "published_items",
               "party_id": "related_parties"}


def _sample_values(app) -> dict[str, object]:
    """Real values for the routes' parameters: an entry of the demo, manager2's id, the first row of a table."""
    values: dict[str, object] = {"number": "2026-000001", "filename": "css/app.css"}
    values.update(name="trial-balance", fmt="csv")  # reports (issue 6)
    values.update(period="2026-09", report_id=1)  # issue 6: a month the demo can close; the first audit report
    values.update(code="ABCDE23456")  # issue 6: a gift's verification code (the proof pages)
    values.update(job_id="no-such-job")  # issue 6: a background PDF (nobody's: 404 to those allowed)
    values.update(year="2025", section="policies")  # issue 13: the notes' texts, an annual report's year (ended)
    with app.extensions["fund_ledger.engine"].connect() as conn:
        values["user_id"] = conn.execute(text("SELECT id FROM users WHERE username = 'manager2'")).scalar_one()
        for name, table in SAMPLE_ROWS.items():
            values[name] = conn.execute(text(f"SELECT min(id) FROM {table}")).scalar() or 1
    return values


def _url(rule, samples) -> str:
    missing = [a for a in rule.arguments if a not in samples]
    assert not missing, f"no sample value for {missing} in {rule.rule}: add one to _sample_values"
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(samples[m.group(1)]), rule.rule)


def _request(app, role: str | None, endpoint: str, method: str, url: str, shared_client):
    """Send one request as ``role``: pages with the session (and a fresh CSRF token), the API with a token.

    Anything that changes state runs on a client of its own, so that it cannot change who the next
    request is (a log-out, a log-in).
    """
    if url.startswith("/api/"):
        headers = {"Authorization": f"Bearer {_token(app, role)}"} if role else {}
        client = app.test_client()
        if endpoint == "api.create_token":
            return client.post(url, json={"username": USERS[role or "auditor"], "password": DEMO_PASSWORD})
        return client.open(url, method=method, headers=headers, json={} if method != "GET" else None)
    if method == "GET":
        return shared_client.get(url)
    client = _logged_in(app, role)
    token = _csrf(client, "/account" if role else "/login")
    data = {"csrf_token": token}
    if endpoint == "web.login":
        data.update(username=USERS[role or "auditor"], password=DEMO_PASSWORD)
    return client.open(url, method=method, data=data)


def _is_api(url: str) -> bool:
    return url.startswith("/api/")


def _check(role, endpoint, method, url, response) -> str | None:
    """What is wrong with this answer, or None."""
    status = response.status_code
    allowed = EXPECTED[endpoint] == PUBLIC_ or (role is not None and role in EXPECTED[endpoint])
    if status >= 500:
        return f"{status} (a server error)"
    if _is_api(url) and status >= 400 and response.mimetype != "application/problem+json":
        return f"{status} answered as {response.mimetype}, not application/problem+json"
    if allowed:
        if status in (401, 403):
            return f"{status}, but {role or 'nobody'} may use it"
        if status == 302 and response.headers["Location"].startswith("/login") \
                and endpoint not in ("web.logout", "web.home"):  # these two send people to log in by design
            return "sent to the log-in page, but may use it"
        return None
    if role is None:
        if _is_api(url):
            return None if status == 401 else f"{status}, expected 401 for nobody"
        location = response.headers.get("Location", "")
        return None if status == 302 and location.startswith("/login") else \
            f"{status} {location}, expected a redirect to /login"
    return None if status == 403 else f"{status}, expected 403 for {role}"


def _refused_api_write(role, endpoint, method, url) -> bool:
    """A refused non-GET API request by a signed-in role (the case that once deadlocked SQLite)."""
    allowed = EXPECTED[endpoint] == PUBLIC_ or (role is not None and role in EXPECTED[endpoint])
    return role is not None and not allowed and _is_api(url) and method not in ("GET", "HEAD", "OPTIONS")


def _is_sqlite(app) -> bool:
    return app.extensions["fund_ledger.engine"].dialect.name == "sqlite"


def _walk(app, role, *, only_refused_api_writes: bool = False):
    samples = _sample_values(app)
    shared = _logged_in(app, role)
    problems, seen = [], 0
    # log-out last: it ends every session and token of the user (server-side), so nothing after it would be signed in
    for rule in sorted(_rules(app), key=lambda r: (r.endpoint == "web.logout", r.rule)):
        if rule.endpoint not in EXPECTED:
            problems.append(f"{rule.endpoint}: not in EXPECTED")
            continue
        url = _url(rule, samples)
        for method in _methods(rule):
            refused_api_write = _refused_api_write(role, rule.endpoint, method, url)
            if only_refused_api_writes and not refused_api_write:
                continue
            seen += 1
            response = _request(app, role, rule.endpoint, method, url, shared)
            wrong = _check(role, rule.endpoint, method, url, response)
            response.close()  # a static file is streamed from an open file
            if wrong is not None:
                problems.append(f"{method} {url} ({rule.endpoint}) as {role or 'nobody'}: {wrong}")
    return problems, seen


@pytest.mark.both_databases  # the one test that runs every page and API call on PostgreSQL too
@pytest.mark.parametrize("role", [None, *ROLES], ids=["nobody", *ROLES])
def test_every_route_answers_every_role_as_the_table_says(app, role):
    problems, seen = _walk(app, role)
    assert seen >= 15
    assert not problems, "\n".join(problems)


@pytest.mark.both_databases
@pytest.mark.parametrize("role", ["grantee", "auditor"])
def test_refused_api_writes_answer_403(request, app, role):
    """The API writes these roles may not make. On SQLite the refusal once waited for a write lock the
    request itself held (security._refuse); a 1 s busy timeout makes a regression fail fast, not in 60 s."""
    if _is_sqlite(app):
        engine = app.extensions["fund_ledger.engine"]
        event.listen(engine, "connect", lambda dbapi, _rec: dbapi.execute("PRAGMA busy_timeout = 1000"))
    problems, seen = _walk(app, role, only_refused_api_writes=True)
    assert seen >= 1
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_offers_only_what_the_role_may_use(app, login, role):
    page = login(USERS[role]).get("/account").get_data(as_text=True)
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", page, re.S).group(1)
    adapter = app.url_map.bind("localhost")
    offered = {adapter.match(href, method="GET")[0] for href in re.findall(r'href="([^"?#]+)', nav)}
    assert offered, "the navigation offers nothing"
    may_not = sorted(e for e in offered if EXPECTED[e] != PUBLIC_ and role not in EXPECTED[e])
    assert not may_not, f"the navigation offers {role} pages it may not use: {may_not}"
    core = {"web.overview", "web.journal", "web.funds", "web.audit_log", "web.users"}
    assert offered & core == {e for e in core if role in EXPECTED[e]}
