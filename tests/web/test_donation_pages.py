"""The donation pages, used through their forms: donors, gifts (idempotent against a double click), refunds
by reversal, imports, pledges, new funds, and the public verification page. Every test runs on SQLite and
PostgreSQL (the ``app`` fixture holds the demo story)."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import text

DEMO_PASSWORD = "aililiang-2026"
DONOR = "淄川区巾帼志愿者协会"
"""A donor the demo story does not hold (the demo may hold gifts and donors of its own: counts are relative)."""


# --- helpers ----------------------------------------------------------------------------------------------

def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": client.csrf_token, **data})


def count(app, sql: str) -> int:
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def fund_balance(client, code: str) -> Decimal:
    """The balance the funds page shows for a fund."""
    page = client.get("/funds").get_data(as_text=True)
    match = re.search(rf'<small class="code">{code}</small></td>\s*<td>.*?</td>\s*<td>.*?</td>\s*'
                      rf'<td class="num">([-\d,.]+)</td>', page, re.S)
    assert match, f"no row for fund {code} on /funds"
    return Decimal(match.group(1).replace(",", ""))


def fund_id(client, code: str) -> str:
    page = client.get("/donations/new").get_data(as_text=True)
    names = {"AILILIANG": "爱力量", "GENERAL": "非限定性基金", "TONGMENG": "童梦童行", "JIAXUEYUAN": "家学苑"}
    return re.search(rf'<option value="(\d+)"[^>]*>{names[code]}', page).group(1)


def add_donor(manager, name: str = DONOR, **extra) -> int:
    response = post(manager, "/donors", name=name, kind=extra.pop("kind", "organisation"), **extra)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert f"已添加捐赠人 {name}" in manager.get(response.headers["Location"]).get_data(as_text=True)  # the notice
    return int(re.fullmatch(r"/donors/(\d+)", response.headers["Location"]).group(1))


def donation_form(manager, **query) -> dict:
    """What the form offers: its idempotency key and the default date."""
    page = manager.get("/donations/new", query_string=query).get_data(as_text=True)
    return {"idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1),
            "received_on": re.search(r'name="received_on" type="date" value="([^"]+)"', page).group(1)}


def record_gift(manager, donor: int, fund: str = "AILILIANG", amount: str = "100000", **extra):
    form = {**donation_form(manager), "donor_id": str(donor), "fund_id": fund_id(manager, fund), "amount": amount,
            "channel": "bank", "reference": "ICBC-20261127-0001", "memo": "", **extra}
    return post(manager, "/donations/new", **form)


def receipt_of(page: str) -> str:
    """The acknowledgement number a donation page shows in its title."""
    return re.search(r'<h1>.*?<span class="code">(JZ\d{4}-\d{6})</span>', page, re.S).group(1)


def donation_path(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    location = response.headers["Location"]
    assert re.fullmatch(r"/donations/\d+", location), location
    return location


@pytest.fixture
def manager(login):
    return login("manager")


# --- donors -----------------------------------------------------------------------------------------------

def test_a_manager_adds_donors_and_finds_them_by_search(app, manager):
    donor = add_donor(manager, phone="0533-2345678", related_party="1", related_note="协会会长兼基金管委会委员")
    page = manager.get(f"/donors/{donor}").get_data(as_text=True)
    assert "0533-2345678" in page and "关联方" in page and "协会会长兼基金管委会委员" in page
    add_donor(manager, "周晓燕", kind="person")

    found = manager.get("/donors", query_string={"q": "巾帼志愿"}).get_data(as_text=True)
    assert DONOR in found and "周晓燕" not in found
    assert "周晓燕" in manager.get("/donors", query_string={"q": "晓燕"}).get_data(as_text=True)
    none = manager.get("/donors", query_string={"q": "%"}).get_data(as_text=True)  # a LIKE wildcard matches nothing
    assert "没有找到捐赠人" in none


def test_a_donor_that_is_not_valid_comes_back_with_messages_beside_the_fields(app, manager):
    donors = count(app, "SELECT count(*) FROM donors")
    response = post(manager, "/donors", name="", kind="organisation", phone="call me", email="not-an-address")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert page.count('class="field-error"') == 3 and "不是有效的电子邮件地址" in page and "必填" in page
    assert 'value="call me"' in page  # what was typed stays in the form
    assert count(app, "SELECT count(*) FROM donors") == donors


# --- gifts ------------------------------------------------------------------------------------------------

def test_recording_a_gift_moves_the_fund_balance_and_shows_its_acknowledgement(app, manager):
    donor = add_donor(manager)
    before = fund_balance(manager, "AILILIANG")
    path = donation_path(record_gift(manager, donor))
    page = manager.get(path).get_data(as_text=True)
    number = receipt_of(page)
    assert f"已记录捐赠 {number}：¥100,000.00（人民币壹拾万元整）" in page  # the notice, with the 大写
    assert "人民币壹拾万元整" in page and DONOR in page
    entry = re.search(r'href="/journal/(\d{4}-\d{6})"', page).group(1)
    assert f"{DONOR}捐赠爱力量" in manager.get(f"/journal/{entry}").get_data(as_text=True)
    assert f'href="{path}/acknowledgement.pdf"' in page
    assert fund_balance(manager, "AILILIANG") == before + 100_000
    listing = manager.get("/donations", query_string={"fund": "AILILIANG"}).get_data(as_text=True)
    assert number in listing and "100,000.00" in listing
    donor_page = manager.get(f"/donors/{donor}").get_data(as_text=True)
    assert "¥100,000.00" in donor_page and "statement.pdf?year=2026" in donor_page


def test_a_double_click_records_one_gift_and_both_answers_show_it(app, manager):
    donor = add_donor(manager)
    gifts = count(app, "SELECT count(*) FROM donations")
    form = {**donation_form(manager), "donor_id": str(donor), "fund_id": fund_id(manager, "AILILIANG"),
            "amount": "100,000.00", "channel": "bank", "reference": "", "memo": ""}
    first = donation_path(post(manager, "/donations/new", **form))
    second = donation_path(post(manager, "/donations/new", **form))
    assert first == second
    assert count(app, "SELECT count(*) FROM donations") == gifts + 1
    assert "表单已经提交过" in manager.get(second).get_data(as_text=True)

    # The same form sent back with another amount is refused (nothing recorded) and offers a fresh key.
    changed = post(manager, "/donations/new", **{**form, "amount": "200000"})
    assert changed.status_code == 409
    page = changed.get_data(as_text=True)
    assert form["idempotency_key"] not in page
    assert count(app, "SELECT count(*) FROM donations") == gifts + 1


@pytest.mark.parametrize("amount, message", [
    ("1.001", "最多两位小数"), ("1e5", "不能使用科学计数法"), ("", "请填写金额"), ("0", "金额须大于零"),
    ("-1", "金额不能为负数"), ("NaN", "不是数字"), ("¥100", "请不要输入货币符号"),
    ("1000000000000000", "金额过大"),
])
def test_a_bad_amount_gives_the_form_back_and_records_nothing(app, manager, amount, message):
    donor = add_donor(manager)
    before, gifts = fund_balance(manager, "AILILIANG"), count(app, "SELECT count(*) FROM donations")
    response = record_gift(manager, donor, amount=amount, memo="留在表单里")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(r'name="amount"[^>]*>.*?<span class="field-error"[^>]*>(.*?)</span>', page, re.S)
    assert error and message in error.group(1)
    assert 'value="留在表单里"' in page and re.search(rf'<input name="donor_id"[^>]*value="{donor}"', page)
    assert count(app, "SELECT count(*) FROM donations") == gifts
    assert fund_balance(manager, "AILILIANG") == before


def test_the_form_shows_the_capital_amount_of_what_was_typed_when_another_field_is_wrong(manager):
    donor = add_donor(manager)
    response = record_gift(manager, donor, amount="1,680.32", received_on="2099-01-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "壹仟陆佰捌拾元零叁角贰分" in page and "is in the future" in page


def test_a_gift_to_a_fund_or_donor_that_does_not_exist_is_refused(app, manager):
    donor = add_donor(manager)
    gifts = count(app, "SELECT count(*) FROM donations")
    response = post(manager, "/donations/new", **{**donation_form(manager), "donor_id": str(donor),
                                                     "fund_id": "999999", "amount": "10", "channel": "bank"})
    assert response.status_code == 400 and "no fund 999999" in response.get_data(as_text=True)
    response = post(manager, "/donations/new", **{**donation_form(manager), "donor_id": "99999999999",
                                                     "fund_id": fund_id(manager, "AILILIANG"), "amount": "10",
                                                     "channel": "bank"})
    assert response.status_code == 400
    assert count(app, "SELECT count(*) FROM donations") == gifts


def test_a_gift_dated_in_a_closed_month_is_refused_beside_the_date(app, manager):
    from fund_ledger.db.engine import write_session
    from fund_ledger.services.demo import DEMO_MANAGER
    from fund_ledger.services.periods import close_period

    with write_session(app.extensions["fund_ledger.engine"]) as s, s.begin():
        close_period(s, DEMO_MANAGER, "2026-09")
    donor = add_donor(manager)
    gifts = count(app, "SELECT count(*) FROM donations")
    response = record_gift(manager, donor, received_on="2026-09-15")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'name="received_on"[^>]*>\s*<span class="field-error"[^>]*>(.*?)</span>', page, re.S)
    assert error and "2026-09" in error.group(1), page[page.find("<main>"):][:3000]
    assert count(app, "SELECT count(*) FROM donations") == gifts


def test_a_refund_by_reversal_shows_on_the_gift_and_the_balance_returns(app, manager):
    donor = add_donor(manager)
    before = fund_balance(manager, "AILILIANG")
    reversals = count(app, "SELECT count(*) FROM entries WHERE reverses_id IS NOT NULL")
    path = donation_path(record_gift(manager, donor, amount="8000"))
    assert fund_balance(manager, "AILILIANG") == before + 8000

    missing = post(manager, f"{path}/refund", reason="  ")
    assert missing.status_code == 400 and "必填" in missing.get_data(as_text=True)

    page = manager.get(path).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    asked = post(manager, f"{path}/refund", reason="捐赠人要求退回（重复汇款）", idempotency_key=key)
    assert asked.status_code == 200 and "确认退回" in asked.get_data(as_text=True)  # asked first, nothing done
    assert count(app, "SELECT count(*) FROM entries WHERE reverses_id IS NOT NULL") == reversals
    response = post(manager, f"{path}/refund", reason="捐赠人要求退回（重复汇款）", idempotency_key=key, confirm="1")
    assert response.status_code == 302 and response.headers["Location"] == path
    again = post(manager, f"{path}/refund", reason="捐赠人要求退回（重复汇款）", idempotency_key=key, confirm="1")
    assert again.status_code == 302  # a double click: one reversal
    page = manager.get(path).get_data(as_text=True)
    assert "已退回" in page and "捐赠人要求退回（重复汇款）" in page
    reversal = re.search(r"冲销分录.*?/journal/(\d{4}-\d{6})", page, re.S).group(1)
    assert "冲销" in manager.get(f"/journal/{reversal}").get_data(as_text=True)
    assert fund_balance(manager, "AILILIANG") == before
    assert count(app, "SELECT count(*) FROM entries WHERE reverses_id IS NOT NULL") == reversals + 1


def test_the_official_receipt_number_is_recorded_once(manager):
    path = donation_path(record_gift(manager, add_donor(manager)))
    assert "另行开具" in manager.get(path).get_data(as_text=True)
    response = post(manager, f"{path}/official-receipt", number="鲁财监37-2026-0001234")
    assert response.status_code == 302
    page = manager.get(path).get_data(as_text=True)
    assert "鲁财监37-2026-0001234" in page and 'name="number"' not in page
    again = post(manager, f"{path}/official-receipt", number="another")
    assert again.status_code == 409 and "already recorded" in again.get_data(as_text=True)


# --- import -----------------------------------------------------------------------------------------------

def csv_bytes(rows: list[str], encoding: str = "utf-8") -> bytes:
    return ("\n".join(["捐赠人,类型,基金,金额,日期,方式,凭证号,备注", *rows]) + "\n").encode(encoding)


GOOD_ROWS = [f"{DONOR},单位,AILILIANG,\"50,000.00\",2026-11-20,银行,B001,第二笔",
             "周晓燕,个人,GENERAL,200,2026-11-21,微信,,",
             "吴桂芳,个人,爱力量,1288.50,2026-11-22,现金,,"]


def upload(manager, data: bytes, name: str = "gifts.csv"):
    from io import BytesIO

    return manager.post("/donations/import", data={"csrf_token": manager.csrf_token, "file": (BytesIO(data), name)},
                        content_type="multipart/form-data")


def test_importing_a_good_csv_records_every_gift_and_the_same_file_again_nothing(app, manager):
    ailiiang, general = fund_balance(manager, "AILILIANG"), fund_balance(manager, "GENERAL")
    gifts, donors = count(app, "SELECT count(*) FROM donations"), count(app, "SELECT count(*) FROM donors")
    response = upload(manager, csv_bytes(GOOD_ROWS))
    assert response.status_code == 302 and response.headers["Location"].startswith("/donations?batch=")
    page = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "已导入 3 笔捐赠，合计 ¥51,488.50，新增捐赠人 3 位" in page
    assert count(app, "SELECT count(*) FROM donations") == gifts + 3
    assert count(app, "SELECT count(*) FROM donors") == donors + 3
    assert fund_balance(manager, "AILILIANG") == ailiiang + Decimal("51288.50")
    assert fund_balance(manager, "GENERAL") == general + 200

    again = upload(manager, csv_bytes(GOOD_ROWS), "the-same-file-renamed.csv")
    assert again.status_code == 302
    assert "已经导入过" in manager.get(again.headers["Location"]).get_data(as_text=True)
    assert count(app, "SELECT count(*) FROM donations") == gifts + 3
    assert fund_balance(manager, "AILILIANG") == ailiiang + Decimal("51288.50")


def test_an_interrupted_import_is_shown_and_uploading_the_same_file_finishes_it(app, manager):
    """An import whose writer died after its first chunk (here: the first chunk written by the service, as the
    killed process left it) is listed as unfinished on the import page, the month-end close is refused while it
    is, and uploading the same file again writes the rest, once."""
    from fund_ledger.db.engine import write_session
    from fund_ledger.services import imports
    from tests.factories import MANAGER

    data = csv_bytes(GOOD_ROWS)
    engine = app.extensions["fund_ledger.engine"]
    with write_session(engine) as s, s.begin():
        prepared = imports.prepare_import(s, MANAGER, data, "gifts.csv")
        batch_id, _ = imports._declare(s, MANAGER, prepared, "gifts.csv")
        imports._write_chunk(s, MANAGER, prepared, batch_id, 0, 1)
    gifts = count(app, "SELECT count(*) FROM donations")
    page = manager.get("/donations/import").get_data(as_text=True)
    assert f"未完成的导入：gifts.csv（批次 {batch_id}），已写入 3 笔中的 1 笔" in page
    response = upload(manager, data, "again.csv")
    assert response.status_code == 302
    assert "已导入 3 笔捐赠" in manager.get(response.headers["Location"]).get_data(as_text=True)
    assert count(app, "SELECT count(*) FROM donations") == gifts + 2
    assert count(app, f"SELECT count(*) FROM donations WHERE import_batch_id = {batch_id}") == 3
    assert "未完成的导入" not in manager.get("/donations/import").get_data(as_text=True)


def test_an_import_with_a_bad_middle_row_shows_the_errors_and_records_nothing(app, manager):
    rows = [GOOD_ROWS[0], "周晓燕,个人,GENERAL,1.001,2026-11-21,微信,,", "吴桂芳,个人,NOSUCHFUND,=1+1,2026/11/22,现金,,"]
    before = fund_balance(manager, "AILILIANG")
    gifts, donors = count(app, "SELECT count(*) FROM donations"), count(app, "SELECT count(*) FROM donors")
    response = upload(manager, csv_bytes(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "本次没有记录任何捐赠" in page
    table = re.search(r'<table class="ledger problems">(.*?)</table>', page, re.S).group(1)
    cells = [tuple(" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))
             for row in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td" in row]
    assert ("3", "金额 amount", "最多两位小数（到分） more than two decimal places") in cells
    assert any(c[0] == "4" and c[1] == "基金 fund" and "NOSUCHFUND" in c[2] for c in cells)
    assert any(c[0] == "4" and c[1] == "金额 amount" and "公式" in c[2] for c in cells)
    assert any(c[0] == "4" and c[1] == "日期 received_on" for c in cells)
    assert not any(c[0] == "2" for c in cells)
    assert count(app, "SELECT count(*) FROM donations") == gifts
    assert count(app, "SELECT count(*) FROM donors") == donors
    assert fund_balance(manager, "AILILIANG") == before


def test_a_gbk_csv_imports_like_a_utf8_one(app, manager):
    response = upload(manager, csv_bytes(GOOD_ROWS[:2], encoding="gbk"), "旧系统导出.csv")
    assert response.status_code == 302
    page = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "已导入 2 笔捐赠" in page and "GBK" in page and DONOR in page and "周晓燕" in page


def test_an_xlsx_list_imports_and_a_formula_in_it_is_refused(app, manager):
    from io import BytesIO

    from openpyxl import Workbook

    def workbook(rows) -> bytes:
        book = Workbook()
        sheet = book.active
        for row in [["捐赠人", "类型", "基金", "金额", "日期", "方式"], *rows]:
            sheet.append(row)
        out = BytesIO()
        book.save(out)
        return out.getvalue()

    gifts = count(app, "SELECT count(*) FROM donations")
    bad = upload(manager, workbook([[DONOR, "单位", "AILILIANG", "=100*1000", "2026-11-20", "银行"]]), "list.xlsx")
    assert bad.status_code == 400 and "不接受公式" in bad.get_data(as_text=True)
    good = upload(manager, workbook([[DONOR, "单位", "AILILIANG", 100000, "2026-11-20", "银行"],
                                     ["周晓燕", "个人", "家学苑", "88.80", "2026-11-21", "支付宝"]]), "list.xlsx")
    assert good.status_code == 302
    assert "已导入 2 笔捐赠，合计 ¥100,088.80" in manager.get(good.headers["Location"]).get_data(as_text=True)
    assert count(app, "SELECT count(*) FROM donations") == gifts + 2


def test_an_import_with_a_cell_over_128_kb_names_its_row_and_column_not_a_500(app, manager):
    gifts = count(app, "SELECT count(*) FROM donations")
    rows = [GOOD_ROWS[0], "周晓燕,个人,GENERAL,200,2026-11-21,微信,," + "备" * 140_000]
    response = upload(manager, csv_bytes(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "本次没有记录任何捐赠" in page
    table = re.search(r'<table class="ledger problems">(.*?)</table>', page, re.S).group(1)
    cells = [tuple(" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))
             for row in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td" in row]
    assert cells == [("3", "备注 memo", "有单元格超过 131072 个字符：这真的是捐赠清单吗？ a cell longer than 131072 characters: "
                                       "is this really a list of gifts?")], cells
    assert count(app, "SELECT count(*) FROM donations") == gifts


def test_a_file_mixing_utf8_and_gbk_rows_is_refused_on_the_page(app, manager):
    gifts = count(app, "SELECT count(*) FROM donations")
    data = csv_bytes(GOOD_ROWS[:2]) + "吴桂芳,个人,爱力量,1288.50,2026-11-22,现金,,\n".encode("gbk")
    response = upload(manager, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "第 4 行与前面各行不是同一种编码" in page, page
    assert count(app, "SELECT count(*) FROM donations") == gifts


def test_an_import_without_a_file_or_with_another_kind_of_file_says_so(manager):
    response = post(manager, "/donations/import")
    assert response.status_code == 400 and "请选择 .csv 或 .xlsx 文件" in response.get_data(as_text=True)
    response = upload(manager, b"%PDF-1.7", "gifts.pdf")
    assert response.status_code == 400 and "只能导入 .csv 或 .xlsx 文件" in response.get_data(as_text=True)


# --- pledges and funds ------------------------------------------------------------------------------------

def test_a_pledge_with_a_past_instalment_shows_as_overdue(app, manager):
    donor = add_donor(manager)
    fund = fund_id(manager, "AILILIANG")
    pledges = count(app, "SELECT count(*) FROM pledges")
    bad = post(manager, "/pledges", donor_id=str(donor), fund_id=fund, instalments="2026-10-01 50000\n2027-01-01 5e4")
    assert bad.status_code == 400 and "第 2 行：不能使用科学计数法" in bad.get_data(as_text=True)
    assert count(app, "SELECT count(*) FROM pledges") == pledges

    response = post(manager, "/pledges", donor_id=str(donor), fund_id=fund,
                    instalments="2026-10-01 50,000\n\n2027-06-30 50000", memo="分两期")
    assert response.status_code == 302
    page = manager.get("/pledges").get_data(as_text=True)
    assert "已登记认捐" in page
    row = next(r for r in re.findall(r'<tr class="overdue">(.*?)</tr>', page, re.S) if DONOR in r)
    assert "50,000.00" in row and "2027-06-30" in row and "分两期" in row
    assert "overdue" in manager.get(f"/donors/{donor}").get_data(as_text=True)


def test_a_manager_sets_up_a_fund_that_then_takes_gifts(app, manager):
    missing = post(manager, "/funds/new", code="HUHUA", name="护花行动", restricted="1", purpose="")
    assert missing.status_code == 400 and "限定性基金须写明捐赠人指定的用途" in missing.get_data(as_text=True)
    response = post(manager, "/funds/new", code="HUHUA", name="护花行动", name_en="Flower Guard", restricted="1",
                    purpose="女童安全教育", end_date="2027-12-31")
    assert response.status_code == 302 and response.headers["Location"] == "/funds"
    assert "护花行动" in manager.get("/funds").get_data(as_text=True)
    assert "护花行动" in manager.get("/donations/new").get_data(as_text=True)
    assert post(manager, "/funds/new", code="HUHUA", name="别的", restricted="", purpose="").status_code == 409


# --- who may do what --------------------------------------------------------------------------------------

def test_a_grantee_is_refused_the_donor_pages(app, login, manager):
    donor = add_donor(manager)
    path = donation_path(record_gift(manager, donor))
    donors = count(app, "SELECT count(*) FROM donors")
    grantee = login("zhuren")
    for url in ("/donors", f"/donors/{donor}", "/donations", path, f"{path}/acknowledgement.pdf", "/pledges",
                "/donations/new", "/donations/import", "/funds/new", f"/donors/{donor}/statement.pdf"):
        assert grantee.get(url).status_code == 403, url
    assert post(grantee, "/donors", name="x", kind="person").status_code == 403
    assert count(app, "SELECT count(*) FROM donors") == donors


def test_an_auditor_reads_everything_and_is_offered_no_form(app, login, manager):
    donor = add_donor(manager)
    path = donation_path(record_gift(manager, donor))
    auditor = login("auditor")
    for url in ("/donors", f"/donors/{donor}", "/donations", path, "/pledges"):
        page = auditor.get(url)
        assert page.status_code == 200, url
        assert 'method="post"' not in page.get_data(as_text=True).split("<main>")[1], url
    assert auditor.get(f"{path}/acknowledgement.pdf").mimetype == "application/pdf"
    assert auditor.get("/donations/new").status_code == 403
    assert post(auditor, f"{path}/refund", reason="no").status_code == 403


def test_the_pages_speak_english_on_request(manager):
    add_donor(manager)
    page = manager.get("/donors?lang=en").get_data(as_text=True)
    assert ">Donors</a>" in page and "Add a donor" in page and "添加捐赠人" not in page


# --- the public verification page -------------------------------------------------------------------------

def test_verify_works_without_logging_in_and_shows_no_personal_data(app, client, manager):
    donor = add_donor(manager, phone="0533-2345678", email="xiehui@example.cn", address="张店区人民西路 1 号")
    path = donation_path(record_gift(manager, donor))
    page = manager.get(path).get_data(as_text=True)
    code = re.search(r'class="code strong">([A-Z0-9]{5}-[A-Z0-9]{5})<', page).group(1)
    entry = re.search(r'href="/journal/(\d{4}-\d{6})"', page).group(1)
    number = receipt_of(page)

    assert client.get("/verify").status_code == 200
    for typed in (code, code.replace("-", "").lower(), f"  {code.lower()} "):
        response = client.get("/verify", query_string={"code": typed})
        shown = response.get_data(as_text=True)
        assert response.status_code == 200, typed
        assert number in shown and "¥100,000.00" in shown and "人民币壹拾万元整" in shown
        assert "爱力量" in shown and entry in shown and "有效" in shown and "淄*" in shown
        for private in ("0533-2345678", "xiehui@example.cn", "人民西路", DONOR, "ICBC-20261127-0001"):
            assert private not in shown, private

    for wrong in ("ABCDE-FGHIJ", "'; DROP TABLE donations; --", "x" * 40, code[:-1]):
        response = client.get("/verify", query_string={"code": wrong})
        assert response.status_code == 404 and "未找到这个核验码" in response.get_data(as_text=True)
        assert "JZ2026" not in response.get_data(as_text=True)


def test_verify_says_when_a_gift_was_refunded_and_hides_an_anonymous_donor(app, client, manager):
    donor = add_donor(manager, name="赵雪梅", kind="person")
    path = donation_path(record_gift(manager, donor, amount="2000", anonymous="1"))
    page = manager.get(path).get_data(as_text=True)
    code = re.search(r'class="code strong">([A-Z0-9]{5}-[A-Z0-9]{5})<', page).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    assert post(manager, f"{path}/refund", reason="误记", idempotency_key=key, confirm="1").status_code == 302
    shown = client.get("/verify", query_string={"code": code}).get_data(as_text=True)
    assert "已退回" in shown and "爱心人士" in shown and "赵" not in shown.split("<main>")[1]
