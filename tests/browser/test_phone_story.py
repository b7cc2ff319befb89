"""The whole story on a phone (390×844, touch, as opened from WeChat), in a real browser (Chromium through
Playwright), each person on their own phone (their own browser context):

1. a fund manager finds 张店区女企业家协会 through the menu, records its 100,000 yuan gift to 爱力量 (dated in
   October) on the gift form, and downloads the gift's acknowledgement (捐赠确认书, a PDF);
2. 筑仁成长 (user ``zhuren``) asks 爱力量 for 60,000 yuan with a project plan attached (a small PDF);
3. the manager approves on the request's page, which then says 1 of 2 (above 50,000 two managers must approve);
   the second manager (``manager2``) approves and pays it, dated in October, through the confirmation, whose
   panel shows the payee's bank account;
4. 筑仁成长 acknowledges receipt, again through a confirmation;
5. logged out, the front door ``/`` lists the grant (organisation, amount, date); the manager closes September
   and October (each through its confirmation page) and issues October's audit report; the front door then
   lists the report, with the SHA-256 the books' list shows;
6. a visitor checks the gift: by scanning (the acknowledgement's first page as a 200 dpi image, its QR code read
   by zbarimg, the decoded address's path opened on the live server) and by typing the code printed on the
   acknowledgement into the form on /verify. Both say the gift is in the books and stands, for ¥100,000.00.

At each step the test reads what a person relies on (amounts in yuan, statuses in Chinese) and checks that the
page is no wider than the phone's window (nothing scrolls sideways). The demo's clock is 2026-11-27, so
October has ended and can be closed. Screenshots of the key steps (``phone-*``) and the acknowledgement's page
go to ``shots``. Runs on SQLite and PostgreSQL (the ``app`` fixture); shared fixtures in conftest.py. Without
pdftoppm, pdftotext or zbarimg it skips (fails with ``CI=true``).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.browser.conftest import IN_CI
from tests.browser.pages import notice, read_table, watch

pytestmark = [pytest.mark.slow, pytest.mark.both_databases]  # the story, "in Chromium on both databases"

PHONE = {"width": 390, "height": 844}
ASSOCIATION = "张店区女企业家协会"
FUND_CODE, FUND_NAME = "AILILIANG", "爱力量"
GRANTEE = "筑仁成长公益服务中心"
PAYEE_BANK, PAYEE_ACCOUNT = "淄博农村商业银行张店支行", "9020000012345678901"
GIFT_ON, PAID_ON, RECEIVED_ON = "2026-10-26", "2026-10-28", "2026-10-29"  # October: ended by 2026-11-27
GIFT_REFERENCE, PAY_REFERENCE = "ZD-BANK-1026", "ZD-PAY-1028"
EARLIER, PERIOD = "2026-09", "2026-10"
PURPOSE = "困境儿童帮扶项目第三期：冬季助学与家庭走访"
BUDGET = "冬季助学用品与图书 25000\n困境儿童家庭走访与心理辅导 35000"
PLAN = "项目计划书-第三期.pdf"


@pytest.fixture(scope="module")
def tools():
    missing = [t for t in ("pdftoppm", "pdftotext", "zbarimg") if shutil.which(t) is None]
    if missing:
        why = f"missing tools: {', '.join(missing)} (bash scripts/system-deps.sh test installs them)"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)


def fits(page, where: str) -> None:
    """The page is no wider than the phone's window: nothing scrolls sideways (and the phone did not zoom out)."""
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == PHONE["width"], f"{where}: the window is {inner}px wide, not {PHONE['width']}px (zoomed out?)"
    if scroll > inner:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5)
            .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : ''))""")
        pytest.fail(f"{where}: {scroll}px wide in a {inner}px window: {wide}")


def menu(page, label: str) -> None:
    """Open the folded menu (a <details>) and follow one of its links, as a thumb would."""
    summary = page.locator("header details.menu > summary")
    assert summary.is_visible(), "on a phone the navigation folds into a menu"
    summary.click()
    link = page.locator("header details.menu nav").get_by_role("link", name=re.compile("^" + re.escape(label)))
    assert link.is_visible()
    with page.expect_navigation():
        link.click()


def section(page, heading: str):
    return page.locator("section", has=page.get_by_role("heading", name=re.compile("^" + re.escape(heading))))


def a_small_pdf(path: Path) -> Path:
    """A one-page PDF (a project plan, as a grantee would attach it), made by Pillow."""
    Image.new("RGB", (200, 280), "white").save(path, "PDF")
    assert path.read_bytes().startswith(b"%PDF-")
    return path


def scan(pdf: Path, out: Path) -> list[str]:
    """The PDF's first page at 200 dpi, as paper shows it to a camera, and what zbarimg reads on it."""
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(out)],
                   check=True, capture_output=True, timeout=120)
    read = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", f"{out}.png"],
                          capture_output=True, text=True, timeout=120)
    assert read.returncode in (0, 4), read.stderr  # 4: nothing found
    return [line for line in read.stdout.splitlines() if line]


def test_the_whole_story_on_a_phone(browser, live_server, sign_in, shots, dbname, tmp_path, tools):
    base = live_server
    problems: list[str] = []
    contexts = []

    def phone(username: str | None):
        context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        watch(page, problems, username or "visitor")
        if username:
            sign_in(page, username)
            assert "/login" not in page.url, page.inner_text("main")
            fits(page, f"{username}'s home")
        return page

    def shot(page, name: str, full_page: bool = True) -> None:
        page.screenshot(path=str(shots / f"phone-{name}-{dbname}.png"), full_page=full_page)

    try:
        # --- 1. the manager records the association's 100,000 yuan gift to 爱力量 ----------------------------
        manager = phone("manager")
        manager.locator("header details.menu > summary").click()
        shot(manager, "01-menu-open", full_page=False)
        manager.locator("header details.menu > summary").click()  # folded again
        menu(manager, "捐赠人")
        assert manager.url.startswith(f"{base}/donors")
        manager.fill("form.search input[name=q]", "女企业家")
        with manager.expect_navigation():
            manager.click("form.search button[type=submit]")
        fits(manager, "/donors?q=")
        with manager.expect_navigation():
            manager.locator("table.donors td > a", has_text=ASSOCIATION).first.click()
        assert re.search(r"/donors/\d+$", manager.url) and ASSOCIATION in manager.inner_text("main h1")
        with manager.expect_navigation():
            manager.click("main a:has-text('记录一笔捐赠')")
        fits(manager, "the gift form")
        form = manager.locator("main form.donation-form")
        assert form.locator("p.chosen-donor").inner_text().endswith(ASSOCIATION)
        form.locator("select[name=fund_id]").select_option(label=f"{FUND_NAME}（限定性）")
        form.locator("input[name=amount]").fill("100000")
        form.locator("input[name=received_on]").fill(GIFT_ON)
        form.locator("select[name=channel]").select_option("bank")
        form.locator("input[name=reference]").fill(GIFT_REFERENCE)
        shot(manager, "02-gift-form")
        with manager.expect_navigation():
            form.get_by_role("button", name=re.compile("^记录捐赠")).click()
        assert re.search(r"/donations/\d+$", manager.url), manager.inner_text("main")
        number = manager.inner_text("main h1 .code")
        assert re.fullmatch(r"JZ2026-\d{6}", number), number
        main = manager.inner_text("main")
        assert f"已记录捐赠 {number}" in main and "¥100,000.00" in main and "人民币壹拾万元整" in main, main
        assert ASSOCIATION in main and FUND_NAME in main and GIFT_ON in main
        code = manager.locator("main dd.code.strong").inner_text().strip()  # as printed: ABCDE-FGHJK
        assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code), code
        fits(manager, "the gift's page")
        shot(manager, "03-gift-recorded")

        with manager.expect_download() as info:
            manager.get_by_role("link", name=re.compile("^下载捐赠确认书")).click()
        download = info.value
        assert download.failure() is None and download.suggested_filename == f"{number}.pdf"
        pdf = tmp_path / download.suggested_filename
        download.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF-")
        printed = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                                    check=True, timeout=120).stdout)
        assert "捐赠确认书" in printed and number in printed and "人民币壹拾万元整" in printed, printed
        assert ASSOCIATION in printed and FUND_NAME in printed
        scanned = scan(pdf, tmp_path / "acknowledgement")
        assert len(scanned) == 1, scanned
        address = urlsplit(scanned[0])
        assert address.path == "/verify" and address.query in (f"code={code}", f"code={code.replace('-', '')}"), \
            scanned
        shutil.copy(tmp_path / "acknowledgement.png", shots / f"phone-04-acknowledgement-pdf-{dbname}.png")

        # --- 2. 筑仁成长 asks 爱力量 for 60,000 yuan, with its project plan attached ---------------------------
        zhuren = phone("zhuren")
        assert zhuren.url == f"{base}/home" and GRANTEE in zhuren.inner_text("main h1")
        with zhuren.expect_navigation():
            zhuren.locator("main").get_by_role("link", name=re.compile("^申请拨款")).click()
        assert zhuren.url == f"{base}/disbursements/new"
        fits(zhuren, "the request form")
        form = zhuren.locator("main form", has=zhuren.locator("[name=amount]"))
        form.locator("select[name=fund_id]").select_option(label=f"{FUND_NAME}（限定性）")
        form.locator("input[name=amount]").fill("60,000.00")
        form.locator("textarea[name=purpose]").fill(PURPOSE)
        form.locator("textarea[name=budget]").fill(BUDGET)
        form.locator("input[type=file][name=files]").set_input_files(str(a_small_pdf(tmp_path / PLAN)))
        shot(zhuren, "05-request-form")
        with zhuren.expect_navigation():
            form.get_by_role("button", name=re.compile("^提交申请")).click()
        match = re.fullmatch(rf"{re.escape(base)}/disbursements/(\d+)", zhuren.url)
        assert match, (zhuren.url, zhuren.inner_text("main"))
        ident = int(match.group(1))
        request = f"BK-{ident:06d}"
        request_url = zhuren.url
        assert f"已提交拨款申请 {request}：¥60,000.00" in notice(zhuren), notice(zhuren)
        main = zhuren.inner_text("main")
        assert "已提交" in zhuren.inner_text("main h1") and "¥60,000.00" in main and "陆万元整" in main, main
        assert PURPOSE in main and GRANTEE in main and FUND_NAME in main
        attachments = read_table(zhuren.locator("main table.attachments"))
        assert [(a["文件"], a["类型"]) for a in attachments] == [(PLAN, "PDF")], attachments
        fits(zhuren, "the submitted request")
        shot(zhuren, "06-request-submitted")

        # --- 3. two managers approve (60,000 is above 50,000); the second pays, through the confirmation ------
        menu(manager, "拨款申请")
        assert manager.url == f"{base}/disbursements"
        fits(manager, "the disbursement queue")
        waiting = read_table(section(manager, "待审核").locator("table"))
        mine = [r for r in waiting if r["申请编号"] == request]
        assert len(mine) == 1 and mine[0]["受助机构"] == GRANTEE and "60,000.00" in mine[0]["申请金额"], waiting
        with manager.expect_navigation():
            section(manager, "待审核").get_by_role("link", name=request, exact=True).click()
        assert manager.url == request_url
        fits(manager, "the request, for review")
        assert PLAN in manager.inner_text("#attachments")  # the plan is there to read before approving
        review = manager.locator("#review")
        assert "须两位基金管理员批准：您是第一位" in review.inner_text(), review.inner_text()
        with manager.expect_navigation():
            review.get_by_role("button", name=re.compile("^批准")).click()
        assert f"您对申请 {request} 的批准已记录：还须另一位基金管理员批准" in notice(manager), manager.inner_text("main")
        h1 = manager.inner_text("main h1")
        assert "已提交" in h1 and "已获 1/2 位管理员批准，等待另一位管理员" in h1, h1
        assert manager.locator("#review").get_by_role("button", name=re.compile("^批准")).count() == 0  # not twice
        assert manager.locator("#pay").count() == 0  # nothing to pay yet
        fits(manager, "the request, approved once")
        shot(manager, "07-approved-1-of-2")

        manager2 = phone("manager2")
        manager2.goto(request_url)
        with manager2.expect_navigation():
            manager2.locator("#review").get_by_role("button", name=re.compile("^批准")).click()
        assert f"已批准拨款申请 {request}" in notice(manager2), manager2.inner_text("main")
        h1 = manager2.inner_text("main h1")
        assert "已批准" in h1 and "1/2" not in h1, h1
        payee = manager2.locator("#pay dl.payee").inner_text()
        assert GRANTEE in payee and PAYEE_BANK in payee and PAYEE_ACCOUNT in payee and "¥60,000.00" in payee, payee
        fits(manager2, "the request, approved")
        pay = manager2.locator("#pay form")
        pay.locator("input[name=paid_on]").fill(PAID_ON)
        pay.locator("input[name=reference]").fill(PAY_REFERENCE)
        shot(manager2, "08-pay-form")
        with manager2.expect_navigation():
            pay.get_by_role("button", name=re.compile("^拨付并记账")).click()
        confirm = manager2.locator("#confirm")
        said = confirm.inner_text()
        for fact in ("¥60,000.00", GRANTEE, PAYEE_BANK, PAYEE_ACCOUNT, PAID_ON, PAY_REFERENCE, "不可撤销"):
            assert fact in said, (fact, said)
        assert "已批准" in manager2.inner_text("main h1")  # nothing paid yet
        fits(manager2, "the payment's confirmation")
        shot(manager2, "09-pay-confirm-first-screen", full_page=False)  # what the phone shows on arriving
        shot(manager2, "09-pay-confirm")
        with manager2.expect_navigation():
            confirm.get_by_role("button", name=re.compile("^确认")).click()
        assert f"已拨付 {request}，记账凭证已生成" in notice(manager2), manager2.inner_text("main")
        assert "已拨付" in manager2.inner_text("main h1")
        paid = manager2.locator("dl.facts dt", has_text=re.compile(r"^拨付\s")).locator(
            "xpath=following-sibling::dd[1]").inner_text()
        assert PAID_ON in paid and PAY_REFERENCE in paid, paid
        sources = read_table(section(manager2, "资金来源").locator("table"))
        assert sum(Decimal(r["用于本笔拨款"].replace("¥", "").replace(",", "")) for r in sources) == 60_000, sources
        fits(manager2, "the paid request")
        shot(manager2, "10-paid")

        # --- 4. 筑仁成长 acknowledges receipt, after confirming --------------------------------------------------
        zhuren.goto(f"{base}/home")
        waiting_for_me = zhuren.locator("#for-you").inner_text()
        assert request in waiting_for_me and "¥60,000.00" in waiting_for_me, waiting_for_me
        fits(zhuren, "the grantee's home, payment arrived")
        with zhuren.expect_navigation():
            zhuren.locator("#for-you").get_by_role("link", name=request).click()
        acknowledge = zhuren.locator("#acknowledge form")
        assert acknowledge.is_visible()
        acknowledge.locator("input[name=received_on]").fill(RECEIVED_ON)
        with zhuren.expect_navigation():
            acknowledge.get_by_role("button", name=re.compile("^确认到账")).click()
        confirm = zhuren.locator("#confirm")
        said = confirm.inner_text()
        for fact in ("¥60,000.00", "陆万元整", PAID_ON, PAY_REFERENCE, RECEIVED_ON, "不可撤销"):
            assert fact in said, (fact, said)
        assert "已拨付" in zhuren.inner_text("main h1")
        fits(zhuren, "the receipt's confirmation")
        shot(zhuren, "11-acknowledge-confirm-first-screen", full_page=False)
        shot(zhuren, "11-acknowledge-confirm")
        with zhuren.expect_navigation():
            confirm.get_by_role("button", name=re.compile("^确认")).click()
        assert f"已确认 {request} 到账" in notice(zhuren), zhuren.inner_text("main")
        assert "已确认到账" in zhuren.inner_text("main h1")
        steps = [re.sub(r"\s+", " ", s) for s in zhuren.locator("ol.timeline > li").all_inner_texts()]
        assert [re.search(r"UTC\+8 (\S+) · (\S+ \S+)", s).groups() for s in steps] == [  # people by name
            ("提交申请", "筑仁成长 赵静"), ("批准", "基金管理员 王敏"), ("批准", "基金管理员 刘芳"), ("拨付", "基金管理员 刘芳"),
            ("确认到账", "筑仁成长 赵静")], steps
        assert "已获 1/2 位管理员批准" in steps[1], steps
        fits(zhuren, "the acknowledged request")
        shot(zhuren, "12-acknowledged")

        # --- 5. the front door lists the grant; October is closed and its report issued; the door lists it ----
        visitor = phone(None)
        visitor.goto(f"{base}/")
        grants = visitor.locator("main table.public-grants tbody tr", has_text=PURPOSE)
        assert grants.count() == 1, visitor.inner_text("main table.public-grants")
        row = grants.inner_text()
        assert GRANTEE in row and FUND_NAME in row and "¥60,000.00" in row and "2026年10月28日" in row, row
        assert "尚未出具审计报告" in visitor.inner_text("main table.public-reports")  # none yet
        fits(visitor, "the front door")
        grants.scroll_into_view_if_needed()
        shot(visitor, "13-front-door-grant", full_page=False)

        menu(manager, "会计期间")
        assert manager.url == f"{base}/periods"
        fits(manager, "/periods")
        for period in (EARLIER, PERIOD):
            row = manager.locator("main table.periods tbody tr", has=manager.get_by_text(period, exact=True))
            with manager.expect_navigation():
                row.get_by_role("link", name=re.compile("^结账")).click()
            assert manager.url == f"{base}/periods/close?period={period}"
            fits(manager, f"closing {period}")
            form = manager.locator("main form", has=manager.locator("input[name=confirm]"))
            form.get_by_label(re.compile("我已核对，确认结账")).check()
            if period == PERIOD:
                shot(manager, "14-close-october")
            with manager.expect_navigation():
                form.get_by_role("button", name=re.compile("^结账并封印")).click()
            assert manager.url == f"{base}/periods" and f"已结账：{period}" in notice(manager), notice(manager)
            closed = [r for r in read_table(manager.locator("main table.periods")) if r["期间"] == period]
            assert len(closed) == 1 and closed[0]["状态"] == "已结账", closed

        menu(manager, "审计报告")
        assert manager.url == f"{base}/audit-reports"
        issue = manager.locator("main form", has=manager.locator("select[name=period]"))
        issue.get_by_label(re.compile("^已结账期间")).select_option(PERIOD)
        with manager.expect_navigation(timeout=180_000):
            issue.get_by_role("button", name=re.compile("^出具")).click()
        issued = re.search(rf"已出具第 (\d+) 号审计报告（{PERIOD}），SHA-256 ([0-9a-f]{{16}})…", notice(manager))
        assert issued, manager.inner_text("main")
        listed = manager.locator("main table.audit-reports tbody tr", has=manager.get_by_text(PERIOD, exact=True))
        sha256 = listed.locator("td.digest span[title]").last.get_attribute("title")
        assert re.fullmatch(r"[0-9a-f]{64}", sha256) and sha256.startswith(issued[2]), sha256
        fits(manager, "/audit-reports")
        shot(manager, "15-report-issued")

        visitor.goto(f"{base}/")
        report = visitor.locator("main table.public-reports tbody tr", has_text=PERIOD)
        assert report.count() == 1, visitor.inner_text("main table.public-reports")
        said = report.inner_text()
        assert re.search(rf"{PERIOD}\s+编号\s+{issued[1]}\b", said), said
        assert sha256 in said.replace("\n", "").replace(" ", ""), said
        assert report.get_by_role("link", name=re.compile("下载")).get_attribute("href") == \
            f"/public/audit-reports/{issued[1]}.pdf"
        fits(visitor, "the front door, with the report")
        report.scroll_into_view_if_needed()
        shot(visitor, "16-front-door-report", full_page=False)

        # --- 6. a visitor checks the gift: by scanning the acknowledgement's QR code, and by typing its code ---
        visitor.goto(f"{base}{address.path}?{address.query}")
        verified = visitor.locator("main section.verified")
        said = verified.inner_text()
        assert "这笔捐赠已记入账册，现仍有效。" in said and "¥100,000.00" in said and "人民币壹拾万元整" in said, said
        assert number in said and FUND_NAME in said and GIFT_ON in said and "张*" in said, said
        assert ASSOCIATION not in visitor.inner_text("main")  # a visitor never reads the donor's full name
        fits(visitor, "/verify, scanned")
        shot(visitor, "17-verify-scanned")

        visitor.goto(f"{base}/verify")
        form = visitor.locator("main form.verify-form")
        form.get_by_label(re.compile("^核验码")).fill(code)
        with visitor.expect_navigation():
            form.get_by_role("button", name=re.compile("^核验")).click()
        said = visitor.locator("main section.verified").inner_text()
        assert "这笔捐赠已记入账册，现仍有效。" in said and "¥100,000.00" in said and number in said, said
        assert re.search(r"状态\s*(?:Status)?\s*有效", said), said
        fits(visitor, "/verify, typed")
        shot(visitor, "18-verify-typed")

        assert not problems, problems
    finally:
        for context in contexts:
            context.close()
