"""The pages and API after payment, on both databases: attachments (checked, served only as downloads),
the use report with money returned, programmes with their budgets, organisations' bank accounts (managers
and auditors only), and the request list filtered by organisation, fund and programme."""
from __future__ import annotations

import io
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fund_ledger.db import models as m
from fund_ledger.db import repository as repo
from fund_ledger.services.actor import SYSTEM
from fund_ledger.services.users import create_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _db(app) -> Session:
    return Session(app.extensions["fund_ledger.engine"])


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def _ids(app) -> dict:
    with _db(app) as s:
        return {"fund": s.scalar(select(m.Fund.id).where(m.Fund.code == "AILILIANG")),
                "zhuren": s.scalar(select(m.Organisation.id).where(m.Organisation.name == "筑仁成长公益服务中心")),
                "xiyue": s.scalar(select(m.Organisation.id).where(m.Organisation.name == "喜悦绘")),
                "programme": s.scalar(select(m.GrantProgramme.id))}


def _count(app, model) -> int:
    with _db(app) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_request_with_its_files_is_submitted_and_the_files_download_safely(app, login):
    zhuren, ids = login("zhuren"), _ids(app)
    page = zhuren.get("/disbursements/new").get_data(as_text=True)
    assert "2026 困境儿童关爱行动" in page  # the programme it takes part in is offered
    response = zhuren.post("/disbursements/new", content_type="multipart/form-data", data={
        "csrf_token": zhuren.csrf_token, "idempotency_key": _key(page), "fund_id": str(ids["fund"]),
        "amount": "5000", "purpose": "困境儿童冬季衣物", "budget": "", "programme_id": "",
        "files": [(io.BytesIO(PDF), "方案.pdf", "application/pdf"), (io.BytesIO(PNG), "现场.png", "image/png")]})
    assert response.status_code == 302, response.get_data(as_text=True)
    rid = int(response.headers["Location"].rsplit("/", 1)[1])
    detail = zhuren.get(f"/disbursements/{rid}").get_data(as_text=True)
    assert "方案.pdf" in detail and "现场.png" in detail
    with _db(app) as s:
        aid = s.scalar(select(m.DisbursementAttachment.id).where(m.DisbursementAttachment.disbursement_id == rid,
                                                                 m.DisbursementAttachment.filename == "方案.pdf"))
    for who in (zhuren, login("auditor")):
        got = who.get(f"/disbursements/{rid}/attachments/{aid}")
        assert got.status_code == 200 and got.data == PDF
        assert got.headers["Content-Type"] == "application/pdf"
        assert got.headers["Content-Disposition"].startswith("attachment;")
        assert got.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in got.headers["Content-Security-Policy"]
    assert login("manager").get(f"/disbursements/{rid}/attachments/{aid + 1000}").status_code == 404


def test_a_mislabelled_file_refuses_the_whole_request(app, login):
    zhuren, ids = login("zhuren"), _ids(app)
    before = (_count(app, m.Disbursement), _count(app, m.DisbursementAttachment))
    page = zhuren.get("/disbursements/new").get_data(as_text=True)
    response = zhuren.post("/disbursements/new", content_type="multipart/form-data", data={
        "csrf_token": zhuren.csrf_token, "idempotency_key": _key(page), "fund_id": str(ids["fund"]),
        "amount": "5000", "purpose": "p", "budget": "",
        "files": [(io.BytesIO(PDF), "ok.pdf"), (io.BytesIO(b"<html><script>x</script>"), "evil.pdf", "application/pdf")]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "evil.pdf" in html and "只接受 PDF、PNG 或 JPEG 文件" in html
    assert (_count(app, m.Disbursement), _count(app, m.DisbursementAttachment)) == before


def test_another_organisation_cannot_reach_a_request_or_its_files(app, login):
    with _db(app) as s, s.begin():
        create_user(s, SYSTEM, username="xiyue", role="grantee", password="aililiang-2026", display_name="喜悦绘",
                    organisation_id=_ids(app)["xiyue"])
    with _db(app) as s:
        rid = s.scalar(select(m.Disbursement.id).where(m.Disbursement.status == "acknowledged"))
    other = login("xiyue")
    assert other.get(f"/disbursements/{rid}").status_code == 404
    assert other.get(f"/disbursements/{rid}/attachments/1").status_code == 404
    response = other.post(f"/disbursements/{rid}/attachments", content_type="multipart/form-data",
                          data={"csrf_token": other.csrf_token, "files": [(io.BytesIO(PDF), "x.pdf")]})
    assert response.status_code == 404 and _count(app, m.DisbursementAttachment) == 0


def test_the_use_report_and_the_money_returned_through_the_api(app, api_token):
    ids = _ids(app)
    h = {"Authorization": f"Bearer {api_token('zhuren')}"}
    mgr = {"Authorization": f"Bearer {api_token('manager')}"}
    mgr2 = {"Authorization": f"Bearer {api_token('manager2')}"}
    c = app.test_client()
    created = c.post("/api/v1/disbursements", headers=h, json={
        "organisation_id": ids["zhuren"], "fund_id": ids["fund"], "amount": "10000.00", "purpose": "冬令营",
        "programme_id": ids["programme"]})
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["id"]
    assert created.get_json()["programme_id"] == ids["programme"]
    assert c.post(f"/api/v1/disbursements/{rid}/approve", headers=mgr).status_code == 200
    assert c.post(f"/api/v1/disbursements/{rid}/pay", headers=mgr,
                  json={"paid_on": "2026-11-25", "reference": "P-1"}).status_code == 200
    from fund_ledger.clock import local_today
    assert c.post(f"/api/v1/disbursements/{rid}/acknowledge", headers=h,
                  json={"received_on": local_today().isoformat()}).status_code == 200
    bad = c.post(f"/api/v1/disbursements/{rid}/report", headers=h,
                 json={"spent": "9000.00", "returned": "500.00", "narrative": "x"})
    assert bad.status_code == 400 and "returned" in bad.get_json()["errors"]
    assert c.post(f"/api/v1/disbursements/{rid}/report", headers=h,
                  json={"spent": 9000, "narrative": "x"}).status_code == 400  # money is a string
    reported = c.post(f"/api/v1/disbursements/{rid}/report", headers={**h, "Idempotency-Key": "r1"},
                      json={"spent": "9200.00", "returned": "800.00", "narrative": "冬令营结余退回"})
    assert reported.status_code == 201 and reported.get_json()["report"]["status"] == "submitted"
    upload = c.post(f"/api/v1/disbursements/{rid}/attachments", headers=h,
                    data={"file": (io.BytesIO(PNG), "票据.png"), "report_id": str(reported.get_json()["report"]["id"])},
                    content_type="multipart/form-data")
    assert upload.status_code == 201 and upload.get_json()["report_id"] == reported.get_json()["report"]["id"]
    wrong = c.post(f"/api/v1/disbursements/{rid}/attachments", headers=h,
                   data={"file": (io.BytesIO(PDF), "票据.png")}, content_type="multipart/form-data")
    assert wrong.status_code == 400 and wrong.get_json()["errors"]["file"] == ["mislabelled"]
    with _db(app) as s:
        before = repo.money_by_fund(s)["AILILIANG"].balance
    assert c.post(f"/api/v1/disbursements/{rid}/report/receive", headers=mgr2, json={}).status_code == 400
    done = c.post(f"/api/v1/disbursements/{rid}/report/receive", headers=mgr2,
                  json={"returned_on": local_today().isoformat(), "return_reference": "TH-9"})
    assert done.status_code == 200, done.get_json()
    report = done.get_json()["report"]
    assert report["status"] == "received" and report["return_entry"] and report["returned"] == "800.00"
    with _db(app) as s:
        assert repo.money_by_fund(s)["AILILIANG"].balance == before + 800_00
    programme = c.get(f"/api/v1/programmes/{ids['programme']}", headers=mgr).get_json()
    assert programme["committed"] == "39200.00"  # the demo's 30,000 and this 10,000 less the 800 returned
    only = c.get(f"/api/v1/disbursements?programme_id={ids['programme']}&status=acknowledged", headers=mgr).get_json()
    assert "items" in only, only
    assert rid in [d["id"] for d in only["items"]]
    assert all(d["programme_id"] == ids["programme"] and d["status"] == "acknowledged" for d in only["items"])


def test_the_manager_receives_a_report_on_the_page(app, login):
    manager = login("manager")
    with _db(app) as s:
        rid = s.scalar(select(m.DisbursementReport.disbursement_id).where(m.DisbursementReport.status == "submitted"))
    queue = manager.get("/disbursements").get_data(as_text=True)
    assert "使用报告待审阅" in queue and f"/disbursements/{rid}#use-report" in queue
    page = manager.get(f"/disbursements/{rid}").get_data(as_text=True)
    assert "为32名困境儿童购买学习用品" in page and "收悉" in page
    response = manager.post(f"/disbursements/{rid}/report/receive",
                            data={"csrf_token": manager.csrf_token, "idempotency_key": _key(page), "note": "票据齐全"})
    assert response.status_code == 302
    page = manager.get(f"/disbursements/{rid}").get_data(as_text=True)
    assert "已收悉" in page and "票据齐全" in page and "使用报告已收悉" in page


def test_bank_accounts_are_for_managers_and_auditors(app, login, api_token):
    ids = _ids(app)
    manager = login("manager")
    page = manager.get(f"/organisations/{ids['zhuren']}").get_data(as_text=True)
    assert "9020000012345678901" in page
    assert "9020000012345678901" in login("auditor").get(f"/organisations/{ids['zhuren']}").get_data(as_text=True)
    assert login("zhuren").get(f"/organisations/{ids['zhuren']}").status_code == 403
    bad = manager.post(f"/organisations/{ids['zhuren']}/bank-account",
                       data={"csrf_token": manager.csrf_token, "bank_name": "银行", "bank_account": "12-34"})
    assert bad.status_code == 400 and "8 至 30 位数字" in bad.get_data(as_text=True)
    ok = manager.post(f"/organisations/{ids['zhuren']}/bank-account",
                      data={"csrf_token": manager.csrf_token, "bank_name": "齐商银行", "bank_account": "6222 0000 1111 2222"})
    assert ok.status_code == 302
    assert "6222000011112222" in manager.get(f"/organisations/{ids['zhuren']}").get_data(as_text=True)
    admin_log = login("admin").get("/audit?action=organisation.bank_account").get_data(as_text=True)
    assert "6222000011112222" not in admin_log
    api = app.test_client().get(f"/api/v1/organisations/{ids['zhuren']}",
                                headers={"Authorization": f"Bearer {api_token('auditor')}"}).get_json()
    assert api["bank_account"] == "6222000011112222"


def test_programmes_show_their_budget_and_the_list_filters(app, login):
    ids = _ids(app)
    manager = login("manager")
    page = manager.get(f"/programmes/{ids['programme']}").get_data(as_text=True)
    assert "2026 困境儿童关爱行动" in page and "¥80,000.00" in page and "¥50,000.00" in page  # left after 30,000
    created = manager.post("/programmes/new", data={
        "csrf_token": manager.csrf_token, "name": "家学苑社区课堂", "fund_id": "", "budget": "-5",
        "starts_on": "2026-12-01", "ends_on": "2026-11-01"})
    html = created.get_data(as_text=True)
    assert created.status_code == 400 and _count(app, m.GrantProgramme) == 1
    with _db(app) as s:
        fund = s.scalar(select(m.Fund.id).where(m.Fund.code == "JIAXUEYUAN"))
    created = manager.post("/programmes/new", data={
        "csrf_token": manager.csrf_token, "name": "家学苑社区课堂", "fund_id": str(fund), "budget": "15000",
        "starts_on": "2026-12-01", "ends_on": "2027-06-30", "organisation_ids": [str(ids["xiyue"])]})
    assert created.status_code == 302, html
    assert "家学苑社区课堂" in manager.get("/programmes").get_data(as_text=True)
    mine = manager.get(f"/disbursements?organisation_id={ids['xiyue']}").get_data(as_text=True)
    all_section = mine.split("全部申请", 1)[1]
    assert "喜悦绘" in all_section and "筑仁成长公益服务中心</td>" not in all_section
    assert manager.get("/disbursements?organisation_id=abc&fund_id=99999999999&status=zzz").status_code == 200


def test_the_audit_log_names_steps_in_chinese_and_money_in_yuan(app, login):
    page = login("auditor").get("/audit?action=disbursement.submit").get_data(as_text=True)
    assert "审计日志 · 3 条" in page and "提交拨款申请" in page
    assert "金额：¥30,000.00" in page and "金额：3000000" not in page  # (issue 12: the detail in words)
    assert '&#34;amount&#34;:3000000' in page  # the raw record stays in the cell's title (escaped)
