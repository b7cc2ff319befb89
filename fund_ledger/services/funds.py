"""Funds and the chart: restricted funds with a purpose, and sub-accounts under the standard chart."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import local_today
from ..db import models as m
from ..db.repository import as_date, is_row_id, load_accounts, stored_balances, to_fund, utc_now_text
from ..ledger.accounts import FUND_CODE_RE, GENERAL_FUND_CODE, AccountType, Fund, sub_account_errors
from ..ledger.disbursements import APPROVED, SUBMITTED
from ..schemas.messages import Message
from . import audit
from .actor import Actor
from .errors import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken

MANAGERS = {"manager", "system"}


def _require_manager(actor: Actor) -> None:
    if actor.role not in MANAGERS:
        raise Forbidden("only a fund manager may change funds and accounts")


def create_fund(session: Session, actor: Actor, *, code: str, name: str, restricted: bool, purpose: str = "",
                name_en: str = "", end_date: date | None = None) -> Fund:
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    code = (code or "").strip()
    name = (name or "").strip()
    if not FUND_CODE_RE.match(code):
        errors["code"] = ["2 to 32 ASCII capitals, digits or _, starting with a letter (e.g. AILILIANG)"]
    if not name or len(name) > 100:
        errors["name"] = ["1 to 100 characters"]
    if restricted and not (purpose or "").strip():
        errors["purpose"] = ["a restricted fund needs the purpose its donors set"]
    if len(purpose or "") > 2000:
        errors["purpose"] = ["at most 2000 characters"]
    if errors:
        raise InvalidInput("the fund is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    if session.scalar(select(m.Fund.id).where((m.Fund.code == code) | (m.Fund.name == name))) is not None:
        raise Conflict(f"a fund with code {code} or name {name} already exists", {"code": ["already exists"]})
    row = m.Fund(code=code, name=name, name_en=name_en or "", restricted=bool(restricted), purpose=purpose or "",
                 end_date=end_date, created_at=utc_now_text())
    session.add(row)
    session.flush()
    audit.record(session, actor, "fund.create", object_type="fund", object_id=code,
                 detail={"name": name, "restricted": bool(restricted), "purpose": purpose or ""})
    return to_fund(row)


def add_sub_account(session: Session, actor: Actor, *, parent: str, code: str, name: str, name_en: str = "") -> None:
    """A sub-account (明细科目) under ``parent``, of the same type and side: ``1002.01 银行存款-工商银行``."""
    _require_manager(actor)
    accounts = load_accounts(session)
    errors = sub_account_errors(accounts.get(parent), code, name)
    if errors:
        raise InvalidInput("; ".join(errors), {"code": errors})
    if code in accounts:
        raise Conflict(f"account {code} already exists")
    p = accounts[parent]
    session.add(m.Account(code=code, name=name.strip(), name_en=name_en, type=p.type.value,
                          normal_side=p.normal_side.value, monetary=p.monetary, parent_code=parent,
                          created_at=utc_now_text()))
    session.flush()
    audit.record(session, actor, "account.create", object_type="account", object_id=code,
                 detail={"parent": parent, "name": name.strip()})


def close_fund(session: Session, actor: Actor, fund_id: int, *, closed_on: date,
               today: date | None = None) -> m.Fund:
    """Close a fund whose work is done: from then on nothing is posted to it (the ledger's rules refuse, and the
    chart's version tells every process). Only an empty fund closes: nothing held or owed in it (every asset and
    liability account's balance in the fund is zero, nothing reserved) and no grant request waiting; on a day
    not before its last entry and not ahead of today. Closing is final, like a month's seal; the fund stays in
    every report of the time it was open. The general fund never closes."""
    _require_manager(actor)
    fund, last = check_close(session, fund_id, closed_on, today)
    fund.closed_on = closed_on
    session.flush()
    audit.record(session, actor, "fund.close", object_type="fund", object_id=fund.code,
                 detail={"name": fund.name, "closed_on": closed_on, "last_entry": last})
    return fund


def check_close(session: Session, fund_id: int, closed_on: date, today: date | None = None) -> tuple[m.Fund, date | None]:
    """The fund and its last entry's date, or the refusal :func:`close_fund` would give (a page asks this before
    it asks to confirm)."""
    fund = session.get(m.Fund, fund_id) if is_row_id(fund_id) else None
    if fund is None:
        raise NotFound(f"no fund {fund_id}")
    if fund.code == GENERAL_FUND_CODE:
        raise RuleBroken("the general fund stays open: it holds whatever no other fund is for", code="general_fund")
    if fund.closed_on is not None:
        raise Conflict(f"fund {fund.name} was closed on {fund.closed_on.isoformat()}", code="already_closed")
    today = today or local_today()
    last = session.scalar(select(func.max(m.Entry.accounting_date)).join(m.Posting, m.Posting.entry_id == m.Entry.id)
                          .where(m.Posting.fund_code == fund.code))
    if closed_on > today:
        raise InvalidInput(f"closed_on: {closed_on} is in the future",
                           {"closed_on": [Message("date.future", date=closed_on.isoformat())]})
    if last is not None and closed_on < as_date(last):
        raise InvalidInput(f"closed_on: before the fund's last entry ({as_date(last)})",
                           {"closed_on": [Message("fund.close_before_last", date=as_date(last).isoformat())]})
    accounts = load_accounts(session)
    held = {code: b for (code, f), b in stored_balances(session).items() if f == fund.code
            and accounts[code].type in (AccountType.ASSET, AccountType.LIABILITY)
            and (b.debits_posted != b.credits_posted or b.debits_pending != b.credits_pending)}
    if held:
        shown = ", ".join(f"{code} {accounts[code].name}" for code in sorted(held))
        raise RuleBroken(f"fund {fund.name} still holds or owes something ({shown}): spend, transfer or settle it first",
                         {"fund": [Message("fund.not_empty", accounts=shown)]}, code="fund_not_empty")
    waiting = session.scalar(select(func.count()).select_from(m.Disbursement).where(
        m.Disbursement.fund_code == fund.code, m.Disbursement.status.in_((SUBMITTED, APPROVED))))
    if waiting:
        raise RuleBroken(f"fund {fund.name} has {waiting} grant request(s) waiting: decide them first",
                         {"fund": [Message("fund.requests_waiting", count=waiting)]}, code="fund_has_requests")
    return fund, (as_date(last) if last is not None else None)
