"""The reports users can ask for, by the name they have in URLs (``/reports/<name>``,
``/api/v1/reports/<name>``): what each takes (a date or a period, a fund, an account), how it is
built and how it is rendered. The web pages and the API both read this table, so they agree."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ..schemas.messages import Message
from ..services.errors import InvalidInput
from . import notes_render
from . import statement_render as r
from . import statements as st

PDF_JOURNAL_LINES = 20_000
"""More posting lines than this in one journal or account-ledger PDF is refused (take the CSV)."""
PAGE_LINES = 2_000
"""A page or JSON answer lists at most this many posting lines (the CSV has no limit: it streams)."""


@dataclass(frozen=True)
class Query:
    as_of: date | None = None
    start: date | None = None
    end: date | None = None
    fund_id: int | None = None
    account: str | None = None


@dataclass(frozen=True)
class ReportKind:
    name: str
    zh: str
    en: str
    when: str
    """``as_of`` (a date) or ``period`` (from and to; the notes' period is one whole calendar year)."""
    fund: str
    """``none``, ``optional`` or ``required``."""
    build: Callable[..., object]
    """(session, Query, today, limit) -> the report's dataclass."""
    to_json: Callable
    to_csv: Callable
    to_pdf: Callable
    account: bool = False
    long: bool = False
    """Lists postings: bounded in pages, JSON and PDF (see PAGE_LINES, PDF_JOURNAL_LINES)."""


def _period(q: Query, today: date) -> tuple[date, date]:
    end = q.end or today
    start = q.start or date(end.year, 1, 1)
    if q.start and not q.end and start > end:
        end = date(start.year, 12, 31)
    st.check_period(start, end)
    return start, end


def _year(q: Query, today: date) -> int:
    """The year of a report that covers one whole calendar year (the notes): ``from`` 1 January and ``to``
    31 December of the same year; either alone names the year, neither is this year. Anything else is refused,
    naming the field, rather than cut or stretched to a year."""
    start = q.start or date((q.end or today).year, 1, 1)
    end = q.end or date(start.year, 12, 31)
    st.check_period(start, end)
    errors = {}
    if (start.month, start.day) != (1, 1):
        errors["from"] = [Message("notes.whole_year")]
    if (end.month, end.day) != (12, 31) or end.year != start.year:
        errors["to"] = [Message("notes.whole_year")]
    if errors:
        raise InvalidInput("; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    return start.year


REPORTS: dict[str, ReportKind] = {k.name: k for k in (
    ReportKind("trial-balance", "科目余额表", "Trial balance", "as_of", "none",
               lambda s, q, today, limit: st.trial_balance(s, q.as_of, today=today),
               r.trial_balance_json, r.trial_balance_csv, r.render_trial_balance_pdf),
    ReportKind("general-journal", "序时账", "General journal", "period", "optional",
               lambda s, q, today, limit: st.general_journal(s, *_period(q, today), q.fund_id, limit=limit),
               r.general_journal_json, r.general_journal_csv, r.render_general_journal_pdf, long=True),
    ReportKind("account-ledger", "明细账", "Account ledger", "period", "optional",
               lambda s, q, today, limit: st.account_ledger(s, q.account, *_period(q, today), q.fund_id, limit=limit),
               r.account_ledger_json, r.account_ledger_csv, r.render_account_ledger_pdf, account=True, long=True),
    ReportKind("fund-statement", "基金收支表", "Fund statement", "period", "required",
               lambda s, q, today, limit: st.fund_statement(s, q.fund_id, *_period(q, today), today=today),
               r.fund_statement_json, r.fund_statement_csv, r.render_fund_statement_pdf),
    ReportKind("activities", "业务活动表", "Statement of activities", "period", "optional",
               lambda s, q, today, limit: st.activities(s, *_period(q, today), q.fund_id),
               r.activities_json, r.activities_csv, r.render_activities_pdf),
    ReportKind("financial-position", "资产负债表", "Statement of financial position", "as_of", "optional",
               lambda s, q, today, limit: st.financial_position(s, q.as_of, q.fund_id, today=today),
               r.financial_position_json, r.financial_position_csv, r.render_financial_position_pdf),
    ReportKind("cash-flow", "现金流量表", "Statement of cash flows", "period", "optional",
               lambda s, q, today, limit: st.cash_flow(s, *_period(q, today), q.fund_id),
               r.cash_flow_json, r.cash_flow_csv, r.render_cash_flow_pdf),
    ReportKind("donor-list", "捐赠人名册", "Donor list", "period", "optional",
               lambda s, q, today, limit: st.donor_list(s, *_period(q, today), q.fund_id),
               r.donor_list_json, r.donor_list_csv, r.render_donor_list_pdf),
    ReportKind("grant-register", "拨款登记簿", "Grant register", "period", "optional",
               lambda s, q, today, limit: st.grant_register(s, *_period(q, today), q.fund_id),
               r.grant_register_json, r.grant_register_csv, r.render_grant_register_pdf),
    ReportKind("spending-ratio", "支出比例检查", "Spending-ratio check", "as_of", "none",
               lambda s, q, today, limit: st.spending_ratio(s, q.as_of, today=today),
               r.spending_ratio_json, r.spending_ratio_csv, r.render_spending_ratio_pdf),
    ReportKind("notes", "会计报表附注", "Notes to the financial statements", "period", "none",
               lambda s, q, today, limit: st.notes(s, _year(q, today), today=today),
               notes_render.notes_json, notes_render.notes_csv, notes_render.render_notes_pdf),
)}


def check_query(kind: ReportKind, q: Query) -> None:
    """Refuse what the report does not take (rather than silently ignoring it), naming the field."""
    errors = {}
    if kind.when == "as_of" and (q.start or q.end):
        errors["from" if q.start else "to"] = [f"{kind.name} is as of a date: use as_of"]
    if kind.when == "period" and q.as_of:
        errors["as_of"] = [f"{kind.name} covers a period: use from and to"]
    if kind.fund == "none" and q.fund_id is not None:
        errors["fund_id"] = [f"{kind.name} covers all funds"]
    if kind.fund == "required" and q.fund_id is None:
        errors["fund_id"] = [f"{kind.name} is of one fund: fund_id is required"]
    if kind.account and not q.account:
        errors["account"] = ["required: the account's code, e.g. 1002"]
    if not kind.account and q.account:
        errors["account"] = [f"{kind.name} takes no account"]
    if errors:
        raise InvalidInput("; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)


def build(session: Session, name: str, q: Query, *, today: date, fmt: str = "json"):
    kind = REPORTS[name]
    check_query(kind, q)
    limit = None
    if kind.long:
        limit = PDF_JOURNAL_LINES if fmt == "pdf" else None if fmt == "csv" else PAGE_LINES
    return kind.build(session, q, today, limit)


__all__ = ["REPORTS", "ReportKind", "Query", "build", "check_query", "PDF_JOURNAL_LINES", "PAGE_LINES"]
