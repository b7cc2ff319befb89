"""The ``fund-ledger`` command as an operator uses it, on both databases."""
from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from fund_ledger import clock
from fund_ledger.cli import main
from fund_ledger.db.engine import write_session
from tests.db.tamper import disable_guards


@pytest.fixture
def run(db_url, monkeypatch):
    monkeypatch.setenv("FUND_LEDGER_DATABASE_URL", db_url)

    def _run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    return _run


@pytest.fixture
def demo(run):
    assert run("init").exit_code == 0
    result = run("demo")
    assert result.exit_code == 0, result.output
    return result


def test_init_is_safe_to_repeat(run):
    first, again = run("init"), run("init")
    assert first.exit_code == again.exit_code == 0
    assert "added 0 accounts, 0 funds" in again.output


def test_demo_loads_once_and_refuses_a_ledger_with_entries(run, demo):
    assert "demo loaded" in demo.output
    again = run("demo")
    assert again.exit_code == 1 and "already has entries" in again.output
    assert run("demo", "--if-empty").exit_code == 0


def test_verify_passes_on_the_demo_and_prints_the_head(run, demo):
    result = run("verify")
    assert result.exit_code == 0
    assert result.output.startswith("ok: 12 entries checked, head ")
    report = json.loads(run("verify", "--json").output)
    assert report["ok"] is True and report["entries"] == 12 and report["first_bad_entry"] is None
    assert report["head_hash"] in result.output


def test_verify_names_the_entry_whose_posting_was_changed_behind_the_triggers(run, demo, engine):
    with write_session(engine) as session, session.begin():
        disable_guards(session)
        session.execute(text("UPDATE postings SET debit = debit + 1 WHERE entry_id = 3 AND line_no = 1"))
    result = run("verify")
    assert result.exit_code == 1
    assert "first bad entry 2026-000003" in result.output
    report = json.loads(run("verify", "--json").output)
    assert report["ok"] is False and report["first_bad_entry"] == "2026-000003"


def test_trial_balance_json_follows_the_contract(run, demo):
    tb = json.loads(run("report", "trial-balance", "--format", "json").output)
    assert set(tb) >= {"as_of", "accounts", "total_debit", "total_credit", "funds"}
    assert tb["total_debit"] == tb["total_credit"]
    bank = next(a for a in tb["accounts"] if a["code"] == "1002")
    assert bank["name"] == "银行存款"
    assert float(bank["debit"]) - float(bank["credit"]) == float(bank["balance"])
    fund = next(f for f in tb["funds"] if f["name"] == "爱力量")
    assert fund["restricted"] is True
    # 100,000 + 8,000 given, 30,000 granted: the story in the demo
    assert (fund["balance"], fund["reserved"], fund["available"]) == ("78000.00", "0.00", "78000.00")


def test_trial_balance_as_of_a_past_date_sees_only_what_was_posted_by_then(run, demo):
    tb = json.loads(run("report", "trial-balance", "--format", "json", "--as-of", "2026-09-30").output)
    fund = next(f for f in tb["funds"] if f["code"] == "AILILIANG")
    assert fund["balance"] == "100000.00"
    assert tb["as_of"] == "2026-09-30"


def test_trial_balance_csv_and_text(run, demo, tmp_path):
    out = tmp_path / "tb.csv"
    assert run("report", "trial-balance", "--format", "csv", "-o", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[-1]["name"] == "合计" and rows[-1]["debit"] == rows[-1]["credit"]
    text_out = run("report", "trial-balance").output
    assert "科目余额表" in text_out and "银行存款" in text_out


def test_a_bad_date_is_a_clear_error(run, demo):
    result = run("report", "trial-balance", "--as-of", "2026-13-01")
    assert result.exit_code == 2 and "not a date written YYYY-MM-DD" in result.output


def test_create_user_reads_the_password_from_stdin(run, monkeypatch):
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["create-user", "treasurer", "--role", "manager", "--password-stdin"],
                                input="a-long-enough-secret\n", catch_exceptions=False)
    assert result.exit_code == 0 and "created user treasurer (manager" in result.output
    again = CliRunner().invoke(main, ["create-user", "treasurer", "--role", "manager", "--password-stdin"],
                               input="a-long-enough-secret\n")
    assert again.exit_code == 1 and "already exists" in again.output
    weak = CliRunner().invoke(main, ["create-user", "someone", "--role", "auditor", "--password-stdin"], input="short\n")
    assert weak.exit_code == 1 and "password" in weak.output
    orphan = CliRunner().invoke(main, ["create-user", "grantee1", "--role", "grantee", "--password-stdin"],
                                input="a-long-enough-secret\n")
    assert orphan.exit_code == 1 and "organisation" in orphan.output


def test_every_statement_from_the_command_line(run, demo, tmp_path):
    """``fund-ledger report NAME`` for each report of the catalogue; bad input exits non-zero naming it."""
    import csv
    import io
    import json

    from fund_ledger.reports.catalogue import REPORTS

    args = {"fund-statement": ["--fund", "AILILIANG"], "account-ledger": ["--account", "1002"]}
    for name in REPORTS:
        result = run("report", name, *args.get(name, []), "--format", "json")
        assert result.exit_code == 0, (name, result.output)
        assert json.loads(result.output)["ledger"]["entries"] == 12
    activities = run("report", "activities", "--from", "2026-09-01", "--to", "2026-09-30")
    rows = {r["line"]: r for r in csv.DictReader(io.StringIO(activities.output))}
    assert rows["donations"]["total"] == "126288.50"  # September's gifts: 100,000 + 5,000 + 20,000 + 1,288.50
    pdf = tmp_path / "fp.pdf"
    assert run("report", "financial-position", "--format", "pdf", "-o", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert run("report", "no-such-report").exit_code != 0
    bad = run("report", "general-journal", "--from", "2026-12-01", "--to", "2026-01-01")
    assert bad.exit_code == 1 and "after it ends" in bad.output
    assert run("report", "fund-statement", "--fund", "NOPE").exit_code == 1


def test_the_notes_of_a_year_from_the_command_line(run, demo, tmp_path):
    """``fund-ledger report notes --from 2026-01-01 --to 2026-12-31 --format pdf``; a period that is not a whole
    year exits 1 naming the field."""
    pdf = tmp_path / "notes.pdf"
    done = run("report", "notes", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "pdf", "-o", str(pdf))
    assert done.exit_code == 0, done.output
    assert pdf.read_bytes().startswith(b"%PDF")
    bad = run("report", "notes", "--from", "2026-01-01", "--to", "2026-06-30", "--format", "pdf")
    assert bad.exit_code == 1 and "to: the notes cover one whole calendar year" in bad.output


def test_export_through_a_date_leaves_later_entries_out(run, demo):
    whole = run("export", "--format", "ledger").output
    september = run("export", "--format", "ledger", "--through", "2026-09-30").output
    assert whole.count("\n2026-") == 12 and september.count("\n2026-") == 4
    assert all(line[:10] <= "2026-09-30" for line in september.splitlines() if line.startswith("2026-"))


def test_the_annual_work_report_from_the_command_line(run, demo, tmp_path):
    """``fund-ledger annual-report YEAR``: the draft read from the books (JSON, PDF, XLSX); a year not ended yet
    exits 1 naming why."""
    draft = run("annual-report", "2025")
    assert draft.exit_code == 0, draft.output
    body = json.loads(draft.stdout)
    assert (body["state"], body["figures"]["income"]["total"]["total"]) == ("draft", "0.00")
    not_ended = run("annual-report", "2026")
    assert not_ended.exit_code == 1 and "2026 has not ended yet" in not_ended.output
    assert run("annual-report", "0").exit_code == 2  # not a year: click names the argument
    xlsx, pdf = tmp_path / "2026.xlsx", tmp_path / "2026.pdf"
    previous = clock.current()  # --today sets the process's one clock: put the tests' back after
    try:
        assert run("--today", "2027-01-05", "annual-report", "2026", "--format", "xlsx", "-o", str(xlsx)).exit_code == 0
        assert run("--today", "2027-01-05", "annual-report", "2026", "--format", "pdf", "-o", str(pdf)).exit_code == 0
        figures = json.loads(run("--today", "2027-01-05", "annual-report", "2026").stdout)["figures"]
    finally:
        clock.set_clock(previous)
    assert xlsx.read_bytes()[:2] == b"PK" and pdf.read_bytes().startswith(b"%PDF")
    from openpyxl import load_workbook

    income = float(figures["income"]["total"]["total"])
    cells = [c.value for ws in load_workbook(xlsx).worksheets for row in ws.iter_rows() for c in row]
    assert income > 100_000 and income in cells  # the year's income, as a number to re-key
