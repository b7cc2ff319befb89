"""The statements of :mod:`fund_ledger.reports.statements` as JSON, CSV and PDF.

For each report ``<name>`` (underscored): ``<name>_json(report) -> dict``, ``<name>_csv(report) -> str``
and ``render_<name>_pdf(report, *, generated_by, generated_at) -> bytes``. Amounts are plain yuan text
with two decimals in JSON and CSV (``fen_to_str``: ``"100000.00"``), grouped in PDFs. CSV files have one
header row; statements with columns give each line's key, Chinese and English label and its figures,
so a reader can parse the numbers back exactly.

The general journal's and the account ledger's PDFs are built for length: each posting is one line of
fixed-width text in the Noto Sans Mono CJK font, paginated here (a fixed number of lines per page, the
column header repeated on each page), because WeasyPrint lays out a table cell at about ten times the
cost of a line; the pages are then laid out a part at a time (:func:`.pdf.render_pdf_in_parts`: WeasyPrint
lays out each page's frame and :mod:`.mono_text` writes the lines into it), so
memory is bounded by the part, and ``progress(pages_done, total_pages)`` can follow a long one. The
lines and pages of text are made in :mod:`.text_pages`.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from datetime import datetime

from ..ledger.money import fen_to_str, format_amount
from ..ledger.statements import Columns, format_percent
from . import statements as st
from .pdf import render_pdf, render_pdf_in_parts
from .render import trial_balance_csv
from .text_pages import (JOURNAL_COLUMNS, LEDGER_COLUMNS, journal_line, journal_pages, journal_text_lines,
                         ledger_text_lines, text_line)
from .trial_balance import TrialBalance


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text a spreadsheet would run as a formula (``=HYPERLINK(...)`` typed as a purpose or a donor's name)
    gets a leading ``'``; numbers, and money written by us (``-30000.00``), are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _MONEY_TEXT.fullmatch(value):
        return "'" + value
    return value


_MONEY_TEXT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")


def _csv(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(header))
    w.writerows([safe_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def _d(value) -> str | None:
    return value.isoformat() if value is not None else None


def _period(report) -> dict:
    return {"from": report.start.isoformat(), "to": report.end.isoformat()}


def _fund(report) -> dict | None:
    return report.fund.as_json() if report.fund else None


def _columns(c: Columns) -> dict:
    return {"unrestricted": fen_to_str(c.unrestricted), "restricted": fen_to_str(c.restricted), "total": fen_to_str(c.total)}


def _pdf_common(report, generated_by: str, generated_at) -> dict:
    return {"generated_by": generated_by, "generated_at": generated_at, "entries": report.digest.entries,
            "head_hash": report.digest.head_hash}


def _period_pdf(report) -> dict:
    return {"period_start": report.start.isoformat(), "period_end": report.end.isoformat()}


# --- trial balance ---------------------------------------------------------------------------------

def trial_balance_json(tb: TrialBalance) -> dict:
    return tb.as_json()


def render_trial_balance_pdf(tb: TrialBalance, *, generated_by: str = "fund-ledger", generated_at=None) -> bytes:
    from .pdf import trial_balance_pdf

    return trial_balance_pdf(tb, generated_by=generated_by, generated_at=generated_at)


# trial_balance_csv comes from .render (the CLI's CSV)


# --- general journal -------------------------------------------------------------------------------

JOURNAL_CSV_HEADER = ("number", "date", "code", "memo", "actor", "reverses", "account", "account_name", "fund",
                      "fund_name", "debit", "credit")


def journal_csv_rows(entries: Iterable[st.JournalEntry]) -> Iterable[list[str]]:
    for e in entries:
        for line in e.lines:
            yield [e.number, e.accounting_date.isoformat(), e.code, e.memo, e.actor, e.reverses or "", line.account,
                   line.account_name, line.fund, line.fund_name, fen_to_str(line.debit), fen_to_str(line.credit)]


def iter_general_journal_csv(entries: Iterable[st.JournalEntry]) -> Iterable[str]:
    """The journal's CSV a chunk at a time (for streaming a long period without holding it)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(JOURNAL_CSV_HEADER)
    for i, row in enumerate(journal_csv_rows(entries), start=1):
        w.writerow([safe_cell(v) for v in row])
        if i % 500 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def general_journal_csv(journal: st.GeneralJournal) -> str:
    return "".join(iter_general_journal_csv(journal.entries))


def general_journal_json(journal: st.GeneralJournal) -> dict:
    return {**_period(journal), "fund": _fund(journal), "ledger": journal.digest.as_json(),
            "total_debit": fen_to_str(journal.total_debit), "total_credit": fen_to_str(journal.total_credit),
            "entries": [{"number": e.number, "date": e.accounting_date.isoformat(), "code": e.code, "memo": e.memo,
                         "actor": e.actor, "reverses": e.reverses,
                         "postings": [{"account": x.account, "account_name": x.account_name, "fund": x.fund,
                                       "fund_name": x.fund_name, "debit": fen_to_str(x.debit),
                                       "credit": fen_to_str(x.credit)} for x in e.lines]}
                        for e in journal.entries]}


def render_general_journal_pdf(journal: st.GeneralJournal, *, generated_by: str = "fund-ledger",
                               generated_at: datetime | str | None = None,
                               progress: Callable[[int, int], None] | None = None) -> bytes:
    header = journal_line([h for h, _w, _r in JOURNAL_COLUMNS])
    total = journal_line(["", "", "合计 Total", f"{journal.lines} 行 lines", "", format_amount(journal.total_debit),
                           format_amount(journal.total_credit)])
    return render_pdf_in_parts("reports/general_journal.html", journal_pages(journal_text_lines(journal)),
                               journal=journal, header=header, total=total, progress=progress,
                               fund_label=journal.fund.name if journal.fund else "全部基金 All funds",
                               **_period_pdf(journal), **_pdf_common(journal, generated_by, generated_at))


# --- account ledger --------------------------------------------------------------------------------

def account_ledger_csv(ledger: st.AccountLedger) -> str:
    rows = [["", ledger.start.isoformat(), "期初余额 Opening balance", "", "", "", fen_to_str(ledger.opening)]]
    rows += [[x.number, x.accounting_date.isoformat(), x.memo, x.fund, fen_to_str(x.debit), fen_to_str(x.credit),
              fen_to_str(x.balance)] for x in ledger.lines]
    rows.append(["", ledger.end.isoformat(), "期末余额 Closing balance", "", fen_to_str(ledger.total_debit),
                 fen_to_str(ledger.total_credit), fen_to_str(ledger.closing)])
    return _csv(("number", "date", "memo", "fund", "debit", "credit", "balance"), rows)


def account_ledger_json(ledger: st.AccountLedger) -> dict:
    a = ledger.account
    return {**_period(ledger), "fund": _fund(ledger), "ledger": ledger.digest.as_json(),
            "account": {"code": a.code, "name": a.name, "name_en": a.name_en, "normal_side": a.normal_side.value},
            "opening": fen_to_str(ledger.opening), "closing": fen_to_str(ledger.closing),
            "total_debit": fen_to_str(ledger.total_debit), "total_credit": fen_to_str(ledger.total_credit),
            "lines": [{"number": x.number, "date": x.accounting_date.isoformat(), "memo": x.memo, "fund": x.fund,
                       "debit": fen_to_str(x.debit), "credit": fen_to_str(x.credit), "balance": fen_to_str(x.balance)}
                      for x in ledger.lines]}


def render_account_ledger_pdf(ledger: st.AccountLedger, *, generated_by: str = "fund-ledger", generated_at=None,
                              progress: Callable[[int, int], None] | None = None) -> bytes:
    header = text_line([h for h, _w, _r in LEDGER_COLUMNS], LEDGER_COLUMNS)
    total = text_line(["", ledger.end.isoformat(), "本期合计及期末余额 Totals and closing balance", "",
                        format_amount(ledger.total_debit), format_amount(ledger.total_credit),
                        format_amount(ledger.closing)], LEDGER_COLUMNS)
    return render_pdf_in_parts("reports/account_ledger.html", journal_pages(ledger_text_lines(ledger)),
                               ledger=ledger, header=header, total=total, progress=progress, **_period_pdf(ledger),
                               **_pdf_common(ledger, generated_by, generated_at))


# --- fund statement --------------------------------------------------------------------------------

def fund_statement_csv(fs: st.FundStatement) -> str:
    rows = [["opening", "期初余额", "Opening balance", fen_to_str(fs.opening)]]
    rows += [[k, zh, en, fen_to_str(v)] for k, zh, en, v in fs.movements]
    rows.append(["closing", "期末余额", "Closing balance", fen_to_str(fs.closing)])
    return _csv(("line", "name", "name_en", "amount"), rows)


def fund_statement_json(fs: st.FundStatement) -> dict:
    return {**_period(fs), "fund": _fund(fs), "ledger": fs.digest.as_json(), "opening": fen_to_str(fs.opening),
            "movements": {k: fen_to_str(v) for k, _zh, _en, v in fs.movements}, "closing": fen_to_str(fs.closing),
            "reserved": fen_to_str(fs.reserved), "balanced": fs.balanced}


def render_fund_statement_pdf(fs: st.FundStatement, *, generated_by: str = "fund-ledger", generated_at=None) -> bytes:
    return render_pdf("reports/fund_statement.html", fs=fs, **_period_pdf(fs), **_pdf_common(fs, generated_by, generated_at))


# --- 业务活动表 ---------------------------------------------------------------------------------------

def _activity_rows(a: st.Activities) -> list[tuple[str, str, str, Columns]]:
    rows = [(s.key, s.zh, s.en, c) for s, c in a.income]
    rows.append(("income_total", "收入合计", "Total income", a.income_total))
    rows += [(s.key, s.zh, s.en, c) for s, c in a.expenses]
    rows.append(("expense_total", "费用合计", "Total expenses", a.expense_total))
    rows.append(("release", "限定性净资产转为非限定性净资产", "Net assets released from restriction", a.release))
    rows.append(("net_change", "净资产变动额", "Change in net assets", a.net_change))
    return rows


def activities_csv(a: st.Activities) -> str:
    return _csv(("line", "name", "name_en", "unrestricted", "restricted", "total"),
                ([k, zh, en, fen_to_str(c.unrestricted), fen_to_str(c.restricted), fen_to_str(c.total)]
                 for k, zh, en, c in _activity_rows(a)))


def activities_json(a: st.Activities) -> dict:
    return {**_period(a), "fund": _fund(a), "ledger": a.digest.as_json(),
            "lines": [{"line": k, "name": zh, "name_en": en, **_columns(c)} for k, zh, en, c in _activity_rows(a)],
            "other_changes": _columns(a.other_changes)}


def render_activities_pdf(a: st.Activities, *, generated_by: str = "fund-ledger", generated_at=None) -> bytes:
    return render_pdf("reports/activities.html", a=a, rows=_activity_rows(a), **_period_pdf(a),
                      **_pdf_common(a, generated_by, generated_at))


# --- 资产负债表 ---------------------------------------------------------------------------------------

def _position_rows(fp: st.FinancialPosition) -> list[tuple[str, str, str, str, int | None, int | None]]:
    """(key, kind, 中文, English, 年初数, 期末数)."""
    rows = [(x.spec.key, x.spec.kind, x.spec.zh, x.spec.en, x.begin, x.end) for x in fp.asset_lines]
    rows.append(("assets", "total", "资产总计", "Total assets", fp.begin.assets, fp.end_.assets))
    rows += [(x.spec.key, x.spec.kind, x.spec.zh, x.spec.en, x.begin, x.end) for x in fp.liability_lines]
    rows.append(("liabilities", "total", "负债合计", "Total liabilities", fp.begin.liabilities, fp.end_.liabilities))
    rows += [("h_net_assets", "heading", "净资产：", "Net assets", None, None),
             ("unrestricted", "line", "非限定性净资产", "Unrestricted net assets", fp.begin.net_assets.unrestricted,
              fp.end_.net_assets.unrestricted),
             ("restricted", "line", "限定性净资产", "Restricted net assets", fp.begin.net_assets.restricted,
              fp.end_.net_assets.restricted),
             ("net_assets", "subtotal", "净资产合计", "Total net assets", fp.begin.net_assets.total, fp.end_.net_assets.total),
             ("liabilities_and_net_assets", "total", "负债和净资产总计", "Total liabilities and net assets",
              fp.begin.liabilities + fp.begin.net_assets.total, fp.end_.liabilities + fp.end_.net_assets.total)]
    return rows


def financial_position_csv(fp: st.FinancialPosition) -> str:
    return _csv(("line", "name", "name_en", "year_start", "end"),
                ([k, zh, en, fen_to_str(b), fen_to_str(e)] for k, kind, zh, en, b, e in _position_rows(fp)
                 if kind != "heading"))


def financial_position_json(fp: st.FinancialPosition) -> dict:
    return {"as_of": fp.as_of.isoformat(), "year_start": fp.year_start.isoformat(), "fund": _fund(fp),
            "ledger": fp.digest.as_json(),
            "lines": [{"line": k, "name": zh, "name_en": en, "year_start": fen_to_str(b), "end": fen_to_str(e)}
                      for k, kind, zh, en, b, e in _position_rows(fp) if kind != "heading"]}


def render_financial_position_pdf(fp: st.FinancialPosition, *, generated_by: str = "fund-ledger",
                                  generated_at=None) -> bytes:
    return render_pdf("reports/financial_position.html", fp=fp, rows=_position_rows(fp), as_of=fp.as_of.isoformat(),
                      **_pdf_common(fp, generated_by, generated_at))


# --- 现金流量表 ---------------------------------------------------------------------------------------

def cash_flow_rows(cfs: st.CashFlow) -> list[tuple[str, str, str, str, int | None, int | None]]:
    """(key, kind, 中文, English, 本年金额, 上年金额); headings carry no figures."""
    return [(x.key, x.kind, x.zh, x.en, None if x.kind == "heading" else now,
             None if x.kind == "heading" else before) for x, now, before in cfs.lines]


def cash_flow_csv(cfs: st.CashFlow) -> str:
    rows = [["opening_cash", "期初现金余额", "Opening cash", fen_to_str(cfs.opening_cash),
             fen_to_str(cfs.previous.opening_cash)]]
    rows += [[k, zh, en, fen_to_str(now), fen_to_str(before)] for k, kind, zh, en, now, before in cash_flow_rows(cfs)
             if kind != "heading"]
    rows.append(["closing_cash", "期末现金余额", "Closing cash", fen_to_str(cfs.closing_cash),
                 fen_to_str(cfs.previous.closing_cash)])
    return _csv(("line", "name", "name_en", "amount", "previous_year"), rows)


def cash_flow_json(cfs: st.CashFlow) -> dict:
    p = cfs.previous
    return {**_period(cfs), "fund": _fund(cfs), "ledger": cfs.digest.as_json(),
            "opening_cash": fen_to_str(cfs.opening_cash), "closing_cash": fen_to_str(cfs.closing_cash),
            "net_change": fen_to_str(cfs.net_change),
            "lines": [{"line": k, "kind": kind, "name": zh, "name_en": en, "amount": fen_to_str(now),
                       "previous_year": fen_to_str(before)}
                      for k, kind, zh, en, now, before in cash_flow_rows(cfs) if kind != "heading"],
            "previous_year": {"from": p.start.isoformat(), "to": p.end.isoformat(),
                              "opening_cash": fen_to_str(p.opening_cash), "closing_cash": fen_to_str(p.closing_cash),
                              "net_change": fen_to_str(p.net_change)}}


def render_cash_flow_pdf(cfs: st.CashFlow, *, generated_by: str = "fund-ledger", generated_at=None) -> bytes:
    return render_pdf("reports/cash_flow.html", cf=cfs, rows=cash_flow_rows(cfs), **_period_pdf(cfs),
                      **_pdf_common(cfs, generated_by, generated_at))


# --- donor list ------------------------------------------------------------------------------------

KIND_NAMES = {"person": "个人", "organisation": "单位"}


def donor_list_csv(dl: st.DonorList) -> str:
    rows = [[d.id, d.name, d.kind, "yes" if d.related_party else "", d.gifts, fen_to_str(d.received),
             fen_to_str(d.refunded), fen_to_str(d.net)] for d in dl.donors]
    rows.append(["", "合计 Total", "", "", dl.gifts, fen_to_str(dl.received), fen_to_str(dl.refunded), fen_to_str(dl.net)])
    return _csv(("donor_id", "name", "kind", "related_party", "gifts", "received", "refunded", "net"), rows)


def donor_list_json(dl: st.DonorList) -> dict:
    return {**_period(dl), "fund": _fund(dl), "ledger": dl.digest.as_json(), "gifts": dl.gifts,
            "received": fen_to_str(dl.received), "refunded": fen_to_str(dl.refunded), "net": fen_to_str(dl.net),
            "donors": [{"id": d.id, "name": d.name, "kind": d.kind, "related_party": d.related_party, "gifts": d.gifts,
                        "received": fen_to_str(d.received), "refunded": fen_to_str(d.refunded), "net": fen_to_str(d.net)}
                       for d in dl.donors]}


def render_donor_list_pdf(dl: st.DonorList, *, generated_by: str = "fund-ledger", generated_at=None) -> bytes:
    return render_pdf("reports/donor_list.html", dl=dl, kinds=KIND_NAMES, **_period_pdf(dl),
                      **_pdf_common(dl, generated_by, generated_at))


# --- grant register --------------------------------------------------------------------------------

STATUS_NAMES = {"submitted": "已提交", "approved": "已批准", "rejected": "已驳回", "cancelled": "已撤销",
                "paid": "已拨付", "acknowledged": "已确认收款"}


def grant_register_csv(gr: st.GrantRegister) -> str:
    rows = [[g.id, g.organisation, g.fund, g.purpose, g.status, _d(g.requested_on), fen_to_str(g.requested),
             _d(g.approved_on) or "", fen_to_str(g.approved), _d(g.paid_on) or "", fen_to_str(g.paid),
             g.payment_entry or "", _d(g.acknowledged_on) or "", _d(g.reported_on) or "", fen_to_str(g.returned)]
            for g in gr.grants]
    return _csv(("id", "organisation", "fund", "purpose", "status", "requested_on", "requested", "approved_on",
                 "approved", "paid_on", "paid", "payment_entry", "acknowledged_on", "reported_on", "returned"), rows)


def grant_register_json(gr: st.GrantRegister) -> dict:
    return {**_period(gr), "fund": _fund(gr), "ledger": gr.digest.as_json(), "requested": fen_to_str(gr.requested),
            "approved": fen_to_str(gr.approved), "paid": fen_to_str(gr.paid), "returned": fen_to_str(gr.returned),
            "grants": [{"id": g.id, "organisation": g.organisation, "fund": g.fund, "purpose": g.purpose,
                        "status": g.status, "requested_on": _d(g.requested_on), "requested": fen_to_str(g.requested),
                        "approved_on": _d(g.approved_on), "approved": fen_to_str(g.approved),
                        "paid_on": _d(g.paid_on), "paid": fen_to_str(g.paid), "payment_entry": g.payment_entry,
                        "acknowledged_on": _d(g.acknowledged_on), "reported_on": _d(g.reported_on),
                        "returned": fen_to_str(g.returned)} for g in gr.grants]}


def render_grant_register_pdf(gr: st.GrantRegister, *, generated_by: str = "fund-ledger", generated_at=None) -> bytes:
    return render_pdf("reports/grant_register.html", gr=gr, statuses=STATUS_NAMES, **_period_pdf(gr),
                      **_pdf_common(gr, generated_by, generated_at))


# --- spending ratio --------------------------------------------------------------------------------

def _verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "not met")


def spending_ratio_rows(sr: st.SpendingRatio) -> list[tuple[str, str, str, int, int, str, str, str]]:
    """(rule, 中文, English, numerator, denominator, ratio, threshold, verdict)."""
    return [
        ("charitable_spending", f"{sr.year}年公益慈善活动支出占{sr.year - 1}年总收入的比例 ≥ {format_percent(sr.spending.threshold)}",
         f"Charitable spending {sr.year} / income {sr.year - 1}", sr.charitable_spending, sr.last_year_income,
         format_percent(sr.spending.percent), format_percent(sr.spending.threshold), _verdict(sr.spending.met)),
        ("management_costs", f"{sr.year}年管理费用占当年总支出的比例 ≤ {format_percent(sr.management.threshold)}",
         f"Management costs / total spending {sr.year}", sr.management_costs, sr.total_spending,
         format_percent(sr.management.percent), format_percent(sr.management.threshold), _verdict(sr.management.met)),
    ]


def spending_ratio_csv(sr: st.SpendingRatio) -> str:
    return _csv(("rule", "name", "name_en", "numerator", "denominator", "ratio", "threshold", "verdict"),
                ([k, zh, en, fen_to_str(n), fen_to_str(d), r, t, v] for k, zh, en, n, d, r, t, v in spending_ratio_rows(sr)))


def spending_ratio_json(sr: st.SpendingRatio) -> dict:
    return {"as_of": sr.as_of.isoformat(), "year": sr.year, "ledger": sr.digest.as_json(),
            "last_year_income": fen_to_str(sr.last_year_income), "charitable_spending": fen_to_str(sr.charitable_spending),
            "management_costs": fen_to_str(sr.management_costs), "total_spending": fen_to_str(sr.total_spending),
            "rules": [{"rule": k, "name": zh, "name_en": en, "ratio": r, "threshold": t, "verdict": v,
                       "met": {"met": True, "not met": False}.get(v)}
                      for k, zh, en, _n, _d, r, t, v in spending_ratio_rows(sr)]}


def render_spending_ratio_pdf(sr: st.SpendingRatio, *, generated_by: str = "fund-ledger", generated_at=None) -> bytes:
    return render_pdf("reports/spending_ratio.html", sr=sr, rows=spending_ratio_rows(sr), as_of=sr.as_of.isoformat(),
                      **_pdf_common(sr, generated_by, generated_at))


__all__ = [name for name in dir() if name.endswith(("_csv", "_json", "_pdf")) and not name.startswith("_")] + [
    "iter_general_journal_csv", "journal_text_lines", "ledger_text_lines", "journal_pages"]
