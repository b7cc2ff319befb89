"""Renderers for statements: aligned text, CSV, JSON and PDF."""
from __future__ import annotations

import csv
import io
import json
import unicodedata

from ..ledger.money import fen_to_str, format_amount
from .trial_balance import TrialBalance


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], numeric_from: int) -> list[str]:
    widths = [max(display_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(_pad(c, widths[i], right=i >= numeric_from) for i, c in enumerate(cells)).rstrip()
    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def trial_balance_text(tb: TrialBalance) -> str:
    rows = [(r.code, r.name, format_amount(r.debit), format_amount(r.credit), format_amount(r.balance))
            for r in tb.accounts]
    rows.append(("", "合计", format_amount(tb.total_debit), format_amount(tb.total_credit), ""))
    funds = [(f.code, f.name + ("（限定性）" if f.restricted else ""), format_amount(f.balance),
              format_amount(f.reserved), format_amount(f.available)) for f in tb.funds]
    out = [f"科目余额表 Trial balance  截至 {tb.as_of.isoformat()}", ""]
    out += _table(("科目代码", "科目名称", "借方", "贷方", "余额"), rows, 2)
    out += ["", "基金 Funds"]
    out += _table(("基金代码", "基金名称", "余额", "已预留", "可用"), funds, 2)
    out += ["", f"账本摘要 Ledger digest: {tb.entries} entries, head {tb.head_hash}", ""]
    return "\n".join(out)


def trial_balance_csv(tb: TrialBalance) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name", "name_en", "type", "debit", "credit", "balance"])
    for r in tb.accounts:
        w.writerow([r.code, r.name, r.name_en, r.type, fen_to_str(r.debit), fen_to_str(r.credit), fen_to_str(r.balance)])
    w.writerow(["", "合计", "Total", "", fen_to_str(tb.total_debit), fen_to_str(tb.total_credit), ""])
    return buf.getvalue()


def render_trial_balance(tb: TrialBalance, fmt: str) -> str | bytes:
    if fmt == "text":
        return trial_balance_text(tb)
    if fmt == "csv":
        return trial_balance_csv(tb)
    if fmt == "json":
        return json.dumps(tb.as_json(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "pdf":
        from .pdf import trial_balance_pdf

        return trial_balance_pdf(tb)
    raise ValueError(f"unknown format {fmt!r}")
