"""The manager's texts of the notes to the financial statements, on both databases: a save is a new version and the
old ones stay (the database refuses to change them), the same text again writes nothing, only a manager writes,
and bad input (too long, control characters, a year outside the books, an unknown section) is refused naming the
field, with nothing written."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from fund_ledger.db import models as m
from fund_ledger.services import report_texts as svc
from fund_ledger.services.actor import Actor
from fund_ledger.services.errors import Forbidden, InvalidInput
from tests.factories import TODAY, gift_draft, post

MANAGER, MANAGER2 = Actor("manager", "manager"), Actor("manager2", "manager")


def _rows(session) -> int:
    return session.scalar(select(func.count()).select_from(m.ReportText))


def _audit(session) -> int:
    return session.scalar(select(func.count()).select_from(m.AuditLog).where(m.AuditLog.action == "report_text.save"))


def test_each_save_is_a_new_version_and_the_history_is_kept(session):
    first, written = svc.save(session, MANAGER, 2026, "policies", "本基金执行《民间非营利组织会计制度》。", today=TODAY)
    assert written and first.written_by == "manager"
    second, written = svc.save(session, MANAGER2, 2026, "policies", "本基金执行《民间非营利组织会计制度》。\r\n捐赠按收款日确认。",
                               today=TODAY)
    assert written and second.id != first.id
    assert second.body == "本基金执行《民间非营利组织会计制度》。\n捐赠按收款日确认。"  # CRLF from a form kept as lines
    assert second.paragraphs == ["本基金执行《民间非营利组织会计制度》。", "捐赠按收款日确认。"]
    current = svc.current(session, 2026)
    assert list(current) == ["policies", "events", "other"]
    assert current["policies"] == second and current["events"] is None and current["other"] is None
    history = svc.history(session, 2026, "policies")
    assert [(v.id, v.written_by) for v in history] == [(second.id, "manager2"), (first.id, "manager")]
    assert history[1].body == "本基金执行《民间非营利组织会计制度》。"  # the first version, as written
    assert svc.current(session, 2025)["policies"] is None  # another year has its own texts
    assert _audit(session) == 2


def test_the_same_text_again_writes_nothing(session):
    svc.save(session, MANAGER, 2026, "events", "十月收到爱力量捐赠十万元。", today=TODAY)
    before = (_rows(session), _audit(session))
    version, written = svc.save(session, MANAGER2, 2026, "events", "  十月收到爱力量捐赠十万元。\n", today=TODAY)
    assert not written and version.written_by == "manager"
    assert (_rows(session), _audit(session)) == before
    # an empty text where nothing was written yet is nothing to write either
    assert svc.save(session, MANAGER, 2026, "other", "", today=TODAY) == (None, False)
    assert (_rows(session), _audit(session)) == before
    # clearing a written text is a new (empty) version
    version, written = svc.save(session, MANAGER, 2026, "events", "", today=TODAY)
    assert written and version.body == "" and version.paragraphs == []
    assert len(svc.history(session, 2026, "events")) == 2


def test_saved_versions_cannot_be_changed_or_deleted(session):
    version, _ = svc.save(session, MANAGER, 2026, "policies", "原文", today=TODAY)
    session.commit()
    for statement in ("UPDATE report_texts SET body = '改过' WHERE id = :id", "DELETE FROM report_texts WHERE id = :id"):
        with pytest.raises(DBAPIError):
            with session.begin_nested():
                session.execute(text(statement), {"id": version.id})
    session.rollback()
    assert svc.current(session, 2026)["policies"].body == "原文"


@pytest.mark.parametrize("role", ["auditor", "grantee", "admin", "anonymous"])
def test_only_a_manager_writes(session, role):
    with pytest.raises(Forbidden):
        svc.save(session, Actor("someone", role), 2026, "policies", "我来写", today=TODAY)
    assert _rows(session) == 0


@pytest.mark.parametrize("field, year, section, body, code", [
    ("body", 2026, "policies", "x" * 20_001, "text.too_long"),
    ("body", 2026, "policies", "响铃\x07字符", "text.control"),
    ("body", 2026, "policies", "方向\u202e覆盖", "text.control"),
    ("body", 2026, "policies", "空\x00字符", "text.nul"),
    ("body", 2026, "policies", 12345, "text.type"),
    ("year", 2027, "policies", "明年", "report_text.year"),
    ("year", 1999, "policies", "账簿之前", "report_text.year"),
    ("year", "2026", "policies", "文字年份", "report_text.year"),
    ("section", 2026, "notes", "未知部分", "choice"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(session, field, year, section, body, code):
    with pytest.raises(InvalidInput) as refused:
        svc.save(session, MANAGER, year, section, body, today=TODAY)
    assert list(refused.value.errors) == [field]
    assert refused.value.errors[field][0].code == code
    assert _rows(session) == 0 and _audit(session) == 0


def test_tabs_newlines_and_the_limit_itself_are_accepted(session):
    body = "第一段\t缩进\n" + "字" * (20_000 - 7)
    version, written = svc.save(session, MANAGER, 2026, "other", body, today=TODAY)
    assert written and len(version.body) == 20_000


def test_the_years_are_those_of_the_books_or_this_one(session):
    assert svc.years(session, TODAY) == (2026, 2026)  # empty books: this year only
    post(session, gift_draft(day=date(2024, 3, 1)))
    assert svc.years(session, TODAY) == (2024, 2026)
    version, written = svc.save(session, MANAGER, 2024, "events", "2024 年的重大事项", today=TODAY)
    assert written and version.year == 2024
    with pytest.raises(InvalidInput):
        svc.save(session, MANAGER, 2023, "events", "账簿之前", today=TODAY)
