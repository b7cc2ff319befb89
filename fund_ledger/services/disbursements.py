"""Disbursements: a grantee asks, managers approve (two above a threshold, never the submitter), the
approval reserves the money in the fund, payment posts it, and the grantee acknowledges receipt.

Every step takes the ledger's lock, changes the request's state, appends an event, and writes the audit
log, in one transaction. A grantee sees only its own organisation's requests: others are "not found".
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..db import models as m
from ..db import repository as repo
from ..db.engine import lock_ledger
from ..ledger.entries import EntryCode, EntryDraft, Posting
from ..ledger.disbursements import ACKNOWLEDGED, APPROVED, PAID, SUBMITTED, next_state
from ..ledger.money import MAX_AMOUNT_FEN, format_yuan
from . import audit
from ..schemas.messages import Message
from .actor import Actor
from .errors import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken
from ..clock import local_today
from ..config import settings
from .ledger import post_entry

GRANT_EXPENSE, BANK = "5101", "1002"


def dual_approval_above() -> int:
    """Requests above this many fen need two different managers' approval (FUND_LEDGER_DUAL_APPROVAL_ABOVE, yuan)."""
    return settings().dual_approval_above


def request_number(disbursement_id: int) -> str:
    """The request's number as people read and quote it, in the acknowledgements' style: 拨款 (BK) and the
    request's sequence, e.g. ``BK-000004``. Every page, notice and entry names a request by it."""
    return f"BK-{disbursement_id:06d}"


def get_disbursement(session: Session, actor: Actor, disbursement_id: int) -> m.Disbursement:
    """The request, if this actor may see it; a grantee asking for another organisation's gets NotFound."""
    row = session.get(m.Disbursement, disbursement_id) if repo.is_row_id(disbursement_id) else None
    if row is None or (actor.role == "grantee" and row.organisation_id != actor.organisation_id):
        raise NotFound(f"no disbursement {disbursement_id}")
    if actor.role not in ("grantee", "manager", "auditor", "system"):
        raise Forbidden("only managers, auditors and the grantee itself see disbursement requests")
    return row


def _event(session: Session, actor: Actor, row: m.Disbursement, action: str, before: str | None, detail: dict) -> None:
    session.add(m.DisbursementEvent(disbursement_id=row.id, at=repo.utc_now_text(), actor=actor.username,
                                    action=action, from_status=before, to_status=row.status,
                                    detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)))
    session.flush()
    audit.record(session, actor, f"disbursement.{action}", object_type="disbursement", object_id=row.id,
                 detail={"from": before, "to": row.status, **detail})


def submit(session: Session, actor: Actor, *, organisation_id: int, fund, amount: int, purpose: str,
           budget: list[dict] | None = None, programme_id: int | None = None,
           today: date | None = None) -> m.Disbursement:
    """A request from a grantee for its own organisation, or from a manager on a grantee's behalf.

    A request within a grant programme must be from one of its organisations, from its fund, and made
    within its dates.
    """
    from .donations import open_fund
    from .programmes import programme_problem

    if actor.role == "grantee":
        if organisation_id != actor.organisation_id:
            raise NotFound(f"no organisation {organisation_id}")
    elif actor.role not in ("manager", "system"):
        raise Forbidden("only a grantee or a fund manager submits a request")
    errors: dict[str, list[str]] = {}
    if session.get(m.Organisation, organisation_id) is None if isinstance(organisation_id, int) else True:
        errors["organisation_id"] = [Message("organisation.missing", id=organisation_id)]
    fund_row = open_fund(session, fund, errors)
    if type(amount) is not int or not 0 < amount <= MAX_AMOUNT_FEN:
        errors["amount"] = [Message("amount.range", min="¥0.01", max=format_yuan(MAX_AMOUNT_FEN))]
    purpose = (purpose or "").strip() if isinstance(purpose, str) else ""
    if not purpose or len(purpose) > 2000:
        errors["purpose"] = [Message("purpose.required")]
    lines = budget or []
    if not isinstance(lines, list) or len(lines) > 100 or any(
            not isinstance(x, dict) or not str(x.get("item", "")).strip() or type(x.get("amount")) is not int
            or x["amount"] <= 0 for x in lines):
        errors["budget"] = [Message("budget.lines")]
    elif lines and sum(x["amount"] for x in lines) != amount:
        errors["budget"] = [Message("budget.sum", sum=format_yuan(sum(x["amount"] for x in lines)),
                                    amount=format_yuan(amount) if type(amount) is int else amount)]
    if programme_id is not None and "organisation_id" not in errors and fund_row is not None:
        if problem := programme_problem(session, programme_id, organisation_id, fund_row.code, today or local_today()):
            errors["programme_id"] = [problem]
    if errors:
        raise InvalidInput("the request is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    row = m.Disbursement(programme_id=programme_id, organisation_id=organisation_id, fund_code=fund_row.code, amount=amount, purpose=purpose,
                         budget=json.dumps([{"item": str(x["item"]).strip(), "amount": x["amount"]} for x in lines],
                                           ensure_ascii=False),
                         status=SUBMITTED, approvals_needed=2 if amount > dual_approval_above() else 1,
                         submitted_by=actor.username, submitted_at=repo.utc_now_text())
    session.add(row)
    session.flush()
    _event(session, actor, row, "submit", None, {"amount": amount, "fund": fund_row.code,
                                                 **({"programme": programme_id} if programme_id else {})})
    return row


def check_step(row: m.Disbursement, action: str) -> None:
    """Refuse a step the request's state does not allow (RuleBroken ``wrong_state``). The pages ask this
    before they show a step's confirmation, the step itself asks it again under the ledger's lock."""
    if next_state(row.status, action) is None:
        raise RuleBroken(f"a request that is {row.status} cannot take the step '{action}'", code="wrong_state")


def _move(session: Session, actor: Actor, disbursement_id: int, action: str) -> tuple[m.Disbursement, str]:
    lock_ledger(session)  # every step may touch the fund's reservations: one at a time, in the database
    row = get_disbursement(session, actor, disbursement_id)
    session.refresh(row)
    check_step(row, action)
    return row, row.status


def approvers(session: Session, row: m.Disbursement) -> list[str]:
    """Who approved the request, in order (each manager once: a second approval by the same one is refused)."""
    return list(session.scalars(select(m.DisbursementEvent.actor).where(
        m.DisbursementEvent.disbursement_id == row.id, m.DisbursementEvent.action == "approve")
        .order_by(m.DisbursementEvent.id)))


@dataclass(frozen=True)
class Approvals:
    """How many approvals a request needs and has, and who may still give one."""

    needed: int
    given: tuple[str, ...]
    """The managers who approved, in order."""
    submitted_by: str
    waiting: bool
    """Submitted, approved by some but not yet by enough managers: waiting for another one."""

    @property
    def count(self) -> int:
        return len(self.given)

    def may_approve(self, username: str) -> bool:
        """Whether this manager's approval would count: not the submitter, not one who already approved.
        (The fund's money is checked at the last approval, by :func:`approve`.)"""
        return username != self.submitted_by and username not in self.given


def approvals(session: Session, row: m.Disbursement) -> Approvals:
    """The request's approvals: the one place the pages and the API learn "1 of 2, waiting for another"."""
    given = tuple(approvers(session, row))
    return Approvals(needed=row.approvals_needed, given=given, submitted_by=row.submitted_by,
                     waiting=row.status == SUBMITTED and 0 < len(given) < row.approvals_needed)


def _reserve(session: Session, row: m.Disbursement, sign: int) -> None:
    """Hold (+1) or release (-1) the amount in the fund: pending credit on the bank, pending debit on the grant."""
    for account, column in ((BANK, "credits_pending"), (GRANT_EXPENSE, "debits_pending")):
        values = {"account_code": account, "fund_code": row.fund_code, "debits_posted": 0, "credits_posted": 0,
                  "debits_pending": 0, "credits_pending": 0}
        values[column] = row.amount * sign
        dialect = session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(m.AccountBalance).values(**values)
        session.execute(insert.on_conflict_do_update(
            index_elements=["account_code", "fund_code"],
            set_={column: getattr(m.AccountBalance.__table__.c, column) + row.amount * sign}))


def approve(session: Session, actor: Actor, disbursement_id: int) -> m.Disbursement:
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager approves")
    row, before = _move(session, actor, disbursement_id, "approve")
    if row.submitted_by == actor.username:
        raise RuleBroken("nobody approves a request they submitted", code="own_request")
    done = approvers(session, row)
    if actor.username in done:
        raise Conflict("you have already approved this request; another manager must approve it too",
                       code="already_approved")
    if len(done) + 1 >= row.approvals_needed:
        available = repo.money_by_fund(session).get(row.fund_code)
        if available is None or available.available < row.amount:
            have = available.available if available else 0
            raise RuleBroken(f"fund {row.fund_code} has {format_yuan(max(have, 0))} available; "
                             f"this request needs {format_yuan(row.amount)}", code="insufficient_funds")
        if row.programme_id is not None:
            from .programmes import programme_room
            room = programme_room(session, row.programme_id)
            if room < row.amount:
                raise RuleBroken(f"the programme's budget has {format_yuan(max(room, 0))} left; this request needs "
                                 f"{format_yuan(row.amount)}", code="programme_budget")
        _reserve(session, row, +1)
        row.status = APPROVED
    session.flush()
    _event(session, actor, row, "approve", before,
           {"approval": len(done) + 1, "of": row.approvals_needed, "reserved": row.status == APPROVED})
    return row


def reject(session: Session, actor: Actor, disbursement_id: int, reason: str) -> m.Disbursement:
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager rejects")
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise InvalidInput("a reason (1 to 500 characters) is required", {"reason": [Message("required")]})
    row, before = _move(session, actor, disbursement_id, "reject")
    row.status = next_state(before, "reject")
    _event(session, actor, row, "reject", before, {"reason": reason})
    return row


def cancel(session: Session, actor: Actor, disbursement_id: int, reason: str = "") -> m.Disbursement:
    if actor.role not in ("manager", "grantee", "system"):
        raise Forbidden("only the grantee or a fund manager cancels a request")
    row, before = _move(session, actor, disbursement_id, "cancel")
    if before == APPROVED:
        _reserve(session, row, -1)
    row.status = next_state(before, "cancel")
    _event(session, actor, row, "cancel", before, {"reason": (reason or "").strip()[:500], "released": before == APPROVED})
    return row


def check_payment(*, paid_on: date, reference: str, today: date | None = None) -> str:
    """Refuse a payment's date or reference (InvalidInput); the reference as it is kept. The page asks this
    before it shows the payment's confirmation, :func:`pay` asks it again."""
    reference = (reference or "").strip() if isinstance(reference, str) else ""
    if not reference or len(reference) > 64:
        raise InvalidInput("the payment reference (1 to 64 characters) is required", {"reference": [Message("required")]})
    if type(paid_on) is date and paid_on > (today or local_today()):  # the field is the payment's date
        raise InvalidInput(f"{paid_on.isoformat()} is in the future",
                           {"paid_on": [Message("date.future", date=paid_on.isoformat())]})
    return reference


def pay(session: Session, actor: Actor, disbursement_id: int, *, paid_on: date, reference: str,
        today: date | None = None) -> m.Disbursement:
    """Post the payment (and, for a restricted fund, the release of the restriction) and free the reservation."""
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager pays")
    reference = check_payment(paid_on=paid_on, reference=reference, today=today)
    row, before = _move(session, actor, disbursement_id, "pay")
    fund = session.scalar(select(m.Fund).where(m.Fund.code == row.fund_code))
    org = session.get(m.Organisation, row.organisation_id)
    _reserve(session, row, -1)
    lines = [Posting(GRANT_EXPENSE, fund.code, debit=row.amount), Posting(BANK, fund.code, credit=row.amount)]
    if fund.restricted:  # the restriction is met as the money goes to its purpose: 限定性净资产转为非限定性净资产
        lines += [Posting("3102", fund.code, debit=row.amount), Posting("3101", fund.code, credit=row.amount)]
    entry = post_entry(session, actor, EntryDraft(
        paid_on, EntryCode.DISBURSEMENT, f"拨付{org.name}：{row.purpose[:200]}（付款凭证 {reference}）",
        tuple(lines), source=f"disbursement:{row.id}"), today=today or local_today(), audit_action=None)
    row.status, row.paid_on, row.payment_reference, row.payment_entry_id = PAID, paid_on, reference, entry.seq
    _event(session, actor, row, "pay", before, {"entry": entry.number, "reference": reference,
                                               "paid_on": paid_on.isoformat()})
    return row


def check_acknowledgement(row: m.Disbursement, *, received_on: date, today: date | None = None) -> None:
    """Refuse a date of receipt before the payment or in the future (InvalidInput). The page asks this before
    it shows the acknowledgement's confirmation, :func:`acknowledge` asks it again."""
    if type(received_on) is not date or row.paid_on is None or received_on < row.paid_on \
            or received_on > (today or local_today()):
        paid = row.paid_on.isoformat() if row.paid_on else "?"
        raise InvalidInput(f"the date received is on or after the payment ({paid}) and not "
                           f"in the future", {"received_on": [Message("received_on.range")]})


def acknowledge(session: Session, actor: Actor, disbursement_id: int, *, received_on: date,
                today: date | None = None) -> m.Disbursement:
    """The grantee confirms the money arrived."""
    if actor.role != "grantee":
        raise Forbidden("only the grantee itself acknowledges receipt")
    row, before = _move(session, actor, disbursement_id, "acknowledge")
    check_acknowledgement(row, received_on=received_on, today=today)
    row.status, row.acknowledged_on = next_state(before, "acknowledge"), received_on
    _event(session, actor, row, "acknowledge", before, {"received_on": received_on.isoformat()})
    return row


def current_report(session: Session, row: m.Disbursement) -> m.DisbursementReport | None:
    """The request's latest use report (an earlier one may have been sent back)."""
    return session.scalar(select(m.DisbursementReport).where(m.DisbursementReport.disbursement_id == row.id)
                          .order_by(m.DisbursementReport.id.desc()).limit(1))


def submit_report(session: Session, actor: Actor, disbursement_id: int, *, spent: int, returned: int,
                  narrative: str, lines: list[dict] | None = None) -> m.DisbursementReport:
    """The grantee (or a manager for it) reports how the money was spent and what goes back to the fund.

    ``spent + returned`` is the whole amount paid; the spending lines, when given, add up to ``spent``.
    The money returned is put back into the fund when a manager receives the report and the transfer.
    """
    if actor.role not in ("grantee", "manager", "system"):
        raise Forbidden("only the grantee or a fund manager submits a use report")
    lock_ledger(session)
    row = get_disbursement(session, actor, disbursement_id)
    session.refresh(row)
    if row.status != ACKNOWLEDGED:
        raise RuleBroken(f"a use report follows the acknowledgement of the money; this request is {row.status}",
                         code="wrong_state")
    earlier = current_report(session, row)
    if earlier is not None and earlier.status != "sent_back":
        raise Conflict(f"this request already has a use report ({earlier.status})", code="already_reported")
    errors: dict[str, list[str]] = {}
    for name, value in (("spent", spent), ("returned", returned)):
        if type(value) is not int or not 0 <= value <= MAX_AMOUNT_FEN:
            errors[name] = [Message("amount.at_least_zero")]
    if not errors and spent + returned != row.amount:
        errors["returned"] = [Message("report.sum", spent=format_yuan(spent), returned=format_yuan(returned),
                                      sum=format_yuan(spent + returned), paid=format_yuan(row.amount))]
    narrative = narrative.strip() if isinstance(narrative, str) else ""
    if not narrative or len(narrative) > 5000:
        errors["narrative"] = [Message("narrative.required")]
    lines = lines or []
    if not isinstance(lines, list) or len(lines) > 100 or any(
            not isinstance(x, dict) or not str(x.get("item", "")).strip() or type(x.get("amount")) is not int
            or x["amount"] <= 0 for x in lines):
        errors["lines"] = [Message("budget.lines")]
    elif lines and "spent" not in errors and sum(x["amount"] for x in lines) != spent:
        errors["lines"] = [Message("report.lines_sum", sum=format_yuan(sum(x["amount"] for x in lines)),
                                   spent=format_yuan(spent))]
    if errors:
        raise InvalidInput("the use report is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()),
                           errors)
    report = m.DisbursementReport(
        disbursement_id=row.id, spent=spent, returned=returned, narrative=narrative,
        lines=json.dumps([{"item": str(x["item"]).strip(), "amount": x["amount"]} for x in lines], ensure_ascii=False),
        submitted_by=actor.username, submitted_at=repo.utc_now_text(), status="submitted", decision_note="")
    session.add(report)
    session.flush()
    _event(session, actor, row, "report", row.status, {"report": report.id, "spent": spent, "returned": returned})
    return report


def _open_report(session: Session, actor: Actor, disbursement_id: int) -> tuple[m.Disbursement, m.DisbursementReport]:
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager decides on a use report")
    lock_ledger(session)
    row = get_disbursement(session, actor, disbursement_id)
    report = current_report(session, row)
    if report is None or report.status != "submitted":
        raise RuleBroken("this request has no use report waiting for a decision", code="wrong_state")
    if report.submitted_by == actor.username:
        raise RuleBroken("nobody receives a report they submitted", code="own_report")
    return row, report


def receive_report(session: Session, actor: Actor, disbursement_id: int, *, note: str = "",
                   returned_on: date | None = None, return_reference: str = "",
                   today: date | None = None) -> m.DisbursementReport:
    """Mark the use report received; money returned is posted back into the fund (and its restriction)."""
    row, report = _open_report(session, actor, disbursement_id)
    note = (note or "").strip()
    if len(note) > 500:
        raise InvalidInput("the note is at most 500 characters", {"note": ["too long"]})
    entry = None
    if report.returned:
        return_reference = (return_reference or "").strip()
        errors: dict[str, list[str]] = {}
        if type(returned_on) is not date or returned_on < row.paid_on or returned_on > (today or local_today()):
            errors["returned_on"] = [f"the day the money came back: on or after the payment "
                                     f"({row.paid_on.isoformat()}) and not in the future"]
        if not return_reference or len(return_reference) > 64:
            errors["return_reference"] = ["the bank reference of the money returned (1 to 64 characters)"]
        if errors:
            raise InvalidInput("the return is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()),
                               errors)
        fund = session.scalar(select(m.Fund).where(m.Fund.code == row.fund_code))
        org = session.get(m.Organisation, row.organisation_id)
        lines = [Posting(BANK, fund.code, debit=report.returned), Posting(GRANT_EXPENSE, fund.code, credit=report.returned)]
        if fund.restricted:  # money not spent on the purpose is restricted again
            lines += [Posting("3101", fund.code, debit=report.returned), Posting("3102", fund.code, credit=report.returned)]
        entry = post_entry(session, actor, EntryDraft(
            returned_on, EntryCode.RETURN, f"{org.name}退回未使用资助款（申请 {request_number(row.id)}，凭证 {return_reference}）",
            tuple(lines), source=f"disbursement:{row.id}:return"), today=today or local_today(), audit_action=None)
        report.return_entry_id, report.returned_on, report.return_reference = entry.seq, returned_on, return_reference
    report.status, report.decided_by, report.decided_at, report.decision_note = (
        "received", actor.username, repo.utc_now_text(), note)
    session.flush()
    _event(session, actor, row, "report_received", row.status,
           {"report": report.id, "returned": report.returned, **({"entry": entry.number} if entry else {})})
    return report


def send_back_report(session: Session, actor: Actor, disbursement_id: int, reason: str) -> m.DisbursementReport:
    """Return the use report to the grantee, with the reason; they submit a new one."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise InvalidInput("a reason (1 to 500 characters) is required", {"reason": [Message("required")]})
    row, report = _open_report(session, actor, disbursement_id)
    report.status, report.decided_by, report.decided_at, report.decision_note = (
        "sent_back", actor.username, repo.utc_now_text(), reason)
    session.flush()
    _event(session, actor, row, "report_sent_back", row.status, {"report": report.id, "reason": reason})
    return report


def events(session: Session, row: m.Disbursement) -> list[m.DisbursementEvent]:
    return list(session.scalars(select(m.DisbursementEvent).where(m.DisbursementEvent.disbursement_id == row.id)
                                .order_by(m.DisbursementEvent.id)))


def list_for(session: Session, actor: Actor, *, status: str | None = None, organisation_id: int | None = None,
             fund_code: str | None = None, programme_id: int | None = None, page: int = 1, per_page: int = 50):
    q = select(m.Disbursement)
    if organisation_id is not None:
        q = q.where(m.Disbursement.organisation_id == organisation_id)
    if fund_code is not None:
        q = q.where(m.Disbursement.fund_code == fund_code)
    if programme_id is not None:
        q = q.where(m.Disbursement.programme_id == programme_id)
    if actor.role == "grantee":
        q = q.where(m.Disbursement.organisation_id == actor.organisation_id)
    elif actor.role not in ("manager", "auditor", "system"):
        raise Forbidden("only managers, auditors and grantees see disbursement requests")
    if status:
        q = q.where(m.Disbursement.status == status)
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    rows = list(session.scalars(q.order_by(m.Disbursement.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    return rows, total


__all__ = ["submit", "request_number", "check_step", "check_payment", "check_acknowledgement", "approvals",
           "Approvals", "approve", "reject", "cancel", "pay", "acknowledge", "get_disbursement", "events", "list_for",
           "submit_report", "receive_report", "send_back_report", "current_report"]
