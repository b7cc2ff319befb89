"""After the money leaves: use reports and returns, attachments, grant programmes and bank accounts.

Both databases. Every refusal changes nothing; every accepted step moves money exactly as a fund
manager expects and tells the same story in the request's events, the audit log and the ledger.
"""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from fund_ledger.db import models as m
from fund_ledger.db.repository import money_by_fund
from fund_ledger.reports.trial_balance import build_trial_balance
from fund_ledger.services import attachments as att
from fund_ledger.services import disbursements as d
from fund_ledger.services import programmes as p
from fund_ledger.services.actor import Actor
from fund_ledger.services.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken
from fund_ledger.services.organisations import update_bank_account
from fund_ledger.services.tracing import trace_fund
from fund_ledger.services.verify import verify_ledger
from tests.factories import TODAY, make_fund

MANAGER, MANAGER2 = Actor("manager", "manager"), Actor("manager2", "manager")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def world(session):
    from fund_ledger.services.organisations import create_organisation

    from fund_ledger.services.donations import Gift, create_donor, record_donation

    make_fund(session)
    donor = create_donor(session, MANAGER, name="张店区女企业家协会", kind="organisation")
    for fen, day in ((60_000_00, date(2026, 9, 8)), (40_000_00, date(2026, 9, 20))):
        record_donation(session, MANAGER, Gift(donor_id=donor.id, fund="AILILIANG", amount=fen, received_on=day,
                                               channel="bank"), today=TODAY)
    zhuren = create_organisation(session, MANAGER, name="筑仁成长公益服务中心", credit_code="52370303MJD123451B")
    other = create_organisation(session, MANAGER, name="等等心灵公益服务中心", credit_code="52370303MJD234562N")
    return {"grantee": Actor("zhuren", "grantee", zhuren.id), "org": zhuren.id, "other_org": other.id,
            "stranger": Actor("dengdeng", "grantee", other.id)}


def _paid(session, world, amount=30_000_00, acknowledged=True, **kw):
    row = d.submit(session, world["grantee"], organisation_id=world["org"], fund="AILILIANG", amount=amount,
                   purpose="困境儿童帮扶项目", today=TODAY, **kw)
    d.approve(session, MANAGER, row.id)
    if row.status == "submitted":  # above the threshold: a second manager
        d.approve(session, MANAGER2, row.id)
    d.pay(session, MANAGER, row.id, paid_on=date(2026, 10, 20), reference="HD-001", today=TODAY)
    if acknowledged:
        d.acknowledge(session, world["grantee"], row.id, received_on=date(2026, 10, 21), today=TODAY)
    return row


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# ------------------------------------------------------------------------------------------- use reports

def test_a_report_with_money_returned_puts_it_back_into_the_fund_and_its_restriction(session, world):
    row = _paid(session, world)
    report = d.submit_report(session, world["grantee"], row.id, spent=27_500_00, returned=2_500_00,
                             narrative="为32名困境儿童购买学习用品，余款退回",
                             lines=[{"item": "学习用品", "amount": 20_000_00}, {"item": "交通", "amount": 7_500_00}])
    assert report.status == "submitted" and money_by_fund(session)["AILILIANG"].balance == 70_000_00
    d.receive_report(session, MANAGER, row.id, note="票据齐全", returned_on=date(2026, 11, 20),
                     return_reference="TH-7", today=TODAY)
    assert report.status == "received" and report.decided_by == "manager"
    pos = money_by_fund(session)["AILILIANG"]
    assert (pos.balance, pos.available) == (72_500_00, 72_500_00)
    tb = {a.code: a for a in build_trial_balance(session, today=TODAY).accounts}
    assert tb["5101"].debit - tb["5101"].credit == 27_500_00  # the grant expense is what was spent
    assert tb["3101"].credit - tb["3101"].debit == 27_500_00  # and only that much was released
    entry = session.get(m.Entry, report.return_entry_id)
    assert entry.code == "return" and "TH-7" in entry.memo and entry.accounting_date == date(2026, 11, 20)
    assert [e.action for e in d.events(session, row)] == ["submit", "approve", "pay", "acknowledge", "report",
                                                          "report_received"]
    trace = trace_fund(session, "AILILIANG")
    assert trace.net[row.id] == 27_500_00 and sum(a.amount for a in trace.allocations) == 27_500_00
    assert verify_ledger(session).ok


def test_a_report_without_return_posts_nothing(session, world):
    row = _paid(session, world)
    d.submit_report(session, world["grantee"], row.id, spent=30_000_00, returned=0, narrative="全部用于项目")
    entries = _count(session, m.Entry)
    report = d.receive_report(session, MANAGER, row.id)
    assert report.status == "received" and report.return_entry_id is None and _count(session, m.Entry) == entries


def test_money_returned_flows_on_to_the_next_grant_in_tracing(session, world):
    first = _paid(session, world, 70_000_00)
    d.submit_report(session, world["grantee"], first.id, spent=50_000_00, returned=20_000_00, narrative="余款退回")
    d.receive_report(session, MANAGER, first.id, returned_on=date(2026, 11, 1), return_reference="R1", today=TODAY)
    second = _paid(session, world, 45_000_00)
    trace = trace_fund(session, "AILILIANG")
    by_grant = {g: sorted(a.amount for a in trace.allocations if a.grant == g) for g in (first.id, second.id)}
    assert by_grant[first.id] == [50_000_00]  # drawn on the oldest gift only
    assert sum(by_grant[second.id]) == 45_000_00 and trace.total_grants == 95_000_00


@pytest.mark.parametrize("case", ["before_acknowledged", "sums_differ", "lines_differ", "negative", "no_narrative",
                                  "another_org", "twice"])
def test_bad_reports_are_refused_and_change_nothing(session, world, case):
    row = _paid(session, world, acknowledged=case != "before_acknowledged")
    if case == "twice":
        d.submit_report(session, world["grantee"], row.id, spent=30_000_00, returned=0, narrative="ok")
    reports, events = _count(session, m.DisbursementReport), _count(session, m.DisbursementEvent)
    args = {"spent": 30_000_00, "returned": 0, "narrative": "用于项目", "lines": None}
    who, error = world["grantee"], InvalidInput
    if case == "before_acknowledged":
        error = RuleBroken
    elif case == "sums_differ":
        args["returned"] = 1
    elif case == "lines_differ":
        args["lines"] = [{"item": "书", "amount": 1_00}]
    elif case == "negative":
        args.update(spent=30_000_01, returned=-1)
    elif case == "no_narrative":
        args["narrative"] = "   "
    elif case == "another_org":
        who, error = world["stranger"], NotFound
    elif case == "twice":
        error = Conflict
    with pytest.raises(error) as caught:
        d.submit_report(session, who, row.id, **args)
    if error is InvalidInput:
        assert caught.value.errors, "the refusal names the field"
    assert (_count(session, m.DisbursementReport), _count(session, m.DisbursementEvent)) == (reports, events)


def test_a_report_sent_back_can_be_submitted_again(session, world):
    row = _paid(session, world)
    d.submit_report(session, world["grantee"], row.id, spent=30_000_00, returned=0, narrative="初稿")
    with pytest.raises(InvalidInput):  # sending back needs a reason
        d.send_back_report(session, MANAGER, row.id, "")
    d.send_back_report(session, MANAGER, row.id, "请补充票据")
    again = d.submit_report(session, world["grantee"], row.id, spent=29_000_00, returned=1_000_00, narrative="补充后")
    assert d.current_report(session, row).id == again.id
    with pytest.raises(InvalidInput) as caught:  # money returned needs the day it came back and its reference
        d.receive_report(session, MANAGER, row.id, today=TODAY)
    assert set(caught.value.errors) == {"returned_on", "return_reference"}
    with pytest.raises(InvalidInput):  # not before the payment
        d.receive_report(session, MANAGER, row.id, returned_on=date(2026, 10, 1), return_reference="R", today=TODAY)
    d.receive_report(session, MANAGER, row.id, returned_on=TODAY, return_reference="R", today=TODAY)
    with pytest.raises(RuleBroken):
        d.receive_report(session, MANAGER, row.id, returned_on=TODAY, return_reference="R", today=TODAY)
    assert money_by_fund(session)["AILILIANG"].balance == 71_000_00


def test_only_a_manager_who_did_not_write_it_decides_on_a_report(session, world):
    row = _paid(session, world)
    d.submit_report(session, MANAGER, row.id, spent=30_000_00, returned=0, narrative="代填")
    with pytest.raises(Forbidden):
        d.receive_report(session, world["grantee"], row.id)
    with pytest.raises(RuleBroken):
        d.receive_report(session, MANAGER, row.id)
    assert d.receive_report(session, MANAGER2, row.id).status == "received"


def test_a_report_is_never_edited_behind_the_service(session, world):
    from sqlalchemy import text

    row = _paid(session, world)
    report = d.submit_report(session, world["grantee"], row.id, spent=30_000_00, returned=0, narrative="原文")
    with pytest.raises(Exception, match="never edited"):
        with session.begin_nested():
            session.execute(text("UPDATE disbursement_reports SET spent = 1 WHERE id = :i"), {"i": report.id})
    d.receive_report(session, MANAGER, row.id)
    with pytest.raises(Exception, match="never edited"):  # decided once
        with session.begin_nested():
            session.execute(text("UPDATE disbursement_reports SET status = 'sent_back' WHERE id = :i"), {"i": report.id})


# ------------------------------------------------------------------------------------------- attachments

@pytest.mark.parametrize("name,data,kind", [("预算.pdf", PDF, "application/pdf"), ("现场.PNG", PNG, "image/png"),
                                            ("收据.jpeg", JPEG, "image/jpeg"), ("发票.jpg", JPEG, "image/jpeg")])
def test_pdfs_and_images_are_kept_with_their_digest(session, world, name, data, kind):
    row = d.submit(session, world["grantee"], organisation_id=world["org"], fund="AILILIANG", amount=1_00,
                   purpose="p", today=TODAY)
    a = att.add_attachment(session, world["grantee"], row.id, filename=name, data=data, declared_type=kind)
    got = att.get_attachment(session, MANAGER, row.id, a.id)
    assert (got.filename, got.content_type, got.size, bytes(got.data)) == (name, kind, len(data), data)
    import hashlib
    assert got.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("name,data,declared,field_error", [
    ("a.pdf", b"<html><script>alert(1)</script></html>", "application/pdf", "only PDF, PNG or JPEG"),
    ("a.html", PDF, "text/html", "mislabelled"),
    ("photo.png", PDF, "image/png", "mislabelled"),
    ("scan.pdf", PNG, None, "mislabelled"),
    ("scan.pdf", PDF, "image/png", "mislabelled"),
    ("empty.pdf", b"", None, "the file is empty"),
    ("../../..", PDF, None, "a file name is required"),
    ("big.pdf", PDF + b"0" * (1024 * 1024 + 1), None, "too large"),
])
def test_bad_or_mislabelled_files_are_refused_by_name(session, world, monkeypatch, name, data, declared, field_error):
    monkeypatch.setenv("FUND_LEDGER_ATTACHMENT_MAX_MB", "1")
    row = d.submit(session, world["grantee"], organisation_id=world["org"], fund="AILILIANG", amount=1_00,
                   purpose="p", today=TODAY)
    with pytest.raises(InvalidInput) as caught:
        att.add_attachment(session, world["grantee"], row.id, filename=name, data=data, declared_type=declared)
    assert caught.value.errors["file"] == [field_error]
    assert _count(session, m.DisbursementAttachment) == 0


def test_a_file_name_cannot_reach_outside_or_carry_controls(session, world):
    row = d.submit(session, world["grantee"], organisation_id=world["org"], fund="AILILIANG", amount=1_00,
                   purpose="p", today=TODAY)
    a = att.add_attachment(session, world["grantee"], row.id, filename="..\\..\\etc/pass\u202ewd\x00.pdf", data=PDF)
    assert a.filename == "passwd.pdf"


def test_attachments_belong_to_their_organisation(session, world):
    row = d.submit(session, world["grantee"], organisation_id=world["org"], fund="AILILIANG", amount=1_00,
                   purpose="p", today=TODAY)
    a = att.add_attachment(session, world["grantee"], row.id, filename="a.pdf", data=PDF)
    with pytest.raises(NotFound):
        att.get_attachment(session, world["stranger"], row.id, a.id)
    with pytest.raises(NotFound):
        att.add_attachment(session, world["stranger"], row.id, filename="b.pdf", data=PDF)
    other = d.submit(session, MANAGER, organisation_id=world["other_org"], fund="AILILIANG", amount=1_00,
                     purpose="p", today=TODAY)
    with pytest.raises(NotFound):  # an attachment is found only under its own request
        att.get_attachment(session, MANAGER, other.id, a.id)
    with pytest.raises(Forbidden):
        att.add_attachment(session, Actor("auditor", "auditor"), row.id, filename="c.pdf", data=PDF)
    d.cancel(session, world["grantee"], row.id)
    with pytest.raises(RuleBroken):
        att.add_attachment(session, world["grantee"], row.id, filename="d.pdf", data=PDF)


def test_a_report_takes_its_own_attachments_until_decided(session, world):
    row = _paid(session, world)
    report = d.submit_report(session, world["grantee"], row.id, spent=30_000_00, returned=0, narrative="见附件")
    a = att.add_attachment(session, world["grantee"], row.id, filename="票据.pdf", data=PDF, report_id=report.id)
    assert a.report_id == report.id
    d.receive_report(session, MANAGER, row.id)
    with pytest.raises(RuleBroken):
        att.add_attachment(session, world["grantee"], row.id, filename="late.pdf", data=PDF, report_id=report.id)


# ------------------------------------------------------------------------------------------- programmes

@pytest.fixture
def programme(session, world):
    return p.create_programme(session, MANAGER, name="2026困境儿童关爱行动", fund="AILILIANG", budget=50_000_00,
                              starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), organisation_ids=[world["org"]])


def test_a_programme_never_commits_more_than_its_budget(session, world, programme):
    first = _paid(session, world, 40_000_00, programme_id=programme.id)
    assert first.programme_id == programme.id
    second = d.submit(session, world["grantee"], organisation_id=world["org"], fund="AILILIANG", amount=20_000_00,
                      purpose="二期", programme_id=programme.id, today=TODAY)
    assert p.usage(session, programme.id) == p.Usage(50_000_00, 20_000_00, 40_000_00)
    with pytest.raises(RuleBroken, match="budget"):
        d.approve(session, MANAGER, second.id)
    assert second.status == "submitted" and money_by_fund(session)["AILILIANG"].reserved == 0
    d.submit_report(session, world["grantee"], first.id, spent=30_000_00, returned=10_000_00, narrative="余款退回")
    d.receive_report(session, MANAGER, first.id, returned_on=TODAY, return_reference="R", today=TODAY)
    assert d.approve(session, MANAGER, second.id).status == "approved"  # money returned freed the budget
    assert p.usage(session, programme.id).room == 0


@pytest.mark.parametrize("case", ["not_member", "other_fund", "outside_dates", "no_programme"])
def test_requests_outside_a_programme_are_refused(session, world, programme, case):
    make_fund(session, code="TONGMENG", name="童梦童行")
    args = {"organisation_id": world["org"], "fund": "AILILIANG", "programme_id": programme.id, "today": TODAY}
    who = world["grantee"]
    if case == "not_member":
        who, args["organisation_id"] = world["stranger"], world["other_org"]
    elif case == "other_fund":
        args["fund"] = "TONGMENG"
    elif case == "outside_dates":
        args["today"] = date(2027, 1, 1)
    else:
        args["programme_id"] = 2**40
    with pytest.raises(InvalidInput) as caught:
        d.submit(session, who, amount=1_00, purpose="p", **args)
    assert "programme_id" in caught.value.errors
    assert _count(session, m.Disbursement) == 0


@pytest.mark.parametrize("field,kw", [("name", {"name": " "}), ("fund_id", {"fund": "NOPE"}), ("budget", {"budget": 0}),
                                      ("ends_on", {"ends_on": date(2025, 1, 1)}), ("organisation_ids", {"organisation_ids": [999]})])
def test_bad_programmes_are_refused_by_field(session, world, field, kw):
    args = dict(name="项目", fund="AILILIANG", budget=1_00, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    args.update(kw)
    with pytest.raises(InvalidInput) as caught:
        p.create_programme(session, MANAGER, **args)
    assert field in caught.value.errors and _count(session, m.GrantProgramme) == 0


def test_programme_membership_is_managed_by_managers(session, world, programme):
    with pytest.raises(Forbidden):
        p.add_organisation(session, world["grantee"], programme.id, world["other_org"])
    with pytest.raises(Conflict):
        p.add_organisation(session, MANAGER, programme.id, world["org"])
    p.add_organisation(session, MANAGER, programme.id, world["other_org"])
    assert [o.id for o in p.members(session, programme.id)] == sorted([world["org"], world["other_org"]],
                                                                        key=lambda i: session.get(m.Organisation, i).name)
    assert [x.id for x in p.programmes_for(session, world["other_org"])] == [programme.id]


# ------------------------------------------------------------------------------------------- bank accounts

def test_bank_accounts_are_checked_and_logged_without_the_full_number(session, world):
    with pytest.raises(InvalidInput) as caught:
        update_bank_account(session, MANAGER, world["org"], bank_name="", bank_account="12ab")
    assert set(caught.value.errors) == {"bank_name", "bank_account"}
    with pytest.raises(Forbidden):
        update_bank_account(session, world["grantee"], world["org"], bank_name="x", bank_account="1234567890")
    org = update_bank_account(session, MANAGER, world["org"], bank_name="淄博农商银行张店支行",
                              bank_account="6228 4801 2345 6789 012")
    assert org.bank_account == "6228480123456789012"
    logged = session.scalar(select(m.AuditLog.detail).where(m.AuditLog.action == "organisation.bank_account"))
    assert "6228480123456789012" not in logged and json.loads(logged)["after"]["bank_account_ends"] == "9012"
