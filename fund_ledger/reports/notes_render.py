"""会计报表附注 (:func:`fund_ledger.reports.statements.notes`) as JSON, CSV and PDF, like the statements of
:mod:`.statement_render`: ``notes_json``, ``notes_csv`` (the tables, one figure a row) and ``render_notes_pdf``.

The manager's texts are in the JSON and the PDF as written; the PDF's template escapes them (autoescape) and
prints each line as a paragraph, so markup in a text is shown, never obeyed."""
from __future__ import annotations

from ..ledger.money import fen_to_str
from ..services.report_texts import SECTIONS
from .pdf import render_pdf
from .statement_render import _columns, _csv, _pdf_common, _period, _period_pdf
from .statements import Notes

SECTION_NAMES = {"policies": ("会计政策", "Accounting policies"), "events": ("重大事项", "Significant events"),
                 "other": ("其他事项", "Other matters")}
SECTION_TITLES = [(s, *SECTION_NAMES[s]) for s in SECTIONS]
"""(section, 中文, English) in the order the notes print them."""
RELATED_KINDS = {"gift": ("捐赠", "gift"), "refund": ("退款", "refund"), "grant": ("拨付", "grant"),
                 "return": ("退回", "return")}
KIND_NAMES = {"person": "个人", "organisation": "单位"}


def _restricted_rows(n: Notes):
    return [*n.restricted, n.restricted_total]


def notes_rows(n: Notes) -> list[tuple[str, str, str, str, str, int]]:
    """Every figure of the tables: (table, key, name, detail, figure, amount in fen)."""
    rows = []
    for r in _restricted_rows(n):
        key = r.fund.code or "total"
        rows += [("restricted_net_assets", key, r.fund.name, "", f, v) for f, v in (
            ("opening", r.opening), ("received", r.received), ("released", r.released), ("other", r.other),
            ("closing", r.closing))]
    for s in [*n.sources, n.source_total]:
        rows += [("donations_by_source", s.kind, s.zh, s.en, f, v) for f, v in (
            ("received", s.received), ("refunded", s.refunded), ("net", s.net), ("related_net", s.related_net))]
    for g in n.grants:
        rows += [("grants_by_organisation", str(g.organisation_id), g.name, "", f, v) for f, v in (
            ("paid", g.paid), ("returned", g.returned), ("net", g.net))]
    rows += [("grants_by_organisation", "total", "合计", "Total", f, v) for f, v in (
        ("paid", n.grants_paid), ("returned", n.grants_returned), ("net", n.grants_paid - n.grants_returned))]
    rows += [("management_costs", c.code, c.name, c.name_en, "amount", c.amount) for c in n.management]
    rows.append(("management_costs", "total", "管理费用合计", "Total", "amount", n.management_costs))
    for t in n.related:
        rows.append(("related_party_transactions", t.on.isoformat(), t.party,
                     f"{t.relation} · {t.counterparty} · {t.fund_code}", t.kind, t.amount))
    return rows


def notes_csv(n: Notes) -> str:
    return _csv(("table", "key", "name", "detail", "figure", "amount"),
                ([t, k, name, detail, f, fen_to_str(v)] for t, k, name, detail, f, v in notes_rows(n)))


def notes_json(n: Notes) -> dict:
    a = n.activities
    return {
        "year": n.year, **_period(n), "ledger": n.digest.as_json(),
        "restricted_net_assets": {
            "funds": [{"fund": r.fund.as_json(), "opening": fen_to_str(r.opening), "received": fen_to_str(r.received),
                       "released": fen_to_str(r.released), "other": fen_to_str(r.other),
                       "closing": fen_to_str(r.closing)} for r in n.restricted],
            "total": {k: fen_to_str(getattr(n.restricted_total, k))
                      for k in ("opening", "received", "released", "other", "closing")},
            "financial_position": {"year_start": fen_to_str(n.position.begin.net_assets.restricted),
                                   "end": fen_to_str(n.position.end_.net_assets.restricted)}},
        "donations_by_source": {
            "sources": [{"kind": s.kind, "name": s.zh, "name_en": s.en, "received": fen_to_str(s.received),
                         "refunded": fen_to_str(s.refunded), "net": fen_to_str(s.net),
                         "related_net": fen_to_str(s.related_net)} for s in n.sources],
            "net": fen_to_str(n.source_total.net), "related_net": fen_to_str(n.source_total.related_net),
            "activities_donation_income": _columns(n.donation_income)},
        "grants_by_organisation": {
            "organisations": [{"organisation_id": g.organisation_id, "name": g.name, "grants": g.grants,
                               "paid": fen_to_str(g.paid), "returned": fen_to_str(g.returned),
                               "net": fen_to_str(g.net)} for g in n.grants],
            "paid": fen_to_str(n.grants_paid), "returned": fen_to_str(n.grants_returned),
            "net": fen_to_str(n.grants_paid - n.grants_returned)},
        "management_costs": {
            "lines": [{"account": c.code, "name": c.name, "name_en": c.name_en, "amount": fen_to_str(c.amount)}
                      for c in n.management],
            "total": fen_to_str(n.management_costs), "expense_total": fen_to_str(a.expense_total.total),
            "share_of_expenses": n.management_share},
        "related_party_transactions": [
            {"on": t.on.isoformat(), "party_id": t.party_id, "party": t.party, "relation": t.relation, "kind": t.kind,
             "counterparty": t.counterparty, "fund": t.fund_code, "amount": fen_to_str(t.amount)} for t in n.related],
        "texts": {s: (v.as_json() if v else None) for s, v in n.texts.items()},
    }


def render_notes_pdf(n: Notes, *, generated_by: str = "fund-ledger", generated_at=None) -> bytes:
    return render_pdf("reports/notes.html", n=n, sections=SECTION_TITLES,
                      related_kinds=RELATED_KINDS, kinds=KIND_NAMES, **_period_pdf(n),
                      **_pdf_common(n, generated_by, generated_at))


__all__ = ["notes_json", "notes_csv", "render_notes_pdf", "notes_rows", "SECTION_NAMES", "SECTION_TITLES", "RELATED_KINDS"]
