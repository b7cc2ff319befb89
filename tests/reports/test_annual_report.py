"""The annual work report (年度工作报告), on both databases: its figures agree with the 业务活动表 and the
spending-ratio check of the same year; a submission is stored as laid out, never changed (the database refuses),
and served as stored; a second submission needs a reason and replaces the first, which stays; bad input is
named and writes nothing; the XLSX reads back as the figures; publishing puts the submitted bytes on 信息公开."""
from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from fund_ledger.db import models as m
from fund_ledger.ledger import statements as ls
from fund_ledger.reports import statements as st
from fund_ledger.reports.annual_report import annual_figures, annual_file, submit_annual_report, year_figures
from fund_ledger.reports.annual_report_files import render_annual_xlsx
from fund_ledger.services import annual_reports as svc
from fund_ledger.services import disbursements as d
from fund_ledger.services import disclosures
from fund_ledger.services import related_parties as rp
from fund_ledger.services.actor import Actor
from fund_ledger.services.donations import Gift, create_donor, record_donation
from fund_ledger.services.errors import Conflict, Forbidden, InvalidInput, RuleBroken
from fund_ledger.services.organisations import create_organisation
from fund_ledger.services.programmes import create_programme
from tests.factories import TODAY
from tests.reports.test_statements import GEN, Y, Books

MANAGER, MANAGER2, AUDITOR = Actor("manager", "manager"), Actor("manager2", "manager"), Actor("auditor", "auditor")
YEAR = 2025


def _fen(text_: str) -> int:
    return Y(text_) if not text_.startswith("-") else -Y(text_[1:])


@pytest.fixture
def year_books(session, manager):
    """2024: a gift of 10,000 (the ratio's base); 2025: gifts from an organisation (restricted, a related party)
    and a person, a grant paid in a programme, spending from the restricted fund and a bank fee."""
    b = Books(session, manager)
    person = create_donor(session, manager, name="李红梅", kind="person").id
    b.give(GEN, "10000", date(2024, 6, 1))
    b.give("AILILIANG", "100000", date(2025, 3, 8))
    record_donation(session, manager, Gift(person, GEN, Y("5000"), date(2025, 4, 1), "wechat"), today=TODAY)
    rp.register(session, manager, name="", kind="organisation", relation="发起单位", donor_id=b.donor)
    org = create_organisation(session, manager, name="筑仁成长公益服务中心", credit_code="52370303MJD123451B")
    programme = create_programme(session, manager, name="童梦童行", fund="AILILIANG", budget=Y("80000"),
                                 starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31), organisation_ids=[org.id])
    for amount, paid_on, purpose in (("20000", date(2025, 7, 1), "暑期课堂"), ("8000", date(2025, 9, 1), "心理辅导")):
        row = d.submit(session, manager, organisation_id=org.id, fund="AILILIANG", amount=Y(amount), purpose=purpose,
                       programme_id=programme.id, today=TODAY)
        d.approve(session, MANAGER2, row.id)
        d.pay(session, manager, row.id, paid_on=paid_on, reference=f"P-{amount}", today=TODAY)
    b.pay("AILILIANG", "2000", date(2025, 10, 20))
    b.fee("120", date(2025, 11, 16))
    session.flush()
    return b


def test_the_figures_agree_with_the_activities_and_the_spending_ratio(session, year_books):
    f = annual_figures(session, YEAR)
    a = st.activities(session, date(YEAR, 1, 1), date(YEAR, 12, 31))
    sr = st.spending_ratio(session, date(YEAR, 12, 31))
    lines = {x["key"]: x for x in f["income"]["lines"]}
    assert _fen(lines["donations"]["total"]) == a.figures.income["donations"].total == Y("105000")
    assert _fen(f["income"]["donations"]["restricted"]) == Y("100000")
    assert _fen(f["income"]["donations"]["unrestricted"]) == Y("5000")
    assert _fen(f["income"]["donations"]["organisation"]) == Y("100000")
    assert _fen(f["income"]["donations"]["person"]) == Y("5000") and f["income"]["donations"]["other"] == "0.00"
    assert _fen(f["income"]["total"]["total"]) == a.income_total.total
    assert _fen(f["spending"]["total"]) == a.expense_total.total == sr.total_spending == Y("30120")
    assert _fen(f["spending"]["charitable"]) == sr.charitable_spending == Y("30000")
    assert _fen(f["spending"]["management"]) == sr.management_costs == Y("120")
    # the 70% test's base is last year's income, as the spending-ratio report takes it
    assert f["ratios"]["base_year"] == 2024 and _fen(f["ratios"]["last_year_income"]) == sr.last_year_income == Y("10000")
    assert [r["ratio"] for r in f["ratios"]["rules"]] == [ls.format_percent(sr.spending.percent),
                                                          ls.format_percent(sr.management.percent)]
    assert [r["met"] for r in f["ratios"]["rules"]] == [True, True]
    assert _fen(f["net_assets"]["start"]["total"]) == Y("10000")
    assert _fen(f["net_assets"]["end"]["total"]) == Y("10000") + Y("105000") - Y("30120")
    assert _fen(f["net_assets"]["end"]["restricted"]) == Y("70000")
    grants = f["grants"]
    assert [(g["organisation"], g["amount"], g["programme"], g["paid_on"]) for g in grants["largest"]] == [
        ("筑仁成长公益服务中心", "20000.00", "童梦童行", "2025-07-01"), ("筑仁成长公益服务中心", "8000.00", "童梦童行", "2025-09-01")]
    assert grants["programmes"] == [{"name": "童梦童行", "budget": "80000.00", "paid": "28000.00"}]
    related = f["related_parties"]
    assert related["count"] == 1 and related["total"] == "100000.00"
    assert related["by_kind"] == [{"kind": "gift", "name": "捐赠", "name_en": "Gift", "count": 1, "total": "100000.00"}]


def test_a_year_with_nothing_in_it_is_all_zeros(session, year_books):
    f = annual_figures(session, 2023)
    assert f["income"]["total"]["total"] == f["spending"]["total"] == "0.00"
    assert f["grants"]["largest"] == [] and f["related_parties"]["count"] == 0
    assert [r["met"] for r in f["ratios"]["rules"]] == [None, None]


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(m.AnnualReport))


def test_a_submission_is_stored_as_laid_out_and_never_changed(session, year_books):
    row = submit_annual_report(session, MANAGER, YEAR, audit_reference="鲁信会计师事务所 鲁信审字〔2026〕第12号")
    session.commit()
    pdf, sha = svc.stored_file(session, row, "pdf")
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == sha == row.pdf_sha256
    assert annual_file(session, YEAR, "pdf", generated_by="x")[:2] == (pdf, sha)
    xlsx, xsha = svc.stored_file(session, row, "xlsx")
    assert hashlib.sha256(xlsx).hexdigest() == xsha
    assert json.loads(row.figures) == annual_figures(session, YEAR, audit_reference=row.audit_reference)
    assert year_figures(session, YEAR)["state"] == "submitted"
    log = session.scalars(select(m.AuditLog).where(m.AuditLog.action == "annual_report.submit")).all()
    assert len(log) == 1 and json.loads(log[0].detail)["pdf_sha256"] == sha
    for statement in ("UPDATE annual_reports SET audit_reference = 'x'", "UPDATE annual_reports SET pdf_sha256 = 'x'",
                      "DELETE FROM annual_reports"):
        with pytest.raises(DBAPIError):
            with session.begin_nested():
                session.execute(text(statement))
    session.rollback()
    assert session.get(m.AnnualReport, row.id).audit_reference.startswith("鲁信")


def test_the_same_figures_at_the_same_moment_give_the_same_xlsx(session, year_books):
    f = annual_figures(session, YEAR)
    at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    one = render_annual_xlsx(f, draft=False, generated_at=at, generated_by="manager")
    assert render_annual_xlsx(f, draft=False, generated_at=at, generated_by="manager") == one
    assert render_annual_xlsx(f, draft=False, generated_at=at.replace(hour=3), generated_by="manager") != one


def test_the_xlsx_reads_back_as_the_figures(session, year_books):
    row = submit_annual_report(session, MANAGER, YEAR)
    wb = openpyxl.load_workbook(io.BytesIO(svc.stored_file(session, row, "xlsx")[0]))
    assert wb.sheetnames == ["基本信息", "收入", "支出", "比例", "重大项目", "关联交易"]
    assert wb.properties.modified.isoformat()[:19] == row.submitted_at[:19]

    def value(sheet, label):
        ws = wb[sheet]
        assert str(YEAR) in ws["A1"].value and "张店区" in ws["A1"].value
        found = [r for r in ws.iter_rows(min_row=4) if r[0].value == label]
        assert found, (sheet, label)
        cell = found[0][1]
        assert cell.data_type == "n" and cell.number_format == "#,##0.00"
        return Decimal(str(cell.value)).quantize(Decimal("0.01"))

    assert value("收入", "捐赠收入") == Decimal("105000.00")
    assert value("收入", "  其中：个人捐赠") == Decimal("5000.00")
    assert value("支出", "费用合计（总支出）") == Decimal("30120.00")
    assert value("支出", "管理费用") == Decimal("120.00")
    assert value("比例", "2024年总收入（比例基数）") == Decimal("10000.00")
    assert value("重大项目", "筑仁成长公益服务中心") == Decimal("20000.00")
    assert value("关联交易", "关联交易合计金额") == Decimal("100000.00")
    assert value("基本信息", "年末净资产") == Decimal("84880.00")
    assert not [c for ws in wb for r in ws.iter_rows() for c in r if isinstance(c.value, str) and c.value.startswith("=")]


def test_a_second_submission_needs_a_reason_and_replaces_the_first(session, year_books):
    first = submit_annual_report(session, MANAGER, YEAR)
    with pytest.raises(Conflict) as refused:
        submit_annual_report(session, MANAGER, YEAR)
    assert refused.value.errors["reason"][0].code == "annual.reason" and _count(session) == 1
    second = submit_annual_report(session, MANAGER, YEAR, reason="补记一笔12月的捐赠")
    assert second.replaces_id == first.id and second.reason == "补记一笔12月的捐赠"
    assert svc.current_report(session, YEAR).id == second.id and svc.replaced_by(session, first.id) == second.id
    years = {y["year"]: y for y in svc.list_years(session)}
    assert years[YEAR]["state"] == "submitted" and years[YEAR]["current"]["id"] == second.id
    assert [h["id"] for h in years[YEAR]["history"]] == [first.id]
    assert years[2024]["state"] == "draft"


@pytest.mark.parametrize("year, code", [(0, "annual.year"), (99999, "annual.year"), (True, "annual.year")])
def test_a_bad_year_is_named_and_nothing_is_written(session, year_books, year, code):
    with pytest.raises(InvalidInput) as refused:
        submit_annual_report(session, MANAGER, year)
    assert refused.value.errors["year"][0].code == code and _count(session) == 0


@pytest.mark.parametrize("year", [TODAY.year, TODAY.year + 1])
def test_a_year_not_ended_is_refused(session, year_books, year):
    with pytest.raises(RuleBroken) as refused:
        submit_annual_report(session, MANAGER, year)
    assert refused.value.code == "year_not_ended" and refused.value.errors["year"][0].code == "annual.not_ended"
    with pytest.raises(RuleBroken):
        annual_file(session, year, "pdf", generated_by="x")
    assert _count(session) == 0


def test_too_long_a_reference_or_reason_and_the_wrong_role(session, year_books):
    with pytest.raises(InvalidInput) as refused:
        submit_annual_report(session, MANAGER, YEAR, audit_reference="审" * 201, reason="x" * 301)
    assert set(refused.value.errors) == {"audit_reference", "reason"}
    with pytest.raises(Forbidden):
        submit_annual_report(session, AUDITOR, YEAR)
    with pytest.raises(Forbidden):
        svc.publish_submitted(session, AUDITOR, YEAR)
    assert _count(session) == 0


def test_publishing_puts_the_submitted_bytes_on_the_calendar(session, year_books, set_today):
    set_today(date(2026, 3, 1))  # before the due date (31 May): the duty is done on time
    with pytest.raises(RuleBroken) as refused:
        svc.publish_submitted(session, MANAGER, YEAR)
    assert refused.value.code == "not_submitted"
    row = submit_annual_report(session, MANAGER, YEAR)
    item = svc.publish_submitted(session, MANAGER, YEAR)
    pdf = svc.stored_file(session, row, "pdf")[0]
    assert item.kind == "annual_report" and item.duty == f"annual_report:{YEAR}" and item.sha256 == row.pdf_sha256
    assert disclosures.verify_file(session, pdf)["genuine"] is True
    changed = pdf[:len(pdf) // 2] + bytes([pdf[len(pdf) // 2] ^ 1]) + pdf[len(pdf) // 2 + 1:]
    assert disclosures.verify_file(session, changed)["genuine"] is False
    states = {s.duty.key: s for s in disclosures.disclosure_calendar(session, date(2026, 3, 1))}
    assert states[f"annual_report:{YEAR}"].item_ref == f"item:{item.id}"
    assert states[f"annual_report:{YEAR}"].state == "done"
    with pytest.raises(Conflict):
        svc.publish_submitted(session, MANAGER, YEAR)
    again = submit_annual_report(session, MANAGER, YEAR, reason="更正")
    correction = svc.publish_submitted(session, MANAGER, YEAR)
    assert correction.corrects_id == item.id and correction.sha256 == again.pdf_sha256


def test_a_related_donor_anonymous_on_the_gift_is_not_named_in_the_published_report(session, manager, year_books,
                                                                                     tmp_path):
    """The annual work report is published (信息公开): a related party's gift the donor asked to keep anonymous is
    listed under the name the donor chose to be shown by, in the figures, the PDF and the XLSX."""
    import subprocess

    donor = create_donor(session, manager, name="欧阳秘书长", kind="person", display_name="一位理事会成员",
                         related_party=True, related_note="秘书长")
    record_donation(session, manager, Gift(donor.id, GEN, Y("1288.50"), date(2025, 5, 4), "wechat", anonymous=True),
                    today=TODAY)
    figures = annual_figures(session, YEAR)
    shown = [(t["party"], t["counterparty"], t["amount"]) for t in figures["related_parties"]["transactions"]]
    assert ("一位理事会成员", "一位理事会成员", "1288.50") in shown
    row = submit_annual_report(session, MANAGER, YEAR, today=TODAY)
    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    pdf.write_bytes(svc.stored_file(session, row, "pdf")[0])
    xlsx.write_bytes(svc.stored_file(session, row, "xlsx")[0])
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    cells = " ".join(str(c.value) for ws in openpyxl.load_workbook(xlsx).worksheets for r in ws.iter_rows() for c in r)
    assert "一位理事会成员" in "".join(words.split()) and "一位理事会成员" in cells
    assert "欧阳" not in words and "欧阳" not in cells
