"""The issue's "done when", in a real browser (Chromium through Playwright): a fund manager adds the
women entrepreneurs' association as a donor, records its 100,000 yuan gift to 爱力量, downloads the
acknowledgement, imports a list of 1,000 gifts, and sees every fund's balance move by exactly the sums.

Runs on SQLite and PostgreSQL (the ``app`` fixture). The app is served in this process on 127.0.0.1;
nothing leaves the machine. Screenshots go to $FUND_LEDGER_SCREENSHOTS, or to pytest's tmp dir (conftest.py).
"""
from __future__ import annotations

import random
import re
import shutil
import subprocess
from decimal import Decimal

import pytest

from fund_ledger.clock import local_today

ASSOCIATION = "张店区女企业家协会"
FUNDS = {"AILILIANG": "爱力量", "TONGMENG": "童梦童行", "JIAXUEYUAN": "家学苑", "GENERAL": "非限定性基金"}

pytestmark = pytest.mark.slow


def gifts_csv(n: int = 1000, seed: int = 2026) -> tuple[bytes, dict[str, Decimal]]:
    """A list of ``n`` gifts as a fund manager keeps it, and the sum it holds for each fund."""
    rng = random.Random(seed)
    donors = [f"捐赠人{i:03d}" for i in range(60)] + ["王秀兰", "孙丽", "淄博齐鲁巾帼商贸有限公司"]
    sums = {code: Decimal(0) for code in FUNDS}
    lines = ["捐赠人,类型,基金,金额,日期,方式,凭证号,备注"]
    for i in range(n):
        code = rng.choice(list(FUNDS))
        fen = rng.randint(1, 5_000_000)
        amount = Decimal(fen) / 100
        sums[code] += amount
        donor = rng.choice(donors)
        kind = "单位" if donor.endswith("公司") else "个人"
        fund = rng.choice([code, FUNDS[code]])  # by code or by name, as people write it
        day = f"2026-{rng.randint(9, 11):02d}-{rng.randint(1, 26):02d}"
        channel = rng.choice(["银行", "微信", "支付宝", "现金", "bank"])
        written = f'"{amount:,.2f}"' if rng.random() < 0.3 else f"{amount:.2f}"
        lines.append(f"{donor},{kind},{fund},{written},{day},{channel},R{i:05d},")
    return ("\n".join(lines) + "\n").encode("utf-8"), sums


def balances(page, base: str) -> dict[str, Decimal]:
    page.goto(f"{base}/funds")
    html = page.content()
    out = {}
    for code in FUNDS:
        match = re.search(rf'<small class="code">{code}</small></td>\s*<td>.*?</td>\s*<td>.*?</td>\s*'
                          rf'<td class="num">([-\d,.]+)</td>', html, re.S)
        assert match, f"no balance for {code} on /funds"
        out[code] = Decimal(match.group(1).replace(",", ""))
    return out


def test_a_manager_records_the_first_gift_downloads_its_acknowledgement_and_imports_a_thousand(
        browser, live_server, sign_in, shots, tmp_path, dbname):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        sign_in(page, "manager")
        before = balances(page, live_server)

        # The association, as a donor: found by searching, or added when the books do not know it yet.
        page.click("header nav >> text=捐赠人")
        page.fill("form.search input[name=q]", "女企业家")
        with page.expect_navigation():
            page.click("form.search button[type=submit]")
        found = page.locator("table.donors td > a", has_text=ASSOCIATION)
        if found.count():
            with page.expect_navigation():
                found.first.click()
        else:
            page.fill("#add-donor input[name=name]", ASSOCIATION)
            page.select_option("#add-donor select[name=kind]", "organisation")
            page.fill("#add-donor input[name=phone]", "0533-2345678")
            with page.expect_navigation():
                page.click("#add-donor button[type=submit]")
            assert f"已添加捐赠人 {ASSOCIATION}" in page.inner_text("main")
        assert re.search(r"/donors/\d+$", page.url) and ASSOCIATION in page.inner_text("main h1")
        page.screenshot(path=str(shots / f"donor-{dbname}.png"), full_page=True)

        # Its 100,000 yuan gift to 爱力量.
        with page.expect_navigation():
            page.click("main a:has-text('记录一笔捐赠')")
        assert page.input_value("input[name=donor_id]").isdigit()  # the donor picker: a number with a datalist
        assert ASSOCIATION in page.inner_text(".chosen-donor")
        page.select_option("select[name=fund_id]", label="爱力量（限定性）")
        page.fill("input[name=amount]", "100000")
        assert page.input_value("input[name=received_on]") == local_today().isoformat()
        page.select_option("select[name=channel]", "bank")
        page.fill("input[name=reference]", "ICBC-20261127-0001")
        page.screenshot(path=str(shots / f"donation-form-{dbname}.png"), full_page=True)
        with page.expect_navigation():
            page.click("form.donation-form button[type=submit]")
        assert re.search(r"/donations/\d+$", page.url), page.inner_text("main")
        main = page.inner_text("main")
        number = page.inner_text("main h1 .code")
        assert re.fullmatch(r"JZ2026-\d{6}", number), number
        assert f"已记录捐赠 {number}" in main and "人民币壹拾万元整" in main and "¥100,000.00" in main
        page.screenshot(path=str(shots / f"donation-{dbname}.png"), full_page=True)

        # Its acknowledgement.
        with page.expect_download() as info:
            page.click("a:has-text('下载捐赠确认书')")
        download = info.value
        assert download.suggested_filename == f"{number}.pdf"
        pdf = tmp_path / download.suggested_filename
        download.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF-")
        if shutil.which("pdftotext"):
            text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                                     check=True).stdout)
            assert "捐赠确认书" in text and number in text and "人民币壹拾万元整" in text and ASSOCIATION in text
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", str(pdf),
                            str(shots / f"acknowledgement-{dbname}")], check=True)
        after_gift = balances(page, live_server)
        assert after_gift == {**before, "AILILIANG": before["AILILIANG"] + 100_000}

        # A list of 1,000 gifts.
        data, sums = gifts_csv()
        csv_path = tmp_path / "捐赠名单-2026.csv"
        csv_path.write_bytes(data)
        page.goto(f"{live_server}/donations/import")
        page.set_input_files("input[name=file]", str(csv_path))
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        main = page.inner_text("main")
        total = sum(sums.values())
        assert f"已导入 1000 笔捐赠，合计 ¥{total:,.2f}" in main, main[:500]
        page.screenshot(path=str(shots / f"import-done-{dbname}.png"), full_page=False)

        after_import = balances(page, live_server)
        assert after_import == {code: after_gift[code] + sums[code] for code in FUNDS}
        page.screenshot(path=str(shots / f"funds-after-{dbname}.png"), full_page=True)

        # The same file again: nothing new.
        page.goto(f"{live_server}/donations/import")
        page.set_input_files("input[name=file]", str(csv_path))
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "已经导入过" in page.inner_text("main")
        assert balances(page, live_server) == after_import

        # The overview's trial balance still balances.
        page.goto(f"{live_server}/overview")
        foot = page.inner_text("table.ledger tfoot")
        amounts = re.findall(r"[\d,]+\.\d\d", foot)
        assert len(amounts) == 2 and amounts[0] == amounts[1], foot
        assert not problems, problems
    finally:
        context.close()


def test_a_donor_checks_a_gift_on_the_public_page(browser, live_server, app, login):
    manager = login("manager")
    donor = manager.post("/donors", data={"csrf_token": manager.csrf_token, "name": ASSOCIATION,
                                          "kind": "organisation", "phone": "0533-2345678"})
    donor_id = donor.headers["Location"].rsplit("/", 1)[1]
    form = manager.get("/donations/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    fund = re.search(r'<option value="(\d+)"[^>]*>爱力量', form).group(1)
    response = manager.post("/donations/new", data={
        "csrf_token": manager.csrf_token, "idempotency_key": key, "donor_id": donor_id, "fund_id": fund,
        "amount": "100000", "received_on": local_today().isoformat(), "channel": "bank"})
    gift_page = manager.get(response.headers["Location"]).get_data(as_text=True)
    code = re.search(r'class="code strong">([A-Z0-9-]{11})<', gift_page).group(1)
    number = re.search(r'<h1>.*?<span class="code">(JZ\d{4}-\d{6})</span>', gift_page, re.S).group(1)

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/verify")
        page.fill("input[name=code]", code.lower().replace("-", ""))
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        main = page.inner_text("main")
        assert number in main and "张*" in main and "已记入账册" in main
        assert "0533" not in main and ASSOCIATION not in main
        page.fill("input[name=code]", "ABCDE-FGHJK")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "未找到" in page.inner_text("main")
    finally:
        context.close()
