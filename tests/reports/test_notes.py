"""会计报表附注 (the report ``notes``) on a small ledger built with the services, on both databases: its tables agree
with the 资产负债表 and the 业务活动表 (restricted net assets by fund at both dates and in the restricted column;
donations by source adding up to 捐赠收入), a fund opened and closed within the year shows from zero to zero, a
related-party donor anonymous to the public is named (the notes are for the auditor), a year with no activity
prints zeros and a sentence, the period must be one whole year, and the PDF prints Chinese and prints markup in
the manager's texts as text."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date

import pytest
from sqlalchemy import text

from fund_ledger.db import models as m
from fund_ledger.ledger.entries import EntryCode, EntryDraft, Posting
from fund_ledger.reports import notes_render
from fund_ledger.reports import statements as st
from fund_ledger.reports.catalogue import Query, build
from fund_ledger.services import disbursements as d
from fund_ledger.services import related_parties as rp
from fund_ledger.services import report_texts
from fund_ledger.services.actor import Actor
from fund_ledger.services.donations import Gift, create_donor, record_donation, refund_donation
from fund_ledger.services.errors import InvalidInput
from fund_ledger.services.funds import add_sub_account, create_fund
from fund_ledger.services.ledger import post_entry
from fund_ledger.services.organisations import create_organisation
from tests.conftest import IN_CI, TODAY
from tests.reports.test_statements import GEN, Books, Y

MANAGER2 = Actor("manager2", "manager")
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def _grant(session, manager, org, fund: str, amount: str, paid_on: date, returned: str | None = None,
           returned_on: date | None = None):
    grantee = Actor("grantee", "grantee", org.id)
    row = d.submit(session, grantee, organisation_id=org.id, fund=fund, amount=Y(amount), purpose="困境儿童帮扶",
                   today=TODAY)
    d.approve(session, manager, row.id)
    if row.status == "submitted":
        d.approve(session, MANAGER2, row.id)
    d.pay(session, manager, row.id, paid_on=paid_on, reference=f"HD-{row.id}", today=TODAY)
    if returned:
        d.acknowledge(session, grantee, row.id, received_on=paid_on, today=TODAY)
        spent = Y(amount) - Y(returned)
        d.submit_report(session, grantee, row.id, spent=spent, returned=Y(returned), narrative="余款退回",
                        lines=[{"item": "学习用品", "amount": spent}])
        d.receive_report(session, manager, row.id, returned_on=returned_on, return_reference=f"TH-{row.id}",
                         today=TODAY)
    return row


@pytest.fixture
def ledger(session, manager):
    """Last year: a restricted gift. This year: gifts from a person (a related party, anonymous to the public) and an
    organisation, a refund, a manual 捐赠收入 entry, grants (one returned in part), a fund opened and closed, a fee."""
    b = Books(session, manager)
    s = session
    b.give("AILILIANG", "50000", date(2025, 11, 3))                       # opening restricted net assets
    officer = create_donor(s, manager, name="王理事", kind="person")
    rp.register(s, manager, name="", kind="person", relation="理事", donor_id=officer.id)
    gift = lambda donor, fund, amount, on, anonymous=False: record_donation(  # noqa: E731
        s, manager, Gift(donor, fund, Y(amount), on, "bank", anonymous=anonymous), today=TODAY)
    gift(officer.id, "AILILIANG", "20000", date(2026, 3, 2), anonymous=True)   # related, anonymous to the public
    refunded = gift(officer.id, GEN, "800", date(2026, 3, 9))
    refund_donation(s, manager, refunded.id, "捐赠人要求退回", on=date(2026, 4, 1), today=TODAY)
    b.give("AILILIANG", "100000", date(2026, 9, 8))                      # an organisation's gift
    stranger = create_donor(s, manager, name="路人甲", kind="person")
    gift(stranger.id, GEN, "1288.50", date(2026, 9, 26))
    post_entry(s, manager, EntryDraft(date(2026, 6, 30), EntryCode.MANUAL, "银行利息误记捐赠收入（待调整）", (
        Posting("1002", GEN, debit=Y("12.34")), Posting("4101", GEN, credit=Y("12.34")))), today=TODAY)
    org = create_organisation(s, manager, name="筑仁成长公益服务中心", credit_code="52370303MJD123451B")
    _grant(s, manager, org, "AILILIANG", "30000", date(2026, 10, 20), returned="2500", returned_on=date(2026, 11, 20))
    # a fund opened and closed within the year: its gift all paid out, then closed
    create_fund(s, manager, code="TONGMENG", name="童梦童行", restricted=True, purpose="暑期课堂")
    b.donor_tm = gift(stranger.id, "TONGMENG", "6000", date(2026, 5, 6))
    _grant(s, manager, org, "TONGMENG", "6000", date(2026, 7, 1))
    s.execute(text("UPDATE funds SET closed_on = :d WHERE code = 'TONGMENG'"), {"d": date(2026, 8, 31)})
    b.fee("120", date(2026, 11, 16))  # (on 5201 itself, before it has sub-accounts)
    add_sub_account(s, manager, parent="5201", code="5201.01", name="管理费用-银行手续费", name_en="Bank charges")
    post_entry(s, manager, EntryDraft(date(2026, 11, 17), EntryCode.MANUAL, "银行手续费", (
        Posting("5201.01", GEN, debit=Y("35")), Posting("1002", GEN, credit=Y("35")))), today=TODAY)
    s.flush()
    b.officer, b.org = officer, org
    return b


def _notes(session, year=2026) -> st.Notes:
    return st.notes(session, year, today=TODAY)


def test_restricted_net_assets_by_fund_agree_with_both_statements(ledger, session):
    n = _notes(session)
    rows = {r.fund.code: r for r in n.restricted}
    assert set(rows) == {"AILILIANG", "TONGMENG"}  # the general fund holds no restricted net assets
    ail = rows["AILILIANG"]
    assert (ail.opening, ail.received, ail.released, ail.other, ail.closing) == (
        Y("50000"), Y("120000"), Y("30000") - Y("2500"), 0, Y("50000") + Y("120000") - Y("27500"))
    # 资产负债表: restricted net assets at the start and the end of the year
    fp = st.financial_position(session, date(2026, 12, 31), today=TODAY)
    assert n.restricted_total.opening == fp.begin.net_assets.restricted == Y("50000")
    assert n.restricted_total.closing == fp.end_.net_assets.restricted
    # 业务活动表: the restricted column's income and release
    a = st.activities(session, *YEAR)
    assert n.restricted_total.received == a.income_total.restricted
    assert n.restricted_total.released == -a.release.restricted == a.release.unrestricted
    # and fund by fund, each fund's own statements
    for r in n.restricted:
        own = st.financial_position(session, date(2026, 12, 31), r.fund.id, today=TODAY)
        assert (r.opening, r.closing) == (own.begin.net_assets.restricted, own.end_.net_assets.restricted)
        assert r.opening + r.received - r.released + r.other == r.closing


def test_a_fund_opened_and_closed_within_the_year_goes_from_zero_to_zero(ledger, session):
    tm = {r.fund.code: r for r in _notes(session).restricted}["TONGMENG"]
    assert (tm.opening, tm.received, tm.released, tm.closing) == (0, Y("6000"), Y("6000"), 0)
    # the next year it is closed and empty: not listed
    assert "TONGMENG" not in {r.fund.code for r in _notes(session, 2027).restricted}


def test_donations_by_source_add_up_to_the_donation_income_of_the_statement_of_activities(ledger, session):
    n = _notes(session)
    by = {s.kind: s for s in n.sources}
    assert (by["person"].received, by["person"].refunded) == (Y("20000") + Y("800") + Y("1288.50") + Y("6000"), Y("800"))
    assert (by["organisation"].received, by["organisation"].refunded) == (Y("100000"), 0)
    assert by["other"].net == Y("12.34")  # 捐赠收入 entered without a gift record is shown, not lost
    # of which related parties: the officer's gift and the refund of the other one
    assert by["person"].related_net == Y("20000") + Y("800") - Y("800") and by["organisation"].related_net == 0
    related_gifts = sum(t.amount for t in rp.transactions(session, *YEAR) if t.kind in ("gift", "refund"))
    assert n.source_total.related_net == related_gifts
    a = st.activities(session, *YEAR)
    donations = dict((s.key, c) for s, c in a.income)["donations"]
    assert n.source_total.net == donations.total == n.donation_income.total
    # last year's gift is last year's
    assert {s.kind: s.net for s in _notes(session, 2025).sources} == {"person": 0, "organisation": Y("50000")}


def test_grants_management_costs_and_related_party_transactions(ledger, session):
    n = _notes(session)
    assert [(g.name, g.grants, g.paid, g.returned, g.net) for g in n.grants] == [
        ("筑仁成长公益服务中心", 2, Y("36000"), Y("2500"), Y("33500"))]
    a = st.activities(session, *YEAR)
    management = dict((s.key, c) for s, c in a.expenses)["management"]
    assert [(c.code, c.amount) for c in n.management] == [("5201", Y("120")), ("5201.01", Y("35"))]
    assert n.management_costs == management.total == Y("155")
    assert n.related == tuple(rp.transactions(session, *YEAR))
    assert [(t.kind, t.party, t.amount) for t in n.related] == [
        ("gift", "王理事", Y("20000")), ("gift", "王理事", Y("800")), ("refund", "王理事", -Y("800"))]


def test_the_related_party_is_named_even_where_the_gift_was_anonymous(ledger, session):
    """The notes are for the auditor: the register's name is printed, anonymity to the public notwithstanding."""
    assert session.query(m.Donation).filter(m.Donation.anonymous.is_(True)).one().donor_id == ledger.officer.id
    data = notes_render.notes_json(_notes(session))
    assert {t["party"] for t in data["related_party_transactions"]} == {"王理事"}
    assert "王理事" in notes_render.notes_csv(_notes(session))


def test_a_year_with_no_activity_prints_zeros(ledger, session):
    n = _notes(session, 2024)
    assert n.quiet and n.related == () and n.grants == ()
    assert n.restricted_total.closing == 0 and n.source_total.net == 0 and n.management_costs == 0
    assert n.management_share == "—"
    data = notes_render.notes_json(n)
    assert data["donations_by_source"]["net"] == "0.00" and data["restricted_net_assets"]["total"]["closing"] == "0.00"
    empty_books = _notes(session, 2030)  # after the books, too
    assert empty_books.quiet is False  # (the restricted funds still hold their money: not a quiet year)
    assert empty_books.restricted_total.opening == empty_books.restricted_total.closing


def test_a_quiet_year_on_empty_books(session):
    n = _notes(session, 2026)
    assert n.quiet and n.restricted == () and n.grants == () and n.management == ()
    assert [(s.kind, s.net) for s in n.sources] == [("person", 0), ("organisation", 0)]
    pdf = notes_render.render_notes_pdf(n, generated_by="auditor", generated_at="2026-11-27T08:00:00Z")
    words = _pdf_text(pdf)
    assert "2026 年度没有业务活动" in words and "本年没有关联方交易" in words


@pytest.mark.parametrize("start, end, field", [
    (date(2026, 1, 1), date(2026, 11, 30), "to"),
    (date(2026, 2, 1), date(2026, 12, 31), "from"),
    (date(2025, 1, 1), date(2026, 12, 31), "to"),
])
def test_the_period_must_be_one_whole_year(session, start, end, field):
    with pytest.raises(InvalidInput) as refused:
        build(session, "notes", Query(start=start, end=end), today=TODAY)
    assert list(refused.value.errors) == [field] and refused.value.errors[field][0].code == "notes.whole_year"


def test_either_end_of_the_period_names_the_year(session):
    assert build(session, "notes", Query(start=date(2025, 1, 1)), today=TODAY).year == 2025
    assert build(session, "notes", Query(end=date(2025, 12, 31)), today=TODAY).year == 2025
    assert build(session, "notes", Query(), today=TODAY).year == 2026
    with pytest.raises(InvalidInput) as refused:
        build(session, "notes", Query(as_of=date(2026, 12, 31)), today=TODAY)
    assert "as_of" in refused.value.errors


def test_the_csv_holds_every_table_and_adds_up(ledger, session):
    n = _notes(session)
    rows = list(csv.DictReader(io.StringIO(notes_render.notes_csv(n))))
    tables = {r["table"] for r in rows}
    assert tables == {"restricted_net_assets", "donations_by_source", "grants_by_organisation", "management_costs",
                      "related_party_transactions"}
    net = {r["key"]: Y(r["amount"]) for r in rows if r["table"] == "donations_by_source" and r["figure"] == "net"}
    assert net["total"] == net["person"] + net["organisation"] + net["other"] == n.donation_income.total


# --- the PDF ---------------------------------------------------------------------------------------------------

def _pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        if IN_CI:
            pytest.fail("pdftotext (poppler-utils) is required in CI")
        pytest.skip("pdftotext (poppler-utils) not installed")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


MARKUP = "<script>alert(1)</script> 与 <b>加粗</b> 与 {{ 7*7 }}"


def test_the_pdf_prints_chinese_and_prints_markup_as_written(ledger, session, manager):
    report_texts.save(session, manager, 2026, "policies", "本基金执行《民间非营利组织会计制度》。\n" + MARKUP, today=TODAY)
    report_texts.save(session, manager, 2026, "events", "第一段：十月收到爱力量捐赠。\n\n第二段：童梦童行项目结束。", today=TODAY)
    n = _notes(session)
    pdf = notes_render.render_notes_pdf(n, generated_by="auditor", generated_at="2026-11-27T08:00:00Z")
    assert pdf.startswith(b"%PDF")
    words = _pdf_text(pdf)
    assert "会计报表附注" in words and "爱力量" in words and "童梦童行" in words and "王理事" in words
    # markup is text: shown with its brackets, not obeyed; no template expression evaluated
    assert "<script>alert(1)</script>" in words and "<b>加粗</b>" in words and "{{ 7*7 }}" in words
    # a paragraph per line, in order
    assert words.index("第一段") < words.index("第二段")
    assert "127,300.84" in words  # donation income, net: 20,000 + 1,288.50 + 6,000 + 100,000 + 12.34 (800 refunded)


def test_the_notes_go_through_the_catalogue_in_every_format(ledger, session):
    q = Query(start=date(2026, 1, 1), end=date(2026, 12, 31))
    report = build(session, "notes", q, today=TODAY, fmt="json")
    data = notes_render.notes_json(report)
    assert data["year"] == 2026 and data["from"] == "2026-01-01" and data["to"] == "2026-12-31"
    assert data["donations_by_source"]["net"] == data["donations_by_source"]["activities_donation_income"]["total"]
    assert data["restricted_net_assets"]["total"]["closing"] == data["restricted_net_assets"]["financial_position"]["end"]
    assert data["texts"] == {"policies": None, "events": None, "other": None}
