"""The report pages: an index with a form per report, each report's page with CSV and PDF downloads."""
from __future__ import annotations

import csv
import io
import re

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
