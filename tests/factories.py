"""Small builders for tests: a fund, a gift, a grant, each with sensible defaults."""
from __future__ import annotations

from datetime import date

from fund_ledger.ledger.accounts import GENERAL_FUND_CODE
from fund_ledger.ledger.entries import EntryCode, EntryDraft, Posting
from fund_ledger.services.actor import Actor
from fund_ledger.services.funds import create_fund
from fund_ledger.services.ledger import post_entry

MANAGER = Actor("manager", "manager")
TODAY = date(2026, 11, 27)


def make_fund(session, code="AILILIANG", name="爱力量", restricted=True, purpose="帮助困境儿童", **kw):
    return create_fund(session, MANAGER, code=code, name=name, restricted=restricted, purpose=purpose, **kw)


def gift_draft(fund=GENERAL_FUND_CODE, fen=10_000_00, day=date(2026, 10, 1), account="1002", memo="捐赠"):
    return EntryDraft(day, EntryCode.DONATION, memo,
                      (Posting(account, fund, debit=fen), Posting("4101", fund, credit=fen)), source="test:gift")


def grant_draft(fund, fen, day=date(2026, 10, 2), memo="拨付"):
    return EntryDraft(day, EntryCode.DISBURSEMENT, memo,
                      (Posting("5101", fund, debit=fen), Posting("1002", fund, credit=fen)), source="test:grant")


def post(session, draft, actor=MANAGER):
    return post_entry(session, actor, draft, today=TODAY)


def tiny_pdf(width: float = 200, height: float = 200) -> bytes:
    """A real PDF of one blank page (what a published PDF must at least be: readable)."""
    import io

    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width, height)
    writer.write(out)
    return out.getvalue()
