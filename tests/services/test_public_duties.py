"""The fund's public duties read from the books, on both databases: related-party transactions (from the register,
through ``related_parties.transactions``) and major transactions (from the threshold setting) are disclosure
duties due 30 days after the transaction; a published item naming the duty answers it; the threshold is a
manager's setting, audited, and nothing is major while it is unset."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from fund_ledger.db import models as m
from fund_ledger.services import disbursements as d
from fund_ledger.services import disclosures as svc
from fund_ledger.services import related_parties as rp
from fund_ledger.services import settings
from fund_ledger.services.actor import Actor
from fund_ledger.services.donations import Gift, create_donor, record_donation, refund_donation
from fund_ledger.services.errors import Forbidden, InvalidInput
from fund_ledger.services.organisations import create_organisation
from tests.factories import MANAGER, TODAY, make_fund

MANAGER2 = Actor("manager2", "manager")


def _pay(session, grantee, org_id, fen, paid_on):
    row = d.submit(session, grantee, organisation_id=org_id, fund="AILILIANG", amount=fen, purpose="困境儿童帮扶",
                   today=TODAY)
    d.approve(session, MANAGER, row.id)
    if row.status == "submitted":
        d.approve(session, MANAGER2, row.id)
    d.pay(session, MANAGER, row.id, paid_on=paid_on, reference=f"HD-{row.id}", today=TODAY)
    return row


@pytest.fixture
def books(session):
    """A related organisation paid a grant on 2026-10-20 that returned ¥2,500 on 2026-11-20; a donor who is not
    related gave ¥80,000 and ¥5,000; an officer gave ¥20,000 (registered), refunded on 2026-11-02."""
    make_fund(session)
    org = create_organisation(session, MANAGER, name="筑仁成长公益服务中心", credit_code="52370303MJD123451B")
    grantee = Actor("zhuren", "grantee", org.id)
    stranger = create_donor(session, MANAGER, name="某企业", kind="organisation")
    officer = create_donor(session, MANAGER, name="王理事", kind="person")
    gifts = {}
    for key, donor, fen, day in (("big", stranger, 80_000_00, date(2026, 9, 1)), ("small", stranger, 5_000_00,
                                 date(2026, 9, 2)), ("officer", officer, 20_000_00, date(2026, 9, 5))):
        gifts[key] = record_donation(session, MANAGER, Gift(donor_id=donor.id, fund="AILILIANG", amount=fen,
                                                            received_on=day, channel="bank"), today=TODAY)
    rp.register(session, MANAGER, name="", kind="organisation", relation="理事长任负责人", organisation_id=org.id)
    rp.register(session, MANAGER, name="", kind="person", relation="理事", donor_id=officer.id)
    grant = _pay(session, grantee, org.id, 30_000_00, date(2026, 10, 20))
    d.acknowledge(session, grantee, grant.id, received_on=date(2026, 10, 21), today=TODAY)
    d.submit_report(session, grantee, grant.id, spent=27_500_00, returned=2_500_00, narrative="余款退回",
                    lines=[{"item": "学习用品", "amount": 27_500_00}])
    d.receive_report(session, MANAGER, grant.id, returned_on=date(2026, 11, 20), return_reference="TH-7", today=TODAY)
    refund_donation(session, MANAGER, gifts["officer"].id, "捐赠人要求退回", on=date(2026, 11, 2), today=TODAY)
    return {"grant": grant, "gifts": gifts, "org": org, "grantee": grantee}


def _states(session, today):
    return {s.duty.key: s for s in svc.disclosure_calendar(session, today)}


def test_grants_to_a_related_organisation_and_its_return_are_duties_due_in_30_days(session, books):
    grant, officer_gift = books["grant"], books["gifts"]["officer"]
    states = _states(session, date(2026, 11, 27))
    paid, returned = states[f"related_party:grant:{grant.id}"], states[f"related_party:return:{grant.id}"]
    assert (paid.duty.due, paid.state, paid.days) == (date(2026, 11, 19), "late", 8)
    assert (returned.duty.due, returned.state, returned.days) == (date(2026, 12, 20), "due", 23)
    assert (paid.duty.kind, paid.duty.deal, paid.duty.party, paid.duty.amount) == (
        "related_party", "grant", "筑仁成长公益服务中心", -30_000_00)
    # the gift keeps the key it had before the register; its refund has one of its own
    assert states[f"related_party:{officer_gift.id}"].duty.due == date(2026, 10, 5)
    assert states[f"related_party:refund:{officer_gift.id}"].duty.due == date(2026, 12, 2)
    related = {k for k in states if k.startswith("related_party")}
    assert related == {f"related_party:grant:{grant.id}", f"related_party:return:{grant.id}",
                       f"related_party:{officer_gift.id}", f"related_party:refund:{officer_gift.id}"}


def test_a_published_item_naming_the_duty_answers_it_on_time_or_late(session, books, set_today):
    grant = books["grant"]
    set_today(date(2026, 11, 10))
    svc.publish(session, MANAGER, kind="related_party", title="关联交易公告（资助）", body="拨付30,000元",
                duty=f"related_party:grant:{grant.id}")
    set_today(date(2026, 12, 23))
    svc.publish(session, MANAGER, kind="related_party", title="关联交易公告（余款退回）", body="退回2,500元",
                duty=f"related_party:return:{grant.id}")
    states = _states(session, date(2026, 12, 25))
    assert (states[f"related_party:grant:{grant.id}"].state, states[f"related_party:grant:{grant.id}"].days) == ("done", 0)
    late = states[f"related_party:return:{grant.id}"]
    assert (late.state, late.days, late.published_on) == ("done_late", 3, date(2026, 12, 23))


def test_an_ended_relation_leaves_later_transactions_out(session, books):
    party = session.scalars(select(m.RelatedParty).where(m.RelatedParty.organisation_id == books["org"].id)).one()
    rp.end_relation(session, MANAGER, party.id, until=date(2026, 10, 19))
    assert not any(k.startswith("related_party:grant") or k.startswith("related_party:return")
                   for k in _states(session, date(2026, 11, 27)))


def test_major_transactions_follow_the_threshold(session, books):
    big, small = books["gifts"]["big"], books["gifts"]["small"]
    grant = books["grant"]

    def majors():
        return {k: s for k, s in _states(session, date(2026, 11, 27)).items() if k.startswith("major:")}

    assert majors() == {} and settings.major_transaction_fen(session) is None
    settings.set_major_transaction_fen(session, MANAGER, 30_000_00)  # the grant is exactly 30,000: at it counts
    found = majors()
    assert set(found) == {f"major:{big.entry_id}", f"major:{grant.payment_entry_id}"}
    gift = found[f"major:{big.entry_id}"]
    assert (gift.duty.kind, gift.duty.deal, gift.duty.due, gift.state, gift.days) == (
        "major_transaction", "gift", date(2026, 10, 1), "late", 57)
    assert found[f"major:{grant.payment_entry_id}"].duty.due == date(2026, 11, 19)
    settings.set_major_transaction_fen(session, MANAGER, 30_000_01)  # raised: the grant is no longer major
    assert set(majors()) == {f"major:{big.entry_id}"}
    settings.set_major_transaction_fen(session, MANAGER, 5_000_00)
    assert set(majors()) == {f"major:{big.entry_id}", f"major:{small.entry_id}", f"major:{grant.payment_entry_id}",
                             f"major:{books['gifts']['officer'].entry_id}"}
    settings.set_major_transaction_fen(session, MANAGER, None)  # unset: nothing is major
    assert majors() == {} and session.get(m.Setting, settings.MAJOR_TRANSACTION) is None


def test_the_threshold_is_a_managers_audited_setting(session):
    for actor in (Actor("auditor", "auditor"), Actor("zhuren", "grantee", 1)):
        with pytest.raises(Forbidden):
            settings.set_major_transaction_fen(session, actor, 50_000_00)
    for bad in (0, -1, True, "50000"):
        with pytest.raises(InvalidInput) as info:
            settings.set_major_transaction_fen(session, MANAGER, bad)
        assert "amount" in info.value.errors
    assert session.get(m.Setting, settings.MAJOR_TRANSACTION) is None
    settings.set_major_transaction_fen(session, MANAGER, 50_000_00)
    settings.set_major_transaction_fen(session, MANAGER2, 60_000_00)
    row = session.get(m.Setting, settings.MAJOR_TRANSACTION)
    assert (row.value, row.updated_by, settings.major_transaction_fen(session)) == ("6000000", "manager2", 60_000_00)
    logged = session.execute(select(m.AuditLog.actor, m.AuditLog.detail).where(m.AuditLog.action == "setting.change")
                             .order_by(m.AuditLog.id)).all()
    assert [a for a, _ in logged] == ["manager", "manager2"]
    assert '"was":"5000000"' in logged[1][1].replace(" ", "") and '"value":"6000000"' in logged[1][1].replace(" ", "")


def test_each_related_party_and_major_duty_gets_a_notice_written_from_the_books(session, books):
    grant, officer_gift, big = books["grant"], books["gifts"]["officer"], books["gifts"]["big"]
    today = date(2026, 11, 27)
    notice = svc.draft_notice(session, f"related_party:grant:{grant.id}", today)
    assert notice["kind"] == "related_party" and notice["title"] == "关联交易公告（2026年10月20日）"
    assert "2026年10月20日从“爱力量”基金向关联方筑仁成长公益服务中心（理事长任负责人）拨付资助款人民币30,000.00元" in \
        notice["body"] and f"BK-{grant.id:06d}" in notice["body"]
    # due 2026-11-19: eight days late it says so, and never claims the 30 days were kept; the return is not late
    assert "应于2026年11月19日前发布，现迟发8天" in notice["body"] and "30日内发布" not in notice["body"]
    assert notice["late_days"] == 8
    returned = svc.draft_notice(session, f"related_party:return:{grant.id}", today)
    assert "退回资助款结余人民币2,500.00元" in returned["body"] and "在交易发生之日起30日内发布" in returned["body"]
    assert returned["late_days"] == 0
    assert "收到关联方王理事（理事）捐赠人民币20,000.00元" in \
        svc.draft_notice(session, f"related_party:{officer_gift.id}", today)["body"]
    assert "向关联方王理事（理事）退回捐赠人民币20,000.00元" in \
        svc.draft_notice(session, f"related_party:refund:{officer_gift.id}", today)["body"]
    settings.set_major_transaction_fen(session, MANAGER, 50_000_00)
    major = svc.draft_notice(session, f"major:{big.entry_id}", today)
    assert major["kind"] == "major_transaction" and "收到某企业捐赠人民币80,000.00元" in major["body"]
    # not a transaction duty, or not one the books hold: nothing to write
    assert svc.draft_notice(session, "annual_report:2025", today) is None
    assert svc.draft_notice(session, "related_party:grant:999999", today) is None
    assert svc.draft_notice(session, "major:424242", today) is None


def test_a_related_party_donor_anonymous_on_the_gift_is_not_named_in_the_notice(session, books):
    """The register and the manager's calendar name the party; the public notice names them as the gift shows
    them to the public (the donor asked for anonymity), and still says how the party is related."""
    donor = create_donor(session, MANAGER, name="欧阳秘书长", kind="person", display_name="一位理事会成员",
                         related_party=True, related_note="秘书长")
    gift = record_donation(session, MANAGER, Gift(donor_id=donor.id, fund="AILILIANG", amount=6_000_00,
                                                  received_on=date(2026, 11, 3), channel="wechat", anonymous=True),
                           today=TODAY)
    states = _states(session, date(2026, 11, 27))
    assert states[f"related_party:{gift.id}"].duty.party == "欧阳秘书长"  # the manager's calendar names them
    notice = svc.draft_notice(session, f"related_party:{gift.id}", date(2026, 11, 27))
    assert "欧阳" not in notice["title"] + notice["body"]
    assert "收到关联方一位理事会成员（秘书长）捐赠人民币6,000.00元" in notice["body"]
