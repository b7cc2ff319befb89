"""会计报表附注 (notes to the financial statements) of one calendar year: the tables an auditor reads behind the
资产负债表 and the 业务活动表, and the manager's own texts.

The figures are read through the statements themselves, never summed a second way where they already are:

* (a) restricted net assets by fund: each fund's 资产负债表 (年初数 and 期末数) and 业务活动表 give its opening,
  restricted income, release and closing; the funds add up to the whole statements' figures (checked);
* (b) donations by source (个人 / 单位, and of those from related parties) are the 捐赠收入 postings of the year
  joined to the gifts they record; they add up to the 业务活动表's 捐赠收入 (checked); which gifts are
  related-party ones is :func:`fund_ledger.services.related_parties.transactions`'s answer;
* (c) grants by organisation: disbursement requests paid in the year, and money grantees returned in it;
* (d) management costs: the 业务活动表's 管理费用, by sub-account of the chart (adding up to it, checked);
* (e) related-party transactions: :func:`fund_ledger.services.related_parties.transactions` as it lists them.

The notes are for the fund's managers and its auditor: a related party is named even when the gift was anonymous
to the public. Nothing here is published.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ...db import models as m
from ...ledger import statements as ls
from ...ledger.statements import Columns, StatementImbalance
from ...services import related_parties
from ...services import report_texts
from ...services.report_texts import TextVersion
from .common import (NOT_ACTIVITY, Digest, FundRef, _accounts, _by_entry_code, _daily, _fund_names, _minus, check_period,
                     digest)
from .financial import Activities, FinancialPosition, activities, financial_position

SOURCE_KINDS = (("person", "个人", "Individuals"), ("organisation", "单位", "Organisations"),
                ("other", "其他（非捐赠记录的捐赠收入）", "Other (donation income not recorded as a gift)"))


@dataclass(frozen=True)
class RestrictedFundRow:
    """(a) One fund's restricted net assets over the year."""

    fund: FundRef
    opening: int
    received: int
    """Restricted income of the year (gifts to the fund, net of refunds)."""
    released: int
    """Released from restriction (spent on the purpose), net of money returned: positive reduces the balance."""
    other: int
    """Changes that are not activity (opening balances entered in the year)."""
    closing: int

    @property
    def adds_up(self) -> bool:
        return self.opening + self.received - self.released + self.other == self.closing


@dataclass(frozen=True)
class SourceRow:
    """(b) Donation income of one kind of donor: gifts received, refunds, and the related-party part of each."""

    kind: str
    zh: str
    en: str
    received: int = 0
    refunded: int = 0
    related_received: int = 0
    related_refunded: int = 0

    @property
    def net(self) -> int:
        return self.received - self.refunded

    @property
    def related_net(self) -> int:
        return self.related_received - self.related_refunded


@dataclass(frozen=True)
class GrantOrgRow:
    """(c) One grantee's disbursements paid in the year and the money it returned in the year."""

    organisation_id: int
    name: str
    grants: int
    paid: int
    returned: int

    @property
    def net(self) -> int:
        return self.paid - self.returned


@dataclass(frozen=True)
class CostLine:
    """(d) One account of 管理费用 (the top account or a sub-account of the chart)."""

    code: str
    name: str
    name_en: str
    amount: int


@dataclass(frozen=True)
class Notes:
    year: int
    start: date
    end: date
    activities: Activities
    position: FinancialPosition
    restricted: tuple[RestrictedFundRow, ...]
    sources: tuple[SourceRow, ...]
    grants: tuple[GrantOrgRow, ...]
    management: tuple[CostLine, ...]
    related: tuple[related_parties.RelatedTransaction, ...]
    texts: dict[str, TextVersion | None]
    fund_names: dict[str, str]
    """Fund code -> name, for the related-party table."""
    digest: Digest

    fund = None  # the notes cover every fund (the pages and downloads read ``report.fund``)

    @property
    def restricted_total(self) -> RestrictedFundRow:
        rows = self.restricted
        return RestrictedFundRow(FundRef(0, "", "合计 Total", True), sum(r.opening for r in rows),
                                 sum(r.received for r in rows), sum(r.released for r in rows),
                                 sum(r.other for r in rows), sum(r.closing for r in rows))

    @property
    def source_total(self) -> SourceRow:
        rows = self.sources
        return SourceRow("total", "合计", "Total", sum(r.received for r in rows), sum(r.refunded for r in rows),
                         sum(r.related_received for r in rows), sum(r.related_refunded for r in rows))

    @property
    def donation_income(self) -> Columns:
        """The 业务活动表's 捐赠收入 (the figure (b) adds up to)."""
        return self.activities.figures.income["donations"]

    @property
    def grants_paid(self) -> int:
        return sum(g.paid for g in self.grants)

    @property
    def grants_returned(self) -> int:
        return sum(g.returned for g in self.grants)

    @property
    def management_costs(self) -> int:
        return self.activities.figures.expenses["management"].total

    @property
    def management_share(self) -> str:
        """管理费用 as a share of 费用合计 (``—`` when nothing was spent)."""
        total = self.activities.expense_total.total
        return ls.format_percent(Fraction(self.management_costs * 100, total)) if total else "—"

    @property
    def quiet(self) -> bool:
        """A year without activity: no income, no expense, no grant, no related-party transaction."""
        a = self.activities
        return not (a.income_total.total or a.expense_total.total or a.release.unrestricted or self.grants
                    or self.related or any(r.opening or r.closing for r in self.restricted))


# --- (a) restricted net assets by fund ------------------------------------------------------------------------

def _restricted_by_fund(session: Session, start: date, end: date, today: date) -> list[RestrictedFundRow]:
    rows = []
    for fund in session.scalars(select(m.Fund).order_by(m.Fund.id)):
        a = activities(session, start, end, fund.id)
        fp = financial_position(session, end, fund.id, today=today)
        row = RestrictedFundRow(a.fund, fp.begin.net_assets.restricted, a.income_total.restricted,
                                -a.release.restricted, a.other_changes.restricted, fp.end_.net_assets.restricted)
        closed_before = fund.closed_on is not None and fund.closed_on < start
        if any((row.opening, row.received, row.released, row.other, row.closing)) or (fund.restricted
                                                                                      and not closed_before):
            if not row.adds_up:
                raise StatementImbalance(f"fund {fund.code}: restricted net assets {row.opening} + {row.received} "
                                         f"- {row.released} + {row.other} differ from {row.closing}")
            rows.append(row)
    return rows


# --- (b) donation income by source ------------------------------------------------------------------------------

def _donation_postings(session: Session, start: date, end: date):
    """(donation id, donor kind, refund?, credit less debit on 捐赠收入) of the year's gift entries and their
    reversals, and the 捐赠收入 of entries that record no gift (closing entries left out, as the 业务活动表 does)."""
    codes = [c for c in _accounts(session) if ls.top_code(c) == ls.DONATION_INCOME]
    p, e, d, dn = m.Posting, m.Entry, m.Donation, m.Donor
    net = func.sum(p.credit - p.debit)
    in_year = (p.account_code.in_(codes), e.accounting_date >= start, e.accounting_date <= end,
               e.code.not_in(NOT_ACTIVITY))
    rows = []
    for refund, joined in ((False, d.entry_id == e.id), (True, d.entry_id == e.reverses_id)):
        q = (select(d.id, dn.kind, net).select_from(p).join(e, e.id == p.entry_id).join(d, joined)
             .join(dn, dn.id == d.donor_id).where(*in_year).group_by(d.id, dn.kind))
        rows += [(i, kind, refund, int(v or 0)) for i, kind, v in session.execute(q)]
    gift = aliased(m.Donation)
    records_a_gift = exists().where(or_(gift.entry_id == e.id, and_(e.reverses_id.is_not(None),
                                                                  gift.entry_id == e.reverses_id)))
    other = session.scalar(select(net).select_from(p).join(e, e.id == p.entry_id).where(*in_year, ~records_a_gift))
    return rows, int(other or 0)


def _sources(session: Session, start: date, end: date) -> list[SourceRow]:
    related = {(t.donation_id, t.kind) for t in related_parties.transactions(session, start, end)
               if t.donation_id is not None}
    rows, other = _donation_postings(session, start, end)
    sums = {k: [0, 0, 0, 0] for k, _zh, _en in SOURCE_KINDS}
    for donation_id, kind, refund, amount in rows:
        s = sums[kind if kind in sums else "other"]
        is_related = (donation_id, "refund" if refund else "gift") in related
        if refund:
            s[1] -= amount  # a reversal debits 捐赠收入: the refund is that debit
            s[3] -= amount if is_related else 0
        else:
            s[0] += amount
            s[2] += amount if is_related else 0
    sums["other"][0] += other
    return [SourceRow(k, zh, en, *sums[k]) for k, zh, en in SOURCE_KINDS if k != "other" or any(sums[k])]


# --- (c) grants by organisation ---------------------------------------------------------------------------------

def _grants(session: Session, start: date, end: date) -> list[GrantOrgRow]:
    b, o, r = m.Disbursement, m.Organisation, m.DisbursementReport
    paid = {oid: (name, int(n), int(s or 0)) for oid, name, n, s in session.execute(
        select(o.id, o.name, func.count(b.id), func.sum(b.amount)).join(b, b.organisation_id == o.id)
        .where(b.payment_entry_id.is_not(None), b.paid_on >= start, b.paid_on <= end).group_by(o.id, o.name))}
    returned = {oid: (name, int(s or 0)) for oid, name, s in session.execute(
        select(o.id, o.name, func.sum(r.returned)).join(b, b.organisation_id == o.id).join(r, r.disbursement_id == b.id)
        .where(r.return_entry_id.is_not(None), r.returned_on >= start, r.returned_on <= end).group_by(o.id, o.name))}
    rows = [GrantOrgRow(oid, (paid.get(oid) or returned[oid])[0], paid.get(oid, ("", 0, 0))[1],
                        paid.get(oid, ("", 0, 0))[2], returned.get(oid, ("", 0))[1])
            for oid in set(paid) | set(returned)]
    return sorted(rows, key=lambda g: (-g.net, g.name, g.organisation_id))


# --- (d) management costs ---------------------------------------------------------------------------------------

def _management(session: Session, start: date, end: date, expected: int) -> list[CostLine]:
    accounts = _accounts(session)
    moved = _minus(_daily(session, start=start, upto=end), _by_entry_code(session, start, end, NOT_ACTIVITY, None))
    by_code: dict[str, int] = {}
    for (code, _fund), t in moved.items():
        if ls.top_code(code) == ls.MANAGEMENT_EXPENSE and t.debit_balance:
            by_code[code] = by_code.get(code, 0) + t.debit_balance
    if sum(by_code.values()) != expected:
        raise StatementImbalance(f"管理费用 by account {sum(by_code.values())} differs from the statement's {expected}")
    return [CostLine(c, accounts[c].name if c in accounts else c, accounts[c].name_en if c in accounts else "", v)
            for c, v in sorted(by_code.items()) if v]


# --- the notes --------------------------------------------------------------------------------------------------

def notes(session: Session, year: int, *, today: date) -> Notes:
    """The notes of ``year`` (1 January to 31 December); raises StatementImbalance when a table disagrees with
    the statements it explains."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    check_period(start, end)
    whole = activities(session, start, end)
    position = financial_position(session, end, today=today)
    restricted = _restricted_by_fund(session, start, end, today)
    checks = {
        "opening": (sum(r.opening for r in restricted), position.begin.net_assets.restricted),
        "closing": (sum(r.closing for r in restricted), position.end_.net_assets.restricted),
        "received": (sum(r.received for r in restricted), whole.income_total.restricted),
        "released": (sum(r.released for r in restricted), whole.release.unrestricted),
    }
    sources = _sources(session, start, end)
    checks["donations"] = (sum(s.net for s in sources), whole.figures.income["donations"].total)
    wrong = {k: v for k, v in checks.items() if v[0] != v[1]}
    if wrong:
        raise StatementImbalance(f"the notes of {year} disagree with the statements: {wrong}")
    return Notes(year, start, end, whole, position, tuple(restricted), tuple(sources), tuple(_grants(session, start, end)),
                 tuple(_management(session, start, end, whole.figures.expenses["management"].total)),
                 tuple(related_parties.transactions(session, start, end)), report_texts.current(session, year),
                 _fund_names(session), digest(session))


__all__ = ["Notes", "RestrictedFundRow", "SourceRow", "GrantOrgRow", "CostLine", "SOURCE_KINDS", "notes"]
