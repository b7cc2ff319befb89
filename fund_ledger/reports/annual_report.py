"""The annual work report (年度工作报告): its figures, read from the statements the fund already keeps, and
submitting it (checked and stored by ``services.annual_reports``, laid out by ``annual_report_files``).

The figures recompute nothing: income and spending are the 业务活动表's lines (``statements.activities``),
the 70% / 10% test is the spending-ratio report's (``statements.spending_ratio`` as of 31 December, with its
base, last year's income), net assets are the 资产负债表's (``statements.financial_position``), grants the
grant register's payments in the year, gifts by kind of donor the donor list's, and related-party transactions
``services.related_parties.transactions``. They are kept as canonical JSON (money as ``"123.45"`` text), and
the PDF and the XLSX are laid out from that JSON alone, so the same figures and moment give the same bytes.
"""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..db import models as m
from ..ledger import statements as ls
from ..ledger.money import fen_to_str
from ..services import annual_reports as svc
from ..services import related_parties
from ..services.actor import Actor
from . import statements as st
from .annual_report_files import render_annual_pdf, render_annual_xlsx
from .pdf import FUND_NAME, FUND_NAME_EN
from .statement_render import spending_ratio_json

FORMAT = 1
"""The figures' layout version (kept in the JSON)."""
LARGEST_GRANTS = 10
RELATED_KINDS = {"gift": ("捐赠", "Gift"), "refund": ("退还捐赠", "Refund"), "grant": ("资助拨付", "Grant"),
                 "return": ("退回资助款", "Returned grant")}


def _columns(c: ls.Columns) -> dict:
    return {"unrestricted": fen_to_str(c.unrestricted), "restricted": fen_to_str(c.restricted),
            "total": fen_to_str(c.total)}


def _net(n: ls.NetAssets) -> dict:
    return {"unrestricted": fen_to_str(n.unrestricted), "restricted": fen_to_str(n.restricted),
            "total": fen_to_str(n.total)}


def _grants(session: Session, start: date, end: date) -> dict:
    register = st.grant_register(session, start, end)
    paid = [g for g in register.grants if g.paid and g.paid_on is not None and start <= g.paid_on <= end]
    largest = sorted(paid, key=lambda g: (-g.paid, g.paid_on, g.id))[:LARGEST_GRANTS]
    by_programme: dict[str, int] = {}
    for g in paid:
        if g.programme:
            by_programme[g.programme] = by_programme.get(g.programme, 0) + g.paid
    gp = m.GrantProgramme
    programmes = session.execute(select(gp.name, gp.budget).where(gp.starts_on <= end, gp.ends_on >= start)
                                 .order_by(gp.starts_on, gp.id)).all()
    named = {name for name, _b in programmes}
    programmes += [(name, budget) for name, budget in session.execute(
        select(gp.name, gp.budget).where(gp.name.in_(sorted(set(by_programme) - named))).order_by(gp.id))]
    return {"count": len(paid), "paid": fen_to_str(sum(g.paid for g in paid)),
            "largest": [{"organisation": g.organisation, "purpose": g.purpose, "programme": g.programme,
                         "fund": g.fund_name, "amount": fen_to_str(g.paid), "paid_on": g.paid_on.isoformat()}
                        for g in largest],
            "programmes": [{"name": name, "budget": fen_to_str(budget), "paid": fen_to_str(by_programme.get(name, 0))}
                           for name, budget in programmes]}


def _related(session: Session, start: date, end: date) -> dict:
    rows = related_parties.transactions(session, start, end)
    by_kind = []
    for kind, (zh, en) in RELATED_KINDS.items():
        mine = [t for t in rows if t.kind == kind]
        if mine:
            by_kind.append({"kind": kind, "name": zh, "name_en": en, "count": len(mine),
                            "total": fen_to_str(sum(abs(t.amount) for t in mine))})
    return {"count": len(rows), "total": fen_to_str(sum(abs(t.amount) for t in rows)), "by_kind": by_kind,
            # the annual report is published: a donor anonymous on the gift is named as the public sees them
            "transactions": [{"on": t.on.isoformat(), "party": t.public_name, "relation": t.relation, "kind": t.kind,
                              "kind_name": RELATED_KINDS[t.kind][0], "amount": fen_to_str(abs(t.amount)),
                              "counterparty": t.public_name if t.anonymous else t.counterparty, "fund": t.fund_code}
                             for t in rows]}


def annual_figures(session: Session, year: int, *, audit_reference: str = "") -> dict:
    """Year ``year``'s figures as the JSON that is submitted (money as text with two decimals)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    a = st.activities(session, start, end)
    sr = st.spending_ratio(session, end)
    fp = st.financial_position(session, end)
    donors = st.donor_list(session, start, end)
    donations = a.figures.income["donations"]
    person = sum(d.net for d in donors.donors if d.kind == "person")
    organisation = sum(d.net for d in donors.donors if d.kind == "organisation")
    return {
        "format": FORMAT, "year": year, "from": start.isoformat(), "to": end.isoformat(),
        "fund": {"name": FUND_NAME, "name_en": FUND_NAME_EN}, "ledger": a.digest.as_json(),
        "audit_reference": audit_reference,
        "income": {
            "lines": [{"key": s.key, "name": s.zh, "name_en": s.en, **_columns(c)} for s, c in a.income],
            "total": _columns(a.income_total),
            "donations": {**_columns(donations), "person": fen_to_str(person), "organisation": fen_to_str(organisation),
                          # refunds in this year of gifts of another year, or gifts posted without a donor
                          "other": fen_to_str(donations.total - person - organisation)},
        },
        "spending": {
            "lines": [{"key": s.key, "name": s.zh.lstrip("（一二三四）"), "name_en": s.en, "total": fen_to_str(c.total)}
                      for s, c in a.expenses],
            "total": fen_to_str(a.expense_total.total),
            "charitable": fen_to_str(a.figures.expenses["programme"].total),
            "management": fen_to_str(a.figures.expenses["management"].total),
        },
        "ratios": {**{k: v for k, v in spending_ratio_json(sr).items() if k not in ("ledger", "as_of")},
                   "base_year": year - 1},
        "net_assets": {"start": _net(fp.begin.net_assets), "end": _net(fp.end_.net_assets),
                       "change": _columns(a.net_change + a.other_changes)},
        "grants": _grants(session, start, end),
        "related_parties": _related(session, start, end),
    }


def canonical(figures: dict) -> str:
    return json.dumps(figures, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def year_figures(session: Session, year: int, *, today: date | None = None) -> dict:
    """What the API answers for ``year``: the current submission's figures, or the draft read from the books."""
    svc.check_year(year, today)
    row = svc.current_report(session, year)
    if row is not None:
        return {"year": year, "state": "submitted", "report": svc.report_json(row), "figures": json.loads(row.figures)}
    figures = annual_figures(session, year, audit_reference=svc.audit_reference(session, year))
    return {"year": year, "state": "draft", "report": None, "figures": figures}


def annual_file(session: Session, year: int, fmt: str, *, generated_by: str, today: date | None = None,
                report_id: int | None = None) -> tuple[bytes, str | None, str]:
    """(bytes, SHA-256 or None, state): a submitted report's stored file (the year's current one, or
    ``report_id``), else the draft laid out now, marked 草稿 DRAFT."""
    if report_id is not None:
        row = svc.get_report(session, report_id)
    else:
        svc.check_year(year, today)
        row = svc.current_report(session, year)
    if row is not None:
        data, sha = svc.stored_file(session, row, fmt)
        return data, sha, "submitted"
    figures = annual_figures(session, year, audit_reference=svc.audit_reference(session, year))
    render = render_annual_pdf if fmt == "pdf" else render_annual_xlsx
    return render(figures, draft=True, generated_at=clock.now(), generated_by=generated_by), None, "draft"


def submit_annual_report(session: Session, actor: Actor, year: int, *, audit_reference: str = "", reason: str = "",
                         today: date | None = None) -> m.AnnualReport:
    """Submit ``year``'s annual report (again, with a reason, when it was submitted before): the figures, the PDF
    and the XLSX laid out at the moment of submission, stored with their SHA-256. The caller commits."""
    sub = svc.prepare_submit(session, actor, year, audit_reference_text=audit_reference, reason=reason, today=today)
    figures = annual_figures(session, year, audit_reference=sub.audit_reference)
    at = clock.from_stamp(sub.submitted_at)
    stamp = {"submitted_at": sub.submitted_at, "submitted_by": sub.submitted_by, "replaces": sub.replaces,
             "reason": sub.reason}
    pdf = render_annual_pdf(figures, draft=False, generated_at=at, generated_by=actor.username, submission=stamp)
    xlsx = render_annual_xlsx(figures, draft=False, generated_at=at, generated_by=actor.username, submission=stamp)
    return svc.store_submitted(session, actor, sub, canonical(figures), pdf, xlsx)


__all__ = ["annual_figures", "canonical", "year_figures", "annual_file", "submit_annual_report"]
