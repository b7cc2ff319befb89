"""The statements issue's "done when", in a real browser (Chromium through Playwright).

A fund manager closes September and October 2026 on /periods (each through its confirmation page) and
issues the audit report for October on /audit-reports. The auditor, in another browser, downloads the
report's PDF, and the PDF is checked as a reader and as a machine would:

- it is the stored bytes (the SHA-256 the list shows), laid out in Chinese: pdftotext finds the
  statements' Chinese titles, pdffonts finds an embedded CJK font, and each page is rendered as a PNG
  (``pdftoppm -r 70``) into the screenshots for a person to look at;
- its numbers are the books': the trial balance printed in it equals ``build_trial_balance`` as of
  31 October, account by account and fund by fund, and so do two outside witnesses reading our export:
  ``bean-check``/Beancount and ``hledger`` (``balance -e 2026-11-01``); its balance sheet and statement
  of activities agree with that trial balance, its journal lists exactly October's entries, and its
  cover prints the seal /periods shows for October;
- anyone, without logging in, uploads it on /audit-reports/verify and reads 真实 (genuine) and
  相符 (matching); a copy with one byte added is 不真实;
- after an attacker with database access changes one October posting's amount behind the triggers'
  back, the same upload reads 不相符 and names the altered entry.

Runs on SQLite and PostgreSQL (the ``app`` fixture); shared fixtures in conftest.py. Screenshots and
the PDF's pages go to ``shots``.
"""
from __future__ import annotations

import hashlib
import re
import subprocess
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from fund_ledger.db import repository as repo
from fund_ledger.db.engine import read_session, write_session
from fund_ledger.reports.export import export_journal, fund_component
from fund_ledger.reports.trial_balance import build_trial_balance
from tests.db.tamper import disable_guards
from tests.reports.test_export import hledger_csv, per_account, require_tool, run, to_fen
from tests.browser.pages import notice, read_table, watch

pytestmark = [pytest.mark.slow, pytest.mark.both_databases]  # specified as "in Chromium on both databases"

EARLIER, PERIOD = "2026-09", "2026-10"
FIRST_DAY, MONTH_END, NEXT_DAY = date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 1)
TITLES = {  # the statements an audit report binds, as their Chinese titles print
    "审计报告": "Audit report", "账本摘要": "Ledger digest", "资产负债表": "Statement of financial position",
    "业务活动表": "Statement of activities", "现金流量表": "Statement of cash flows", "科目余额表": "Trial balance",
    "序时账": "General journal"}
AMOUNT = r"-?[\d,]+\.\d\d"
ADDED = 900_000  # fen an attacker adds to one October posting: ¥9,000.00


# --- helpers --------------------------------------------------------------------------------------

def fen(text_: str) -> int:
    """``113,288.50`` or ``-30,000.00`` as fen (exact; no floats)."""
    cleaned = text_.strip().replace("¥", "").replace(",", "")
    assert re.fullmatch(r"-?\d+\.\d\d", cleaned), f"not an amount: {text_!r}"
    return int(Decimal(cleaned) * 100)


def pdf_pages(pdf: Path) -> list[str]:
    """The PDF's text, page by page, laid out as printed (``pdftotext -layout``)."""
    out = run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-")
    return [p for p in out.split("\f") if p.strip()]


def section_text(pages: list[str], title_zh: str, title_en: str) -> str:
    """The text of the pages whose running header names the statement (``科目余额表 Trial balance · ...``)."""
    header = re.compile(rf"^\S.*{re.escape(title_zh)} {re.escape(title_en)} ·", re.M)
    found = [p for p in pages if header.search(p.split("\n", 1)[0])]
    assert found, f"no page of {title_zh} in the PDF"
    return "\n".join(found)


def labelled(body: str, label: str) -> list[int]:
    """The amounts on the line starting (after indentation) with ``label``."""
    lines = [line for line in body.splitlines() if re.match(rf"\s*{re.escape(label)}(\s|$)", line)]
    assert len(lines) == 1, f"{label!r}: {lines}"
    return [fen(a) for a in re.findall(rf"(?<!\S){AMOUNT}(?!\S)", lines[0])]


def printed_trial_balance(body: str) -> tuple[dict[str, tuple[int, int, int]], tuple[int, int], dict[str, int]]:
    """The PDF's 科目余额表: {code: (debits, credits, balance)}, the total line, {fund code: money held}."""
    accounts = {}
    for m in re.finditer(rf"^\s*(\d{{4}}(?:\.\d+)*)\s+\S.*?\s({AMOUNT})\s+({AMOUNT})\s+({AMOUNT})\s*$", body, re.M):
        accounts[m[1]] = (fen(m[2]), fen(m[3]), fen(m[4]))
    totals = re.search(rf"^\s*合计 Total\s+({AMOUNT})\s+({AMOUNT})\s*$", body, re.M)
    assert totals, body
    funds = {}
    for m in re.finditer(rf"^\s*\S+ ([A-Z][A-Z0-9_]*)\s+(?:非限定性 Unrestricted|限定性 Restricted)\s+"
                         rf"({AMOUNT})\s+({AMOUNT})\s+({AMOUNT})\s*$", body, re.M):
        funds[m[1]] = fen(m[2])
    return accounts, (fen(totals[1]), fen(totals[2])), funds


def beancount_as_of(path: Path, as_of: date) -> tuple[dict[str, int], list[str]]:
    """Debits less credits per exported account from Beancount's own reading of the file, counting the
    transactions dated on or before ``as_of``; and the numbers of those dated in October."""
    from beancount import loader
    from beancount.core import data as bc_data

    entries, errors, options = loader.load_file(str(path))
    assert errors == [], errors
    assert options["operating_currency"] == ["CNY"]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    october = []
    for t in (e for e in entries if isinstance(e, bc_data.Transaction) and e.date <= as_of):
        for p in t.postings:
            assert p.units.currency == "CNY"
            totals[p.account] += p.units.number
        if t.date >= FIRST_DAY:
            october.append(t.meta["number"])
    return {a: to_fen(n) for a, n in totals.items() if n}, sorted(october)


def money_per_fund(session, balances: dict[str, int]) -> dict[str, int]:
    """A witness's balances of the monetary accounts (现金, 银行存款, 其他货币资金), summed per fund code."""
    accounts = repo.load_accounts(session)
    fund_of = {fund_component(code): code for code in repo.load_funds(session)}
    code_of = per_account_names(session)
    held: dict[str, int] = defaultdict(int)
    for name, amount in balances.items():
        account, fund = name.rsplit(":", 1)
        if accounts[code_of[account]].monetary:
            held[fund_of[fund]] += amount
    return dict(held)


def per_account_names(session) -> dict[str, str]:
    """Exported account name (without the fund) -> our account code."""
    from fund_ledger.reports.export import TOP_LEVEL, account_component

    return {f"{TOP_LEVEL[a.type]}:{account_component(a)}": code for code, a in repo.load_accounts(session).items()}


# --- the story ------------------------------------------------------------------------------------

def test_an_auditor_downloads_a_closed_months_report_checks_it_and_verify_catches_a_rewrite(
        browser, live_server, sign_in, shots, dbname, engine, tmp_path):
    base = live_server
    problems: list[str] = []
    contexts = []

    def desk(username: str | None):
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                      accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        watch(page, problems, username or "anonymous")
        if username:
            sign_in(page, username)
            assert "/login" not in page.url, page.inner_text("main")
        return page

    def shot(page, name: str, full_page: bool = True) -> None:
        page.screenshot(path=str(shots / f"audit-{name}-{dbname}.png"), full_page=full_page)

    def period_row(page, period: str) -> dict[str, str]:
        rows = [r for r in read_table(page.locator("main table.periods")) if r["期间"] == period]
        assert len(rows) == 1, rows
        return rows[0]

    try:
        # --- a fund manager closes September, then October -------------------------------------------
        manager = desk("manager")
        manager.get_by_role("navigation").get_by_role("link", name=re.compile("^会计期间")).click()
        manager.wait_for_url(f"{base}/periods")
        assert period_row(manager, "2026-11")["状态"] == "本月"  # the current month cannot be closed yet
        assert manager.locator("main table.periods tbody tr", has_text="2026-11").get_by_role(
            "link", name=re.compile("^结账")).count() == 0
        shot(manager, "1-periods-open")
        for n, period in enumerate((EARLIER, PERIOD)):
            before = period_row(manager, period)
            assert before["状态"] == "未结账", before
            row = manager.locator("main table.periods tbody tr", has=manager.get_by_text(period, exact=True))
            with manager.expect_navigation():
                row.get_by_role("link", name=re.compile("^结账")).click()
            assert manager.url == f"{base}/periods/close?period={period}"
            assert period in manager.inner_text("main h1")
            facts = manager.inner_text("main dl.facts")
            assert re.search(rf"将结账的月份.*\n?\s*{period}", facts), facts
            assert re.search(rf"其中的分录.*\n?\s*{before['分录数']}\b", facts), facts
            form = manager.locator("main form", has=manager.locator("input[name=confirm]"))
            # Without ticking the confirmation the browser refuses to send the form: nothing closes.
            form.get_by_role("button", name=re.compile("^结账并封印")).click()
            manager.wait_for_timeout(300)
            assert manager.url == f"{base}/periods/close?period={period}"
            if n == 1:
                shot(manager, "2-confirm-close")
            form.get_by_label(re.compile("我已核对，确认结账")).check()
            with manager.expect_navigation():
                form.get_by_role("button", name=re.compile("^结账并封印")).click()
            assert manager.url == f"{base}/periods", manager.inner_text("main")
            assert f"已结账：{period}" in notice(manager), notice(manager)
            after = period_row(manager, period)
            assert after["状态"] == "已结账" and after["结账人"].endswith("manager"), after  # the name, the username beside
            assert after["分录数"] == before["分录数"]
        seal = manager.locator("main table.periods tbody tr", has=manager.get_by_text(PERIOD, exact=True)).locator(
            "td.digest span[title]").last.get_attribute("title")
        assert re.fullmatch(r"[0-9a-f]{64}", seal), seal
        shot(manager, "3-periods-closed")

        # --- ... and issues October's audit report -------------------------------------------------
        manager.get_by_role("navigation").get_by_role("link", name=re.compile("^审计报告")).click()
        manager.wait_for_url(f"{base}/audit-reports")
        issue = manager.locator("main form", has=manager.locator("select[name=period]"))
        issue.get_by_label(re.compile("^已结账期间")).select_option(PERIOD)
        with manager.expect_navigation(timeout=120_000):
            issue.get_by_role("button", name=re.compile("^出具")).click()
        assert re.search(rf"已出具第 1 号审计报告（{PERIOD}），SHA-256 [0-9a-f]{{16}}…", notice(manager)), \
            manager.inner_text("main")
        shot(manager, "4-report-issued")

        # --- the auditor downloads it --------------------------------------------------------------------
        auditor = desk("auditor")
        auditor.get_by_role("navigation").get_by_role("link", name=re.compile("^审计报告")).click()
        auditor.wait_for_url(f"{base}/audit-reports")
        assert auditor.get_by_role("heading", name=re.compile("^出具审计报告")).count() == 0  # reads, never issues
        listed = [r for r in read_table(auditor.locator("main table.audit-reports")) if r["期间"] == PERIOD]
        assert len(listed) == 1 and listed[0]["编号"] == "1" and "有效" in listed[0]["状态"], listed
        assert "manager" in listed[0]["出具"]
        row = auditor.locator("main table.audit-reports tbody tr", has=auditor.get_by_text(PERIOD, exact=True))
        sha256 = row.locator("td.digest span[title]").last.get_attribute("title")
        assert re.fullmatch(r"[0-9a-f]{64}", sha256), sha256
        shot(auditor, "5-auditor-list")
        with auditor.expect_download() as download_info:
            row.get_by_role("link", name=re.compile("^下载 PDF")).click()
        download = download_info.value
        assert download.failure() is None, download.failure()
        assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
        pdf = shots / f"audit-report-{PERIOD}-{dbname}.pdf"
        download.save_as(str(pdf))
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == sha256  # the bytes issued

        # --- (a) Chinese, in an embedded CJK font; the pages as images for a person to look at -------
        fonts = run("pdffonts", str(pdf)).splitlines()[2:]
        cjk = [f for f in fonts if re.search(r"CJK|Noto.*(SC|CN)|Source.?Han|WenQuanYi|SimSun|SimHei", f, re.I)]
        assert cjk and all(f.split()[-5] == "yes" for f in cjk), fonts  # the "emb" column
        assert all(f.split()[-5] == "yes" for f in fonts), f"a font is not embedded: {fonts}"
        for old in shots.glob(f"audit-report-page-{dbname}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf), str(shots / f"audit-report-page-{dbname}")],
                       check=True, timeout=300)
        assert sorted(shots.glob(f"audit-report-page-{dbname}-*.png"))
        pages = pdf_pages(pdf)
        whole = "\n".join(pages)
        for zh, en in TITLES.items():
            assert re.search(rf"{zh}\s*{en}", whole), f"{zh} {en} is not in the PDF"
        assert "\ufffd" not in whole and "□" not in whole  # no replacement characters, no tofu
        cover = section_text(pages, "审计报告", "Audit report")
        assert f"{PERIOD}（2026-10-01 至 2026-10-31）" in cover
        assert seal in cover.replace(" ", "")  # the seal /periods showed for October
        assert "未结账的月份" not in cover  # September was closed first: no caution about open months
        head = re.search(r"第 (\d+) 笔 entry #(\d+)", cover)
        assert head and head[1] == head[2], cover

        # --- (b) the numbers: the report's trial balance is the books' as of 31 October ---------------
        tb_text = section_text(pages, "科目余额表", "Trial balance")
        assert "截至 2026-10-31" in tb_text.split("\n", 1)[0]
        printed, (total_debit, total_credit), printed_funds = printed_trial_balance(tb_text)
        with read_session(engine) as session:
            tb = build_trial_balance(session, as_of=MONTH_END)
            sept = build_trial_balance(session, as_of=date(2026, 9, 30))
            assert tb.entries >= int(head[1])
            ours = {r.code: (r.debit, r.credit, r.balance) for r in tb.accounts}
            assert printed == ours, (printed, ours)
            assert (total_debit, total_credit) == (tb.total_debit, tb.total_credit)
            assert total_debit == total_credit
            assert printed_funds == {f.code: f.balance for f in tb.funds}, printed_funds

            # Outside witnesses: our export read by Beancount (bean-check silent) and hledger (strict),
            # their balances as of 31 October, per account over all funds and per fund.
            bean_check, hledger = require_tool("bean-check"), require_tool("hledger")
            beancount_file, ledger_file = tmp_path / "books.beancount", tmp_path / "books.journal"
            for fmt, path in (("beancount", beancount_file), ("ledger", ledger_file)):
                with open(path, "w", encoding="utf-8") as fh:
                    assert export_journal(session, fmt, fh) == tb.entries
            checked = subprocess.run([bean_check, str(beancount_file)], capture_output=True, text=True, timeout=300)
            assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", "")
            run(hledger, "-f", str(ledger_file), "check", "--strict")
            beancount, october_numbers = beancount_as_of(beancount_file, MONTH_END)
            hledger_balances = {a: v for a, v in hledger_csv(hledger, ledger_file, "--flat", "-e",
                                                              NEXT_DAY.isoformat()).items() if v}
            assert beancount == hledger_balances
            report_net = {code: d - c for code, (d, c, _b) in printed.items()}
            assert per_account(session, beancount) == report_net
            assert per_account(session, hledger_balances) == report_net
            assert {k: v for k, v in printed_funds.items() if v} == money_per_fund(session, hledger_balances)
            accounts = repo.load_accounts(session)
        money = sum(b for code, (_d, _c, b) in printed.items() if accounts[code].monetary)

        # The balance sheet and the statement of activities say the same as that trial balance.
        fp = section_text(pages, "资产负债表", "Statement of financial position")
        assert "截至 2026-10-31" in fp.split("\n", 1)[0]
        assert labelled(fp, "货币资金 Cash and bank")[-1] == money
        assert labelled(fp, "资产总计 Total assets")[-1] == money
        assert labelled(fp, "净资产合计 Total net assets")[-1] == money
        acts = section_text(pages, "业务活动表", "Statement of activities")
        assert "2026-10-01 至 2026-10-31" in acts.split("\n", 1)[0]
        moved = {r.code: r.balance for r in tb.accounts}
        for r in sept.accounts:
            moved[r.code] = moved.get(r.code, 0) - r.balance
        income = sum(v for code, v in moved.items() if code.startswith("4"))
        spent = sum(v for code, v in moved.items() if code.startswith("5"))
        assert labelled(acts, "捐赠收入 Donation income")[-1] == moved.get("4101", 0)
        assert labelled(acts, "收入合计 Total income")[-1] == income
        assert labelled(acts, "费用合计 Total expenses")[-1] == spent
        assert labelled(acts, "四、净资产变动额 Change in net assets")[-1] == income - spent

        # The journal lists exactly October's entries, as the witnesses read them.
        journal = section_text(pages, "序时账", "General journal")
        assert sorted(set(re.findall(r"^\s*(\d{4}-\d{6})\s", journal, re.M))) == october_numbers
        assert october_numbers

        # --- (c) anyone, without logging in, uploads it: genuine and matching ---------------------------
        public = desk(None)
        public.goto(f"{base}/audit-reports/verify")
        assert public.url == f"{base}/audit-reports/verify"  # no log-in asked for

        def verify(file: Path, name: str) -> str:
            public.goto(f"{base}/audit-reports/verify")
            form = public.locator("main form", has=public.locator("input[type=file]"))
            form.get_by_label(re.compile("^审计报告 PDF")).set_input_files(str(file))
            with public.expect_navigation(timeout=120_000):
                form.get_by_role("button", name=re.compile("^核验")).click()
            shot(public, name)
            return public.locator("main section.verified").inner_text()

        result = verify(pdf, "6-verify-genuine-matching")
        assert "真实：这是本账本出具的第 1 号审计报告，文件与出具时逐字节一致。" in result, result
        assert "相符：账本今天仍与报告所印的摘要一致" in result, result
        assert "不相符" not in result and "不真实" not in result
        facts = public.inner_text("main section.verified dl.facts")
        assert PERIOD in facts and sha256 in facts and seal in facts, facts

        # A copy with one byte more is not the report issued, though it claims to be No. 1.
        changed = tmp_path / "changed.pdf"
        changed.write_bytes(data + b"\n%")
        result = verify(changed, "7-verify-changed-file")
        assert "不真实" in result and "第 1 号报告（2026-10）" in result, result

        # --- (d) an attacker changes one October posting's amount behind the triggers' back -----------
        with write_session(engine) as s, s.begin():
            disable_guards(s)
            target = s.execute(text(
                "SELECT p.entry_id, p.line_no, p.debit, e.year, e.year_seq FROM postings p "
                "JOIN entries e ON e.id = p.entry_id WHERE e.accounting_date BETWEEN :a AND :b AND p.debit > 0 "
                "ORDER BY p.debit DESC, p.entry_id, p.line_no LIMIT 1"),
                {"a": FIRST_DAY, "b": MONTH_END}).one()
            s.execute(text("UPDATE postings SET debit = :d WHERE entry_id = :e AND line_no = :n"),
                      {"d": target.debit + ADDED, "e": target.entry_id, "n": target.line_no})
        altered = f"{target.year}-{target.year_seq:06d}"
        assert altered in october_numbers

        result = verify(pdf, "8-verify-not-matching")
        assert "真实：这是本账本出具的第 1 号审计报告" in result, result  # the file is still the one issued
        assert "不相符：账本已与报告所印的摘要不一致。" in result, result
        assert re.search(rf"第一笔有问题的分录：(?: First bad entry:)?\s*{altered}\b", result), result
        # An outsider is not sent to a page they cannot open: the number, and who can open it.
        assert public.locator("main section.verified").get_by_role("link", name=altered, exact=True).count() == 0
        assert "基金管理员和审计人员登录后可查看该分录" in result, result
        assert "核验的文件：" in result
        assert "相符：账本今天仍" not in result
        details = public.locator("main section.verified details")
        details.locator("summary").click()
        assert altered in details.inner_text(), details.inner_text()
        shot(public, "9-verify-not-matching-details")

        # The auditor's download is still the same bytes: a stored report is never regenerated.
        auditor.goto(f"{base}/audit-reports")
        row = auditor.locator("main table.audit-reports tbody tr", has=auditor.get_by_text(PERIOD, exact=True))
        with auditor.expect_download() as again:
            row.get_by_role("link", name=re.compile("^下载 PDF")).click()
        assert hashlib.sha256(Path(again.value.path()).read_bytes()).hexdigest() == sha256

        assert not problems, problems
    finally:
        for context in contexts:
            context.close()
