"""The grants issue's "done when", in a real browser (Chromium through Playwright): 筑仁成长 (user
``zhuren``) asks 爱力量 for 30,000 yuan on /disbursements/new; a fund manager approves and pays it
(payment date and reference) on the request's page, where the payee's bank account is shown, and confirms
the payment on the confirmation that follows; 筑仁成长 acknowledges receipt, again confirmed. Then every place that
tells the story agrees: the fund's balance fell by exactly 30,000.00, the trial balance moved 5101 up and
1002 down by 30,000 (in 爱力量, as the payment's journal entry shows), the fund's tracing page pays the
grant from gifts adding up to 30,000.00, the audit log names who submitted, approved, paid and
acknowledged, and the request's own page lists those steps in order.

Each person has their own browser context (their own session), as on three desks. Runs on SQLite and
PostgreSQL (the ``app`` fixture); the shared fixtures are in conftest.py. Screenshots: one per step.
"""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from fund_ledger.clock import local_today
from tests.browser.pages import notice, read_table, watch

pytestmark = [pytest.mark.slow, pytest.mark.both_databases]  # specified as "in Chromium on both databases"

FUND_CODE, FUND_NAME = "AILILIANG", "爱力量"
GRANTEE = "筑仁成长公益服务中心"
AMOUNT = Decimal("30000.00")
PURPOSE = "困境儿童帮扶项目第三期：秋冬季学习用品与家庭走访"
BUDGET = "学习用品与图书 12000\n困境儿童家庭走访与心理辅导 18000"
REFERENCE = "ZD-PAY-1127-03"
GRANT_EXPENSE, BANK = "5101", "1002"


def yuan(text: str) -> Decimal:
    """``¥30,000.00`` or ``-1,234.50`` as a Decimal (exact; no floats)."""
    cleaned = text.strip().replace("¥", "").replace(",", "")
    assert re.fullmatch(r"-?\d+\.\d\d", cleaned), f"not an amount: {text!r}"
    return Decimal(cleaned)


def section(page, heading: str):
    """The panel whose heading starts with ``heading``."""
    return page.locator("section", has=page.get_by_role("heading", name=re.compile("^" + re.escape(heading))))


def fund_row(page, base: str) -> dict[str, str]:
    page.goto(f"{base}/funds")
    rows = [r for r in read_table(page.locator("main table.ledger")) if r["基金"].split()[-1] == FUND_CODE]
    assert len(rows) == 1, f"{FUND_CODE} on /funds: {rows}"
    return rows[0]


def trial_balance(page, base: str) -> dict[str, dict[str, Decimal]]:
    """The overview's trial balance: {account code: {借方发生额, 贷方发生额, 余额}}."""
    page.goto(f"{base}/overview")
    table = page.locator("#trial-balance table.ledger:not(#funds-as-of)")
    out = {}
    for row in read_table(table):
        out[row["科目代码"]] = {k: yuan(row[k]) for k in ("借方发生额", "贷方发生额", "余额")}
    return out


def overview_card_balance(page) -> Decimal:
    """爱力量's balance on the overview's fund card (the page must be /overview)."""
    card = page.locator(f"article.card[data-fund='{FUND_CODE}']")
    return yuan(card.locator("dt:has-text('余额') + dd").first.inner_text())


def test_a_grantee_asks_a_manager_pays_the_grantee_acknowledges_and_the_books_agree(
        browser, live_server, sign_in, shots, dbname):
    base = live_server
    today = local_today().isoformat()
    problems: list[str] = []
    contexts = []

    def desk(username: str):
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        watch(page, problems, username)
        sign_in(page, username)
        assert "/login" not in page.url, page.inner_text("main")
        return page

    def shot(page, name: str, full_page: bool = True) -> None:
        page.screenshot(path=str(shots / f"grant-{name}-{dbname}.png"), full_page=full_page)

    try:
        manager = desk("manager")
        fund_before = fund_row(manager, base)
        tb_before = trial_balance(manager, base)
        card_before = overview_card_balance(manager)
        assert card_before == yuan(fund_before["余额"])

        # --- 筑仁成长 asks for 30,000 yuan ------------------------------------------------------------
        zhuren = desk("zhuren")
        zhuren.get_by_role("navigation").get_by_role("link", name=re.compile("^拨款申请")).click()
        zhuren.wait_for_url(f"{base}/disbursements")
        assert GRANTEE in zhuren.inner_text("main h1")
        zhuren.locator("main").get_by_role("link", name=re.compile("^申请拨款")).click()
        zhuren.wait_for_url(f"{base}/disbursements/new")
        form = zhuren.locator("main form", has=zhuren.locator("[name=amount]"))
        form.locator("select[name=fund_id]").select_option(label=f"{FUND_NAME}（限定性）")
        form.locator("input[name=amount]").fill("30,000.00")
        form.locator("textarea[name=purpose]").fill(PURPOSE)
        form.locator("textarea[name=budget]").fill(BUDGET)
        shot(zhuren, "1-request-form")
        with zhuren.expect_navigation():
            form.get_by_role("button", name=re.compile("^提交申请")).click()
        match = re.fullmatch(rf"{re.escape(base)}/disbursements/(\d+)", zhuren.url)
        assert match, (zhuren.url, zhuren.inner_text("main"))
        ident = int(match.group(1))
        number = f"BK-{ident:06d}"  # the request's number, as people quote it
        assert f"已提交拨款申请 {number}：¥30,000.00" in notice(zhuren)
        main = zhuren.inner_text("main")
        assert "已提交" in zhuren.inner_text("main h1") and "¥30,000.00" in main and "叁万元整" in main
        assert PURPOSE in main and GRANTEE in main and FUND_NAME in main
        budget = read_table(section(zhuren, "预算明细").locator("table"))
        assert [(r["项目"], yuan(r["金额"])) for r in budget] == [
            ("学习用品与图书", Decimal("12000.00")), ("困境儿童家庭走访与心理辅导", Decimal("18000.00"))]
        shot(zhuren, "2-submitted")

        # --- a manager approves it: one approval is enough at 30,000 (two above 50,000) --------------
        manager.get_by_role("navigation").get_by_role("link", name=re.compile("^拨款申请")).click()
        manager.wait_for_url(f"{base}/disbursements")
        waiting = read_table(section(manager, "待审核").locator("table"))
        mine = [r for r in waiting if r["申请编号"] == number]
        assert len(mine) == 1, waiting
        assert mine[0]["受助机构"] == GRANTEE and mine[0]["基金"] == FUND_NAME
        assert yuan(mine[0]["申请金额"]) == AMOUNT
        assert yuan(mine[0]["基金可用余额"].split()[0]) == yuan(fund_before["可用"])
        assert "须两人批准" not in mine[0]["用途"]
        assert section(manager, "待审核").locator("form").count() == 0  # no approval from the list
        shot(manager, "3-review-queue")
        with manager.expect_navigation():
            section(manager, "待审核").get_by_role("link", name=number, exact=True).click()
        assert manager.url == f"{base}/disbursements/{ident}"
        review = manager.locator("main form", has=manager.get_by_role("button", name=re.compile("^批准")))
        assert review.get_by_role("button", name=re.compile("^批准")).is_enabled()  # zhuren submitted, not manager
        with manager.expect_navigation():
            review.get_by_role("button", name=re.compile("^批准")).click()
        assert f"已批准拨款申请 {number}" in notice(manager), manager.inner_text("main")
        assert "已批准" in manager.inner_text("main h1")
        shot(manager, "4-approved")
        reserved = fund_row(manager, base)
        assert yuan(reserved["余额"]) == yuan(fund_before["余额"])  # approval reserves, it does not spend
        assert yuan(reserved["已预留"]) == yuan(fund_before["已预留"]) + AMOUNT
        assert yuan(reserved["可用"]) == yuan(fund_before["可用"]) - AMOUNT

        # --- ... and pays it, with the payment's date and reference --------------------------------
        manager.goto(f"{base}/disbursements/{ident}")
        payee = manager.locator("#pay dl.payee").inner_text()
        assert GRANTEE in payee and "9020000012345678901" in payee and "淄博农村商业银行张店支行" in payee, payee
        pay = manager.locator("main form", has=manager.locator("input[name=reference]"))
        assert pay.locator("input[name=paid_on]").input_value() == today
        pay.locator("input[name=paid_on]").fill(today)
        pay.locator("input[name=reference]").fill(REFERENCE)
        shot(manager, "5-pay-form")
        with manager.expect_navigation():
            pay.get_by_role("button", name=re.compile("^拨付并记账")).click()
        confirm = manager.locator("#confirm")  # asked first: what will be paid, to whom, nothing posted yet
        said = confirm.inner_text()
        assert "¥30,000.00" in said and "9020000012345678901" in said and REFERENCE in said and "不可撤销" in said, said
        assert "已批准" in manager.inner_text("main h1")
        shot(manager, "5b-pay-confirm")
        with manager.expect_navigation():
            confirm.get_by_role("button", name=re.compile("^确认")).click()
        assert f"已拨付 {number}，记账凭证已生成" in notice(manager), manager.inner_text("main")
        assert "已拨付" in manager.inner_text("main h1")
        paid = manager.locator("dl.facts dt", has_text=re.compile(r"^拨付\s")).locator(
            "xpath=following-sibling::dd[1]").inner_text()
        assert today in paid and REFERENCE in paid, paid
        entry_number = re.search(r"\d{4}-\d{6}", paid.replace(today, "")).group(0)
        sources = read_table(section(manager, "资金来源").locator("table"))
        assert sum(yuan(r["用于本笔拨款"]) for r in sources) == AMOUNT, sources
        shot(manager, "6-paid")

        # The payment's journal entry: Dr 5101 / Cr 1002 in 爱力量, and the restriction released.
        with manager.expect_navigation():
            manager.locator("dl.facts").get_by_role("link", name=entry_number).click()
        assert manager.url == f"{base}/journal/{entry_number}"
        facts = manager.inner_text("dl.facts")
        assert REFERENCE in facts and GRANTEE in facts and today in facts
        postings = {(r["科目"].split()[0], r["基金"]): (r["借方"], r["贷方"])
                    for r in read_table(manager.locator("main table.ledger"))}
        assert postings == {(GRANT_EXPENSE, FUND_NAME): ("30,000.00", ""), (BANK, FUND_NAME): ("", "30,000.00"),
                            ("3102", FUND_NAME): ("30,000.00", ""), ("3101", FUND_NAME): ("", "30,000.00")}, postings
        shot(manager, "7-journal-entry")

        # --- 筑仁成长 sees the payment and acknowledges receipt ---------------------------------------
        zhuren.goto(f"{base}/disbursements")
        row = [r for r in read_table(zhuren.locator("main table.grants")) if r["申请编号"] == number]
        assert len(row) == 1 and "已拨付" in row[0]["状态"] and row[0]["拨付日期"] == today, row
        shot(zhuren, "8-mine-paid")
        ours_row = zhuren.locator("main table.grants tbody tr",
                                  has=zhuren.get_by_role("link", name=number, exact=True))
        with zhuren.expect_navigation():
            ours_row.get_by_role("link", name="请确认到账").click()
        acknowledge = zhuren.locator("main form", has=zhuren.locator("input[name=received_on]"))
        assert acknowledge.locator("input[name=received_on]").input_value() == today
        with zhuren.expect_navigation():
            acknowledge.get_by_role("button", name=re.compile("^确认到账")).click()
        confirm = zhuren.locator("#confirm")  # asked first: the amount and the date, nothing recorded yet
        said = confirm.inner_text()
        assert "¥30,000.00" in said and today in said and "不可撤销" in said, said
        assert "已拨付" in zhuren.inner_text("main h1")
        with zhuren.expect_navigation():
            confirm.get_by_role("button", name=re.compile("^确认")).click()
        assert f"已确认 {number} 到账" in notice(zhuren), zhuren.inner_text("main")
        assert "已确认到账" in zhuren.inner_text("main h1")

        # The request's page tells the story in order, with who did each step.
        steps = [re.sub(r"\s+", " ", s) for s in zhuren.locator("ol.timeline > li").all_inner_texts()]
        assert [re.search(r"UTC\+8 (\S+) · (\S+ \S+)", s).groups() for s in steps] == [  # Beijing time; names
            ("提交申请", "筑仁成长 赵静"), ("批准", "基金管理员 王敏"), ("拨付", "基金管理员 王敏"), ("确认到账", "筑仁成长 赵静")], steps
        assert "→ 已提交" in steps[0] and "已提交 → 已批准" in steps[1]
        assert "已批准 → 已拨付" in steps[2] and REFERENCE in steps[2] and today in steps[2]
        assert "已拨付 → 已确认到账" in steps[3] and today in steps[3]
        times = [re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC\+8", s).group(1) for s in steps]
        assert times == sorted(times), times
        shot(zhuren, "9-acknowledged")

        # --- the fund: 爱力量's balance fell by exactly 30,000.00 -------------------------------------
        fund_after = fund_row(manager, base)
        assert yuan(fund_after["余额"]) == yuan(fund_before["余额"]) - AMOUNT
        assert yuan(fund_after["已预留"]) == yuan(fund_before["已预留"])
        assert yuan(fund_after["可用"]) == yuan(fund_before["可用"]) - AMOUNT
        shot(manager, "10-funds-after")

        # --- the trial balance: 5101 up by 30,000, 1002 down by 30,000, still balancing ----------------
        tb_after = trial_balance(manager, base)
        assert tb_after[GRANT_EXPENSE]["借方发生额"] == tb_before[GRANT_EXPENSE]["借方发生额"] + AMOUNT
        assert tb_after[GRANT_EXPENSE]["余额"] == tb_before[GRANT_EXPENSE]["余额"] + AMOUNT
        assert tb_after[BANK]["贷方发生额"] == tb_before[BANK]["贷方发生额"] + AMOUNT
        assert tb_after[BANK]["余额"] == tb_before[BANK]["余额"] - AMOUNT
        moved = {code for code in tb_after if tb_after[code] != tb_before.get(code)}
        assert moved == {GRANT_EXPENSE, BANK, "3102", "3101"}, moved
        assert overview_card_balance(manager) == card_before - AMOUNT
        foot = manager.locator("main table.ledger tfoot").inner_text()
        debits, credits = re.findall(r"[\d,]+\.\d\d", foot)
        assert debits == credits, foot
        shot(manager, "11-trial-balance")

        # --- the tracing: the new grant is paid from gifts that add up to 30,000.00 ------------------
        manager.goto(f"{base}/disbursements/{ident}")
        with manager.expect_navigation():
            manager.get_by_role("link", name=re.compile("^查看该基金的资金追踪")).click()
        assert re.fullmatch(rf"{re.escape(base)}/funds/\d+/tracing", manager.url), manager.url
        assert FUND_NAME in manager.inner_text("main h1")
        allocations = read_table(section(manager, "哪笔捐赠支付了哪笔拨款").locator("table"))
        ours = [r for r in allocations if r["拨款"].split()[0] == number]
        assert ours and sum(yuan(r["金额"]) for r in ours) == AMOUNT, allocations
        assert all(r["受助机构"] == GRANTEE and r["拨付日期"] == today for r in ours), ours
        gifts = read_table(section(manager, "每笔捐赠").locator("table"))
        for r in ours:  # each gift drawn on is one of the fund's gifts, and it had that much to give
            given = [g for g in gifts if g["捐赠人"] == r["捐赠人"] and g["捐赠日期"] == r["捐赠日期"]]
            assert given and any(yuan(g["已用于拨款"]) >= yuan(r["金额"]) for g in given), (r, gifts)
        assert sum(yuan(g["已用于拨款"]) for g in gifts) == sum(yuan(a["金额"]) for a in allocations)
        shot(manager, "12-tracing")

        # --- the audit log, read by the auditor: who submitted, approved, paid, acknowledged ---------
        auditor = desk("auditor")
        auditor.get_by_role("navigation").get_by_role("link", name=re.compile("^审计日志")).click()
        auditor.wait_for_url(f"{base}/audit")
        filters = auditor.locator("main form.filters")
        filters.get_by_label("对象类型").fill("disbursement")
        filters.get_by_label("对象编号").fill(str(ident))
        with auditor.expect_navigation():
            filters.get_by_role("button", name="查询").click()
        records = read_table(auditor.locator("main table.audit"))
        # the action cell names the step in Chinese above its code
        story = sorted((int(r["#"]), tuple(r["动作"].split()), r["操作人"].split()[-1], r["结果"]) for r in records)
        assert "筑仁成长 赵静" in records[0]["操作人"] or "基金管理员 王敏" in records[0]["操作人"]  # the name, then the username
        assert [s[1:] for s in story] == [
            (("提交拨款申请", "disbursement.submit"), "zhuren", "成功"), (("批准", "disbursement.approve"), "manager", "成功"),
            (("拨付", "disbursement.pay"), "manager", "成功"), (("确认到账", "disbursement.acknowledge"), "zhuren", "成功")], story
        assert all(r["对象"] == f"disbursement: {ident}" for r in records), records
        shot(auditor, "13-audit-log")

        assert not problems, problems
    finally:
        for context in contexts:
            context.close()
