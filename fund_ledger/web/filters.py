"""The templates' filters and helpers, in one place, registered once on the pages' blueprint.

Money: ``|amount`` (``100,000.00``), ``|yuan`` (``¥100,000.00``) and ``|capital`` (大写) from
:mod:`fund_ledger.ledger.money`, the same in both languages. Time: the database keeps UTC stamps; pages
show Beijing time (:data:`fund_ledger.clock.LOCAL_TZ`) with the zone marked: ``|local_time``
(``2026-11-27 10:00:01 UTC+8``, in a ``<time>`` holding the UTC instant). Dates: ``|day`` (ISO, as the
ledger writes them) and ``|long_date`` (``2026年11月27日`` / ``November 27, 2026``). Words: ``role_name``,
``audit_action_name``, ``|entry_code``, and ``message`` / ``field_errors`` for what a service says,
all through the gettext catalogue (:mod:`fund_ledger.http.i18n`).
"""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

from flask import Blueprint
from flask_babel import format_date, gettext, pgettext
from markupsafe import Markup

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


DETAIL_SHOWN = 80
"""Characters of an audit record's detail shown in the table (the whole of it is in the tooltip)."""
MONEY_KEYS = {"amount", "total", "budget", "spent", "returned"}
"""Detail fields that hold money in fen: shown as yuan."""


def _detail_value(key: str, value) -> str:
    if key in MONEY_KEYS and type(value) is int:
        return format_yuan(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_detail_value(k, v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "、".join(_detail_value("", v) for v in value)
    return "—" if value is None else str(value)


def short_detail(detail: str | None) -> str:
    """An audit record's detail as ``key: value`` pairs, money in yuan (the raw JSON stays in the cell's title)."""
    if not detail or detail == "{}":
        return "—"
    try:
        data = json.loads(detail)
        shown = " · ".join(f"{k}: {_detail_value(k, v)}" for k, v in data.items()) if isinstance(data, dict) else detail
    except ValueError:
        shown = detail
    return shown if len(shown) <= DETAIL_SHOWN else shown[:DETAIL_SHOWN - 1] + "…"


FILTERS = {"amount": amount, "yuan": yuan, "capital": capital, "local_time": local_time, "local_day": local_day,
           "day": day, "long_date": long_date, "entry_code": entry_code, "short_detail": short_detail}
GLOBALS = {"role_name": role_name, "audit_action_name": audit_action_name, "message": message,
           "field_errors": field_errors}


def register(bp: Blueprint) -> None:
    """Every filter and helper above, for every template of the app (called once, by ``web``)."""
    for name, f in FILTERS.items():
        bp.add_app_template_filter(f, name)
    for name, f in GLOBALS.items():
        bp.add_app_template_global(f, name)
