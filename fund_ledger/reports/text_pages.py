"""The 序时账 and the 明细账 as lines of fixed-width text, cut into printed pages before any layout.

Each posting is one line in the Noto Sans Mono CJK font (WeasyPrint lays out a table cell at about ten times
the cost of a line of text); a page holds a fixed number of lines, so the page count is known in advance and
the pages can be laid out a part at a time (:func:`.pdf.render_pdf_in_parts`), the lines written into them
by :mod:`.mono_text`.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from ..ledger.money import format_amount
from . import statements as st


@lru_cache(maxsize=4096)
def _char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WFA" else 0 if unicodedata.combining(ch) else 1


def display_width(text: str) -> int:
    """Columns in the monospaced CJK font: wide, full-width and ambiguous characters take two."""
    if text.isascii():  # most cells (numbers, dates, amounts, codes): one column a character
        return len(text)
    return sum(map(_char_width, text))


def fit(text: str, width: int, right: bool = False) -> str:
    """``text`` on one line, cut with ``…`` and padded with spaces to exactly ``width`` columns."""
    text = " ".join(text.split())
    if display_width(text) > width:
        out, used = [], 0
        for ch in text:
            w = _char_width(ch)
            if used + w > width - 2:
                break
            out.append(ch)
            used += w
        text = "".join(out) + "…"
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


JOURNAL_COLUMNS = (  # (heading, width in columns, right-aligned)
    ("凭证号", 11, False), ("日期", 10, False), ("摘要 Memo", 38, False), ("科目 Account", 22, False),
    ("基金 Fund", 12, False), ("借方 Debit", 16, True), ("贷方 Credit", 16, True),
)
JOURNAL_LINES_FIRST_PAGE = 48
JOURNAL_LINES_PER_PAGE = 66
JOURNAL_LAST_PAGE_ROOM = 8
"""Lines the last page keeps free for the total row and the end note (which would otherwise overflow)."""


def journal_line(cells: list[str]) -> str:
    return text_line(cells, JOURNAL_COLUMNS)


def text_line(cells: list[str], columns) -> str:
    """One printed line; two blank columns become one U+3000 (a full-width space, two columns wide in the
    monospaced CJK font): the same look with a third fewer glyphs for WeasyPrint to shape and draw."""
    line = " ".join(fit(c, w, r) for c, (_h, w, r) in zip(cells, columns, strict=True)).rstrip()
    return line.replace("  ", "\u3000")


def journal_text_lines(journal: st.GeneralJournal) -> list[str]:
    lines = []
    for e in journal.entries:
        for i, x in enumerate(e.lines):
            first = i == 0
            memo = (f"[{e.code_label}] " + e.memo) if first else ""
            lines.append(journal_line([e.number if first else "", e.accounting_date.isoformat() if first else "",
                                        memo, f"{x.account} {x.account_name}", x.fund_name,
                                        format_amount(x.debit) if x.debit else "",
                                        format_amount(x.credit) if x.credit else ""]))
    return lines


def journal_pages(lines: list[str], first: int = JOURNAL_LINES_FIRST_PAGE, per_page: int = JOURNAL_LINES_PER_PAGE,
                  last_room: int = JOURNAL_LAST_PAGE_ROOM) -> list[list[str]]:
    """``lines`` cut into printed pages: ``first`` lines on page 1, ``per_page`` after, and the last page
    at least ``last_room`` lines short of full (the rest goes on a page of its own), so that every page
    is exactly one printed page and the page count is known before anything is laid out."""
    pages, start, size = [], 0, first
    while start < len(lines) or not pages:
        chunk = lines[start:start + size]
        if start + size >= len(lines) and len(chunk) > size - last_room:
            keep = size - last_room
            pages.append(chunk[:keep])
            start, size = start + keep, per_page
            continue
        pages.append(chunk)
        start, size = start + size, per_page
    return pages


LEDGER_COLUMNS = (  # (heading, width in columns, right-aligned)
    ("凭证号", 11, False), ("日期", 10, False), ("摘要 Memo", 44, False), ("基金 Fund", 12, False),
    ("借方 Debit", 16, True), ("贷方 Credit", 16, True), ("余额 Balance", 17, True),
)


def ledger_text_lines(ledger: st.AccountLedger) -> list[str]:
    """The 明细账 as lines of fixed-width text: the opening balance, then one line per posting."""
    lines = [text_line(["", ledger.start.isoformat(), "期初余额 Opening balance", "", "", "",
                         format_amount(ledger.opening)], LEDGER_COLUMNS)]
    lines += [text_line([x.number, x.accounting_date.isoformat(), x.memo, x.fund,
                          format_amount(x.debit) if x.debit else "", format_amount(x.credit) if x.credit else "",
                          format_amount(x.balance)], LEDGER_COLUMNS) for x in ledger.lines]
    return lines
