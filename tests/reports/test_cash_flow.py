"""现金流量表 (会民非03, cash-flow) on the demo story, on small ledgers built with the services and on a
generated year: its net increase is closing less opening cash (1001, 1002, 1009), the 资产负债表's change
in 货币资金, and hledger's reading of our export; the SQL sums agree with the pure classifier entry by
entry; the edge cases land on the lines 会民非03 practice puts them on."""
from __future__ import annotations

import json
import random
import shutil
import subprocess
from datetime import date, timedelta

import pytest

from fund_ledger.db import models as m
from fund_ledger.db import repository as repo
from fund_ledger.db.engine import read_session
from fund_ledger.ledger import statements as ls
from fund_ledger.ledger.accounts import GENERAL_FUND_CODE as GEN
from fund_ledger.ledger.entries import EntryCode, EntryDraft, Posting, format_number
from fund_ledger.ledger.statements import cash_flow as cf
from fund_ledger.reports import statement_render as render
from fund_ledger.reports import statements as st
from fund_ledger.services.donations import refund_donation
from fund_ledger.services.funds import create_fund
from fund_ledger.services.ledger import post_entries, post_entry, reverse_entry
from tests.conftest import IN_CI, TODAY
from tests.reports.test_export import export_to, hledger_csv, per_account, require_tool
from tests.reports.test_statements import Books, Y


def cash_at(session, day: date, fund_id=None) -> int:
    """货币资金 of the 资产负债表 at the end of ``day``."""
    return st.financial_position(session, day, fund_id, today=TODAY).end_.lines["cash"]


def lines(report: st.CashFlow) -> dict[str, int]:
    return {x.key: now for x, now, _before in report.lines if now is not None}


def nonzero(report: st.CashFlow) -> dict[str, int]:
    return {k: v for k, v in lines(report).items() if v and cf.LINE[k].kind not in ("in_total", "out_total", "net")}


def by_entry(session, start: date, end: date, fund: str | None = None) -> dict[str, int]:
    """The figure lines recomputed in Python, entry by entry, with the pure classifier (small ledgers only)."""
    total = {k: 0 for k in cf.route([])}
    codes: dict[int, str] = {}
    for entry in repo.iter_entries(session):
        codes[entry.seq] = entry.code.value  # (an original comes before its reversal)
        if not start <= entry.accounting_date <= end:
            continue
        postings = [(p.account, p.debit, p.credit) for p in entry.postings if fund is None or p.fund == fund]
        kind = cf.entry_kind(entry.code.value, codes.get(entry.reverses))
        for k, v in cf.classify_entry(postings, kind).items():
            total[k] += v
    return total


def check(session, start: date, end: date, fund_id=None, fund=None, *, entry_by_entry=True) -> st.CashFlow:
    report = st.cash_flow(session, start, end, fund_id)
    opening, closing = cash_at(session, start - timedelta(days=1), fund_id), cash_at(session, end, fund_id)
    assert (report.opening_cash, report.closing_cash) == (opening, closing)
    assert report.net_change == closing - opening == report.current.figures.net_change
    assert ls.cash_flow.signed_total({k: v for k, v in lines(report).items()
                                      if cf.LINE[k].kind in ("inflow", "outflow", "opening")}) == report.net_change
    if entry_by_entry:
        routed = {k: v for k, v in lines(report).items() if v and cf.LINE[k].kind in ("inflow", "outflow", "opening")}
        assert routed == {k: v for k, v in by_entry(session, start, end, fund).items() if v}
    return report


def hledger_cash_change(session, tmp_path, start: date, end: date) -> tuple[int, int]:
    """(cash at the start, change over the period) over 1001, 1002, 1009 as hledger reads our ledger export:
    ``hledger -f FILE balance --flat -e FROM`` and ``-b FROM -e TO+1`` (hledger's end date is exclusive)."""
    hledger = require_tool("hledger")
    path = tmp_path / "books.journal"
    export_to(session, "ledger", path)

    def cash(*args) -> int:
        totals = per_account(session, hledger_csv(hledger, path, "--flat", *args))
        return sum(v for code, v in totals.items() if ls.is_cash(code))

    return cash("-e", start.isoformat()), cash("-b", start.isoformat(), "-e", (end + timedelta(days=1)).isoformat())


# --- the demo story -----------------------------------------------------------------------------------

def test_the_demo_year(demo_db, engine, tmp_path):
    with read_session(engine) as session:
        report = check(session, date(2026, 1, 1), TODAY)
        assert report.opening_cash == 0 and report.net_change > 0
        got = nonzero(report)
        assert got["donations"] == Y("151288.50") and got["grants_paid"] > 0
        assert got["net_change"] == report.closing_cash == cash_at(session, TODAY)
        assert hledger_cash_change(session, tmp_path, date(2026, 1, 1), TODAY) == (0, report.net_change)
        september = check(session, date(2026, 9, 1), date(2026, 9, 30))
        assert hledger_cash_change(session, tmp_path, date(2026, 9, 1), date(2026, 9, 30)) == (
            september.opening_cash, september.net_change)
        for fund in session.query(m.Fund).all():
            check(session, date(2026, 1, 1), TODAY, fund.id, fund.code)


# --- edge cases ---------------------------------------------------------------------------------------

def test_a_year_with_no_activity_is_all_zero_and_still_prints(session, tmp_path, poppler):
    report = check(session, date(2025, 1, 1), date(2025, 12, 31))
    assert set(lines(report).values()) == {0} and report.opening_cash == report.closing_cash == 0
    pdf = tmp_path / "empty.pdf"
    pdf.write_bytes(render.render_cash_flow_pdf(report))
    text = pdf_text(pdf)
    assert "现金流量表" in text and "会民非03表" in text and "五、现金及现金等价物净增加额" in text


def test_a_transfer_between_cash_accounts_is_not_a_flow(session, manager):
    b = Books(session, manager)
    b.give(GEN, "5000", date(2026, 3, 1))
    post_entry(session, manager, EntryDraft(date(2026, 3, 2), EntryCode.MANUAL, "银行转入支付宝", (
        Posting("1009", GEN, debit=Y("2000")), Posting("1002", GEN, credit=Y("2000")))), today=TODAY)
    march = check(session, date(2026, 3, 2), date(2026, 3, 31))
    assert march.net_change == 0 and set(lines(march).values()) == {0}
    assert nonzero(check(session, date(2026, 1, 1), TODAY)) == {"donations": Y("5000"), "net_change": Y("5000")}


def test_a_grant_paid_and_partly_returned_next_year(session, manager):
    b = Books(session, manager)
    b.give("AILILIANG", "100000", date(2025, 11, 1))
    b.pay("AILILIANG", "30000", date(2025, 12, 20))
    b.give_back("AILILIANG", "2500", date(2026, 1, 10))
    last = check(session, date(2025, 1, 1), date(2025, 12, 31))
    assert nonzero(last) == {"donations": Y("100000"), "grants_paid": Y("30000"), "net_change": Y("70000")}
    this = check(session, date(2026, 1, 1), TODAY)
    # the return is new cash coming in this year, not a smaller grant: 收到的其他与业务活动有关的现金
    assert nonzero(this) == {"other_operating_in": Y("2500"), "net_change": Y("2500")}
    whole = check(session, date(2026, 1, 1), date(2026, 12, 31))  # 上年金额: the same dates a year earlier
    assert whole.previous.figures.lines["grants_paid"] == Y("30000") and whole.previous.closing_cash == Y("70000")
    assert (this.opening_cash, this.closing_cash) == (Y("70000"), Y("72500"))
    check(session, date(2026, 1, 1), TODAY, b.fund_id, "AILILIANG")


def test_a_refunded_gift_lowers_donations_received(session, manager):
    b = Books(session, manager)
    b.give(GEN, "5000", date(2026, 3, 1))
    gift = b.give(GEN, "800", date(2026, 3, 5), "wechat")
    refund_donation(session, manager, gift.id, "捐赠人要求退回", on=date(2026, 4, 2), today=TODAY)
    april = check(session, date(2026, 4, 1), date(2026, 4, 30))
    # Practice (and our 业务活动表, which nets refunds out of 捐赠收入): a negative 接受捐赠收到的现金.
    assert nonzero(april) == {"donations": -Y("800"), "net_change": -Y("800")}
    assert nonzero(check(session, date(2026, 1, 1), TODAY)) == {"donations": Y("5000"), "net_change": Y("5000")}


def test_opening_balances_and_other_counter_accounts(session, manager):
    post_entry(session, manager, EntryDraft(date(2026, 1, 1), EntryCode.OPENING, "期初余额", (
        Posting("1002", GEN, debit=Y("9000")), Posting("3101", GEN, credit=Y("9000")))), today=TODAY)
    post_entry(session, manager, EntryDraft(date(2026, 2, 1), EntryCode.MANUAL, "购置电脑", (
        Posting("1501", GEN, debit=Y("4000")), Posting("1002", GEN, credit=Y("4000")))), today=TODAY)
    post_entry(session, manager, EntryDraft(date(2026, 2, 2), EntryCode.MANUAL, "计提办公费", (
        Posting("5201", GEN, debit=Y("300")), Posting("2202", GEN, credit=Y("300")))), today=TODAY)
    post_entry(session, manager, EntryDraft(date(2026, 2, 20), EntryCode.MANUAL, "支付办公费", (
        Posting("2202", GEN, debit=Y("300")), Posting("1002", GEN, credit=Y("300")))), today=TODAY)
    report = check(session, date(2026, 1, 1), TODAY)
    assert nonzero(report) == {"opening_balances": Y("9000"), "fixed_assets_paid": Y("4000"),
                               "purchases_paid": Y("300"), "net_change": Y("4700")}
    assert lines(report)["investing_net"] == -Y("4000") and lines(report)["operating_net"] == -Y("300")
    assert nonzero(check(session, date(2026, 2, 1), TODAY)) == {
        "fixed_assets_paid": Y("4000"), "purchases_paid": Y("300"), "net_change": -Y("4300")}


def test_a_reversed_opening_balance_nets_against_the_opening_line(session, manager):
    """期初余额 typed wrong and taken back: no cash flowed either time, so neither is a line of the form."""
    wrong = post_entry(session, manager, EntryDraft(date(2026, 1, 1), EntryCode.OPENING, "期初余额", (
        Posting("1002", GEN, debit=Y("9000")), Posting("3101", GEN, credit=Y("9000")))), today=TODAY)
    post_entry(session, manager, EntryDraft(date(2026, 1, 1), EntryCode.OPENING, "期初余额（更正）", (
        Posting("1002", GEN, debit=Y("8000")), Posting("3101", GEN, credit=Y("8000")))), today=TODAY)
    reverse_entry(session, manager, wrong.number, "期初余额录错", accounting_date=date(2026, 2, 3), today=TODAY)
    Books(session, manager).give(GEN, "500", date(2026, 2, 5))
    assert nonzero(check(session, date(2026, 1, 1), TODAY)) == {
        "opening_balances": Y("8000"), "donations": Y("500"), "net_change": Y("8500")}
    # the reversal's own month: the opening line goes negative, 其他与业务活动有关的现金 stays empty
    february = check(session, date(2026, 2, 1), date(2026, 2, 28))
    assert nonzero(february) == {"opening_balances": -Y("9000"), "donations": Y("500"), "net_change": -Y("8500")}
    assert lines(february)["operating_net"] == Y("500")


# --- a generated year -----------------------------------------------------------------------------------

def generate_year(session, manager, gifts: int = 5_000, grants: int = 100, seed: int = 13) -> None:
    """A year of books: gifts by bank, cash and WeChat into the general and a restricted fund, grants from
    both (the restricted ones released), returns of grant money, refunds, transfers between cash accounts,
    office costs accrued and paid, a fixed asset. Posted in batches through ``post_entries``."""
    create_fund(session, manager, code="AILILIANG", name="爱力量", restricted=True, purpose="困境儿童")
    rng = random.Random(seed)
    first = date(2026, 1, 1)
    drafts = []
    for i in range(gifts):
        fund = "AILILIANG" if i % 4 == 0 else GEN
        cash = rng.choice(("1001", "1002", "1002", "1009"))
        fen = rng.randint(100_00, 10_000_00)
        drafts.append(EntryDraft(first + timedelta(days=i % 300), EntryCode.DONATION, f"捐赠 {i}",
                                 (Posting(cash, fund, debit=fen), Posting("4101", fund, credit=fen))))
    drafts.sort(key=lambda d: d.accounting_date)
    for i in range(grants):
        fund, fen = ("AILILIANG" if i % 2 else GEN), rng.randint(1_000_00, 20_000_00)
        lines_ = [Posting("5101", fund, debit=fen), Posting("1002", fund, credit=fen)]
        if fund == "AILILIANG":
            lines_ += [Posting("3102", fund, debit=fen), Posting("3101", fund, credit=fen)]
        day = date(2026, 11, 1) + timedelta(days=i % 19)
        drafts.append(EntryDraft(day, EntryCode.DISBURSEMENT, f"拨付 {i}", tuple(lines_)))
        if i % 5 == 0:
            back = fen // 10
            lines_ = [Posting("1002", fund, debit=back), Posting("5101", fund, credit=back)]
            if fund == "AILILIANG":
                lines_ += [Posting("3101", fund, debit=back), Posting("3102", fund, credit=back)]
            drafts.append(EntryDraft(day + timedelta(days=5), EntryCode.RETURN, f"退回 {i}", tuple(lines_)))
    for month in range(1, 12):
        day = date(2026, month, 15)
        drafts += [
            EntryDraft(day, EntryCode.MANUAL, "银行转入微信", (Posting("1009", GEN, debit=500_00),
                                                         Posting("1002", GEN, credit=500_00))),
            EntryDraft(day, EntryCode.MANUAL, "计提办公费", (Posting("5201", GEN, debit=321_00),
                                                        Posting("2202", GEN, credit=321_00))),
            EntryDraft(day + timedelta(days=3), EntryCode.MANUAL, "支付办公费", (Posting("2202", GEN, debit=321_00),
                                                                          Posting("1002", GEN, credit=321_00))),
        ]
    drafts.append(EntryDraft(date(2026, 6, 1), EntryCode.MANUAL, "购置电脑", (
        Posting("1501", GEN, debit=8_000_00), Posting("1002", GEN, credit=8_000_00))))
    drafts.sort(key=lambda d: d.accounting_date)
    for lo in range(0, len(drafts), 2_000):
        post_entries(session, manager, drafts[lo:lo + 2_000], today=TODAY)
    # refunds: reversals of a few gifts, a month after each
    refunded = session.query(m.Entry).filter(m.Entry.code == "donation").order_by(m.Entry.id).limit(30).all()
    for row in refunded:
        reverse_entry(session, manager, format_number(row.year, row.year_seq), "退捐",
                      accounting_date=row.accounting_date + timedelta(days=30), today=TODAY)
    session.flush()


@pytest.mark.slow
def test_a_generated_year(session, manager, tmp_path):
    generate_year(session, manager)
    year = check(session, date(2026, 1, 1), TODAY, entry_by_entry=False)
    got = lines(year)
    assert got["grants_paid"] > 0 and got["other_operating_in"] > 0 and got["purchases_paid"] == 11 * 321_00
    assert got["fixed_assets_paid"] == 8_000_00 and got["donations"] > 0
    assert hledger_cash_change(session, tmp_path, date(2026, 1, 1), TODAY) == (0, year.net_change)
    # the SQL's netting per entry and class equals the classifier's, entry by entry (once, over the year)
    routed = {k: v for k, v in got.items() if cf.LINE[k].kind in ("inflow", "outflow", "opening")}
    assert {k: v for k, v in routed.items() if v} == {k: v for k, v in by_entry(session, date(2026, 1, 1), TODAY).items()
                                                      if v}
    for start, end in ((date(2026, 2, 1), date(2026, 2, 28)), (date(2026, 11, 1), date(2026, 11, 20))):
        part = check(session, start, end, entry_by_entry=False)
        assert hledger_cash_change(session, tmp_path, start, end) == (part.opening_cash, part.net_change)
    fund_id = session.query(m.Fund.id).filter(m.Fund.code == "AILILIANG").scalar()
    check(session, date(2026, 1, 1), TODAY, fund_id, entry_by_entry=False)


# --- the formats ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def poppler():
    if shutil.which("pdftotext") is None:
        if IN_CI:
            pytest.fail("pdftotext is required in CI")
        pytest.skip("pdftotext is not installed")


def pdf_text(path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


def test_json_csv_and_pdf(session, manager, tmp_path, poppler):
    b = Books(session, manager)
    b.give(GEN, "5000", date(2026, 3, 1))
    b.fee("120", date(2026, 3, 16))
    report = st.cash_flow(session, date(2026, 1, 1), TODAY)
    body = json.loads(json.dumps(render.cash_flow_json(report)))
    assert (body["opening_cash"], body["closing_cash"], body["net_change"]) == ("0.00", "4880.00", "4880.00")
    by_line = {x["line"]: x for x in body["lines"]}
    assert by_line["donations"]["amount"] == "5000.00" and by_line["purchases_paid"]["amount"] == "120.00"
    assert by_line["net_change"]["amount"] == body["net_change"] and by_line["fx"]["amount"] == "0.00"
    csv_text = render.cash_flow_csv(report)
    assert csv_text.splitlines()[0] == "line,name,name_en,amount,previous_year"
    assert "net_change,五、现金及现金等价物净增加额,Net increase in cash and cash equivalents,4880.00,0.00" in csv_text
    pdf = tmp_path / "cf.pdf"
    pdf.write_bytes(render.render_cash_flow_pdf(report))
    text = pdf_text(pdf)
    assert "现金流量表" in text and "会民非03表" in text and "本年金额" in text and "上年金额" in text
    assert "五、现金及现金等价物净增加额" in text and "4,880.00" in text


def test_the_api_and_the_page(client, api_token, login):
    headers = {"Authorization": f"Bearer {api_token('auditor')}"}
    body = client.get("/api/v1/reports/cash-flow?from=2026-01-01&to=2026-11-27", headers=headers).get_json()
    assert body["report"] == "cash-flow" and body["opening_cash"] == "0.00"
    assert body["net_change"] == body["closing_cash"] == {x["line"]: x for x in body["lines"]}["net_change"]["amount"]
    fp = client.get("/api/v1/reports/financial-position?as_of=2026-11-27", headers=headers).get_json()
    assert {x["line"]: x for x in fp["lines"]}["cash"]["end"] == body["closing_cash"]
    bad = client.get("/api/v1/reports/cash-flow?as_of=2026-11-27", headers=headers)
    assert bad.status_code == 400 and "as_of" in json.dumps(bad.get_json())
    page = login("auditor").get("/reports/cash-flow?from=2026-01-01&to=2026-11-27")
    assert page.status_code == 200 and "现金流量表" in page.get_data(as_text=True)
