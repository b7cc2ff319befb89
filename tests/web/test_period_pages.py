"""The period and audit-report pages, on both databases: closing takes a confirmation, a manager issues a
report from a form, auditors download it, and anyone can check a report on the public page, in Chinese."""
from __future__ import annotations

import hashlib
import re

from tests.api.test_donations_api import sql
from tests.services.test_audit_reports import upload


def _closed(app) -> list[str]:
    return [r[0] for r in sql(app, "SELECT period FROM periods ORDER BY period")]


def test_closing_a_month_asks_for_confirmation_first(app, login):
    manager = login("manager")
    page = manager.get("/periods").get_data(as_text=True)
    assert "会计期间" in page and "2026-09" in page and "/periods/close?period=2026-09" in page
    confirm = manager.get("/periods/close?period=2026-09")
    assert confirm.status_code == 200 and "结账不可撤销" in confirm.get_data(as_text=True)
    assert _closed(app) == []
    unconfirmed = manager.post("/periods/close", data={"csrf_token": manager.csrf_token, "period": "2026-09"})
    assert unconfirmed.status_code == 400 and _closed(app) == []
    done = manager.post("/periods/close", data={"csrf_token": manager.csrf_token, "period": "2026-09",
                                                "confirm": "yes"})
    assert done.status_code == 302 and _closed(app) == ["2026-09"]
    page = manager.get("/periods").get_data(as_text=True)
    assert "已结账" in page and "manager" in page
    again = manager.post("/periods/close", data={"csrf_token": manager.csrf_token, "period": "2026-09",
                                                 "confirm": "yes"})
    assert again.status_code == 409
    assert manager.get("/periods/close?period=2026-13").status_code == 400


def test_auditors_see_periods_and_reports_without_forms(app, login):
    auditor = login("auditor")
    periods = auditor.get("/periods").get_data(as_text=True)
    assert "会计期间" in periods and "/periods/close" not in periods
    reports = auditor.get("/audit-reports").get_data(as_text=True)
    assert "审计报告" in reports and "/audit-reports/issue" not in reports
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", reports, re.S).group(1)
    assert 'href="/periods"' in nav and 'href="/audit-reports"' in nav


def test_issue_download_and_check_on_the_public_page(app, login):
    manager = login("manager")
    manager.post("/periods/close", data={"csrf_token": manager.csrf_token, "period": "2026-09", "confirm": "yes"})
    issued = manager.post("/audit-reports/issue", data={"csrf_token": manager.csrf_token, "period": "2026-09"})
    assert issued.status_code == 302, issued.get_data(as_text=True)[:500]
    auditor = login("auditor")
    listing = auditor.get("/audit-reports").get_data(as_text=True)
    assert "/audit-reports/1.pdf" in listing and "有效" in listing
    pdf = auditor.get("/audit-reports/1.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == sql(app, "SELECT sha256 FROM audit_reports")[0][0]
    twice = manager.post("/audit-reports/issue", data={"csrf_token": manager.csrf_token, "period": "2026-09"})
    assert twice.status_code == 409 and "No. 1" in twice.get_data(as_text=True)

    public = app.test_client()  # nobody logged in
    form = public.get("/audit-reports/verify").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = upload(public, pdf.data, path="/audit-reports/verify", fields={"csrf_token": token})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200, text[:500]
    assert "真实" in text and "相符" in text and "不相符" not in text
    not_pdf = upload(public, b"plain text", "notes.txt", path="/audit-reports/verify", fields={"csrf_token": token})
    assert not_pdf.status_code == 400 and "不是 PDF" in not_pdf.get_data(as_text=True)
    english = upload(public, pdf.data + b"%", path="/audit-reports/verify?lang=en", fields={"csrf_token": token})
    assert "Not genuine" in english.get_data(as_text=True)


def test_a_donor_checks_a_gift_in_the_audit_report_without_logging_in(app, login):
    """From /verify (the code on the acknowledgement) to the proof page: for the issued September report the
    root, tree size, leaf index and audit path, checked as matching; nothing of any other gift but hashes."""
    manager = login("manager")
    manager.post("/periods/close", data={"csrf_token": manager.csrf_token, "period": "2026-09", "confirm": "yes"})
    assert manager.post("/audit-reports/issue", data={"csrf_token": manager.csrf_token,
                                                      "period": "2026-09"}).status_code == 302
    root, size = sql(app, "SELECT gifts_root, gifts_tree_size FROM audit_reports")[0]
    codes = [r[0] for r in sql(app, "SELECT verification_code FROM donations ORDER BY id")]
    september, november = codes[1], codes[-1]

    public = app.test_client()
    check = public.get(f"/verify?code={september}").get_data(as_text=True)
    assert f"/verify/{september}/proof" in check
    page = public.get(f"/verify/{september}/proof")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert "捐赠包含证明" in text and "第 1 号审计报告（2026-09）" in text and "相符" in text and "不相符" not in text
    assert root in text and f"{size} 笔捐赠" in text and "审计路径" in text and "JZ2026-000002" in text
    assert not any(other in text for other in codes if other != september)
    assert f"/api/v1/audit-reports/1/proof?code={september}" in text
    english = app.test_client().get(f"/verify/{september}/proof?lang=en").get_data(as_text=True)
    assert "Matching" in english and "Gift inclusion proof" in english

    later = public.get(f"/verify/{november}/proof").get_data(as_text=True)
    assert "尚未出具审计报告" in later and root not in later
    unknown = public.get("/verify/ABCDE23456/proof")
    assert unknown.status_code == 404 and "未找到这个核验码" in unknown.get_data(as_text=True)
