"""The statements of issue 6 on ledgers built with the services and on the demo story: they balance,
agree with each other and with the trial balance, honour their dates, put a restricted fund's gift and
its release in the right columns, and come back out of their CSV with the same numbers. PDFs are read
back with poppler (pdftotext, pdffonts, pdfinfo)."""
from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import date, timedelta
from fractions import Fraction

import pytest

from fund_ledger.config import parse_percent
from fund_ledger.db.engine import read_session
from fund_ledger.db import models as m
from fund_ledger.ledger import statements as ls
from fund_ledger.ledger.entries import EntryCode, EntryDraft, Posting
from fund_ledger.ledger.money import parse_amount
from fund_ledger.reports import statement_render as render
from fund_ledger.reports import text_pages
from fund_ledger.reports.statements.registers import _local_day, _utc_start
from fund_ledger.reports import statements as st
from fund_ledger.services.donations import Gift, create_donor, record_donation
from fund_ledger.services.errors import InvalidInput, NotFound
from fund_ledger.services.funds import create_fund
from fund_ledger.services.ledger import post_entry, reverse_entry
from tests.conftest import IN_CI, TODAY

Y = lambda text: parse_amount(text)  # noqa: E731
GEN = "GENERAL"
AT = "2026-11-27T08:00:00Z"


class Books:
    """A small ledger built through the services, with the amounts the tests expect kept beside it."""

    def __init__(self, session, manager):
        self.s, self.actor = session, manager
        self.fund = create_fund(session, manager, code="AILILIANG", name="爱力量", restricted=True, purpose="困境儿童")
        self.fund_id = session.query(m.Fund.id).filter(m.Fund.code == "AILILIANG").scalar()
        self.general_id = session.query(m.Fund.id).filter(m.Fund.code == GEN).scalar()
        self.donor = create_donor(session, manager, name="张店区女企业家协会", kind="organisation").id

    def give(self, fund, amount, on, channel="bank"):
        return record_donation(self.s, self.actor, Gift(self.donor, fund, Y(amount), on, channel), today=TODAY)

    def pay(self, fund, amount, on, restricted=True):
        lines = [Posting("5101", fund, debit=Y(amount)), Posting("1002", fund, credit=Y(amount))]
        if restricted:
            lines += [Posting("3102", fund, debit=Y(amount)), Posting("3101", fund, credit=Y(amount))]
        return post_entry(self.s, self.actor, EntryDraft(on, EntryCode.DISBURSEMENT, "拨付筑仁成长", tuple(lines)), today=TODAY)

    def give_back(self, fund, amount, on):
        """A grantee returns unspent money: Dr 1002 / Cr 5101, and the restriction comes back."""
        lines = (Posting("1002", fund, debit=Y(amount)), Posting("5101", fund, credit=Y(amount)),
                 Posting("3101", fund, debit=Y(amount)), Posting("3102", fund, credit=Y(amount)))
        return post_entry(self.s, self.actor, EntryDraft(on, EntryCode.RETURN, "退回未使用资助款", lines), today=TODAY)

    def fee(self, amount, on):
        return post_entry(self.s, self.actor, EntryDraft(on, EntryCode.MANUAL, "银行账户管理费", (
            Posting("5201", GEN, debit=Y(amount)), Posting("1002", GEN, credit=Y(amount)))), today=TODAY)


@pytest.fixture
def books(session, manager):
    b = Books(session, manager)
    b.give("AILILIANG", "100000", date(2026, 9, 8))
    b.give(GEN, "5000", date(2026, 9, 12))
    b.give(GEN, "1288.50", date(2026, 9, 26), "wechat")
    b.pay("AILILIANG", "30000", date(2026, 10, 20))
    b.fee("120", date(2026, 11, 16))
    session.flush()
    return b


# --- the columns ------------------------------------------------------------------------------------

def test_a_restricted_gift_and_its_release_land_in_the_right_columns(books, session):
    a = st.activities(session, date(2026, 1, 1), TODAY)
    income = dict((s.key, c) for s, c in a.income)
    expenses = dict((s.key, c) for s, c in a.expenses)
    assert income["donations"] == ls.Columns(Y("5000") + Y("1288.50"), Y("100000"))
    assert expenses["programme"] == ls.Columns(Y("30000"), 0)       # spent from the restricted fund, shown unrestricted
    assert expenses["management"] == ls.Columns(Y("120"), 0)
    assert a.release == ls.Columns(Y("30000"), -Y("30000"))         # the release moves between the columns
    assert a.release.total == 0
    assert a.net_change == ls.Columns(Y("5000") + Y("1288.50") - Y("120"), Y("70000"))
    assert a.other_changes == ls.Columns(0, 0)


def test_one_funds_activities_and_position(books, session):
    a = st.activities(session, date(2026, 1, 1), TODAY, books.fund_id)
    assert a.income_total == ls.Columns(0, Y("100000")) and a.expense_total.total == Y("30000")
    fp = st.financial_position(session, TODAY, books.fund_id, today=TODAY)
    assert fp.end_.net_assets == ls.NetAssets(0, Y("70000"))
    assert fp.end_.assets == Y("70000") == fp.end_.lines["cash"]


# --- the statements agree -----------------------------------------------------------------------------

def _agreement(session, start: date, end: date, today: date = TODAY):
    a = st.activities(session, start, end)
    before = st.financial_position(session, start - timedelta(days=1), today=today)
    after = st.financial_position(session, end, today=today)
    # the activities' net change is the change in net assets, column by column
    change = ls.Columns(after.end_.net_assets.unrestricted - before.end_.net_assets.unrestricted,
                        after.end_.net_assets.restricted - before.end_.net_assets.restricted)
    assert a.net_change + a.other_changes == change
    for fp in (before, after):
        assert fp.end_.assets == fp.end_.liabilities + fp.end_.net_assets.total
        assert fp.begin.assets == fp.begin.liabilities + fp.begin.net_assets.total
    # totals agree with the trial balance of the same date
    tb = st.trial_balance(session, end, today=today)
    assert after.end_.assets == sum(r.balance for r in tb.accounts if r.type == "asset")
    assert after.end_.lines["cash"] == sum(f.balance for f in tb.funds)
    assert a.income_total.total - a.expense_total.total == \
        sum(r.balance for r in tb.accounts if r.type == "income") - sum(r.balance for r in tb.accounts if r.type == "expense") \
        - (sum(r.balance for r in st.trial_balance(session, start - timedelta(days=1), today=today).accounts
               if r.type == "income") - sum(r.balance for r in st.trial_balance(session, start - timedelta(days=1), today=today).accounts if r.type == "expense"))
    # each fund's statement closes on the trial balance's figure for that fund
    balances = {f.code: f.balance for f in tb.funds}
    for fund_id, code in session.query(m.Fund.id, m.Fund.code):
        fs = st.fund_statement(session, fund_id, start, end, today=today)
        assert fs.balanced and fs.closing == balances[code]
        assert fs.opening == {f.code: f.balance for f in st.trial_balance(session, start - timedelta(days=1), today=today).funds}[code]
    # the journal of the period holds every posting of the period, and balances
    gj = st.general_journal(session, start, end)
    assert gj.total_debit == gj.total_credit
    return a, after


def test_the_statements_agree_on_a_ledger_built_with_the_services(books, session):
    _agreement(session, date(2026, 1, 1), TODAY)
    _agreement(session, date(2026, 10, 1), date(2026, 10, 31))


def test_the_statements_agree_on_the_demo_ledger(demo_db, engine):
    with read_session(engine) as session:
        a, fp = _agreement(session, date(2026, 1, 1), TODAY)
        assert a.other_changes == ls.Columns(0, 0)
        assert a.release.unrestricted > 0 and a.release.total == 0  # the demo pays grants from restricted funds
        _agreement(session, date(2026, 10, 1), date(2026, 11, 15))


def test_reversals_and_returns_in_the_fund_statement(books, session, manager):
    wrong = books.pay("AILILIANG", "5000", date(2026, 11, 1))
    reverse_entry(session, manager, wrong.number, "paid twice", accounting_date=date(2026, 11, 2), today=TODAY)
    books.give_back("AILILIANG", "2500", date(2026, 11, 20))
    fs = st.fund_statement(session, books.fund_id, date(2026, 1, 1), TODAY, today=TODAY)
    mv = fs.movement
    assert mv["gifts"] == Y("100000")
    assert mv["disbursements"] == -Y("30000")  # the reversed payment of 5,000 nets out of disbursements
    assert mv["returns"] == Y("2500")           # a credit to 5101 in the fund
    assert fs.opening == 0 and fs.closing == Y("72500") and fs.balanced
    a = st.activities(session, date(2026, 1, 1), TODAY)
    assert a.release == ls.Columns(Y("27500"), -Y("27500"))  # the return puts the restriction back
    _agreement(session, date(2026, 1, 1), TODAY)


# --- dates ------------------------------------------------------------------------------------------

def test_as_of_dates_are_honoured(books, session):
    sept = st.financial_position(session, date(2026, 9, 30), today=TODAY)
    assert sept.end_.lines["cash"] == Y("106288.50")
    assert sept.end_.net_assets == ls.NetAssets(Y("6288.50"), Y("100000"))
    assert sept.begin.assets == 0  # nothing before 2026
    october = st.fund_statement(session, books.fund_id, date(2026, 10, 1), date(2026, 10, 31), today=TODAY)
    assert (october.opening, october.closing) == (Y("100000"), Y("70000"))
    assert october.movement["gifts"] == 0
    gj = st.general_journal(session, date(2026, 9, 12), date(2026, 9, 26))
    assert [e.accounting_date for e in gj.entries] == [date(2026, 9, 12), date(2026, 9, 26)]
    only = st.general_journal(session, date(2026, 1, 1), TODAY, books.fund_id)
    assert {x.fund for e in only.entries for x in e.lines} == {"AILILIANG"}


def test_a_year_end_balance_sheet_has_last_year_as_its_opening(session, manager):
    b = Books(session, manager)
    b.give("AILILIANG", "8000", date(2025, 12, 30))
    b.give(GEN, "300", date(2026, 1, 2))
    fp = st.financial_position(session, date(2026, 6, 30), today=TODAY)
    assert (fp.begin.assets, fp.end_.assets) == (Y("8000"), Y("8300"))
    assert fp.begin.net_assets == ls.NetAssets(0, Y("8000"))


def test_the_account_ledger_runs_its_balance(books, session):
    al = st.account_ledger(session, "1002", date(2026, 9, 10), TODAY)
    assert al.opening == Y("100000")          # the 8 September gift came before the period
    running = al.opening
    for line in al.lines:
        running += line.debit - line.credit
        assert line.balance == running
    tb = {r.code: r.balance for r in st.trial_balance(session, TODAY, today=TODAY).accounts}
    assert al.closing == tb["1002"]
    income = st.account_ledger(session, "4101", date(2026, 1, 1), TODAY)  # credit-normal: credits raise it
    assert income.closing == tb["4101"] == Y("106288.50")


def test_bad_parameters_name_the_field(books, session):
    with pytest.raises(InvalidInput) as err:
        st.activities(session, date(2026, 12, 1), date(2026, 1, 1))
    assert "from" in err.value.errors
    with pytest.raises(NotFound) as err:
        st.fund_statement(session, 999, date(2026, 1, 1), TODAY)
    assert "fund_id" in err.value.errors
    with pytest.raises(NotFound) as err:
        st.account_ledger(session, "9999", date(2026, 1, 1), TODAY)
    assert "account" in err.value.errors
    with pytest.raises(st.ReportTooLarge):
        st.general_journal(session, date(2026, 1, 1), TODAY, limit=3)


# --- the spending ratio -------------------------------------------------------------------------------

def test_the_spending_ratio_against_its_settings(session, manager, monkeypatch):
    b = Books(session, manager)
    b.give("AILILIANG", "100000", date(2025, 6, 1))
    b.pay("AILILIANG", "60000", date(2026, 3, 1))
    b.give(GEN, "10000", date(2026, 1, 5))  # this year's income: not in the base of the rule
    b.fee("6000", date(2026, 4, 1))
    sr = st.spending_ratio(session, TODAY, today=TODAY)
    assert (sr.last_year_income, sr.charitable_spending, sr.management_costs, sr.total_spending) == \
        (Y("100000"), Y("60000"), Y("6000"), Y("66000"))
    assert sr.spending.met is False            # 60% < 70%
    assert sr.management.met is True           # 6000/66000 = 9.09% <= 10%
    assert ls.format_percent(sr.management.percent) == "9.09%"
    monkeypatch.setenv("FUND_LEDGER_SPENDING_RATIO_MIN", "60")
    monkeypatch.setenv("FUND_LEDGER_MANAGEMENT_RATIO_MAX", "9")
    sr = st.spending_ratio(session, TODAY, today=TODAY)
    assert sr.spending.met is True and sr.management.met is False
    rows = {r[0]: r for r in render.spending_ratio_rows(sr)}
    assert rows["charitable_spending"][-1] == "met" and rows["management_costs"][-1] == "not met"
    assert st.spending_ratio(session, date(2025, 12, 31), today=TODAY).spending.met is None  # no income in 2024


def test_percent_settings_are_strict():
    assert parse_percent("70") == 70 and parse_percent("6.5") == Fraction(13, 2)
    for bad in ("", "abc", "-1", "101", "1e2", "7.123", "７０"):
        with pytest.raises(ValueError):
            parse_percent(bad)
    assert ls.format_percent(Fraction(2, 3)) == "0.67%" and ls.format_percent(None) == "—"
    exact = ls.RatioCheck(70, 100, Fraction(70), True)
    assert exact.met is True and ls.RatioCheck(6999, 10000, Fraction(70), True).met is False


# --- CSV --------------------------------------------------------------------------------------------

def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_parses_back_to_the_same_numbers(books, session):
    a = st.activities(session, date(2026, 1, 1), TODAY)
    rows = {r["line"]: r for r in _rows(render.activities_csv(a))}
    for spec, c in a.income + a.expenses:
        assert (parse_amount(rows[spec.key]["unrestricted"], allow_zero=True, allow_negative=True),
                parse_amount(rows[spec.key]["restricted"], allow_zero=True, allow_negative=True)) == (c.unrestricted, c.restricted)
    assert parse_amount(rows["release"]["restricted"], allow_negative=True) == a.release.restricted
    assert parse_amount(rows["net_change"]["total"]) == a.net_change.total

    fp = st.financial_position(session, TODAY, today=TODAY)
    rows = {r["line"]: r for r in _rows(render.financial_position_csv(fp))}
    assert parse_amount(rows["assets"]["end"]) == fp.end_.assets
    assert parse_amount(rows["liabilities_and_net_assets"]["end"]) == fp.end_.assets
    assert parse_amount(rows["restricted"]["end"]) == fp.end_.net_assets.restricted

    fs = st.fund_statement(session, books.fund_id, date(2026, 1, 1), TODAY, today=TODAY)
    rows = {r["line"]: parse_amount(r["amount"], allow_zero=True, allow_negative=True) for r in _rows(render.fund_statement_csv(fs))}
    assert rows["opening"] + sum(v for k, v in rows.items() if k not in ("opening", "closing")) == rows["closing"] == fs.closing

    gj = st.general_journal(session, date(2026, 1, 1), TODAY)
    lines = _rows(render.general_journal_csv(gj))
    assert len(lines) == gj.lines
    assert sum(parse_amount(r["debit"], allow_zero=True) for r in lines) == gj.total_debit
    assert {r["number"] for r in lines} == {e.number for e in gj.entries}


# --- PDF ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def poppler():
    missing = [t for t in ("pdftotext", "pdffonts", "pdfinfo") if shutil.which(t) is None]
    if missing:
        if IN_CI:
            pytest.fail(f"required in CI: {missing}")
        pytest.skip(f"missing {missing}")


def _text(path, *args) -> str:
    """The PDF's text with the spaces left out (pdftotext spaces CJK text as it sees fit)."""
    out = subprocess.run(["pdftotext", "-layout", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


def _pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _cjk_embedded(path) -> bool:
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return any("CJK" in line and line.split()[-5] == "yes" for line in fonts)


def test_statement_pdfs_show_their_chinese_figures(books, session, tmp_path, poppler):
    a = st.activities(session, date(2026, 1, 1), TODAY)
    path = tmp_path / "activities.pdf"
    path.write_bytes(render.render_activities_pdf(a, generated_by="auditor", generated_at=AT))
    text = _text(path)
    for words in ("业务活动表", "限定性净资产转为非限定性净资产", "净资产变动额", "会民非02表", "auditor",
                  "100,000.00", "-30,000.00", a.digest.head_hash[:20]):
        assert words in text, words
    assert _cjk_embedded(path)
    assert render.render_activities_pdf(a, generated_by="auditor", generated_at=AT) == path.read_bytes()  # same bytes

    fp = st.financial_position(session, TODAY, today=TODAY)
    path = tmp_path / "position.pdf"
    path.write_bytes(render.render_financial_position_pdf(fp, generated_by="auditor", generated_at=AT))
    text = _text(path)
    for words in ("资产负债表", "年初数", "期末数", "非限定性净资产", "负债和净资产总计", "第1页/共2页"):
        assert words in text, words
    assert _cjk_embedded(path)

    fs = st.fund_statement(session, books.fund_id, date(2026, 1, 1), TODAY, today=TODAY)
    path = tmp_path / "fund.pdf"
    path.write_bytes(render.render_fund_statement_pdf(fs, generated_by="auditor", generated_at=AT))
    text = _text(path)
    assert "爱力量" in text and "期初余额" in text and "70,000.00" in text and "2026-01-01至2026-11-27" in text


def _check_pages(path, expected: int, header: str, total: str) -> None:
    """Exactly the planned pages, each with the column header, the running header and 第 X 页 / 共 Y 页;
    the title block on the first only, the total and the end mark on the last only."""
    assert _pages(path) == expected  # no page overflowed: the cut is where we meant it
    for page in range(1, expected + 1):
        text = _text(path, "-f", str(page), "-l", str(page))
        assert header in text and "凭证号" in text and f"第{page}页/共{expected}页" in text, page
        assert "张店区妇女儿童事业发展基金" in text and "账本摘要Ledgerdigest" in text, page  # running header, footer
        assert ("ZhangdianDistrict" in text) == (page == 1), page  # the title block's English line
        assert (total in text) == (page == expected) and ("以下空白" in text) == (page == expected), page
    assert _cjk_embedded(path)


@pytest.mark.parametrize("pages_per_part", [None, 2], ids=["one-part", "parts-of-2"])
def test_the_journal_pdf_repeats_its_header_on_every_page(session, manager, tmp_path, poppler, monkeypatch,
                                                          pages_per_part):
    from fund_ledger.reports import pdf

    if pages_per_part:
        monkeypatch.setattr(pdf, "PAGES_PER_PART", pages_per_part)
    b = Books(session, manager)
    for i in range(80):  # 160 posting lines: three pages or more
        b.give("AILILIANG" if i % 2 else GEN, f"{100 + i}", date(2026, 10, 1) + timedelta(days=i % 30))
    gj = st.general_journal(session, date(2026, 1, 1), TODAY)
    path = tmp_path / "journal.pdf"
    done = []
    path.write_bytes(render.render_general_journal_pdf(gj, generated_by="manager", generated_at=AT,
                                                       progress=lambda d, t: done.append((d, t))))
    expected = len(text_pages.journal_pages(text_pages.journal_text_lines(gj)))
    assert expected >= 3
    _check_pages(path, expected, "借方Debit", "合计Total")
    assert "序时账" in _text(path, "-f", "1", "-l", "1")
    assert done[0] == (0, expected) and done[-1] == (expected, expected)
    assert len(done) == (1 + (-(-expected // pages_per_part)) if pages_per_part else 2)
    # the same inputs, the same bytes, however it was cut into parts
    assert render.render_general_journal_pdf(gj, generated_by="manager", generated_at=AT) == path.read_bytes()


def test_a_full_last_page_leaves_room_for_the_total(session, manager, tmp_path, poppler, monkeypatch):
    from fund_ledger.reports import pdf

    monkeypatch.setattr(pdf, "PAGES_PER_PART", 1)
    b = Books(session, manager)
    first, per = text_pages.JOURNAL_LINES_FIRST_PAGE, text_pages.JOURNAL_LINES_PER_PAGE
    for i in range((first + per) // 2):  # two full pages of lines: the total would overflow the second
        b.give(GEN, f"{100 + i}", date(2026, 10, 1) + timedelta(days=i % 30))
    gj = st.general_journal(session, date(2026, 1, 1), TODAY)
    pages = text_pages.journal_pages(text_pages.journal_text_lines(gj))
    assert gj.lines == first + per and [len(p) for p in pages] == [first, per - text_pages.JOURNAL_LAST_PAGE_ROOM,
                                                                   text_pages.JOURNAL_LAST_PAGE_ROOM]
    path = tmp_path / "journal.pdf"
    path.write_bytes(render.render_general_journal_pdf(gj, generated_by="manager", generated_at=AT))
    _check_pages(path, 3, "借方Debit", "合计Total")


def test_the_account_ledger_pdf_is_paged_like_the_journal(session, manager, tmp_path, poppler, monkeypatch):
    from fund_ledger.reports import pdf

    monkeypatch.setattr(pdf, "PAGES_PER_PART", 2)
    b = Books(session, manager)
    for i in range(130):
        b.give("AILILIANG" if i % 2 else GEN, f"{100 + i}", date(2026, 10, 1) + timedelta(days=i % 30))
    ledger = st.account_ledger(session, "1002", date(2026, 1, 1), TODAY)
    lines = text_pages.ledger_text_lines(ledger)
    assert len(lines) == 131 and "期初余额" in lines[0]
    expected = len(text_pages.journal_pages(lines))
    path = tmp_path / "ledger.pdf"
    path.write_bytes(render.render_account_ledger_pdf(ledger, generated_by="auditor", generated_at=AT))
    _check_pages(path, expected, "余额Balance", "本期合计及期末余额")
    last = _text(path, "-f", str(expected), "-l", str(expected))
    assert f"{ledger.closing // 100:,}.{ledger.closing % 100:02d}" in last
    assert render.render_account_ledger_pdf(ledger, generated_by="auditor", generated_at=AT) == path.read_bytes()


def _words(path) -> list[tuple]:
    """Every word poppler finds, with its box to a tenth of a point: where the text is drawn, and how wide."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [(w, *(round(float(v), 1) for v in box)) for *box, w in
            re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out)]


def test_the_journal_lines_are_written_into_the_pdf_where_weasyprint_would_lay_them_out(
        session, manager, tmp_path, poppler, monkeypatch):
    """The posting lines are written straight into the PDF (reports/mono_text.py), not laid out by WeasyPrint
    line by line: the same journal gives the same bytes twice; the Chinese memos are text one can search;
    every page says 第 X 页 / 共 N 页; and every word sits exactly where WeasyPrint puts it when it lays the
    lines out itself, as it still does for a page with a character the monospaced face cannot write as is
    (an ASCII quote, which HarfBuzz changes for zh-CN)."""
    from fund_ledger.reports import mono_text

    b = Books(session, manager)
    for i in range(40):
        memo = f"第{i}号捐赠“爱力量”困境儿童" if i != 39 else '拨付"筑仁成长"项目'  # the last entry
        post_entry(session, manager, EntryDraft(date(2026, 10, 1) + timedelta(days=i), EntryCode.MANUAL, memo, (
            Posting("1002", GEN, debit=Y(f"{100 + i}")), Posting("4101", GEN, credit=Y(f"{100 + i}")))), today=TODAY)
    gj = st.general_journal(session, date(2026, 1, 1), TODAY)
    pages = text_pages.journal_pages(text_pages.journal_text_lines(gj))
    n = len(pages)
    assert n == 2 and '"' in "".join(pages[1]) and '"' not in "".join(pages[0])
    path = tmp_path / "journal.pdf"
    path.write_bytes(render.render_general_journal_pdf(gj, generated_by="manager", generated_at=AT))
    assert render.render_general_journal_pdf(gj, generated_by="manager", generated_at=AT) == path.read_bytes()
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "+NotoSansMonoCJKsc-Regular" in fonts  # the written lines' font, embedded (a subset)
    first, last = _text(path, "-f", "1", "-l", "1"), _text(path, "-f", str(n), "-l", str(n))
    assert "第0号捐赠“爱力量”困境儿童" in first and f"第1页/共{n}页" in first
    assert '拨付"筑仁成长"项目' in last and f"第{n}页/共{n}页" in last and "合计Total" in last

    laid_out = tmp_path / "laid_out.pdf"  # as before: WeasyPrint lays out every line
    monkeypatch.setattr(mono_text, "load_mono_font", lambda characters: None)
    laid_out.write_bytes(render.render_general_journal_pdf(gj, generated_by="manager", generated_at=AT))
    assert "+NotoSansMonoCJKsc-Regular" not in subprocess.run(["pdffonts", str(laid_out)], capture_output=True,
                                                                text=True, check=True).stdout
    assert _words(path) == _words(laid_out) and len(_words(path)) > 500


def test_fit_keeps_columns_aligned():
    assert text_pages.display_width(text_pages.fit("爱力量", 10)) == 10
    cut = text_pages.fit("张店区女企业家协会捐赠爱力量（银行转账）", 12)
    assert text_pages.display_width(cut) == 12 and cut.rstrip().endswith("…")
    assert text_pages.fit("1,000.00", 10, right=True) == "  1,000.00"


def test_the_grant_register_keeps_the_funds_calendar_days():
    """A request made at 07:30 on 1 January in Zibo is recorded at 23:30 UTC on 31 December: it belongs to
    the new year's register, on 1 January."""
    assert _local_day("2026-12-31T23:30:00.000000Z") == date(2027, 1, 1)
    assert _local_day("2027-01-01T15:59:59.999999Z") == date(2027, 1, 1)
    assert _utc_start(date(2027, 1, 1)) == "2026-12-31T16:00:00"
    assert "2026-12-31T23:30:00.000000Z" >= _utc_start(date(2027, 1, 1))  # compared as the database does
