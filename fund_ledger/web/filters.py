"""The templates' filters and helpers, in one place, registered once on the pages' blueprint.

Money: ``|amount`` (``100,000.00``), ``|yuan`` (``¥100,000.00``) and ``|capital`` (大写) from
:mod:`fund_ledger.ledger.money`, the same in both languages. Time: the database keeps UTC stamps; pages
show Beijing time (:data:`fund_ledger.clock.LOCAL_TZ`) with the zone marked: ``|local_time``
(``2026-11-27 10:00:01 UTC+8``, in a ``<time>`` holding the UTC instant). Dates: ``|day`` (ISO, as the
ledger writes them) and ``|long_date`` (``2026年11月27日`` / ``November 27, 2026``). Words: ``role_name``,
``audit_action_name``, ``|entry_code``, ``person`` (a username shown as the person's name), ``fund_name``
(a fund code shown as the fund's name), ``|short_detail`` (an audit record's detail in words), and ``message`` /
``field_errors`` for what a service says, all through the gettext catalogue (:mod:`fund_ledger.http.i18n`);
``invalid`` marks a control whose field has a message (aria-invalid, aria-describedby).
"""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

from flask import Blueprint, g, has_request_context
from flask_babel import format_date, gettext, pgettext
from markupsafe import Markup
from sqlalchemy import select

from ..clock import LOCAL_TZ
from ..http.i18n import NP_, language
from ..ledger.entries import EntryCode
from ..ledger.money import format_amount, format_yuan, to_chinese_capital

# --- money -------------------------------------------------------------------------------------------


def amount(fen: int) -> str:
    return format_amount(fen)


def yuan(fen: int) -> str:
    return format_yuan(fen)


def capital(fen: int) -> str:
    return to_chinese_capital(fen)


# --- time and dates ----------------------------------------------------------------------------------

ZONE_MARK = "UTC+8"
"""How a page marks Beijing time (China Standard Time)."""


def _instant(at: str | datetime | None) -> datetime | None:
    """A stored UTC stamp (``2026-11-27T01:02:03.456789Z``, with or without a zone) as an aware datetime."""
    if at is None or at == "":
        return None
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def local_time(at: str | datetime | None) -> Markup | str:
    """A UTC stamp shown in Beijing time, to the second, with the zone marked."""
    instant = _instant(at)
    if instant is None:
        return at or ""
    utc = instant.astimezone(UTC)
    return Markup('<time datetime="{}">{} {}</time>').format(
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"), instant.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"), ZONE_MARK)


def local_minute(at: str | datetime | None) -> str:
    """A UTC stamp as Beijing time to the minute, plain text (``2026-11-27 10:00``): for tight columns."""
    instant = _instant(at)
    return instant.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if instant else (at or "")


def local_day(at: str | datetime | None) -> str:
    """The Beijing date of a UTC stamp (``2026-11-27``)."""
    instant = _instant(at)
    return instant.astimezone(LOCAL_TZ).date().isoformat() if instant else (at or "")


def day(value: date | str | None) -> str:
    """A date as the ledger writes it, in both languages: ``2026-11-27``."""
    return value.isoformat() if isinstance(value, date) else (value or "")


def long_date(value: date | None) -> str:
    """A date in words: ``2026年11月27日`` / ``November 27, 2026``."""
    return format_date(value, "long") if value else ""


# --- words -------------------------------------------------------------------------------------------

ROLES = {"admin": NP_("role", "Administrator"), "manager": NP_("role", "Fund manager"),
         "grantee": NP_("role", "Grantee"), "auditor": NP_("role", "Auditor")}
"""Role -> its name (msgids in the context ``role``: a grantee user, not a grantee organisation)."""

ENTRY_CODES = {
    EntryCode.OPENING: NP_("entry code", "Opening"),
    EntryCode.DONATION: NP_("entry code", "Donation"),
    EntryCode.DISBURSEMENT: NP_("entry code", "Disbursement"),
    EntryCode.RELEASE: NP_("entry code", "Release"),
    EntryCode.RETURN: NP_("entry code", "Return"),
    EntryCode.REVERSAL: NP_("entry code", "Reversal"),
    EntryCode.CLOSING: NP_("entry code", "Closing"),
    EntryCode.MANUAL: NP_("entry code", "Manual"),
}
"""Entry code -> its name on the pages (the PDFs keep ``ledger.entries.ENTRY_CODE_LABELS_ZH``)."""

AUDIT_ACTIONS = {  # action -> its name on the audit log page (msgids: the catalogue has the Chinese)
    "login": NP_("audit action", "log-in"),
    "login.throttled": NP_("audit action", "log-in throttled"),
    "logout": NP_("audit action", "log-out"),
    "access": NP_("audit action", "access"),
    "user.create": NP_("audit action", "user created"),
    "user.disable": NP_("audit action", "user disabled"),
    "user.enable": NP_("audit action", "user enabled"),
    "user.role": NP_("audit action", "role changed"),
    "user.change_password": NP_("audit action", "password changed"),
    "user.reset_password": NP_("audit action", "password reset"),
    "token.issue": NP_("audit action", "token issued"),
    "token.revoke": NP_("audit action", "token revoked"),
    "account.create": NP_("audit action", "account added"),
    "fund.create": NP_("audit action", "fund set up"),
    "entry.post": NP_("audit action", "entry posted"),
    "entry.reverse": NP_("audit action", "entry reversed"),
    "donor.create": NP_("audit action", "donor added"),
    "donation.record": NP_("audit action", "gift recorded"),
    "donation.import": NP_("audit action", "gifts imported"),
    "donation.refund": NP_("audit action", "gift refunded"),
    "donation.official_receipt": NP_("audit action", "official receipt recorded"),
    "pledge.create": NP_("audit action", "pledge added"),
    "organisation.create": NP_("audit action", "grantee registered"),
    "organisation.bank_account": NP_("audit action", "bank account updated"),
    "programme.create": NP_("audit action", "programme set up"),
    "programme.add_organisation": NP_("audit action", "added to programme"),
    "disbursement.submit": NP_("audit action", "request submitted"),
    "disbursement.approve": NP_("audit action", "approved"),
    "disbursement.reject": NP_("audit action", "rejected"),
    "disbursement.cancel": NP_("audit action", "cancelled"),
    "disbursement.pay": NP_("audit action", "paid"),
    "disbursement.acknowledge": NP_("audit action", "receipt acknowledged"),
    "disbursement.attach": NP_("audit action", "file attached"),
    "disbursement.report": NP_("audit action", "use report submitted"),
    "disbursement.report_received": NP_("audit action", "use report received"),
    "disbursement.report_sent_back": NP_("audit action", "use report sent back"),
    "period.close": NP_("audit action", "period closed"),
    "audit_report.issue": NP_("audit action", "audit report issued"),
}


def role_name(role: str | None) -> str:
    return pgettext("role", ROLES[role]) if role in ROLES else (role or "—")


def audit_action_name(action: str) -> str:
    return pgettext("audit action", AUDIT_ACTIONS[action]) if action in AUDIT_ACTIONS else action


def entry_code(code) -> str:
    try:
        code = EntryCode(getattr(code, "value", code))
    except ValueError:
        return str(code)
    return pgettext("entry code", ENTRY_CODES[code])


def message(text: str) -> Markup | str:
    """A service's message in the page's language: the catalogue's Chinese with the English beside it."""
    if isinstance(text, Markup):
        return text
    zh = gettext(text)
    return Markup("{} <small>{}</small>").format(zh, text) if zh != text and language() == "zh" else text


def field_errors(errors: dict | None, name: str) -> Markup:
    """A field's messages, for the field with ``aria-describedby="error-<name>"`` (macros ``field``)."""
    texts = (errors or {}).get(name) or []
    if not texts:
        return Markup("")
    joined = Markup("；" if language() == "zh" else "; ").join(message(x) for x in texts)
    return Markup('<span class="field-error" id="error-{}" role="alert">{}</span>').format(name, joined)


def invalid(errors: dict | None, *names: str) -> Markup:
    """The attributes of a control whose field has a message: `` aria-invalid="true"`` and
    ``aria-describedby`` naming the message (``field_errors``), so that a screen reader hears it without a
    script: ``<input name="amount"{{ invalid(errors, "amount") }}>``. With several names (a control whose
    messages come under more than one field), every message shown is named. Nothing when there is none."""
    shown = [name for name in names if (errors or {}).get(name)]
    if not shown:
        return Markup("")
    return Markup(' aria-invalid="true" aria-describedby="{}"').format(" ".join(f"error-{n}" for n in shown))


DETAIL_SHOWN = 120
"""Characters of an audit record's detail shown in the table (the whole of it is in the tooltip)."""
MONEY_KEYS = {"amount", "total", "budget", "spent", "returned"}
"""Detail fields that hold money in fen: shown as yuan."""
DIGEST_KEYS = {"sha256", "seal", "hash", "head_hash"}
"""Detail fields holding a digest: its first characters are enough to tell one from another."""
STAMP_KEYS = {"expires_at", "at"}
"""Detail fields holding a UTC stamp: shown in Beijing time."""

DETAIL_KEYS = {  # an audit record's detail field -> its name in words (context ``audit detail``)
    "amount": NP_("audit detail", "amount"), "total": NP_("audit detail", "total"),
    "budget": NP_("audit detail", "budget"), "spent": NP_("audit detail", "spent"),
    "returned": NP_("audit detail", "returned"), "reason": NP_("audit detail", "reason"),
    "entry": NP_("audit detail", "entry"), "reference": NP_("audit detail", "reference"),
    "paid_on": NP_("audit detail", "paid on"), "received_on": NP_("audit detail", "received on"),
    "starts_on": NP_("audit detail", "starts on"), "ends_on": NP_("audit detail", "ends on"),
    "approval": NP_("audit detail", "approvals"), "of": NP_("audit detail", "approvals needed"),
    "reserved": NP_("audit detail", "money reserved"), "released": NP_("audit detail", "reservation released"),
    "name": NP_("audit detail", "name"), "kind": NP_("audit detail", "kind"),
    "related_party": NP_("audit detail", "related party"), "count": NP_("audit detail", "count"),
    "number": NP_("audit detail", "number"), "restricted": NP_("audit detail", "restricted"),
    "purpose": NP_("audit detail", "purpose"), "parent": NP_("audit detail", "parent account"),
    "credit_code": NP_("audit detail", "credit code"), "role": NP_("audit detail", "role"),
    "organisation_id": NP_("audit detail", "organisation"), "organisation": NP_("audit detail", "organisation"),
    "scope": NP_("audit detail", "counted per"), "failures": NP_("audit detail", "failures"),
    "expires_at": NP_("audit detail", "expires"), "period": NP_("audit detail", "period"),
    "sha256": NP_("audit detail", "SHA-256"), "seal": NP_("audit detail", "seal"),
    "size": NP_("audit detail", "size"), "head_seq": NP_("audit detail", "last entry"),
    "entries": NP_("audit detail", "entries"), "donor_id": NP_("audit detail", "donor"),
    "fund": NP_("audit detail", "fund"), "file": NP_("audit detail", "file"), "rows": NP_("audit detail", "rows"),
    "report": NP_("audit detail", "use report"), "attachment": NP_("audit detail", "attachment"),
    "type": NP_("audit detail", "type"), "last": NP_("audit detail", "last entry"),
    "method": NP_("audit detail", "method"), "path": NP_("audit detail", "address"),
    "before": NP_("audit detail", "before"), "after": NP_("audit detail", "after"),
    "bank_name": NP_("audit detail", "bank"), "bank_account_ends": NP_("audit detail", "account ending"),
    "status": NP_("audit detail", "status"),
}
STATUS_WORDS = {"submitted": NP_("request status", "Submitted"), "approved": NP_("request status", "Approved"),
                "rejected": NP_("request status", "Rejected"), "cancelled": NP_("request status", "Cancelled"),
                "paid": NP_("request status", "Paid"), "acknowledged": NP_("request status", "Received")}
"""A request's status in a detail's ``from`` and ``to`` (the same msgids as the request pages')."""
YES, NO = NP_("audit detail", "yes"), NP_("audit detail", "no")


def _key_name(key: str) -> str:
    return pgettext("audit detail", DETAIL_KEYS[key]) if key in DETAIL_KEYS else key


def _status_word(status) -> str:
    return pgettext("request status", STATUS_WORDS[status]) if status in STATUS_WORDS else ("—" if status is None
                                                                                           else str(status))


def _detail_value(key: str, value) -> str:
    if isinstance(value, bool):
        return pgettext("audit detail", YES if value else NO)
    if key in MONEY_KEYS and type(value) is int:
        return format_yuan(value)
    if key == "role" and isinstance(value, str):
        return role_name(value)
    if key == "fund" and isinstance(value, str):
        return fund_name(value)
    if key in DIGEST_KEYS and isinstance(value, str) and len(value) > 16:
        return value[:12] + "…"
    if key in STAMP_KEYS and isinstance(value, str) and _instant(value) is not None:
        return _instant(value).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dict):
        return "（" + _pairs(value) + "）" if language() == "zh" else "(" + _pairs(value) + ")"
    if isinstance(value, list):
        return "、".join(_detail_value(key, v) for v in value)
    return "—" if value is None or value == "" else str(value)


def _pairs(data: dict) -> str:
    colon = "：" if language() == "zh" else ": "
    parts = []
    if "to" in data:  # a request's move: "submitted → approved"
        parts.append(f"{_status_word(data.get('from'))} → {_status_word(data['to'])}" if data.get("from")
                     else _status_word(data["to"]))
    shown = {k: v for k, v in data.items() if k not in ("from", "to")}
    if "approval" in shown and "of" in shown:  # the 1st of 2 approvals: "approvals: 1/2"
        shown["approval"] = f"{shown['approval']}/{shown.pop('of')}"
    parts += [f"{_key_name(k)}{colon}{_detail_value(k, v)}" for k, v in shown.items()]
    return "；".join(parts) if language() == "zh" else " · ".join(parts)


def short_detail(detail: str | None) -> str:
    """An audit record's detail in words, in the page's language: names for the fields, yuan for money,
    yes/no, statuses by name, Beijing time (the raw JSON stays in the cell's title)."""
    if not detail or detail == "{}":
        return "—"
    try:
        data = json.loads(detail)
    except ValueError:
        data = None
    shown = _pairs(data) if isinstance(data, dict) else detail
    return shown if len(shown) <= DETAIL_SHOWN else shown[:DETAIL_SHOWN - 1] + "…"


# --- people and funds by name ---------------------------------------------------------------------------

def _names(kind: str) -> dict[str, str]:
    """username -> display name, or fund code -> fund name: read once per request (both lists are short)."""
    key = f"_filters_{kind}_names"
    if key not in g:
        from ..db import models as m
        from ..http.db import db_session

        if kind == "people":
            rows = db_session().execute(select(m.User.username, m.User.display_name))
        else:
            rows = db_session().execute(select(m.Fund.code, m.Fund.name))
        setattr(g, key, {code: name for code, name in rows if name})
    return g.get(key)


def person(username: str | None) -> str:
    """Who did something, by their name (``users.display_name``); the username when they have none."""
    if not username:
        return "—"
    if not has_request_context():
        return username
    return _names("people").get(username, username)


def fund_name(code: str | None) -> str:
    """A fund by its name; the code when there is no such fund."""
    if not code:
        return "—"
    if not has_request_context():
        return code
    return _names("funds").get(code, code)


FILTERS = {"amount": amount, "yuan": yuan, "capital": capital, "local_time": local_time, "local_day": local_day,
           "local_minute": local_minute, "day": day, "long_date": long_date, "entry_code": entry_code,
           "short_detail": short_detail, "person": person, "fund_name": fund_name}
GLOBALS = {"role_name": role_name, "audit_action_name": audit_action_name, "message": message,
           "field_errors": field_errors, "invalid": invalid, "person": person, "fund_name": fund_name}


def register(bp: Blueprint) -> None:
    """Every filter and helper above, for every template of the app (called once, by ``web``)."""
    for name, f in FILTERS.items():
        bp.add_app_template_filter(f, name)
    for name, f in GLOBALS.items():
        bp.add_app_template_global(f, name)
