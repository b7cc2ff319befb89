"""The one clock: nothing reads the system time but ``fund_ledger.clock``, and "today" is Beijing's date."""
from __future__ import annotations

import ast
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from fund_ledger import clock

PACKAGE = Path(clock.__file__).parent

FORBIDDEN = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
             ("time", "time"), ("time", "localtime"), ("time", "gmtime"), ("time", "strftime")}


def test_nothing_but_the_clock_reads_the_system_time():
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "clock.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and (node.value.id, node.attr) in FORBIDDEN):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value.id}.{node.attr}")
    assert not found, "read the time through fund_ledger.clock: " + ", ".join(found)


@pytest.mark.parametrize(("beijing", "day"), [
    (datetime(2027, 1, 1, 0, 0), date(2027, 1, 1)),        # midnight in Beijing is 16:00 UTC the day before
    (datetime(2026, 12, 31, 23, 59, 59), date(2026, 12, 31)),
    (datetime(2026, 11, 30, 23, 59), date(2026, 11, 30)),
    (datetime(2028, 2, 29, 7, 30), date(2028, 2, 29)),      # a leap day, still the 28th in UTC
])
def test_today_is_the_date_in_beijing(set_today, beijing, day):
    set_today(beijing.date(), beijing.time(), ticking=False)
    assert clock.local_today() == day
    assert clock.now().tzinfo is not None
    assert clock.now() == datetime.combine(beijing.date(), beijing.time(), clock.LOCAL_TZ).astimezone(UTC)


def test_a_set_clock_runs_on_and_can_be_moved(set_today):
    chosen = set_today(date(2026, 12, 31), time(23, 59, 59))
    first = clock.now()
    assert clock.now() >= first  # it runs on with real time
    chosen.advance(timedelta(seconds=2))
    assert clock.local_today() == date(2027, 1, 1)


def test_the_app_and_its_setting_set_the_clock(demo_db, monkeypatch):
    from fund_ledger import create_app

    previous = clock.current()
    try:
        monkeypatch.setenv("FUND_LEDGER_TODAY", "2028-02-29")
        app = create_app({"TESTING": True, "DATABASE_URL": demo_db})
        app.extensions["fund_ledger.engine"].dispose()
        assert clock.local_today() == date(2028, 2, 29)
        monkeypatch.setenv("FUND_LEDGER_TODAY", "2028-02-30")
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            create_app({"TESTING": True, "DATABASE_URL": demo_db})
    finally:
        clock.set_clock(previous)


def test_the_command_line_takes_today(db_url, monkeypatch):
    """``fund-ledger --today`` dates what the command does: a trial balance as of "today" is that day's."""
    from click.testing import CliRunner

    from fund_ledger.cli import main

    previous = clock.current()
    monkeypatch.setenv("FUND_LEDGER_DATABASE_URL", db_url)
    try:
        result = CliRunner().invoke(main, ["--today", "2027-12-31", "report", "trial-balance", "--format", "json"])
        assert result.exit_code == 0, result.output
        assert '"as_of": "2027-12-31"' in result.output
        assert clock.local_today() == date(2027, 12, 31)
        bad = CliRunner().invoke(main, ["--today", "2027-13-01", "verify"])
        assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    finally:
        clock.set_clock(previous)
