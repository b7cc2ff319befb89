"""信息公开: publishing items, the public list, checking a downloaded copy, and the disclosure calendar.

A published item is kept as published (the table is append-only): a text or a PDF with the SHA-256 of the
bytes anyone downloads. A correction is a new item naming the one it corrects; both stay listed. Issued
audit reports are published items too: they are listed from their own table with their stored SHA-256,
never copied.

Checking a copy (:func:`verify_file`) answers one question, ``genuine``: are these bytes, exactly, a file the
fund published (a published item's PDF or text, or an issued audit report)? Whether the ledger still matches
an audit report is the audit-report verifier's question (``audit_reports.verify_upload``), left as it is.
"""
from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta

from sqlalchemy import func, select
from pypdf import PdfReader
from sqlalchemy.orm import Session

from .. import clock
from ..db import models as m
from ..db import repository as repo
from ..ledger import disclosure_calendar as cal
from ..ledger.money import format_yuan
from . import audit, related_parties, settings
from .actor import Actor
from .audit_reports import MAX_UPLOAD, TooLarge
from ..schemas.messages import Message
from .errors import Forbidden, InvalidInput, NotFound, RuleBroken
from .tracing import shown_name

HORIZON_DAYS = 92
"""The calendar page shows duties due within this many days, and every earlier one."""


def published_on(stamp: str) -> date:
    """The Beijing day of a stored UTC stamp."""
    return clock.from_stamp(stamp).astimezone(clock.LOCAL_TZ).date()


def check_pdf(data: bytes | None) -> bytes | None:
    """The uploaded PDF (``None`` when none was sent), or a refusal naming the field ``file``."""
    if data is None:
        return None
    if len(data) > MAX_UPLOAD:
        raise TooLarge(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB", {"file": ["too large"]})
    if not data:
        raise InvalidInput("the file is empty", {"file": ["empty"]})
    if not data.lstrip()[:5] == b"%PDF-":
        raise InvalidInput("the file is not a PDF", {"file": ["not a PDF"]})
    try:  # what is published stays published: a file no reader can open must not be the one
        readable = len(PdfReader(io.BytesIO(data)).pages) > 0
    except Exception:  # noqa: BLE001 - pypdf raises many kinds of error on a broken file, all meaning the same
        readable = False
    if not readable:
        raise InvalidInput("the file is not a readable PDF", {"file": ["not a readable PDF"]})
    return data


PDF_ONLY_KINDS = ("annual_report", "audit_report")
"""An annual report and the financial statements are documents: published as PDFs, never as a typed text."""


def check_duty(session: Session, duty: str, kind: str, today: date) -> None:
    """A published item answers a duty only when the books owe that duty and the item is of the kind that answers
    it: a year's annual report and accounts once the year has ended, a transaction's notice while the books hold
    the transaction, a programme's update or leftover notice while they hold the programme."""
    prefix, _, year = duty.partition(":")
    if prefix in ("annual_report", "accounts"):  # any ended year, entries or none (a quiet year reports too)
        ended = (int(year),) if year.isdigit() and 2000 <= int(year) < today.year else ()
        owed = next((d for d in cal.duties(ended, (), ()) if d.key == duty), None)
    else:
        owed = _owed(session, duty, today)
    if owed is None:
        raise RuleBroken(f"the books owe no duty {duty}", {"duty": [Message("disclosure.no_duty", duty=duty)]},
                         code="no_such_duty")
    if owed.kind != kind:
        raise InvalidInput(f"{duty} is answered by an item of kind {owed.kind}, not {kind}",
                           {"kind": [Message("disclosure.kind_for_duty", kind=owed.kind)]})


def publish(session: Session, actor: Actor, *, kind: str, title: str, period: str = "", body: str = "",
            duty: str = "", corrects_id: int | None = None, pdf: bytes | None = None) -> m.PublishedItem:
    """Publish a text (``body``) or a PDF (``pdf``), never both; a correction names the item it corrects.
    The values come typed from ``schemas.disclosures.PublishIn``; the caller commits."""
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager publishes")
    pdf = check_pdf(pdf)
    if duty:
        check_duty(session, duty, kind, clock.local_today())
    if kind in PDF_ONLY_KINDS and pdf is None:
        raise InvalidInput(f"an item of kind {kind} is published as a PDF", {"file": [Message("disclosure.pdf_only")]})
    if pdf is None and not body:
        raise InvalidInput("publish a PDF (the multipart field 'file') or a text (body)",
                           {"file": ["a PDF or a text is required"], "body": ["a PDF or a text is required"]})
    if pdf is not None and body:
        raise InvalidInput("publish a PDF or a text, not both", {"body": ["leave it empty when sending a PDF"]})
    if corrects_id is not None and (not repo.is_row_id(corrects_id) or session.get(m.PublishedItem, corrects_id) is None):
        raise RuleBroken(f"no published item {corrects_id} to correct", {"corrects_id": ["no such item"]},
                         code="no_such_item")
    data = pdf if pdf is not None else body.encode("utf-8")
    row = m.PublishedItem(kind=kind, title=title, period=period or None, body="" if pdf is not None else body,
                          pdf=pdf, sha256=hashlib.sha256(data).hexdigest(), size=len(data), duty=duty or None,
                          corrects_id=corrects_id, published_at=repo.utc_now_text(), published_by=actor.username)
    session.add(row)
    session.flush()
    audit.record(session, actor, "disclosure.publish", object_type="published_item", object_id=row.id,
                 detail={"kind": kind, "title": title, "period": row.period, "sha256": row.sha256, "size": row.size,
                         "duty": row.duty, "corrects": corrects_id})
    return row


def get_item(session: Session, item_id: int) -> m.PublishedItem:
    row = session.get(m.PublishedItem, item_id) if repo.is_row_id(item_id) else None
    if row is None:
        raise NotFound(f"no published item {item_id}")
    return row


def item_file(session: Session, item_id: int) -> tuple[bytes, str, str, str]:
    """The bytes anyone downloads (the PDF, or the text as UTF-8), their type, a file name and their SHA-256."""
    row = get_item(session, item_id)
    if row.pdf is not None:
        return bytes(row.pdf), "application/pdf", f"disclosure-{row.id}.pdf", row.sha256
    return row.body.encode("utf-8"), "text/plain", f"disclosure-{row.id}.txt", row.sha256


def public_items(session: Session) -> list[dict]:
    """Every published item and every issued audit report, newest first. ``ref`` says which table: the
    caller turns it into a download address."""
    items = list(session.execute(select(m.PublishedItem.id, m.PublishedItem.kind, m.PublishedItem.title,
                                        m.PublishedItem.period, m.PublishedItem.published_at,
                                        m.PublishedItem.published_by, m.PublishedItem.sha256, m.PublishedItem.size,
                                        m.PublishedItem.corrects_id, m.PublishedItem.body,
                                        m.PublishedItem.pdf.is_(None).label("is_text"))))
    titles = {i.id: i.title for i in items}
    corrected_by: dict[int, list[int]] = {}
    for i in items:
        if i.corrects_id is not None:
            corrected_by.setdefault(i.corrects_id, []).append(i.id)
    out = [{"ref": f"item:{i.id}", "id": i.id, "kind": i.kind, "title": i.title, "period": i.period,
            "published_at": i.published_at, "published_by": i.published_by, "sha256": i.sha256, "size": i.size,
            "format": "text" if i.is_text else "pdf", "body": i.body if i.is_text else None,
            "corrects": ({"id": i.corrects_id, "title": titles.get(i.corrects_id)} if i.corrects_id else None),
            "corrected_by": sorted(corrected_by.get(i.id, []))} for i in items]
    reports = list(session.execute(select(m.AuditReport.id, m.AuditReport.period, m.AuditReport.issued_at,
                                          m.AuditReport.issued_by, m.AuditReport.sha256, m.AuditReport.size,
                                          m.AuditReport.replaces_id).where(m.AuditReport.for_public)))
    replaced = {r.replaces_id: r.id for r in reports if r.replaces_id is not None}
    out += [{"ref": f"audit_report:{r.id}", "id": r.id, "kind": "audit_report",
             "title": f"审计报告 Audit report {r.period} No. {r.id}", "period": r.period, "published_at": r.issued_at,
             "published_by": r.issued_by, "sha256": r.sha256, "size": r.size, "format": "pdf", "body": None,
             "corrects": ({"id": r.replaces_id, "title": f"审计报告 Audit report {r.period} No. {r.replaces_id}",
                           "audit_report": True} if r.replaces_id else None),
             "corrected_by": [replaced[r.id]] if r.id in replaced else []} for r in reports]
    return sorted(out, key=lambda x: (x["published_at"], x["ref"]), reverse=True)


def verify_file(session: Session, data: bytes | None) -> dict:
    """Are these bytes, exactly, a file the fund published? (An item's PDF or text, or an audit report.)"""
    if data is None:
        raise InvalidInput("send the file as the multipart field 'file'", {"file": ["required"]})
    if len(data) > MAX_UPLOAD:
        raise TooLarge(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB", {"file": ["too large"]})
    if not data:
        raise InvalidInput("the file is empty", {"file": ["empty"]})
    digest = hashlib.sha256(data).hexdigest()
    result = {"genuine": False, "sha256": digest, "kind": None, "item_id": None, "report_id": None, "title": None,
              "period": None, "published_at": None}
    item = session.scalar(select(m.PublishedItem).where(m.PublishedItem.sha256 == digest).order_by(m.PublishedItem.id))
    if item is not None:
        result.update(genuine=True, kind=item.kind, item_id=item.id, title=item.title, period=item.period,
                      published_at=item.published_at)
        return result
    report = session.scalar(select(m.AuditReport).where(m.AuditReport.sha256 == digest))
    if report is not None:
        result.update(genuine=True, kind="audit_report", report_id=report.id, period=report.period,
                      title=f"审计报告 Audit report {report.period} No. {report.id}", published_at=report.issued_at)
    return result


# --- the disclosure calendar ------------------------------------------------------------------------------

def _related(session: Session) -> tuple[cal.Related, ...]:
    """Every related-party transaction, as ``related_parties.transactions`` says (the one place that decides)."""
    return tuple(cal.Related(t.kind, t.donation_id if t.kind in ("gift", "refund") else t.disbursement_id, t.party,
                             t.on, t.amount) for t in related_parties.transactions(session))


def _majors(session: Session) -> tuple[cal.Major, ...]:
    """Every single gift received and grant paid at or above the threshold (none while it is not set)."""
    threshold = settings.major_transaction_fen(session)
    if threshold is None:
        return ()
    d, dn, b, o = m.Donation, m.Donor, m.Disbursement, m.Organisation
    gifts = session.execute(select(d.entry_id, d.id, dn.name, d.received_on, d.amount).join(dn, dn.id == d.donor_id)
                            .where(d.amount >= threshold))
    grants = session.execute(select(b.payment_entry_id, b.id, o.name, b.paid_on, b.amount)
                             .join(o, o.id == b.organisation_id)
                             .where(b.payment_entry_id.is_not(None), b.amount >= threshold))
    return (tuple(cal.Major("gift", e, i, name, repo.as_date(on), fen) for e, i, name, on, fen in gifts)
            + tuple(cal.Major("grant", e, i, name, repo.as_date(on), -fen) for e, i, name, on, fen in grants))


def _books(session: Session, today: date) -> tuple:
    first = session.scalar(select(func.min(m.Entry.accounting_date)))
    years = tuple(range(repo.as_date(first).year, today.year)) if first is not None else ()
    programmes = tuple(cal.Programme(p.id, p.name, repo.as_date(p.starts_on), repo.as_date(p.ends_on))
                       for p in session.scalars(select(m.GrantProgramme).order_by(m.GrantProgramme.id)))
    return years, programmes, _related(session), _majors(session)


def _owed(session: Session, key: str, today: date) -> cal.Duty | None:
    """The duty the books owe under ``key`` today, if any."""
    return next((d for d in cal.duties(*_books(session, today)) if d.key == key), None)


def _published(session: Session) -> tuple[cal.Published, ...]:
    items = [cal.Published(f"item:{i}", kind, duty, period, published_on(at)) for i, kind, duty, period, at in
             session.execute(select(m.PublishedItem.id, m.PublishedItem.kind, m.PublishedItem.duty,
                                    m.PublishedItem.period, m.PublishedItem.published_at))]
    # an issued audit report of a year's December carries the year's closing accounts
    reports = [cal.Published(f"audit_report:{i}", "audit_report", f"accounts:{period[:4]}" if period.endswith("-12") else None,
                             period, published_on(at))
               for i, period, at in session.execute(select(m.AuditReport.id, m.AuditReport.period, m.AuditReport.issued_at)
                                                    .where(m.AuditReport.for_public))]
    return tuple(items + reports)


def _day(on: date) -> str:
    return f"{on.year}年{on.month}月{on.day}日"


def _public_name(session: Session, donation_id: int, name: str) -> str:
    """How a public notice names a gift's donor: by name, or, when the donor asked for anonymity on that gift,
    by the name they chose to be shown under (爱心人士 by default), never by their own."""
    row = session.execute(select(m.Donation.anonymous, m.Donor.display_name).join(m.Donor, m.Donor.id == m.Donation.donor_id)
                          .where(m.Donation.id == donation_id)).first()
    return shown_name(name, row.display_name, row.anonymous) if row is not None else name


def draft_notice(session: Session, duty_key: str, today: date) -> dict | None:
    """A related-party or major-transaction duty's notice, written from the books for the manager to read,
    change and publish: ``{"kind", "title", "body", "late_days"}``; ``None`` for another duty or one the books do
    not hold. A donor anonymous on the gift is named as the public sees them (a notice is public); a notice
    published after its due date says so, with the days, instead of claiming the 30 days were kept."""
    from .disbursements import request_number

    duty = _owed(session, duty_key, today)
    if duty is None or duty.kind not in ("related_party", "major_transaction"):
        return None
    funds = {f.code: f.name for f in session.scalars(select(m.Fund))}
    money = f"人民币{format_yuan(abs(duty.amount or 0)).lstrip('¥')}元"
    if duty.kind == "related_party":
        t = next((t for t in related_parties.transactions(session, duty.on, duty.on)
                  if t.kind == duty.deal and (t.donation_id if t.kind in ("gift", "refund") else t.disbursement_id)
                  == duty.subject_id), None)
        if t is None:
            return None
        who = f"关联方{t.public_name}（{t.relation}）"
        fund = f"“{funds.get(t.fund_code, t.fund_code)}”"
        body = {
            "gift": f"本基金于{_day(t.on)}收到{who}捐赠{money}，计入{fund}基金。",
            "refund": f"本基金于{_day(t.on)}向{who}退回捐赠{money}，相应冲减{fund}基金。",
            "grant": f"本基金于{_day(t.on)}从{fund}基金向{who}拨付资助款{money}（拨款 {request_number(t.disbursement_id or 0)}）。",
            "return": f"{who}于{_day(t.on)}退回资助款结余{money}，已转回{fund}基金（拨款 {request_number(t.disbursement_id or 0)}）。",
        }[t.kind]
        title = f"关联交易公告（{_day(t.on)}）"
    else:
        if duty.deal == "gift":
            body = f"本基金于{_day(duty.on)}收到{_public_name(session, duty.subject_id, duty.party or '')}捐赠{money}。"
        else:
            body = f"本基金于{_day(duty.on)}向{duty.party}拨付资助款{money}（拨款 {request_number(duty.subject_id or 0)}）。"
        title = f"重大交易公告（{_day(duty.on)}）"
    late = (today - duty.due).days
    when = (f"本公告依据《慈善组织信息公开办法》应于{_day(duty.due)}前发布，现迟发{late}天，特此说明。" if late > 0 else
            "本公告依据《慈善组织信息公开办法》在交易发生之日起30日内发布。")
    return {"kind": duty.kind, "title": title, "body": f"{body}\n\n{when}", "late_days": max(late, 0)}


def disclosure_calendar(session: Session, today: date, *, horizon_days: int = HORIZON_DAYS) -> tuple[cal.DutyState, ...]:
    """Every duty due by ``today + horizon_days`` (and every one already answered), where it stands today."""
    states = cal.calendar_states(cal.duties(*_books(session, today)), _published(session), today)
    limit = today + timedelta(days=horizon_days)
    return tuple(s for s in states if s.duty.due <= limit or s.item_ref is not None)


__all__ = ["publish", "get_item", "item_file", "public_items", "verify_file", "disclosure_calendar", "draft_notice",
           "check_pdf",
           "published_on", "HORIZON_DAYS"]
