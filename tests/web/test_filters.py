"""The templates' filters (fund_ledger/web/filters.py): money as the ledger writes it, UTC stamps shown in
Beijing time with the zone marked, and names through the catalogue in the page's language."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fund_ledger.web import filters


def test_money_is_written_the_same_in_both_languages():
    assert filters.amount(10_000_000) == "100,000.00"
    assert filters.yuan(10_000_000) == "¥100,000.00" and filters.yuan(-500) == "-¥5.00"
    assert filters.capital(10_000_000) == "壹拾万元整"


@pytest.mark.parametrize("stamp", ["2026-11-27T02:00:01.123456Z", "2026-11-27T02:00:01+00:00", "2026-11-27 02:00:01",
                                   datetime(2026, 11, 27, 2, 0, 1, tzinfo=UTC)])
def test_a_utc_stamp_is_shown_in_beijing_time_with_the_zone_marked(stamp):
    shown = filters.local_time(stamp)
    assert shown == '<time datetime="2026-11-27T02:00:01Z">2026-11-27 10:00:01 UTC+8</time>'


def test_beijing_time_can_be_the_next_day():
    assert "2026-11-28 07:30:00 UTC+8" in filters.local_time("2026-11-27T23:30:00Z")
    assert filters.local_day("2026-11-27T23:30:00Z") == "2026-11-28"
    assert filters.local_time(None) == "" and filters.local_time("not a time") == "not a time"
    assert filters.day(date(2026, 11, 27)) == "2026-11-27"


@pytest.mark.parametrize("lang, role, action, long", [
    ("zh", "审计人员", "新建用户", "2026年11月27日"), ("en", "Auditor", "user created", "November 27, 2026"),
])
def test_names_and_dates_speak_the_pages_language(app, lang, role, action, long):
    with app.test_request_context(f"/overview?lang={lang}"):
        assert filters.role_name("auditor") == role and filters.role_name("nobody") == "nobody"
        assert filters.audit_action_name("user.create") == action
        assert filters.long_date(date(2026, 11, 27)) == long
        assert filters.entry_code("donation") == ("捐赠" if lang == "zh" else "Donation")


def test_a_service_message_the_catalogue_knows_is_translated_with_the_english_beside(app):
    with app.test_request_context("/account"):
        assert filters.message("does not match") == "两次输入不一致 <small>does not match</small>"
        assert filters.message("something new") == "something new"
        shown = filters.field_errors({"password": ["at least 10 characters"]}, "password")
        assert shown == ('<span class="field-error" id="error-password" role="alert">至少 10 个字符 '
                         '<small>at least 10 characters</small></span>')
    with app.test_request_context("/account?lang=en"):
        assert filters.message("does not match") == "does not match"
