"""The PDF layer: trial balance as PDF, fonts, pagination, reproducible bytes, and the URL sandbox.

PDFs are checked with poppler (pdftotext, pdffonts, pdfinfo). Without a CJK font (``fc-list :lang=zh``)
or poppler these tests skip, and with ``CI=true`` they fail instead.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import jinja2
import pytest
from click.testing import CliRunner

from fund_ledger.ledger.money import format_amount

with warnings.catch_warnings():
    # On a machine with no fonts at all WeasyPrint warns on import; pdf_tools below skips (or fails in CI) instead.
    warnings.simplefilter("ignore")
    from fund_ledger.reports import pdf
    from fund_ledger.reports.pdf import (
        STATIC_DIR, PdfResourceError, StaticOnlyFetcher, render_html, render_pdf, trial_balance_pdf,
    )
from fund_ledger.reports.trial_balance import AccountRow, FundRow, TrialBalance, build_trial_balance
from fund_ledger.services.demo import load_demo
from tests.conftest import IN_CI, TODAY

GENERATED_AT = "2026-11-27T08:00:00Z"
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei")  # the stack in print.css
EMBEDDED_CJK = re.compile(r"^\S*(Noto-Sans-CJK|Noto-Serif-CJK|NotoSansCJK|NotoSerifCJK|WenQuanYi)", re.I)


def _require(ok: bool, why: str) -> None:
    if ok:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {why}")
    pytest.skip(why)


@pytest.fixture(scope="module")
def pdf_tools():
    """A CJK font of the stylesheet's stack and poppler's tools, or skip (fail in CI)."""
    missing = [tool for tool in ("pdftotext", "pdffonts", "pdfinfo", "fc-list") if shutil.which(tool) is None]
    _require(not missing, f"missing tools: {', '.join(missing)} (poppler-utils, fontconfig)")
    families = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=True).stdout
    _require(any(f in families for f in CJK_FAMILIES),
             f"no CJK font from the stack {CJK_FAMILIES} (fc-list :lang=zh): install fonts-noto-cjk")


def _write(tmp_path: Path, data: bytes, name: str = "report.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def page_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def footer(page: int, pages: int) -> re.Pattern:
    """第 X 页 / 共 Y 页; pdftotext may or may not keep the spaces around the digits."""
    return re.compile(rf"第\s*{page}\s*页\s*/\s*共\s*{pages}\s*页")


def embedded_fonts(path: Path) -> list[tuple[str, str]]:
    """(name, emb) for each font pdffonts lists."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        # name, type (may hold spaces), encoding, emb, sub, uni, object, generation
        m = re.match(r"^(\S+)\s+.*?\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line)
        if m:
            rows.append((m.group(1), m.group(2)))
    return rows


def synthetic_trial_balance(rows: int = 200) -> TrialBalance:
    """A trial balance with ``rows`` sub-accounts and a balancing income row: no database needed."""
    accounts = [
        AccountRow(f"5101{i:03d}", f"业务活动成本-项目{i:03d}", f"Programme cost {i:03d}", "expense",
                   debit=(i + 1) * 123_456 + i, credit=i * 1_00, balance=(i + 1) * 123_456 + i - i * 1_00)
        for i in range(rows)
    ]
    gap = sum(r.debit for r in accounts) - sum(r.credit for r in accounts)
    accounts.append(AccountRow("4101", "捐赠收入", "Donation income", "income", 0, gap, gap))
    funds = (FundRow("GENERAL", "非限定性基金", False, 6_168_50, 0), FundRow("AILILIANG", "爱力量", True, 78_000_00, 1_000_00))
    return TrialBalance(date(2026, 11, 27), tuple(accounts), funds, 4321, "ab" * 32)


# --- the demo, on both databases -------------------------------------------------------------------

@pytest.fixture
def demo_tb(session):
    load_demo(session, today=TODAY)
    return build_trial_balance(session, today=TODAY)


def test_demo_trial_balance_pdf(pdf_tools, session, demo_tb, tmp_path):
    data = trial_balance_pdf(demo_tb, generated_by="manager", generated_at=GENERATED_AT)
    assert data.startswith(b"%PDF-")
    path = _write(tmp_path, data)

    fonts = embedded_fonts(path)
    assert fonts, "pdffonts listed no fonts"
    assert all(emb == "yes" for _name, emb in fonts), fonts
    assert any(EMBEDDED_CJK.match(name) for name, _emb in fonts), fonts

    text = page_text(path)
    for needle in ("科目余额表", "银行存款", "爱力量", "张店区妇女儿童事业发展基金", "合计", "基金", "已预留", "可用",
                   "截至日期", "2026-11-27", "2026-11-27 08:00:00 UTC", "manager", demo_tb.head_hash):
        assert needle in text, needle
    assert demo_tb.total_debit == demo_tb.total_credit
    total = format_amount(demo_tb.total_debit)  # 239,408.50 for the demo; taken from the object, not typed in
    total_line = next(line for line in text.splitlines() if "合计" in line and total in line)
    assert total_line.count(total) == 2, total_line
    for fund in demo_tb.funds:
        assert re.search(rf"{fund.name}.*{re.escape(format_amount(fund.available))}", text), fund.name
    n = page_count(path)
    assert footer(1, n).search(page_text(path, 1))


def test_same_ledger_same_generated_at_gives_same_bytes(pdf_tools, session, demo_tb, tmp_path):
    first = trial_balance_pdf(demo_tb, generated_at=GENERATED_AT)
    again = trial_balance_pdf(build_trial_balance(session, today=TODAY), generated_at=GENERATED_AT)
    assert first == again
    info = subprocess.run(["pdfinfo", "-isodates", str(_write(tmp_path, first))],
                          capture_output=True, text=True, check=True).stdout
    assert re.search(r"^CreationDate:\s+2026-11-27T08:00:00Z", info, re.M), info
    assert re.search(r"^ModDate:\s+2026-11-27T08:00:00Z", info, re.M), info

    later = trial_balance_pdf(demo_tb, generated_at="2026-11-27T08:00:01Z")
    assert later != first


def test_cli_writes_a_pdf(pdf_tools, db_url, session, monkeypatch, tmp_path):
    from fund_ledger import cli

    load_demo(session, today=TODAY)
    session.commit()
    monkeypatch.setenv("FUND_LEDGER_DATABASE_URL", db_url)
    out = tmp_path / "tb.pdf"
    try:
        result = CliRunner().invoke(cli.main, ["report", "trial-balance", "--format", "pdf", "-o", str(out)])
    finally:
        cli.engine().dispose()
        cli._engine.cache_clear()
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert "银行存款" in page_text(out)


def test_same_bytes_in_another_process(pdf_tools, tmp_path):
    """Nothing in the bytes depends on the process: hash seed, object ids, fontconfig's cache."""
    here = trial_balance_pdf(synthetic_trial_balance(3), generated_at=GENERATED_AT)
    out = tmp_path / "other.pdf"
    code = ("import sys, pathlib; from tests.reports.test_pdf import synthetic_trial_balance, GENERATED_AT; "
            "from fund_ledger.reports.pdf import trial_balance_pdf; "
            "data = trial_balance_pdf(synthetic_trial_balance(3), generated_at=GENERATED_AT); "
            "pathlib.Path(sys.argv[1]).write_bytes(data)")
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code, str(out)], cwd=root, check=True,
                   env={**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(root)})
    assert out.read_bytes() == here


# --- pagination, without a database -----------------------------------------------------------------

def test_long_trial_balance_repeats_header_and_counts_pages(pdf_tools, tmp_path):
    tb = synthetic_trial_balance(200)
    path = _write(tmp_path, trial_balance_pdf(tb, generated_at=GENERATED_AT))
    pages = page_count(path)
    assert pages >= 3
    texts = [page_text(path, n) for n in range(1, pages + 1)]
    for n, text in enumerate(texts, start=1):
        assert "张店区妇女儿童事业发展基金" in text and "科目余额表" in text, f"running header missing on page {n}"
        assert footer(n, pages).search(text), f"footer wrong on page {n}"
        assert tb.head_hash in text, f"ledger digest missing on page {n}"
    # The accounts table runs over several pages: its header row is on each of them.
    account_pages = [n for n, text in enumerate(texts, start=1) if "5101" in text]
    assert len(account_pages) >= 3
    for n in account_pages:
        assert re.search(r"科目代码\s+科目名称\s+借方发生额\s+贷方发生额\s+余额", texts[n - 1]), f"no header on page {n}"
    # No row is split across pages: each row's code and all three amounts are on one line of one page.
    lines = [line for text in texts for line in text.splitlines()]
    for r in tb.accounts:
        pattern = re.compile(rf"^\s*{r.code}\s.*\s{re.escape(format_amount(r.debit))}\s+"
                             rf"{re.escape(format_amount(r.credit))}\s+{re.escape(format_amount(r.balance))}\s*$")
        assert sum(bool(pattern.match(line)) for line in lines) == 1, r.code
    assert format_amount(tb.total_debit) in texts[-1] or format_amount(tb.total_debit) in texts[-2]


# --- the template layer and the URL sandbox (no PDF tools needed) --------------------------------------

def test_html_is_escaped_and_generated_at_is_utc():
    tb = synthetic_trial_balance(1)
    tb = TrialBalance(tb.as_of, (AccountRow("1001", "<b>现金</b>", "Cash & co", "asset", 1, 0, 1),),
                      tb.funds, tb.entries, tb.head_hash)
    html = render_html("reports/trial_balance.html", tb=tb, as_of="2026-11-27", generated_by="<script>",
                       generated_at="2026-11-27T16:30:00+08:00", entries=tb.entries, head_hash=tb.head_hash)
    assert "&lt;b&gt;现金&lt;/b&gt;" in html and "Cash\u00a0&amp;\u00a0co" in html  # short English names keep together
    assert "<script>" not in html
    assert "2026-11-27 08:30:00 UTC" in html
    assert 'content="2026-11-27T08:30:00Z"' in html
    naive = render_html("reports/trial_balance.html", tb=tb, as_of="x", generated_by="t",
                        generated_at=datetime(2026, 1, 2, 3, 4, 5, 999), entries=1, head_hash="h")
    assert "2026-01-02 03:04:05 UTC" in naive
    shifted = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))
    assert "2026-01-02 08:04:05 UTC" in render_html("reports/trial_balance.html", tb=tb, as_of="x", generated_by="t",
                                                    generated_at=shifted, entries=1, head_hash="h")


def test_missing_variable_fails_instead_of_printing_blank():
    with pytest.raises(jinja2.UndefinedError):
        render_html("reports/trial_balance.html", generated_at=GENERATED_AT)


@pytest.mark.parametrize("url", [
    "https://example.com/logo.png",
    "http://127.0.0.1:5000/static/css/print.css",
    "ftp://example.com/x",
    "data:text/css,body{color:red}",
    "file:///etc/passwd",
    "file://otherhost" + (STATIC_DIR / "css" / "print.css").as_posix(),
    (STATIC_DIR / ".." / "fund_ledger" / "config.py").as_uri(),
    STATIC_DIR.as_uri() + "/../pyproject.toml",
    STATIC_DIR.as_uri() + "/css/no-such-file.css",
])
def test_fetcher_refuses_everything_but_static_files(url):
    with pytest.raises(ValueError):
        StaticOnlyFetcher().fetch(url)


def test_fetcher_serves_static_files_and_refuses_symlinks_out(tmp_path):
    response = StaticOnlyFetcher().fetch((STATIC_DIR / "css" / "print.css").as_uri())
    assert response.content_type == "text/css"
    assert b"@page" in response.read()

    static = tmp_path / "static"
    static.mkdir()
    (static / "ok.txt").write_text("fine")
    (tmp_path / "secret.txt").write_text("secret")
    (static / "link.txt").symlink_to(tmp_path / "secret.txt")
    fetcher = StaticOnlyFetcher(static)
    assert fetcher.fetch((static / "ok.txt").as_uri()).read() == b"fine"
    with pytest.raises(ValueError):
        fetcher.fetch((static / "link.txt").as_uri())


@pytest.mark.parametrize("markup", [
    '<img src="https://example.com/tracker.png">',
    '<img src="file:///etc/hostname">',
    '<img src="../pyproject.toml">',
    '<link rel="stylesheet" href="https://example.com/x.css">',
    '<style>@import url("file:///etc/passwd");</style>',
])
def test_render_stops_on_a_refused_resource(monkeypatch, markup):
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": f"<html><body>{markup}<p>x</p></body></html>"}),
                             autoescape=True)
    monkeypatch.setattr(pdf, "template_env", lambda: env)
    with pytest.raises(PdfResourceError):
        render_pdf("t.html", generated_at=GENERATED_AT)
