"""``fund-ledger import donations FILE`` as an operator runs it, on both databases."""
from __future__ import annotations

import re
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import text

from fund_ledger.cli import main
from fund_ledger.db.engine import write_session
from fund_ledger.services.periods import close_period
from tests.factories import MANAGER, make_fund

HEADER_ZH = "捐赠人,类型,基金,金额,日期,方式,凭证号,备注"
GOOD = [
    "张店区女企业家协会,单位,爱力量,\"100,000.00\",2026-09-08,银行转账,ICBC-1,爱力量首笔",
    "王秀兰,个人,GENERAL,5000,2026-09-12,现金,,",
    "王秀兰,个人,爱力量,1288.50,2026-09-26,微信,,",
]


@pytest.fixture
def run(db_url, monkeypatch):
    monkeypatch.setenv("FUND_LEDGER_DATABASE_URL", db_url)

    def _run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    return _run


@pytest.fixture
def ledger(run, engine):
    assert run("init").exit_code == 0
    with write_session(engine) as session, session.begin():
        make_fund(session)
    return engine


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("entries", "donations", "donors", "import_batches")}


def write(tmp_path, name: str, lines: list[str], encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return str(path)


@pytest.mark.parametrize("encoding, label", [("utf-8", "UTF-8"), ("gbk", "GBK")])
def test_a_good_file_is_imported_with_a_summary(run, ledger, tmp_path, encoding, label):
    result = run("import", "donations", write(tmp_path, "九月捐赠.csv", [HEADER_ZH, *GOOD], encoding))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"imported 3 gifts, ¥106,288.50, as batch 1 (2 new donors; {label})"
    assert counts(ledger) == {"entries": 3, "donations": 3, "donors": 2, "import_batches": 1}
    assert run("verify").exit_code == 0


def test_an_xlsx_file_is_imported(run, ledger, tmp_path):
    book = Workbook()
    book.active.append(["donor", "fund", "amount", "received_on"])
    book.active.append(["孙丽", "AILILIANG", 8000, date(2026, 11, 3)])
    path = tmp_path / "gifts.xlsx"
    book.save(path)
    result = run("import", "donations", str(path))
    assert result.exit_code == 0, result.output
    assert "imported 1 gifts, ¥8,000.00" in result.stdout and "xlsx" in result.stdout


def test_a_bad_file_exits_1_listing_row_and_column_and_records_nothing(run, ledger, tmp_path):
    bad = [HEADER_ZH, GOOD[0], "王秀兰,个人,爱力量,1.001,2026-09-12,现金,,", "李红梅,个人,希望工程,5,2026-13-01,,,", GOOD[2]]
    result = run("import", "donations", write(tmp_path, "bad.csv", bad))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: 3 problem(s) in the file; nothing was recorded")
    assert [re.sub(r":.*", "", line.strip()) for line in lines[1:]] == \
        ["row 3, amount", "row 4, fund", "row 4, received_on"]
    assert "more than two decimal places" in lines[1]
    assert counts(ledger) == {"entries": 0, "donations": 0, "donors": 0, "import_batches": 0}


def test_missing_columns_and_a_wrong_kind_of_file_exit_1(run, ledger, tmp_path):
    result = run("import", "donations", write(tmp_path, "cols.csv", ["捐赠人,基金", "王秀兰,爱力量"]))
    assert result.exit_code == 1 and "missing column(s): amount (金额), received_on (日期)" in result.stderr
    pdf = tmp_path / "gifts.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    result = run("import", "donations", str(pdf))
    assert result.exit_code == 1 and ".csv and .xlsx" in result.stderr
    assert counts(ledger)["import_batches"] == 0


def test_importing_the_same_file_again_records_nothing_new(run, ledger, tmp_path):
    path = write(tmp_path, "gifts.csv", [HEADER_ZH, *GOOD])
    assert run("import", "donations", path).exit_code == 0
    before = counts(ledger)
    again = run("import", "donations", path)
    assert again.exit_code == 0
    assert again.stdout.strip() == "this file was already imported (batch 1, 3 gifts): nothing new recorded"
    assert counts(ledger) == before


def test_a_missing_file_is_a_usage_error(run, ledger, tmp_path):
    result = CliRunner().invoke(main, ["import", "donations", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_a_row_in_a_closed_period_is_named_by_row(run, ledger, tmp_path):
    with write_session(ledger) as session, session.begin():
        close_period(session, MANAGER, "2026-09", today=date(2026, 11, 27))
    result = run("import", "donations", write(tmp_path, "gifts.csv", [HEADER_ZH, "孙丽,个人,爱力量,5,2026-10-08,,,",
                                                                      "孙丽,个人,爱力量,5,2026-09-08,,,"]))
    assert result.exit_code == 1
    assert "row 3, received_on" in result.stderr, result.stderr


def test_a_cell_over_128_kb_exits_1_naming_row_and_column(run, ledger, tmp_path):
    """Was a traceback: _csv.Error: field larger than field limit (131072)."""
    huge = "王秀兰,个人,爱力量,5,2026-09-12,现金,," + "长" * 140_000
    result = run("import", "donations", write(tmp_path, "huge.csv", [HEADER_ZH, GOOD[0], huge]))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: 1 problem(s) in the file; nothing was recorded")
    assert lines[1].strip().startswith("row 3, memo: a cell longer than 131072 characters"), lines
    assert counts(ledger) == {"entries": 0, "donations": 0, "donors": 0, "import_batches": 0}


def test_a_file_mixing_encodings_exits_1_naming_the_row(run, ledger, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(("\r\n".join([HEADER_ZH, *GOOD[:2]]) + "\r\n").encode() + (GOOD[2] + "\r\n").encode("gbk"))
    result = run("import", "donations", str(path))
    assert result.exit_code == 1 and "row 4" in result.stderr and "encoding" in result.stderr, result.stderr
    assert counts(ledger)["donations"] == 0
