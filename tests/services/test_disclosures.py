"""Published items (信息公开), on both databases: kept as published, corrections beside what they correct,
bad input refused with nothing written, copies checked by SHA-256, and the calendar read from the books."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from fund_ledger.db import models as m
from fund_ledger.services import disclosures as svc
from fund_ledger.services.actor import Actor
from fund_ledger.services.errors import Forbidden, InvalidInput, RuleBroken
from fund_ledger.services.programmes import create_programme
from tests.factories import MANAGER, gift_draft, make_fund, post, tiny_pdf

PDF = tiny_pdf()


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(m.PublishedItem))


def test_published_items_refuse_update_and_delete_in_the_database(session):
    row = svc.publish(session, MANAGER, kind="annual_report", title="2026年度工作报告", period="2026", pdf=PDF)
    svc.publish(session, MANAGER, kind="other", title="公告", body="正文")
    session.commit()
    for statement in ("UPDATE published_items SET title = 'rewritten'", "UPDATE published_items SET pdf = :b",
                      "DELETE FROM published_items", f"DELETE FROM published_items WHERE id = {row.id}"):
        session.begin()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement), {"b": b"%PDF-forged"})
        session.rollback()
    session.begin()
    assert session.scalar(select(m.PublishedItem.sha256).where(m.PublishedItem.id == row.id)) == hashlib.sha256(PDF).hexdigest()
    assert _count(session) == 2


def test_a_correction_names_what_it_corrects_and_both_stay_listed(session):
    first = svc.publish(session, MANAGER, kind="project_update", title="童梦童行 第一次进展", body="支出 1000 元")
    fix = svc.publish(session, MANAGER, kind="project_update", title="更正：童梦童行 第一次进展", body="支出 1100 元",
                      corrects_id=first.id)
    items = {i["ref"]: i for i in svc.public_items(session)}
    assert items[f"item:{fix.id}"]["corrects"] == {"id": first.id, "title": "童梦童行 第一次进展"}
    assert items[f"item:{first.id}"]["corrected_by"] == [fix.id]
    assert items[f"item:{first.id}"]["body"] == "支出 1000 元"  # the original is unchanged
    with pytest.raises(RuleBroken) as info:
        svc.publish(session, MANAGER, kind="other", title="x", body="y", corrects_id=999)
    assert info.value.errors == {"corrects_id": ["no such item"]}


@pytest.mark.parametrize("kwargs, field", [
    ({}, "file"),                                       # neither a file nor a text
    ({"pdf": b""}, "file"),
    ({"pdf": b"<html>not a pdf</html>"}, "file"),
    ({"pdf": PDF, "body": "both"}, "body"),
])
def test_bad_input_is_refused_and_nothing_is_written(session, kwargs, field):
    with pytest.raises(InvalidInput) as info:
        svc.publish(session, MANAGER, kind="other", title="公告", **kwargs)
    assert field in info.value.errors
    assert _count(session) == 0


def test_only_a_manager_publishes(session):
    with pytest.raises(Forbidden):
        svc.publish(session, Actor("auditor", "auditor"), kind="other", title="x", body="y")


def test_a_changed_copy_is_not_genuine(session):
    row = svc.publish(session, MANAGER, kind="annual_report", title="2026年度工作报告", period="2026", pdf=PDF)
    genuine = svc.verify_file(session, PDF)
    assert (genuine["genuine"], genuine["item_id"], genuine["kind"]) == (True, row.id, "annual_report")
    changed = svc.verify_file(session, PDF.replace(b"obj", b"0bj", 1))
    assert changed["genuine"] is False and changed["item_id"] is None
    assert svc.verify_file(session, "正文".encode())["genuine"] is False
    text_item = svc.publish(session, MANAGER, kind="other", title="公告", body="正文")
    assert svc.verify_file(session, "正文".encode())["item_id"] == text_item.id


def test_the_calendar_reads_the_books(session, set_today):
    make_fund(session)
    post(session, gift_draft("AILILIANG", 500_00, date(2026, 9, 8)))
    programme = create_programme(session, MANAGER, name="童梦童行", fund="AILILIANG", budget=10_000_00,
                                 starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    svc.publish(session, MANAGER, kind="project_update", title="第一次", body="进展",
                duty=f"project_update:{programme.id}:1")
    set_today(date(2027, 6, 1))
    states = {s.duty.key: s for s in svc.disclosure_calendar(session, date(2027, 6, 1))}
    assert states["annual_report:2026"].state == "late" and states["annual_report:2026"].days == 1
    first = states[f"project_update:{programme.id}:1"]
    assert first.state == "done_late" and first.days == (date(2026, 11, 27) - date(2026, 4, 1)).days
    assert states[f"leftover:{programme.id}"].state == "late"  # due 2027-03-31
    assert not any(k.startswith("related_party") for k in states)
