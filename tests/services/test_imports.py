"""Importing a list of gifts as fund managers keep them: CSV in UTF-8 (with or without BOM) or GBK, Excel
.xlsx, Chinese or English headers. All or none; errors by row and column; the same file twice records
nothing new. Every refusal is checked to leave entries, donations, donors and import batches untouched.
"""
from __future__ import annotations

import io
import random
import threading
from collections import defaultdict
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import select, text

from fund_ledger.db import models as m
from fund_ledger.db.engine import write_session
from fund_ledger.db import repository as repo
from fund_ledger.ledger.money import parse_amount
from fund_ledger.services import donations as svc
from fund_ledger.services.actor import Actor
from fund_ledger.services.errors import Forbidden, ServiceError
from fund_ledger.services.imports import ImportErrors, import_donations
from fund_ledger.services.periods import close_period
from fund_ledger.services.verify import verify_ledger
from tests.factories import MANAGER, TODAY, make_fund

EN = ["donor", "donor_kind", "fund", "amount", "received_on", "channel", "reference", "memo"]
ZH = ["捐赠人", "类型", "基金", "金额", "日期", "方式", "凭证号", "备注"]
ROWS = [
    ["张店区女企业家协会", "单位", "爱力量", "100,000.00", "2026-09-08", "银行转账", "ICBC-20260908", "爱力量首笔"],
    ["王秀兰", "个人", "GENERAL", "5000", "2026-09-12", "现金", "", ""],
    ["淄博齐鲁巾帼商贸有限公司", "单位", "TONGMENG", "20000.5", "2026-09-20", "微信", "WX-1", "暑期课堂"],
    ["王秀兰", "个人", "爱力量", "1288.50", "2026-09-26", "支付宝", "", "第二笔"],
    ["李红梅", "个人", "童梦童行", "0.01", "2026-10-09", "其他", "", ""],
]
ROWS_EN = [[r[0], {"单位": "organisation", "个人": "person"}[r[1]], r[2], r[3], r[4],
            {"银行转账": "bank", "现金": "cash", "微信": "wechat", "支付宝": "alipay", "其他": "other"}[r[5]], r[6], r[7]]
           for r in ROWS]


# ---------------------------------------------------------------------------------------------- helpers

def csv_bytes(rows, header=EN, encoding="utf-8", bom=False, newline="\r\n") -> bytes:
    def cell(v):
        v = str(v)
        return f'"{v}"' if any(ch in v for ch in ',"\n') else v
    body = newline.join(",".join(cell(v) for v in r) for r in [header, *rows]) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + body.encode(encoding)


def xlsx_bytes(rows, header=EN) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts(session) -> dict[str, int]:
    return {t: session.scalar(text(f"SELECT count(*) FROM {t}"))
            for t in ("entries", "postings", "donations", "donors", "import_batches", "audit_log")}


def held(session) -> dict[str, int]:
    return {f: p.balance for f, p in repo.money_by_fund(session).items()}


def imp(session, data: bytes, name="gifts.csv", actor=MANAGER):
    return import_donations(session, actor, data, name, today=TODAY)


def refused(session, data: bytes, name="gifts.csv") -> dict[str, list[str]]:
    """Import ``data``, expect ImportErrors, check nothing was written; the errors by "row N, column"."""
    before = counts(session)
    with pytest.raises(ImportErrors) as err:
        imp(session, data, name)
    assert counts(session) == before
    assert err.value.status == 400 and err.value.errors
    assert "nothing was recorded" in err.value.detail
    return err.value.errors


@pytest.fixture
def funds(session):
    make_fund(session)
    make_fund(session, code="TONGMENG", name="童梦童行", purpose="暑期课堂")


# ---------------------------------------------------------------------------------------------- formats

@pytest.mark.parametrize("header, rows", [(EN, ROWS_EN), (ZH, ROWS), (EN, ROWS), (ZH, ROWS_EN)],
                         ids=["english", "chinese", "english-headers-chinese-words", "chinese-headers-english-words"])
@pytest.mark.parametrize("encoding, bom, expect", [("utf-8", False, "UTF-8"), ("utf-8", True, "UTF-8"),
                                                   ("gbk", False, "GBK")], ids=["utf8", "utf8-bom", "gbk"])
def test_a_csv_list_is_recorded_with_every_gift_in_its_fund(session, funds, header, rows, encoding, bom, expect):
    before = held(session)
    result = imp(session, csv_bytes(rows, header, encoding, bom))
    assert (result.rows, result.already_imported, result.encoding) == (5, False, expect)
    assert result.total == parse_amount("126289.01")
    assert result.new_donors == 4  # 王秀兰 twice, created once
    donations = list(session.scalars(select(m.Donation).order_by(m.Donation.id)))
    assert [(d.fund_code, d.amount, d.received_on, d.channel) for d in donations] == [
        ("AILILIANG", 100_000_00, date(2026, 9, 8), "bank"), ("GENERAL", 5_000_00, date(2026, 9, 12), "cash"),
        ("TONGMENG", 20_000_50, date(2026, 9, 20), "wechat"), ("AILILIANG", 1_288_50, date(2026, 9, 26), "alipay"),
        ("TONGMENG", 1, date(2026, 10, 9), "other")]
    assert all(d.import_batch_id == result.batch_id for d in donations)
    assert [d.reference for d in donations][:3] == ["ICBC-20260908", "", "WX-1"]
    donors = {d.name: d for d in session.scalars(select(m.Donor))}
    assert donors["张店区女企业家协会"].kind == "organisation" and donors["王秀兰"].kind == "person"
    assert donations[1].donor_id == donations[3].donor_id == donors["王秀兰"].id
    after = held(session)
    assert {f: after.get(f, 0) - before.get(f, 0) for f in after} == \
        {"AILILIANG": 101_288_50, "GENERAL": 5_000_00, "TONGMENG": 20_000_51}
    assert verify_ledger(session).ok


def test_the_fund_totals_after_an_import_equal_the_files_sums(session, funds):
    rng = random.Random(4)
    fund_names = ["AILILIANG", "爱力量", "TONGMENG", "童梦童行", "GENERAL"]
    code = {"爱力量": "AILILIANG", "童梦童行": "TONGMENG"}
    rows, sums = [], defaultdict(int)
    for i in range(300):
        fund = rng.choice(fund_names)
        fen = rng.randint(1, 5_000_000_00)
        text_amount = f"{fen // 100:,}.{fen % 100:02d}" if i % 3 == 0 else f"{fen // 100}.{fen % 100:02d}"
        rows.append([f"捐赠人{rng.randint(1, 40)}", "person", fund, text_amount,
                     f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 20):02d}", "bank", "", ""])
        sums[code.get(fund, fund)] += fen
    before = held(session)
    result = imp(session, csv_bytes(rows))
    after = held(session)
    assert {f: after[f] - before.get(f, 0) for f in after} == dict(sums)
    assert result.total == sum(sums.values())
    by_fund = dict(session.execute(text("SELECT fund_code, sum(amount) FROM donations GROUP BY fund_code")).all())
    assert {k: int(v) for k, v in by_fund.items()} == dict(sums)
    assert result.new_donors == session.scalar(text("SELECT count(*) FROM donors")) == len({r[0] for r in rows})
    assert verify_ledger(session).ok


def test_an_xlsx_list_with_date_and_number_cells_is_recorded(session, funds):
    rows = [["张店区女企业家协会", "单位", "爱力量", 100000, datetime(2026, 9, 8), "bank", "ICBC-1", ""],
            ["王秀兰", "个人", "GENERAL", 1288.5, date(2026, 9, 12), "现金", 20260912, "number as reference"],
            ["李红梅", "person", "TONGMENG", "2,000.00", "2026-10-09", "", "", ""]]
    result = imp(session, xlsx_bytes(rows), "捐赠清单.xlsx")
    assert (result.rows, result.total, result.encoding) == (3, 100_000_00 + 1_288_50 + 2_000_00, "xlsx")
    got = session.execute(text("SELECT amount, received_on, channel, reference FROM donations ORDER BY id")).all()
    assert [(a, repo.as_date(d), c, r) for a, d, c, r in got] == [
        (100_000_00, date(2026, 9, 8), "bank", "ICBC-1"), (1_288_50, date(2026, 9, 12), "cash", "20260912"),
        (2_000_00, date(2026, 10, 9), "bank", "")]


def test_an_xlsx_with_a_formula_is_refused_naming_row_and_column(session, funds):
    rows = [["王秀兰", "个人", "爱力量", 100, date(2026, 9, 8)],
            ["李红梅", "个人", "爱力量", "=D2*2", date(2026, 9, 9)]]
    errors = refused(session, xlsx_bytes(rows, header=EN[:5]), "gifts.xlsx")
    assert list(errors) == ["row 3, column 4"] or list(errors) == ["row 3, amount"], errors
    assert "formula" in errors[next(iter(errors))][0]


@pytest.mark.parametrize("value, column", [("=1+1", "donor"), ("@SUM(A1)", "donor"), ("+86", "memo"),
                                           ('=HYPERLINK("http://x")', "memo")])
def test_a_csv_cell_that_looks_like_a_formula_is_refused(session, funds, value, column):
    row = ["王秀兰", "person", "爱力量", "100", "2026-09-08", "bank", "", ""]
    row[EN.index(column)] = value
    errors = refused(session, csv_bytes([row]))
    assert f"row 2, {column}" in errors and "formula" in errors[f"row 2, {column}"][0]


# ------------------------------------------------------------------------------------ errors by row and column

def test_a_bad_row_in_the_middle_is_named_and_nothing_is_written(session, funds):
    rows = [list(r) for r in ROWS_EN]
    rows[2][3] = "20,000.005"
    errors = refused(session, csv_bytes(rows))
    assert list(errors) == ["row 4, amount"]
    assert "decimal" in errors["row 4, amount"][0]


def test_every_bad_row_and_column_is_listed_in_order(session, funds):
    rows = [list(r) for r in ROWS_EN]
    rows[0][0] = ""                 # row 2: donor
    rows[1][4] = "2026/09/12"       # row 3: received_on
    rows[2][2] = "NO_SUCH_FUND"     # row 4: fund
    rows[3][1] = "robot"            # row 5: donor_kind
    rows[4][5] = "paypal"           # row 6: channel
    rows[4][6] = "R" * 65           # row 6: reference
    errors = refused(session, csv_bytes(rows))
    assert list(errors) == ["row 2, donor", "row 3, received_on", "row 4, fund", "row 5, donor_kind",
                            "row 6, channel", "row 6, reference"]
    assert "NO_SUCH_FUND" in errors["row 4, fund"][0]
    assert "YYYY-MM-DD" in errors["row 3, received_on"][0]


@pytest.mark.parametrize("amount, words", [("1.001", "more than two decimal"), ("1e5", "exponent"),
                                           ("-5", "negative"), ("", "empty"), ("0", "greater than zero"),
                                           ("NaN", "not a number"), ("¥100", "currency"), ("1,00", "threes"),
                                           ("１００", "ASCII"), ("1000000000000", "too large")])
def test_a_bad_amount_is_refused_naming_row_and_column(session, funds, amount, words):
    rows = [["王秀兰", "person", "爱力量", "100", "2026-09-08"], ["李红梅", "person", "爱力量", amount, "2026-09-09"]]
    errors = refused(session, csv_bytes(rows, header=EN[:5]))
    assert list(errors) == ["row 3, amount"] and words in errors["row 3, amount"][0], errors


def test_grouped_amounts_are_accepted(session, funds):
    result = imp(session, csv_bytes([["王秀兰", "person", "爱力量", "1,000.00", "2026-09-08"],
                                     ["王秀兰", "person", "爱力量", "1,234,567.8", "2026-09-08"]], header=EN[:5]))
    assert result.total == 1_000_00 + 1_234_567_80


def test_missing_columns_are_named(session, funds):
    errors = refused(session, csv_bytes([["王秀兰", "爱力量"]], header=["donor", "基金"]))
    (message,) = errors["row 1"]
    assert "amount (金额)" in message and "received_on (日期)" in message and "donor" not in message.split(":")[1]


def test_two_columns_meaning_the_same_are_refused(session, funds):
    errors = refused(session, csv_bytes([["王秀兰", "王秀兰", "爱力量", "1", "2026-09-08"]],
                                        header=["donor", "捐赠人", "fund", "amount", "received_on"]))
    assert any("two columns" in v[0] for v in errors.values()), errors


def test_an_unknown_or_closed_fund_is_named(session, funds):
    session.execute(text("UPDATE funds SET closed_on = '2026-10-31' WHERE code = 'TONGMENG'"))
    session.expire_all()
    errors = refused(session, csv_bytes([["王秀兰", "person", "爱力量", "1", "2026-09-08"],
                                         ["王秀兰", "person", "希望工程", "1", "2026-09-08"],
                                         ["王秀兰", "person", "TONGMENG", "1", "2026-09-08"]], header=EN[:5]))
    assert list(errors) == ["row 3, fund", "row 4, fund"]
    assert "希望工程" in errors["row 3, fund"][0] and "closed" in errors["row 4, fund"][0]


@pytest.mark.parametrize("column, value, words", [
    ("fund", "", "required"), ("received_on", "20260908", "YYYY-MM-DD"), ("received_on", "2026-02-30", "YYYY-MM-DD"),
    ("received_on", "2026-09-08T10:00", "YYYY-MM-DD"), ("received_on", "2026-W36-1", "YYYY-MM-DD"),
    ("received_on", "２０２６-09-08", "YYYY-MM-DD"), ("memo", "备" * 501, "500"), ("donor", "张" * 101, "100"),
    ("reference", "ICBC\x071", "control"), ("memo", "bell\x07", "control"), ("donor", "王\x1b秀兰", "control"),
])
def test_a_bad_cell_is_named_with_its_row_and_column(session, funds, column, value, words):
    row = dict(zip(EN, ["王秀兰", "person", "爱力量", "1", "2026-09-08", "bank", "", ""]))
    row[column] = value
    errors = refused(session, csv_bytes([list(row.values())]))
    assert list(errors) == [f"row 2, {column}"] and words in errors[f"row 2, {column}"][0], errors


def test_a_file_too_large_or_too_long_is_refused_before_it_is_read(session, funds, monkeypatch):
    from fund_ledger.services import imports

    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 200)
    assert "larger than" in refused(session, csv_bytes(ROWS_EN))["row 0"][0]
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 50 * 1024 * 1024)
    monkeypatch.setattr(imports, "MAX_ROWS", 4)
    assert "more than 4 rows" in refused(session, csv_bytes(ROWS_EN))["row 0"][0]
    assert "more than 4 rows" in refused(session, xlsx_bytes(ROWS_EN), "gifts.xlsx")["row 0"][0]


def test_an_empty_sheet_is_refused(session, funds):
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    assert "empty" in refused(session, out.getvalue(), "gifts.xlsx")["row 0"][0]


def test_a_future_date_is_refused(session, funds):
    errors = refused(session, csv_bytes([["王秀兰", "person", "爱力量", "1", "2026-11-28"]], header=EN[:5]))
    assert "future" in errors["row 2, received_on"][0]


ROW_CASES = [
    pytest.param(["李红梅", "person", "爱力量", "1", "2026-09-09", ""], "received_on", "2026-09 is closed",
                 id="closed period"),
    pytest.param(["李红梅", "person", "爱力量", "1", "1999-12-31", ""], "received_on", "before the books begin",
                 id="before the books"),
    pytest.param(["李红梅", "person", "SUMMER", "1", "2026-10-09", ""], "fund", "ended on 2026-08-31",
                 id="fund ended"),
    pytest.param(["李红梅", "person", "爱力量", "1", "2026-10-09", "a\x07b"], "memo", "control or invisible characters",
                 id="memo control character"),
    pytest.param(["李红梅\x07", "person", "爱力量", "1", "2026-10-09", ""], "donor", "control or invisible characters",
                 id="donor control character"),
    pytest.param(["李红梅", "person", "爱力量", "1", "2026-10-09", "", "R\x1b1"], "reference", "control or invisible characters",
                 id="reference control character"),
]


def _import_with_a_refused_second_row(session, row):
    close_period(session, MANAGER, "2026-09", today=TODAY)
    make_fund(session, code="SUMMER", name="暑期课堂", end_date=date(2026, 8, 31))
    before = counts(session)
    with pytest.raises(ServiceError) as err:
        imp(session, csv_bytes([["王秀兰", "person", "爱力量", "1", "2026-10-08", "", ""], row],
                               header=EN[:5] + ["memo", "reference"]))
    return err.value, before


@pytest.mark.parametrize("row, column, words", ROW_CASES)
def test_every_refusal_of_a_row_names_its_row_and_column(session, funds, row, column, words):
    err, before = _import_with_a_refused_second_row(session, row)
    assert isinstance(err, ImportErrors) and list(err.errors) == [f"row 3, {column}"], err.errors
    assert words in err.errors[f"row 3, {column}"][0], err.errors
    assert "nothing was recorded" in err.detail
    assert counts(session) == before


def test_rows_breaking_ledger_rules_are_listed_with_every_other_error(session, funds):
    """The ledger's rules are checked with the cells' form, before anything is written: one refusal lists
    every row, not just the first one the ledger would meet."""
    close_period(session, MANAGER, "2026-09", today=TODAY)
    make_fund(session, code="SUMMER", name="暑期课堂", end_date=date(2026, 8, 31))
    rows = [["王秀兰", "person", "爱力量", "1", "2026-10-08", ""],
            ["李红梅", "person", "爱力量", "1", "2026-09-09", ""],      # row 3: closed month
            ["李红梅", "person", "SUMMER", "1", "2026-10-09", ""],      # row 4: fund past its end
            ["李红梅", "person", "爱力量", "1.001", "2026-10-09", ""],  # row 5: amount
            ["李红梅\x01", "person", "爱力量", "1", "1999-12-31", ""],   # row 6: donor name and date
            ["李红梅", "person", "爱力量", "1", "2026-10-09", "\x1b"]]   # row 7: memo
    errors = refused(session, csv_bytes(rows, header=EN[:5] + ["memo"]))
    assert list(errors) == ["row 3, received_on", "row 4, fund", "row 5, amount", "row 6, donor",
                            "row 6, received_on", "row 7, memo"], errors


def test_a_late_refusal_leaves_nothing_in_the_callers_transaction(session, funds):
    err, before = _import_with_a_refused_second_row(session, ["李红梅", "person", "爱力量", "1", "2026-09-09", ""])
    assert isinstance(err, ImportErrors)
    assert counts(session) == before


class _FundWithoutLimits:
    """A fund as a parse_rows that knows nothing of end dates would see it."""

    def __init__(self, fund):
        self.code, self.name, self.closed_on, self.end_date = fund.code, fund.name, fund.closed_on, None


@pytest.mark.parametrize("row, column", [
    (["李红梅", "person", "爱力量", "1", "2026-09-09", ""], "received_on"),
    (["李红梅", "person", "SUMMER", "1", "2026-10-09", ""], "fund"),
], ids=["closed period", "fund ended"])
def test_a_refusal_only_the_ledger_makes_is_named_by_row_and_rolled_back(session, funds, monkeypatch, row, column):
    """Should a rule reach only the ledger at posting time (here parse_rows is made blind to closed months and
    end dates), the refusal still names the file's row and column, and the donors and the import batch
    written before it are rolled back: a caller that commits afterwards keeps nothing, and the same file
    is not taken for "already imported"."""
    from fund_ledger.services import imports

    real = imports.parse_rows

    def blind(header, rows, today, funds, closed_periods=frozenset(), earliest=date(2000, 1, 1)):
        return real(header, rows, today, {k: _FundWithoutLimits(f) for k, f in funds.items()})

    monkeypatch.setattr(imports, "parse_rows", blind)
    err, before = _import_with_a_refused_second_row(session, row)
    assert isinstance(err, ImportErrors) and list(err.errors) == [f"row 3, {column}"], err.errors
    assert counts(session) == before
    session.commit()
    session.begin()
    assert counts(session) == before
    data = csv_bytes([["王秀兰", "person", "爱力量", "1", "2026-10-08", "", ""], row],
                     header=EN[:5] + ["memo", "reference"])
    with pytest.raises(ImportErrors):  # refused again, not "already imported"
        imp(session, data)
    assert counts(session) == before


def test_blank_lines_at_the_end_are_ignored(session, funds):
    data = csv_bytes([["王秀兰", "person", "爱力量", "1", "2026-09-08"], ["", "", "", "", ""],
                      ["李红梅", "person", "爱力量", "2", "2026-09-09"]], header=EN[:5]) + b"\r\n,,,,\r\n\r\n  ,\r\n"
    result = imp(session, data)
    assert (result.rows, result.total) == (2, 3_00)


# ---------------------------------------------------------------------------------------------- once only

def test_the_same_file_twice_records_nothing_new(session, funds):
    data = csv_bytes(ROWS, ZH, "gbk")
    first = imp(session, data, "九月.csv")
    session.commit()
    session.begin()
    before = counts(session)
    again = imp(session, data, "九月 (1).csv")
    assert again.already_imported and (again.batch_id, again.rows, again.total) == \
        (first.batch_id, first.rows, first.total)
    assert counts(session) == before
    # a changed file is a new batch
    changed = imp(session, csv_bytes(ROWS[:1], ZH, "gbk"))
    assert not changed.already_imported and changed.batch_id != first.batch_id


@pytest.mark.slow
def test_the_same_file_imported_from_four_places_at_once_is_recorded_once(engine):
    with write_session(engine) as s, s.begin():
        make_fund(s)
        make_fund(s, code="TONGMENG", name="童梦童行", purpose="暑期课堂")
    data = csv_bytes(ROWS_EN)
    barrier, results, lock = threading.Barrier(4), [], threading.Lock()

    def worker():
        barrier.wait()
        with write_session(engine) as s, s.begin():
            result = import_donations(s, MANAGER, data, "gifts.csv", today=TODAY)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.already_imported for r in results) == [False, True, True, True]
    assert len({r.batch_id for r in results}) == 1
    with write_session(engine) as s, s.begin():
        assert counts(s)["donations"] == 5 and counts(s)["import_batches"] == 1 and counts(s)["donors"] == 4
        assert verify_ledger(s).ok


def test_a_known_donor_is_reused_and_a_new_one_is_created_once(session, funds):
    known = svc.create_donor(session, MANAGER, name="王秀兰", kind="person", phone="138")
    rows = [["王秀兰", "个人", "爱力量", "1", "2026-09-08"], ["孙丽", "", "爱力量", "2", "2026-09-08"],
            ["孙丽", "个人", "爱力量", "3", "2026-09-09"], ["孙丽", "person", "GENERAL", "4", "2026-09-10"],
            ["孙丽", "单位", "爱力量", "5", "2026-09-10"]]  # an organisation of the same name is another donor
    result = imp(session, csv_bytes(rows, header=ZH[:5]))
    assert result.new_donors == 2
    donors = session.execute(text("SELECT name, kind, count(*) FROM donors GROUP BY name, kind")).all()
    assert sorted(map(tuple, donors)) == sorted([("王秀兰", "person", 1), ("孙丽", "person", 1), ("孙丽", "organisation", 1)])
    assert session.scalar(text("SELECT donor_id FROM donations ORDER BY id LIMIT 1")) == known.id


def test_an_import_is_audited_and_the_ledger_verifies(session, funds):
    result = imp(session, csv_bytes(ROWS_EN))
    actions = list(session.scalars(select(m.AuditLog.action).order_by(m.AuditLog.id.desc()).limit(2)))
    assert actions == ["donation.record", "donation.import"]  # the batch declared, then its gifts recorded
    detail = session.scalar(select(m.AuditLog.detail).where(m.AuditLog.action == "donation.import"))
    assert f'"rows":{result.rows}' in detail and '"new_donors":4' in detail
    report = verify_ledger(session)
    assert report.ok and report.entries == 5


def test_only_a_manager_imports(session, funds):
    before = counts(session)
    with pytest.raises(Forbidden):
        imp(session, csv_bytes(ROWS_EN), actor=Actor("auditor", "auditor"))
    assert counts(session) == before


# ---------------------------------------------------------------------------------------------- not a list of gifts

@pytest.mark.parametrize("name, data, words", [
    ("gifts.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", ".csv and .xlsx"),
    ("gifts.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".csv and .xlsx"),
    ("gifts.csv", b"", "empty"),
    ("gifts.xlsx", b"", ".xlsx"),
    ("gifts.csv", random.Random(1).randbytes(4096), ""),
    ("gifts.xlsx", random.Random(2).randbytes(4096), ".xlsx"),
    ("", random.Random(3).randbytes(4096), ""),
    ("gifts.csv", b"PK\x03\x04" + random.Random(5).randbytes(500), ".xlsx"),
    ("gifts.csv", "donor,fund\x00,amount".encode(), "NUL"),
    ("gifts.csv", b"\r\n\r\n", ""),
    ("gifts.csv", "donor,fund,amount,received_on\r\n".encode(), "no gifts"),
    ("gifts.xlsx", None, "no gifts"),
])
def test_what_is_not_a_list_of_gifts_gets_a_clear_error(session, funds, name, data, words):
    if data is None:
        data = xlsx_bytes([], header=EN)
    errors = refused(session, data, name)
    message = " ".join(v for vs in errors.values() for v in vs)
    assert words in message, message


def test_a_file_in_another_encoding_says_which_are_read(session, funds):
    errors = refused(session, csv_bytes(ROWS, ZH, "utf-16"))
    assert list(errors) == ["row 1"] and "neither UTF-8 nor GBK" in errors["row 1"][0], errors


# ---------------------------------------------------------------------------------------------- one encoding

def _mixed(rows_utf8, rows_gbk, header=ZH) -> bytes:
    """A list saved in UTF-8 with rows of another list, saved in GBK, pasted in after it."""
    return csv_bytes(rows_utf8, header, "utf-8") + b"".join(
        csv_bytes([r], header, "gbk").split(b"\r\n", 1)[1] for r in rows_gbk)


def test_a_utf8_file_with_one_gbk_row_is_refused_naming_that_row(session, funds):
    """Was: imported 6 gifts "(GBK)", the five UTF-8 rows' names stored as mojibake."""
    data = _mixed(ROWS, [["孙丽", "个人", "爱力量", "8", "2026-10-09", "现金", "", "第六笔"]])
    errors = refused(session, data)
    assert list(errors) == ["row 7"], errors
    (message,) = errors["row 7"]
    assert message.code == "import.mixed_encoding" and message.params == {"row": 7, "encoding": "UTF-8"}
    assert "\ufffd" not in str(errors) and "UTF-8" in message


def test_utf8_rows_that_also_decode_as_gbk_are_not_read_as_gbk_because_of_one_gbk_row(session, funds):
    """The case of issue 11: two-character names in UTF-8 are also valid GB 18030 (王李 reads 鐜嬫潕), so the whole
    file decoded as GBK and the five UTF-8 names were stored garbled ("imported 6 gifts (GBK)")."""
    utf8 = [[name, "person", "GENERAL", "1", "2026-09-08", "bank", "", ""] for name in ("王李", "王张", "王刘", "王陈", "王杨")]
    data = _mixed(utf8, [["孙丽", "person", "GENERAL", "1", "2026-09-09", "bank", "", ""]], header=EN)
    data.decode("gb18030")  # decodes whole: only the rows tell that it is two files
    errors = refused(session, data)
    assert list(errors) == ["row 7"] and errors["row 7"][0].code == "import.mixed_encoding", errors
    assert not session.scalar(select(m.Donor.id).where(m.Donor.name == "鐜嬫潕"))


def test_a_gbk_file_with_one_utf8_row_is_refused_naming_that_row(session, funds):
    gbk = csv_bytes(ROWS[:2], ZH, "gbk")
    utf8_row = csv_bytes([ROWS[2]], ZH, "utf-8").split(b"\r\n", 1)[1]
    errors = refused(session, gbk + utf8_row + csv_bytes(ROWS[3:], ZH, "gbk").split(b"\r\n", 1)[1])
    assert list(errors) == ["row 4"] and errors["row 4"][0].params["encoding"] == "GBK", errors


def test_the_mixed_row_is_counted_as_rows_not_lines(session, funds):
    """A quoted memo may hold line breaks: the row named is the spreadsheet's row, not the file's line."""
    rows = [list(r) for r in ROWS[:2]]
    rows[0][7] = "第一行\n第二行\n第三行"
    errors = refused(session, _mixed(rows, [ROWS[2]]))
    assert list(errors) == ["row 4"], errors


def test_ascii_rows_go_with_either_encoding(session, funds):
    ascii_row = ["Li Hongmei", "person", "GENERAL", "3", "2026-10-09", "bank", "", ""]
    result = imp(session, csv_bytes([ascii_row, *ROWS], ZH, "gbk"))
    assert (result.rows, result.encoding) == (6, "GBK")
    names = set(session.scalars(select(m.Donor.name)))
    assert {"Li Hongmei", "张店区女企业家协会", "王秀兰"} <= names


def test_a_utf8_bom_file_with_a_gbk_row_is_refused(session, funds):
    data = b"\xef\xbb\xbf" + _mixed(ROWS[:1], [ROWS[1]])
    errors = refused(session, data)
    assert list(errors) == ["row 3"], errors


def test_the_mixed_encoding_message_is_in_chinese_too():
    from fund_ledger.schemas.messages import Message, render
    from babel.support import Translations

    zh = Translations.load("translations", ["zh_CN"])
    for message in (Message("import.mixed_encoding", row=7, encoding="UTF-8"), Message("import.encoding", row=2),
                    Message("import.cell_too_long", max=131072), Message("import.too_many_columns", max=64)):
        words = render(message, "zh", zh.gettext)
        assert words != str(message) and any("\u4e00" <= ch <= "\u9fff" for ch in words), words


# ---------------------------------------------------------------------------------------------- huge cells

def test_a_cell_over_the_csv_limit_is_a_problem_of_its_row_and_column(session, funds):
    """Was a 500: _csv.Error: field larger than field limit (131072)."""
    rows = [list(r) for r in ROWS_EN]
    rows[2][7] = "x" * 140_000
    errors = refused(session, csv_bytes(rows))
    assert list(errors) == ["row 4, memo"], list(errors)
    assert errors["row 4, memo"][0].code == "import.cell_too_long"


def test_a_huge_unquoted_last_cell_is_named_by_row(session, funds):
    data = csv_bytes(ROWS_EN[:1]) + ("王秀兰,person,爱力量,1,2026-09-08,bank,," + "y" * 200_000 + "\r\n").encode()
    errors = refused(session, data)
    assert list(errors) == ["row 3, memo"], list(errors)


# ---------------------------------------------------------------------------------------------- size

@pytest.mark.slow
def test_ten_thousand_rows_import_in_one_go(session, funds):
    rows = [[f"捐赠人{i % 700}", "person" if i % 5 else "organisation", ("AILILIANG", "TONGMENG", "GENERAL")[i % 3],
             f"{1 + i % 9_999}.{i % 100:02d}", f"2026-{1 + i % 11:02d}-{1 + i % 20:02d}",
             ("bank", "cash", "wechat", "alipay", "other")[i % 5], f"REF{i}", ""] for i in range(10_000)]
    result = imp(session, csv_bytes(rows))
    session.commit()
    session.begin()
    assert result.rows == 10_000
    assert session.scalar(text("SELECT count(*) FROM donations")) == 10_000
    assert session.scalar(text("SELECT count(*) FROM entries")) == 10_000
    assert session.scalar(text("SELECT sum(amount) FROM donations")) == result.total
    numbers = session.execute(text("SELECT count(DISTINCT receipt_seq), max(receipt_seq) FROM donations")).one()
    assert tuple(numbers) == (10_000, 10_000)
    assert verify_ledger(session).ok


# ---------------------------------------------------------------------------------------------- large sheets

def _sheet_xlsx(rows: int, cols: int) -> bytes:
    """A streamed-written sheet without a <dimension>: only its cells tell its size (bench/xlsx_cells.py)."""
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from xlsx_cells import write

    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/cells.xlsx"
        write(path, rows, cols)
        return Path(path).read_bytes()


def test_an_xlsx_with_a_value_beyond_the_column_cap_is_refused_at_its_first_row(session, funds):
    """Was: all 2,000,000 cells of a 60 KiB file read into lists, under the ledger's lock."""
    errors = refused(session, _sheet_xlsx(1000, 2000), "cells.xlsx")
    assert list(errors) == ["row 1, column 65"] and errors["row 1, column 65"][0].code == "import.too_many_columns"


def test_an_xlsx_longer_than_max_rows_is_refused_while_streaming(session, funds, monkeypatch):
    from fund_ledger.services import imports

    monkeypatch.setattr(imports, "MAX_ROWS", 50)
    errors = refused(session, _sheet_xlsx(5000, 8), "cells.xlsx")
    assert any("more than 50 rows" in m for ms in errors.values() for m in ms), errors


def test_checking_stops_after_max_problems(session, funds, monkeypatch):
    from fund_ledger.services import imports

    monkeypatch.setattr(imports, "MAX_PROBLEMS", 30)
    rows = [["王秀兰", "robot", "爱力量", "1.001", "2026-09-08", "bank", "", ""]] * 1000
    with pytest.raises(ImportErrors) as err:
        imp(session, csv_bytes(rows))
    problems = err.value.problems
    assert len(problems) == 31 and problems[-1][2].code == "import.too_many_problems", problems[-3:]
    assert problems[-1][0] == 17  # 15 rows of 2 problems each: rows 2..16; the rest not read


# ---------------------------------------------------------------------------------------------- the ledger stays open

def test_a_gift_posted_while_an_import_is_checked_does_not_wait_for_the_import(engine, monkeypatch):
    """Issue 11: the import held the ledger's write lock for its whole run (parsing and checking too), so a
    single gift posted meanwhile waited for all of it, or timed out. Now the file is checked outside the lock
    (``prepare_import`` in a read session) and the lock is taken for the writes alone: a gift posted while
    the import checks its rows is recorded before the import writes anything. The import is held inside its
    checking until the gift is done (or 60 s have passed), so the test asserts the order, not a duration."""
    from fund_ledger.services import imports

    with write_session(engine) as s, s.begin():
        make_fund(s)
        make_fund(s, code="TONGMENG", name="童梦童行", purpose="暑期课堂")
        donor = svc.create_donor(s, MANAGER, name="孙丽", kind="person")
    checking, gift_done = threading.Event(), threading.Event()
    real = imports.parse_rows

    def slow_parse(*args, **kwargs):
        checking.set()
        gift_done.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "parse_rows", slow_parse)
    rows = [[f"捐赠人{i % 50}", "person", ("AILILIANG", "TONGMENG", "GENERAL")[i % 3], f"{1 + i}.00",
             f"2026-10-{1 + i % 28:02d}", "bank", f"R{i}", ""] for i in range(500)]
    outcome: dict = {}

    def run_import():
        try:
            outcome["result"] = imports.import_file(engine, MANAGER, csv_bytes(rows), "gifts.csv", today=TODAY)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertions below
            outcome["error"] = exc

    def post_gift():
        with write_session(engine) as s, s.begin():
            outcome["gift"] = svc.record_donation(s, MANAGER, svc.Gift(
                donor_id=donor.id, fund="GENERAL", amount=8_00, received_on=date(2026, 11, 2), channel="cash"),
                today=TODAY).entry_id

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert checking.wait(60), "the import never started checking"
        gift = threading.Thread(target=post_gift)
        gift.start()
        gift.join(45)
        assert not gift.is_alive() and "gift" in outcome, "the gift waited for the import"
    finally:
        gift_done.set()
        importer.join(120)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].rows == 500
    with write_session(engine) as s, s.begin():
        first_imported = s.scalar(text("SELECT min(entry_id) FROM donations WHERE import_batch_id IS NOT NULL"))
        assert outcome["gift"] < first_imported  # the gift went in first, while the import was checking
        assert counts(s)["donations"] == 501
        assert verify_ledger(s).ok


def _import_rows(n: int) -> list[list[str]]:
    return [[f"捐赠人{i % 50}", "person", ("AILILIANG", "TONGMENG", "GENERAL")[i % 3], f"{1 + i}.00",
             f"2026-10-{1 + i % 28:02d}", "bank", f"R{i}", ""] for i in range(n)]


def _fund_sums(rows) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for r in rows:
        sums[r[2]] += parse_amount(r[3])
    return dict(sums)


def _imported_by_fund(s) -> dict[str, int]:
    return dict(s.execute(text("SELECT fund_code, sum(amount) FROM donations WHERE import_batch_id IS NOT NULL "
                               "GROUP BY fund_code")).all())


def test_gifts_posted_while_an_import_writes_go_in_between_its_chunks(engine):
    """Issue 11: a 100,000-row import held the ledger's lock for its whole run (563 s on PostgreSQL, every other
    writer blocked). Now it writes a chunk per transaction: a gift posted after the first chunk is recorded
    (from another thread, within 45 s, while the import waits for it) and its entry falls between the import's
    entries; the import as a whole still ends with every row, once."""
    from fund_ledger.services import imports

    with write_session(engine) as s, s.begin():
        make_fund(s)
        make_fund(s, code="TONGMENG", name="童梦童行", purpose="暑期课堂")
        donor = svc.create_donor(s, MANAGER, name="孙丽", kind="person")
    rows, outcome, seen = _import_rows(500), {}, []

    def post_gift():
        with write_session(engine) as s, s.begin():
            outcome["gift"] = svc.record_donation(s, MANAGER, svc.Gift(
                donor_id=donor.id, fund="GENERAL", amount=8_00, received_on=date(2026, 11, 2), channel="cash"),
                today=TODAY).entry_id

    def between_chunks(written, total):
        seen.append((written, total))
        if written == 100:
            gift = threading.Thread(target=post_gift)
            gift.start()
            gift.join(45)
            assert not gift.is_alive(), "the gift waited for the import"

    result = imports.import_file(engine, MANAGER, csv_bytes(rows), "gifts.csv", today=TODAY, chunk_rows=100,
                                 progress=between_chunks)
    assert seen == [(100, 500), (200, 500), (300, 500), (400, 500), (500, 500)]
    assert (result.rows, result.total, result.new_donors) == (500, sum(parse_amount(r[3]) for r in rows), 50)
    with write_session(engine) as s, s.begin():
        lowest, highest = s.execute(text("SELECT min(entry_id), max(entry_id) FROM donations "
                                         "WHERE import_batch_id IS NOT NULL")).one()
        assert lowest < outcome["gift"] < highest
        assert counts(s)["donations"] == 501 and counts(s)["import_batches"] == 1
        assert _imported_by_fund(s) == _fund_sums(rows)
        assert imports.unfinished_imports(s) == []
        assert verify_ledger(s).ok
    again = imports.import_file(engine, MANAGER, csv_bytes(rows), "gifts.csv", today=TODAY, chunk_rows=100)
    assert again.already_imported and again.batch_id == result.batch_id


_KILLED_IMPORT = """
import os, signal, sys
from datetime import date
from fund_ledger.db.engine import create_db_engine
from fund_ledger.services import imports
from tests.factories import MANAGER, TODAY
real = imports._write_chunk
calls = []
def dies_in_the_third_chunk(*args, **kwargs):
    real(*args, **kwargs)
    calls.append(1)
    if len(calls) == 3:  # written, not committed: as a power cut or kill -9 would leave it
        os.kill(os.getpid(), signal.SIGKILL)
imports._write_chunk = dies_in_the_third_chunk
imports.import_file(create_db_engine(sys.argv[1]), MANAGER, open(sys.argv[2], "rb").read(), "gifts.csv",
                    today=TODAY, chunk_rows=100)
"""


@pytest.mark.slow
def test_an_import_killed_part_way_keeps_whole_chunks_and_the_same_file_finishes_it(engine, tmp_path):
    """kill -9 of the importing process in its third chunk (written, not committed): the two committed chunks
    are whole gifts, the ledger verifies, the batch is listed as unfinished and no month can be closed over it;
    importing the same file again writes the other 300 rows once, and a third time records nothing."""
    import subprocess
    import sys
    from pathlib import Path

    from fund_ledger.services import imports

    with write_session(engine) as s, s.begin():
        make_fund(s)
        make_fund(s, code="TONGMENG", name="童梦童行", purpose="暑期课堂")
    rows = _import_rows(500)
    path = tmp_path / "gifts.csv"
    path.write_bytes(csv_bytes(rows))
    root = Path(__file__).resolve().parents[2]
    child = subprocess.run([sys.executable, "-c", _KILLED_IMPORT, engine.url.render_as_string(hide_password=False),
                            str(path)], cwd=root, capture_output=True, timeout=300)
    assert child.returncode == -9, child.stderr.decode()
    with write_session(engine) as s, s.begin():
        assert counts(s)["donations"] == 200 and counts(s)["import_batches"] == 1
        [(batch, written)] = imports.unfinished_imports(s)
        assert (batch.rows, written) == (500, 200)
        assert verify_ledger(s).ok
    with write_session(engine) as s, s.begin(), pytest.raises(ServiceError) as closing:
        close_period(s, MANAGER, "2026-10", today=TODAY)
    assert closing.value.code == "import_unfinished" and "200 of 500" in closing.value.detail
    finished = imports.import_file(engine, MANAGER, path.read_bytes(), "gifts.csv", today=TODAY, chunk_rows=100)
    assert (finished.batch_id, finished.rows, finished.already_imported) == (batch.id, 500, False)
    with write_session(engine) as s, s.begin():
        assert counts(s)["donations"] == 500 and counts(s)["import_batches"] == 1
        assert _imported_by_fund(s) == _fund_sums(rows)
        assert s.scalar(text("SELECT count(DISTINCT reference) FROM donations")) == 500
        assert imports.unfinished_imports(s) == []
        assert verify_ledger(s).ok
        close_period(s, MANAGER, "2026-10", today=TODAY)
    assert imports.import_file(engine, MANAGER, path.read_bytes(), "gifts.csv", today=TODAY).already_imported


def test_two_importers_of_one_file_share_its_chunks_and_record_each_gift_once(engine):
    """Two processes importing the same file (a retried upload, a second manager): each chunk counts what is
    written under the lock and goes on from there, so they interleave without writing a row twice."""
    from fund_ledger.services import imports

    with write_session(engine) as s, s.begin():
        make_fund(s)
        make_fund(s, code="TONGMENG", name="童梦童行", purpose="暑期课堂")
    rows, results, errors = _import_rows(400), [], []
    barrier = threading.Barrier(2)

    def importer():
        try:
            barrier.wait(30)
            results.append(imports.import_file(engine, MANAGER, csv_bytes(rows), "gifts.csv", today=TODAY,
                                               chunk_rows=50))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=importer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    assert not errors, errors
    assert len({r.batch_id for r in results}) == 1 and len(results) == 2
    with write_session(engine) as s, s.begin():
        assert counts(s)["donations"] == 400 and counts(s)["import_batches"] == 1 and counts(s)["donors"] == 50
        assert _imported_by_fund(s) == _fund_sums(rows)
        assert verify_ledger(s).ok


def test_a_month_closed_while_the_file_is_checked_refuses_it_before_anything_is_written(engine, monkeypatch):
    """The rows are checked without the lock; a month closed meanwhile is caught again when the batch would be
    declared, under the lock: the file is refused naming its rows, no batch or donor is written, and no
    unfinished import is left to block closing the next month (a review found it blocked every close)."""
    from fund_ledger.services import imports

    with write_session(engine) as s, s.begin():
        make_fund(s)
        make_fund(s, code="TONGMENG", name="童梦童行", purpose="暑期课堂")
    real = imports.parse_rows

    def checked_then_month_closed(*args, **kwargs):
        found = real(*args, **kwargs)
        with write_session(engine) as s, s.begin():
            close_period(s, MANAGER, "2026-10", today=TODAY)
        return found

    monkeypatch.setattr(imports, "parse_rows", checked_then_month_closed)
    with write_session(engine) as s, s.begin():
        before = counts(s)
    with pytest.raises(ImportErrors) as err:
        imports.import_file(engine, MANAGER, csv_bytes(_import_rows(20)), "gifts.csv", today=TODAY, chunk_rows=5)
    assert "row 2, received_on" in err.value.errors and "nothing was recorded" in err.value.detail
    with write_session(engine) as s, s.begin():
        after = counts(s)
        assert {k: after[k] - before[k] for k in after} == {**{k: 0 for k in after}, "audit_log": 1}  # the close
        assert imports.unfinished_imports(s) == []


def test_a_large_import_refreshes_the_planners_statistics(engine, monkeypatch):
    """PostgreSQL here runs without autovacuum: after an import of ANALYZE_AFTER_ROWS gifts or more the planner
    knows the journal's new size (``fund-ledger init`` took the statistics of an empty one); a smaller import
    leaves them alone."""
    from fund_ledger.services import imports

    def planner_rows(table: str) -> int:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                return int(conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}).scalar_one())
            stat = conn.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t LIMIT 1"), {"t": table}).scalar()
            return int(stat.split()[0]) if stat else 0  # the first figure: the table's rows

    with write_session(engine) as s, s.begin():
        make_fund(s)
        make_fund(s, code="TONGMENG", name="童梦童行", purpose="暑期课堂")
    monkeypatch.setattr(imports, "ANALYZE_AFTER_ROWS", 40)
    imports.import_file(engine, MANAGER, csv_bytes(_import_rows(39)), "small.csv", today=TODAY, chunk_rows=20)
    assert planner_rows("entries") == 0
    imports.import_file(engine, MANAGER, csv_bytes(_import_rows(40)[::-1]), "large.csv", today=TODAY, chunk_rows=20)
    assert planner_rows("entries") == planner_rows("donations") == 79
