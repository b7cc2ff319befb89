"""The audit report of a closed period: one PDF bundling a cover page and the period's statements.

Every figure comes from the entries the period's seal covers (positions 1 to the chain head at
closing), never from later state, so the report says what the sealed books said and an outsider who
re-hashes those entries re-derives it. Each statement is rendered on its own (its own page numbers,
its own running header) and the pages are bound into one file; the digest it was built from is
printed on the cover and in every page's footer, and embedded for machines twice: as the PDF's
``FundLedgerAuditReport`` metadata and as an attached ``fund-ledger-audit-report.json`` (read back by
:func:`fund_ledger.ledger.audit_digest.read_marker`). The digest includes the Merkle root over the period's
gifts and the tree's size (``ledger.merkle``), and the cover prints the leaf formula in one line, so that a
donor holding only the PDF and their gift's inclusion proof can check the gift is in it.

To add a statement to the bundle, write a function ``(facts) -> weasyprint.Document`` and add one
``Section(...)`` line to :data:`SECTIONS`.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from weasyprint import HTML, Attachment, Document
from weasyprint.urls import FatalURLFetchingError, path2url

from ..db import models as m
from ..db import repository as repo
from ..ledger.balances import Balance, fund_positions
from ..ledger.entries import Entry
from ..ledger.audit_digest import MARKER_FORMAT, read_marker  # noqa: F401 - read_marker: the reverse
from ..ledger.merkle import GIFT_LEAF_FORMULA, GIFT_LEAF_VERSION
from .pdf import STATIC_DIR, PdfResourceError, StaticOnlyFetcher, _utc, render_html
from .trial_balance import AccountRow, FundRow, TrialBalance

ATTACHMENT_NAME = "fund-ledger-audit-report.json"
METADATA_KEY = "FundLedgerAuditReport"


@dataclass(frozen=True)
class ReportFacts:
    """What an audit report is about and what it prints on every page."""

    session: Session
    report_id: int
    period: m.Period
    issued_at: str
    issued_by: str
    replaces: int | None = None
    reason: str = ""
    open_before: tuple[str, ...] = ()
    """Months before the period still open when the report was issued (printed as a caution)."""
    sections: tuple[str, ...] = field(default=())
    late_entries: int = 0
    """Entries recorded after the closing but dated on or before the period's end (in months left open):
    the statements built from daily totals would include them, so those statements are left out."""
    gifts_root: str | None = None
    """RFC 6962 Merkle root (hex) over the leaves of the gifts sealed in the period (``ledger.merkle.gift_leaf``)."""
    gifts_tree_size: int | None = None
    """How many gifts (leaves) that tree holds."""
    pages: tuple[int, int] | None = None
    """(first page, total pages) of the section being laid out: the bundle numbers its pages as one file."""

    @property
    def first_day(self) -> date:
        return repo.as_date(self.period.first_day)

    @property
    def last_day(self) -> date:
        return repo.as_date(self.period.last_day)

    def marker(self) -> dict:
        """The machine-readable digest; ``format`` first, so the bytes start with :data:`MARKER_PREFIX`."""
        p = self.period
        return {"format": MARKER_FORMAT, "version": 1, "report_id": self.report_id, "period": p.period,
                "head_seq": p.head_seq, "head_hash": p.head_hash, "seal": p.seal, "entry_count": p.entry_count,
                "issued_at": self.issued_at, "issued_by": self.issued_by, "replaces": self.replaces,
                "gifts_root": self.gifts_root, "gifts_tree_size": self.gifts_tree_size,
                "gift_leaf_version": GIFT_LEAF_VERSION}

    def common(self) -> dict:
        """Context every section's template gets: the digest for the footer, the period, the report."""
        return {"report": self, "entries": self.period.head_seq, "head_hash": self.period.head_hash,
                "generated_by": self.issued_by, "period_start": self.first_day.isoformat(),
                "period_end": self.last_day.isoformat()}


def _always(_facts: ReportFacts) -> bool:
    return True


@dataclass(frozen=True)
class Section:
    key: str
    title_zh: str
    title_en: str
    render: Callable[[ReportFacts], Document]
    applies: Callable[[ReportFacts], bool] = _always
    """Whether the section can be built from the sealed entries alone (else it is left out, and the cover says so)."""


def document(template_name: str, /, *, generated_at, **context) -> Document:
    """Like :func:`reports.pdf.render_pdf`, but the laid-out document, for binding with others.

    With ``report.pages`` = (first, total) in the context, its pages are numbered on from ``first`` of
    ``total``, so the bound bundle reads 第 X 页 / 共 Y 页 throughout, not section by section.
    """
    html = render_html(template_name, generated_at=generated_at, **context)
    facts = context.get("report")
    if isinstance(facts, ReportFacts) and facts.pages is not None:
        first, total = facts.pages
        html = html.replace("</head>", "<style>@page { @bottom-right { content: \"第 \" counter(page) \" 页 / 共 "
                            f"{total} 页\"; }} }} @page :first {{ counter-reset: page {first}; }}</style></head>", 1)
    try:
        return HTML(string=html, base_url=path2url(f"{STATIC_DIR}{os.sep}"), url_fetcher=StaticOnlyFetcher()).render()
    except FatalURLFetchingError as exc:
        raise PdfResourceError(f"{exc} ({exc.__cause__})") from exc.__cause__


# --- the statements ---------------------------------------------------------------------------------

def trial_balance_at_head(session: Session, as_of: date, head_seq: int, head_hash: str) -> TrialBalance:
    """科目余额表 as of ``as_of`` from the entries at positions 1..``head_seq`` only (what a seal covers)."""
    p, e = m.Posting, m.Entry
    rows = session.execute(select(p.account_code, p.fund_code, func.sum(p.debit), func.sum(p.credit))
                           .join(e, e.id == p.entry_id).where(e.id <= head_seq, e.accounting_date <= as_of)
                           .group_by(p.account_code, p.fund_code))
    balances = {(a, f): Balance(int(d), int(c)) for a, f, d, c in rows}
    accounts, funds = repo.load_accounts(session), repo.load_funds(session)
    per_account: dict[str, list[int]] = {}
    for (code, _fund), b in balances.items():
        t = per_account.setdefault(code, [0, 0])
        t[0] += b.debits_posted
        t[1] += b.credits_posted
    account_rows = tuple(
        AccountRow(code, accounts[code].name, accounts[code].name_en, accounts[code].type.value, d, c,
                   accounts[code].signed_balance(d, c))
        for code, (d, c) in sorted(per_account.items()) if d or c)
    positions = fund_positions(balances, accounts)
    fund_rows = tuple(FundRow(f.code, f.name, f.restricted, positions[f.code].balance if f.code in positions else 0, 0)
                      for f in funds.values())
    return TrialBalance(as_of, account_rows, fund_rows, head_seq, head_hash)


def period_entries(session: Session, period: m.Period) -> list[Entry]:
    """The period's entries in chain order, as sealed (no later position than the head at closing)."""
    where = (m.Entry.accounting_date.between(period.first_day, period.last_day)) & (m.Entry.id <= period.head_seq)
    return list(repo.iter_entries(session, where=where))


def _trial_balance(facts: ReportFacts) -> Document:
    tb = trial_balance_at_head(facts.session, facts.last_day, facts.period.head_seq, facts.period.head_hash)
    context = {**facts.common(), "tb": tb, "as_of": tb.as_of.isoformat()}
    del context["period_start"], context["period_end"]  # the trial balance is as of a day, not over a period
    return document("reports/audit_trial_balance.html", generated_at=facts.issued_at, **context)


def _general_journal(facts: ReportFacts) -> Document:
    session = facts.session
    entries = period_entries(session, facts.period)
    accounts = {c: a.name for c, a in repo.load_accounts(session).items()}
    funds = {c: f.name for c, f in repo.load_funds(session).items()}
    total_debit = sum(p.debit for e in entries for p in e.postings)
    total_credit = sum(p.credit for e in entries for p in e.postings)
    return document("reports/audit_journal.html", generated_at=facts.issued_at, **facts.common(), journal=entries,
                    accounts=accounts, funds=funds, total_debit=total_debit, total_credit=total_credit,
                    memo_of=public_memo)


def public_memo(entry) -> str:
    """An entry's words as anyone may read them in an audit report, which is public (DOMAIN.md: the public sees
    no personal data): a gift's entry and its refund name the acknowledgement number, never the donor or the
    gift's own memo (the entry's memo stays in the books, under its hash); other entries keep their memo."""
    source = entry.source or ""
    if source.startswith("donation:"):
        code = getattr(entry.code, "value", entry.code)
        return ("冲销捐赠 " if code == "reversal" else "收到捐赠 ") + source.split(":", 1)[1]
    return entry.memo


def _only_sealed(facts: ReportFacts) -> bool:
    return facts.late_entries == 0


def _financial_position(facts: ReportFacts) -> Document:
    from . import statement_render, statements

    fp = statements.financial_position(facts.session, facts.last_day)
    context = {**facts.common(), "fp": fp, "rows": statement_render._position_rows(fp), "as_of": fp.as_of.isoformat()}
    del context["period_start"], context["period_end"]
    return document("reports/financial_position.html", generated_at=facts.issued_at, **context)


def _activities(facts: ReportFacts) -> Document:
    from . import statement_render, statements

    a = statements.activities(facts.session, facts.first_day, facts.last_day)
    return document("reports/activities.html", generated_at=facts.issued_at, **facts.common(), a=a,
                    rows=statement_render._activity_rows(a))


def _cash_flow(facts: ReportFacts) -> Document:
    from . import statement_render, statements

    cfs = statements.cash_flow(facts.session, facts.first_day, facts.last_day)
    return document("reports/cash_flow.html", generated_at=facts.issued_at, **facts.common(), cf=cfs,
                    rows=statement_render.cash_flow_rows(cfs))


SECTIONS: list[Section] = [
    Section("financial-position", "资产负债表", "Statement of financial position", _financial_position, _only_sealed),
    Section("activities", "业务活动表", "Statement of activities", _activities, _only_sealed),
    Section("cash-flow", "现金流量表", "Statement of cash flows", _cash_flow, _only_sealed),
    Section("trial-balance", "科目余额表", "Trial balance", _trial_balance),
    Section("general-journal", "序时账", "General journal", _general_journal),
]
"""The statements of an audit report, in order. One line per statement. A report keeps the bytes it was
issued with (stored, verified by SHA-256, listing its own sections), so a section added here is in the
reports issued from then on and changes none issued before (the cash-flow statement came this way)."""


def _cover(facts: ReportFacts) -> Document:
    return document("reports/audit_cover.html", generated_at=facts.issued_at, **facts.common(),
                    sections=[s for s in SECTIONS if s.key in facts.sections],
                    left_out=[s for s in SECTIONS if s.key not in facts.sections], period=facts.period,
                    marker=facts.marker(), leaf_formula=GIFT_LEAF_FORMULA)


def late_entries(session: Session, period: m.Period) -> int:
    return session.scalar(select(func.count()).select_from(m.Entry).where(
        m.Entry.id > period.head_seq, m.Entry.accounting_date <= period.last_day)) or 0


def render_bundle(facts: ReportFacts) -> tuple[bytes, tuple[str, ...]]:
    """The report as PDF bytes (the cover, then each section of :data:`SECTIONS` that applies, with the digest
    embedded) and the keys of the sections it holds."""
    facts = replace(facts, late_entries=late_entries(facts.session, facts.period))
    chosen = [s for s in SECTIONS if s.applies(facts)]
    facts = replace(facts, sections=tuple(s.key for s in chosen))
    renderers = [_cover] + [s.render for s in chosen]
    # Laid out twice: first to count each section's pages, then numbered as one file (page X of Y).
    counts = [len(render(facts).pages) for render in renderers]
    total, documents, first = sum(counts), [], 1
    for render, count in zip(renderers, counts):
        documents.append(render(replace(facts, pages=(first, total))))
        first += count
    bundle = documents[0].copy([page for d in documents for page in d.pages])
    moment = _utc(facts.issued_at)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    marker = json.dumps(facts.marker(), ensure_ascii=False, separators=(",", ":"))
    meta = bundle.metadata
    meta.title = f"审计报告 Audit report No. {facts.report_id} · {facts.period.period}"
    meta.authors = [facts.issued_by]
    meta.description = (f"period {facts.period.period}; head #{facts.period.head_seq} {facts.period.head_hash}; "
                        f"seal {facts.period.seal}; {facts.period.entry_count} entries in the period"
                        + (f"; gifts Merkle root {facts.gifts_root} over {facts.gifts_tree_size} gifts"
                           if facts.gifts_root else ""))
    meta.generator = "fund-ledger"
    meta.lang = "zh-CN"
    meta.created = meta.modified = stamp
    meta.custom = {METADATA_KEY: marker}
    naive = moment.replace(tzinfo=None)
    meta.attachments = [Attachment(string=marker, name=ATTACHMENT_NAME, created=naive, modified=naive,
                                   description="Fund Ledger audit report digest (machine-readable)")]
    return bundle.write_pdf(pdf_identifier=True, custom_metadata=True), facts.sections


__all__ = ["ReportFacts", "Section", "SECTIONS", "render_bundle", "read_marker", "trial_balance_at_head",
           "period_entries", "document"]
