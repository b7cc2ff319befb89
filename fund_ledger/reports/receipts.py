"""Acknowledgements of gifts (捐赠确认书) and donor statements, as PDF.

The acknowledgement is the fund's own paper, not the official 公益事业捐赠票据 (finance-bureau forms,
issued outside the system; its number is recorded on the gift when there is one). It carries the
gift's yearly serial number, the amount in figures and in 大写, the entry it was posted as, and the
verification code a donor types into the public page ``/verify``; beside it the full address of that check
for this gift (``PUBLIC_URL/verify?code=...``), printed and as a QR code, so a phone lands on the answer.

Both PDFs are reproducible: the acknowledgement is stamped with the moment the gift was recorded, the
statement with the latest moment among the gifts and refunds it shows. The same books give the same
bytes, download after download.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db import repository as repo
from ..ledger.money import format_yuan, to_chinese_capital
from ..services.donations import CHANNEL_NAMES, KINDS, receipt_number
from ..services.tracing import ANONYMOUS_NAME, public_name
from .pdf import render_pdf
from .qr import qr_svg

CHANNEL_NAMES_EN = {"bank": "Bank transfer", "cash": "Cash", "wechat": "WeChat Pay", "alipay": "Alipay",
                    "other": "Other"}
VERIFY_PATH = "/verify"


def grouped_code(code: str) -> str:
    """A verification code in groups of five, as printed and read aloud: ``ABCDE-FGHIJ``."""
    code = code or ""
    return "-".join(code[i:i + 5] for i in range(0, len(code), 5))


def masked_name(donor: m.Donor, donation: m.Donation) -> str:
    """The donor as the public verification page shows them: the first character and one ``*``
    (one star whatever the length, so the length tells nothing either)."""
    if donation.anonymous and not (donor.display_name or "").strip():
        return ANONYMOUS_NAME
    name = public_name(donor, donation)
    return f"{name[:1]}*" if name else "*"


def capital_words(fen: int) -> str:
    """人民币 and the 大写 amount: ``人民币壹拾万元整``."""
    return "人民币" + to_chinese_capital(fen)


@dataclass(frozen=True)
class GiftFacts:
    """Everything the acknowledgement, the donation page and the verification page say about a gift."""

    donation: m.Donation
    donor: m.Donor
    fund: m.Fund
    receipt_number: str
    entry_number: str
    entry_date: date
    refunded: bool
    refund_entry: str | None
    refund_reason: str | None
    refund_date: date | None
    refund_recorded_at: str | None

    @property
    def donor_name(self) -> str:
        return public_name(self.donor, self.donation)

    @property
    def masked_donor(self) -> str:
        return masked_name(self.donor, self.donation)

    @property
    def amount_figures(self) -> str:
        return format_yuan(self.donation.amount)

    @property
    def amount_words(self) -> str:
        return capital_words(self.donation.amount)

    @property
    def code(self) -> str:
        return grouped_code(self.donation.verification_code)

    @property
    def channel_name(self) -> str:
        return CHANNEL_NAMES.get(self.donation.channel, self.donation.channel)

    @property
    def channel_name_en(self) -> str:
        return CHANNEL_NAMES_EN.get(self.donation.channel, self.donation.channel)

    @property
    def donor_kind(self) -> str:
        return KINDS.get(self.donor.kind, self.donor.kind)


def gift_facts(session: Session, donation: m.Donation) -> GiftFacts:
    entry = repo.get_entry(session, donation.entry_id)
    reversal_seq = repo.reversed_by(session, donation.entry_id)
    reversal = repo.get_entry(session, reversal_seq) if reversal_seq else None
    donor = session.get(m.Donor, donation.donor_id)
    fund = session.scalar(select(m.Fund).where(m.Fund.code == donation.fund_code))
    return GiftFacts(
        donation=donation, donor=donor, fund=fund,
        receipt_number=receipt_number(donation.receipt_year, donation.receipt_seq),
        entry_number=entry.number, entry_date=entry.accounting_date,
        refunded=reversal is not None, refund_entry=reversal.number if reversal else None,
        refund_reason=_reason(reversal.memo) if reversal else None,
        refund_date=reversal.accounting_date if reversal else None,
        refund_recorded_at=reversal.recorded_at if reversal else None,
    )


def _reason(memo: str) -> str:
    """The reason a person typed, without the ``冲销 2026-000123：`` the reversal's memo starts with."""
    head, sep, rest = memo.partition("：")
    return rest if sep and head.startswith("冲销 ") else memo


def check_address(verify_url: str, code: str) -> str:
    """Where the check of one gift answers: the verification page with the gift's code filled in
    (``https://fund.example/verify?code=ABCDEFGHIJ``). The code is letters and digits only: nothing to escape."""
    return f"{verify_url}?code={code}"


def receipt_pdf(session: Session, donation: m.Donation, *, verify_url: str = VERIFY_PATH) -> bytes:
    """捐赠确认书 of one gift, stamped with the moment it was recorded: every download is the same bytes
    (until the gift is refunded, when the notice of the refund is added).

    ``verify_url`` is the public verification page (the site's ``PUBLIC_URL`` and :data:`VERIFY_PATH`); the
    paper prints it, and the address of this gift's check under a QR code of that address."""
    facts = gift_facts(session, donation)
    address = check_address(verify_url, donation.verification_code)
    return render_pdf("reports/acknowledgement.html", generated_at=donation.created_at, gift=facts,
                      verify_url=verify_url, check_url=address, check_qr=qr_svg(address),
                      issued_on=donation.created_at[:10])


def donor_gifts(session: Session, donor: m.Donor, year: int | None = None) -> list[GiftFacts]:
    """A donor's gifts in received order (of one year, when given)."""
    q = select(m.Donation).where(m.Donation.donor_id == donor.id)
    if year is not None:
        q = q.where(m.Donation.received_on >= date(year, 1, 1), m.Donation.received_on <= date(year, 12, 31))
    return [gift_facts(session, d) for d in session.scalars(q.order_by(m.Donation.received_on, m.Donation.id))]


def donor_statement_pdf(session: Session, donor: m.Donor, year: int) -> bytes:
    """Every gift of ``donor`` received in ``year``, with totals: the list behind a thank-you letter.

    Stamped with the latest moment among what it shows (the gifts, their refunds; the donor's record
    when there is nothing), so the same books give the same bytes."""
    gifts = donor_gifts(session, donor, year)
    moments = [donor.created_at] + [g.donation.created_at for g in gifts] \
        + [g.refund_recorded_at for g in gifts if g.refund_recorded_at]
    received = sum(g.donation.amount for g in gifts)
    refunded = sum(g.donation.amount for g in gifts if g.refunded)
    return render_pdf("reports/donor_statement.html", generated_at=max(moments), donor=donor, year=year,
                      gifts=gifts, received=received, refunded=refunded, standing=received - refunded,
                      kind=KINDS.get(donor.kind, donor.kind), period_start=f"{year}-01-01",
                      period_end=f"{year}-12-31", capital_words=capital_words)


__all__ = ["GiftFacts", "gift_facts", "grouped_code", "masked_name", "receipt_pdf", "donor_statement_pdf",
           "donor_gifts"]
