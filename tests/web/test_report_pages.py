"""The report pages: an index with a form per report, each report's page with CSV and PDF downloads."""
from __future__ import annotations

import csv
import io
import re

import pytest

from fund_ledger.reports.catalogue import REPORTS


def test_the_index_links_every_report_and_the_navigation_offers_it(login):
    for user in ("manager", "auditor"):
        page = login(user).get("/reports").get_data(as_text=True)
        for name in REPORTS:
            assert f'href="/reports/{name}"' in page and f'action="/reports/{name}"' in page
        assert re.search(r'<nav[^>]*>.*href="/reports".*</nav>', page, re.S)
    assert 'href="/reports"' not in login("zhuren").get("/funds").get_data(as_text=True)


def test_each_report_page_shows_figures_and_links_its_downloads(login):
    c = login("auditor")
    pages = {"fund-statement": "?fund_id=2", "account-ledger": "?account=1002&from=2026-09-01&to=2026-11-27"}
    for name in REPORTS:
        q = pages.get(name, "")
        r = c.get(f"/reports/{name}{q}")
        assert r.status_code == 200, name
        html = r.get_data(as_text=True)
        assert f"/reports/{name}.csv" in html and f"/reports/{name}.pdf" in html
    html = c.get("/reports/activities?from=2026-01-01&to=2026-11-27").get_data(as_text=True)
    assert "限定性净资产转为非限定性净资产" in html and "145,000.00" in html  # the demo's restricted gifts
    html = c.get("/reports/fund-statement?fund_id=2").get_data(as_text=True)
    assert "爱力量" in html and "78,000.00" in html  # 100,000 + 8,000 given, 30,000 paid


def test_downloads_carry_the_query(login):
    c = login("manager")
    r = c.get("/reports/fund-statement.csv?fund_id=2&from=2026-10-01&to=2026-10-31")
    rows = {row["line"]: row["amount"] for row in csv.DictReader(io.StringIO(r.get_data(as_text=True)))}
    assert rows["opening"] == "100000.00" and rows["closing"] == "70000.00"
    r = c.get("/reports/general-journal.pdf?from=2026-09-01&to=2026-09-30")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert c.get("/reports/activities.xls").status_code == 404
    assert c.get("/reports/activities?from=2026-13-01").status_code == 400
    assert c.get("/reports/fund-statement").status_code == 400


def run_jobs(app) -> int:
    """Run every queued job with a worker of this process (as `fund-ledger worker --once` would)."""
    from fund_ledger.reports.jobs import Worker

    return Worker(app.extensions["fund_ledger.engine"], lease_seconds=30, max_attempts=3).run(once=True)


@pytest.mark.both_databases
def test_a_long_pdf_is_prepared_in_the_background_for_who_asked_alone(app, login, monkeypatch):
    """A journal PDF above BACKGROUND_LINES answers at once with a page that shows progress, refreshes
    itself and then offers the file; the file is the synchronous render's bytes; nobody else gets it."""
    from datetime import date, datetime

    from fund_ledger.db.engine import read_session
    from fund_ledger.http import jobs as http_jobs
    from fund_ledger.reports import pdf
    from fund_ledger.reports import statement_render as render
    from fund_ledger.reports.catalogue import Query, build
    from fund_ledger.services import jobs as queue
    from tests.conftest import TODAY

    monkeypatch.setattr(http_jobs, "BACKGROUND_LINES", 5)
    monkeypatch.setattr(pdf, "PAGES_PER_PART", 1)  # a part a page, if the demo's journal had several
    c = login("manager")
    url = "/reports/general-journal.pdf?from=2026-01-01&to=2026-11-27"
    r = c.get(url)
    assert r.status_code == 303 and r.headers["Location"].startswith("/reports/jobs/")
    page_url = r.headers["Location"]
    job_id = page_url.rsplit("/", 1)[1]
    assert c.get(url).headers["Location"] == page_url  # asked again while waiting: the same job

    r = c.get(page_url)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and '<meta http-equiv="refresh" content="2">' in html and r.headers["Refresh"] == "2"
    assert "正在后台生成" in html and "<progress" in html and f"/reports/jobs/{job_id}/file" not in html
    assert c.get(f"{page_url}/file").status_code == 409  # not ready yet

    for other in ("manager2", "auditor"):  # the same role rules, but not who asked: as if it did not exist
        o = login(other)
        assert o.get(page_url).status_code == 404 and o.get(f"{page_url}/file").status_code == 404
    assert login("zhuren").get(page_url).status_code == 403
    assert app.test_client().get(page_url).status_code == 302  # not signed in: to the log-in page

    assert run_jobs(app) == 1
    r = c.get(page_url)
    html = r.get_data(as_text=True)
    assert "http-equiv" not in html and "Refresh" not in r.headers and f"/reports/jobs/{job_id}/file" in html
    with read_session(app.extensions["fund_ledger.engine"]) as s:
        job = queue.find(s, job_id, "manager")
    assert job.status == "done" and job.progress_done == job.progress_total >= 1 and job.attempts == 1
    r = c.get(f"{page_url}/file")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == 'attachment; filename="general-journal-2026-11-27.pdf"'

    with read_session(app.extensions["fund_ledger.engine"]) as s:
        journal = build(s, "general-journal", Query(start=date(2026, 1, 1), end=date(2026, 11, 27)), today=TODAY,
                        fmt="pdf")
    assert journal.lines > 5
    generated_at = datetime.fromisoformat(job.arguments["generated_at"])
    assert r.data == render.render_general_journal_pdf(journal, generated_by="manager", generated_at=generated_at)
    for other in ("manager2", "auditor"):
        assert login(other).get(f"{page_url}/file").status_code == 404


def test_a_short_pdf_still_comes_at_once(login):
    r = login("auditor").get("/reports/account-ledger.pdf?account=1002&from=2026-09-01&to=2026-11-27")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")


@pytest.mark.parametrize("path, field, words", [
    ("/reports/notes?from=2025-01-01&to=2026-12-31", "to", "附注按完整的公历年度编制"),
    ("/reports/general-journal?from=2026-12-01&to=2026-01-01", "from", "期间的开始日期（2026-12-01）晚于结束日期（2026-01-01）"),
    ("/reports/financial-position?as_of=1899-12-31", "as_of", "日期须在 1900-01-01 至 9999-12-30 之间"),
])
def test_a_period_a_report_does_not_take_gives_the_form_again_with_the_reason(login, path, field, words):
    """Not a dead-end error page: the report's own form, the dates as typed, and the reason beside the field
    named, in the page's language."""
    page = login("manager").get(path)
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and 'class="as-of"' in text  # the form is there to correct it
    reason = re.search(rf'<li data-field="{field}">(.*?)</li>', text, re.S)
    assert reason and words in reason.group(1), text[-2500:]
