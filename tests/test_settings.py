"""Settings live in one module (``fund_ledger.config``): nothing else in the package reads the environment,
every variable is in the README's configuration table, and a bad value stops the start naming the variable."""
from __future__ import annotations

import ast
import re
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from click import ClickException
from click.testing import CliRunner

import fund_ledger
from fund_ledger import config
from fund_ledger.config import SettingsError, load_settings

PACKAGE = Path(fund_ledger.__file__).parent
ROOT = PACKAGE.parent
TESTS_OWN = {"FUND_LEDGER_TEST_PG_URL"}  # the tests' PostgreSQL server: read by tests/conftest.py, not the app


def _reads_environment(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "environb", "getenv", "putenv", "unsetenv"}:
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and \
                {a.name for a in node.names} & {"environ", "environb", "getenv"}:
            lines.append(node.lineno)
    return lines


def test_only_the_settings_module_reads_the_environment():
    sources = sorted(PACKAGE.rglob("*.py"))
    offenders = {str(p.relative_to(ROOT)): lines for p in sources if p != PACKAGE / "config.py"
                 for lines in [_reads_environment(ast.parse(p.read_text(encoding="utf-8")))] if lines}
    assert offenders == {}
    assert len(sources) > 50 and _reads_environment(ast.parse((PACKAGE / "config.py").read_text(encoding="utf-8")))


def _variables_read() -> list[str]:
    return ["FUND_LEDGER_" + name for name in
            re.findall(r'env\.\w+\("([A-Z0-9_]+)"', (PACKAGE / "config.py").read_text(encoding="utf-8"))]


def _readme_table() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return [name for line in section.splitlines() if line.startswith("| `")
            for name in re.findall(r"`(FUND_LEDGER_[A-Z0-9_]+)`", line.split("|")[1])]


def test_every_variable_is_in_the_readme_once():
    read, listed = _variables_read(), _readme_table()
    assert len(read) >= 14 and len(set(read)) == len(read)
    assert sorted(listed) == sorted(set(listed)), "a variable is listed twice"
    assert set(listed) == set(read) | TESTS_OWN


def test_defaults():
    s = load_settings({})
    assert s.public_url == "http://127.0.0.1:5000" and s.demo is False and s.secret_key is None and s.today is None
    assert s.database_url == f"sqlite:///{config.PROJECT_ROOT / 'instance' / 'fund_ledger.sqlite3'}"
    assert (s.dual_approval_above, s.attachment_max_bytes, s.max_upload_bytes) == (5_000_000, 10 << 20, 32 << 20)
    assert (s.spending_ratio_min, s.management_ratio_max, s.verify_per_10_min, s.trusted_proxies) == (70, 10, 10, 0)


def test_values_are_read_as_what_they_mean():
    s = load_settings({"FUND_LEDGER_DEMO": "yes", "FUND_LEDGER_TODAY": "2028-02-29", "FUND_LEDGER_INSTANCE": "/srv/fl",
                       "FUND_LEDGER_PUBLIC_URL": "https://fund.example.org/", "FUND_LEDGER_SPENDING_RATIO_MIN": "6.5",
                       "FUND_LEDGER_DUAL_APPROVAL_ABOVE": "20000", "FUND_LEDGER_MAX_UPLOAD_MB": " 8 "})
    assert s.demo and s.today == date(2028, 2, 29) and s.public_url == "https://fund.example.org"
    assert s.database_url == "sqlite:////srv/fl/fund_ledger.sqlite3"
    assert (s.spending_ratio_min, s.dual_approval_above, s.max_upload_bytes) == (Fraction(13, 2), 2_000_000, 8 << 20)


@pytest.mark.parametrize("name, value", [
    ("MAX_UPLOAD_MB", "abc"), ("MAX_UPLOAD_MB", "0"), ("ATTACHMENT_MAX_MB", "1.5"), ("DUAL_APPROVAL_ABOVE", "-1"),
    ("VERIFY_PER_10_MIN", "ten"), ("TRUSTED_PROXIES", "１"), ("SPENDING_RATIO_MIN", "101"),
    ("MANAGEMENT_RATIO_MAX", "1e1"), ("TODAY", "2028-02-30"), ("DEMO", "maybe"), ("PUBLIC_URL", "fund.example.org"),
    ("CHEAP_PASSWORD_HASHES", "2"),
])
def test_a_bad_value_is_refused_naming_the_variable(name, value):
    with pytest.raises(SettingsError, match=f"^FUND_LEDGER_{name}={re.escape(repr(value))}: expected "):
        load_settings({f"FUND_LEDGER_{name}": value})


def test_the_app_and_the_command_line_refuse_a_bad_value_at_start(monkeypatch):
    from fund_ledger import create_app
    from fund_ledger.cli import main

    monkeypatch.setenv("FUND_LEDGER_MAX_UPLOAD_MB", "abc")
    with pytest.raises(SettingsError, match="FUND_LEDGER_MAX_UPLOAD_MB") as caught:
        create_app({"TESTING": True})
    assert isinstance(caught.value, ClickException)  # `flask --app fund_ledger run` prints it, no traceback
    result = CliRunner().invoke(main, ["verify"])
    assert result.exit_code == 2 and "FUND_LEDGER_MAX_UPLOAD_MB='abc'" in result.output
    assert "Traceback" not in result.output
