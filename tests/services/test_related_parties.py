"""The register of related parties and the transactions with them, on both databases: which transactions count
(only those dated within the relation), gifts and their refunds, grants and money returned, the donor's flag
following the register, and bad input refused with nothing written."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from fund_ledger.db import models as m
from fund_ledger.services import disbursements as d
from fund_ledger.services import related_parties as rp
from fund_ledger.services.actor import Actor
from fund_ledger.services.donations import Gift, create_donor, record_donation, refund_donation
from fund_ledger.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from fund_ledger.services.organisations import create_organisation
from tests.factories import TODAY, make_fund

MANAGER, MANAGER2 = Actor("manager", "manager"), Actor("manager2", "manager")


def _gift(session, donor_id, fen, day):
    return record_donation(session, MANAGER, Gift(donor_id=donor_id, fund="AILILIANG", amount=fen, received_on=day,
                                                  channel="bank"), today=TODAY)


@pytest.fixture
def world(session):
    make_fund(session)
    stranger = create_donor(session, MANAGER, name="路人甲", kind="person")
    officer = create_donor(session, MANAGER, name="王理事", kind="person")
    org = create_organisation(session, MANAGER, name="筑仁成长公益服务中心", credit_code="52370303MJD123451B")
    for donor, fen, day in ((stranger, 50_000_00, date(2026, 9, 1)), (officer, 20_000_00, date(2026, 9, 5)),
                            (officer, 30_000_00, date(2026, 10, 10))):
        _gift(session, donor.id, fen, day)
    return {"stranger": stranger, "officer": officer, "org": org, "grantee": Actor("zhuren", "grantee", org.id)}


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(m.RelatedParty))


def test_only_gifts_within_the_relation_are_related_party_transactions(session, world):
    officer = world["officer"]
    party = rp.register(session, MANAGER, name="", kind="person", relation="理事", donor_id=officer.id,
                        since=date(2026, 10, 1))
    assert party.name == "王理事" and session.get(m.Donor, officer.id).related_party is True
    found = rp.transactions(session)
    assert [(t.kind, t.amount, t.on, t.party) for t in found] == [("gift", 30_000_00, date(2026, 10, 10), "王理事")]
    rp.end_relation(session, MANAGER, party.id, until=date(2026, 10, 9))
    assert rp.transactions(session) == []
    assert rp.transactions(session, date(2026, 1, 1), date(2026, 12, 31)) == []


def test_a_refund_is_listed_on_its_own_date_and_the_year_bounds_hold(session, world):
    officer = world["officer"]
    rp.register(session, MANAGER, name="", kind="person", relation="理事", donor_id=officer.id)
    gift = session.scalars(select(m.Donation).where(m.Donation.donor_id == officer.id, m.Donation.amount == 30_000_00)).one()
    refund_donation(session, MANAGER, gift.id, "捐赠人要求退回", on=date(2026, 11, 2), today=TODAY)
    kinds = [(t.kind, t.amount, t.on) for t in rp.transactions(session)]
    assert kinds == [("gift", 20_000_00, date(2026, 9, 5)), ("gift", 30_000_00, date(2026, 10, 10)),
                     ("refund", -30_000_00, date(2026, 11, 2))]
    assert [t.kind for t in rp.transactions(session, date(2026, 11, 1), date(2026, 11, 30))] == ["refund"]
    assert [t.kind for t in rp.transactions(session, None, date(2026, 9, 30))] == ["gift"]


def test_grants_to_a_related_organisation_and_money_it_returned(session, world):
    rp.register(session, MANAGER, name="", kind="organisation", relation="理事长任负责人的受助机构",
                organisation_id=world["org"].id)
    row = d.submit(session, world["grantee"], organisation_id=world["org"].id, fund="AILILIANG", amount=30_000_00,
                   purpose="困境儿童帮扶项目", today=TODAY)
    d.approve(session, MANAGER, row.id)
    if row.status == "submitted":
        d.approve(session, MANAGER2, row.id)
    d.pay(session, MANAGER, row.id, paid_on=date(2026, 10, 20), reference="HD-001", today=TODAY)
    d.acknowledge(session, world["grantee"], row.id, received_on=date(2026, 10, 21), today=TODAY)
    d.submit_report(session, world["grantee"], row.id, spent=27_500_00, returned=2_500_00, narrative="余款退回",
                    lines=[{"item": "学习用品", "amount": 27_500_00}])
    d.receive_report(session, MANAGER, row.id, returned_on=date(2026, 11, 20), return_reference="TH-7", today=TODAY)
    found = [(t.kind, t.amount, t.on, t.counterparty) for t in rp.transactions(session)]
    assert found == [("grant", -30_000_00, date(2026, 10, 20), "筑仁成长公益服务中心"),
                     ("return", 2_500_00, date(2026, 11, 20), "筑仁成长公益服务中心")]


def test_a_donor_created_as_related_enters_the_register(session, world):
    donor = create_donor(session, MANAGER, name="李监事", kind="person", related_party=True, related_note="监事")
    party = session.scalars(select(m.RelatedParty).where(m.RelatedParty.donor_id == donor.id)).one()
    assert (party.name, party.relation, party.kind) == ("李监事", "监事", "person")
    assert [p.name for p in rp.parties(session)] == ["李监事"]


@pytest.mark.parametrize("kw, field", [
    ({"name": "张三", "kind": "robot", "relation": "理事"}, "kind"),
    ({"name": "", "kind": "person", "relation": "理事"}, "name"),          # no name and nothing linked
    ({"name": "张三", "kind": "person", "relation": ""}, "relation"),
    ({"name": "张三", "kind": "person", "relation": "理事\x00"}, "relation"),
    ({"name": "张" * 101, "kind": "person", "relation": "理事"}, "name"),
    ({"name": "张三", "kind": "person", "relation": "理事", "donor_id": 9999}, "donor_id"),
    ({"name": "张三", "kind": "person", "relation": "理事", "organisation_id": 0}, "organisation_id"),
    ({"name": "张三", "kind": "person", "relation": "理事", "since": date(2026, 5, 1), "until": date(2026, 4, 30)},
     "until"),
])
def test_bad_entries_are_refused_by_field_and_nothing_is_written(session, world, kw, field):
    with pytest.raises(InvalidInput) as info:
        rp.register(session, MANAGER, **kw)
    assert field in info.value.errors
    assert _count(session) == 0


def test_only_a_manager_keeps_the_register(session, world):
    with pytest.raises(Forbidden):
        rp.register(session, Actor("auditor", "auditor"), name="张三", kind="person", relation="理事")
    party = rp.register(session, MANAGER, name="张三", kind="person", relation="理事", since=date(2026, 3, 1))
    with pytest.raises(Forbidden):
        rp.end_relation(session, world["grantee"], party.id, until=date(2026, 4, 1))
    with pytest.raises(InvalidInput):
        rp.end_relation(session, MANAGER, party.id, until=date(2026, 2, 28))
    with pytest.raises(NotFound):
        rp.end_relation(session, MANAGER, 424242, until=date(2026, 4, 1))
    assert session.get(m.RelatedParty, party.id).until is None


def test_one_relation_at_a_time_for_a_donor_or_an_organisation(session, world):
    """Two rows covering the same day would list each transaction twice (in the notes, the calendar and a submitted
    annual report): refused, naming the row that is there; after the first relation ended, a new one may begin."""
    officer = world["officer"]
    first = rp.register(session, MANAGER, name="", kind="person", relation="理事", donor_id=officer.id,
                        since=date(2026, 1, 1))
    with pytest.raises(Conflict) as info:
        rp.register(session, MANAGER, name="", kind="person", relation="监事", donor_id=officer.id)
    assert info.value.code == "already_registered" and "donor_id" in info.value.errors
    rp.end_relation(session, MANAGER, first.id, until=date(2026, 9, 30))
    with pytest.raises(Conflict):  # still overlapping: 2026-09-30 is the first relation's last day
        rp.register(session, MANAGER, name="", kind="person", relation="监事", donor_id=officer.id,
                    since=date(2026, 9, 30))
    rp.register(session, MANAGER, name="", kind="person", relation="监事", donor_id=officer.id,
                since=date(2026, 10, 1))
    assert [(t.kind, t.relation) for t in rp.transactions(session)] == [("gift", "理事"), ("gift", "监事")]


@pytest.mark.parametrize("kw, field", [
    ({"kind": "organisation", "donor": "officer"}, "kind"),   # the donor is a person
    ({"kind": "person", "org": True}, "kind"),                 # a grantee is an organisation
    ({"kind": "person", "since": date(2026, 11, 28)}, "since"),  # the tests' today is 2026-11-27
    ({"kind": "person", "until": date(2027, 1, 1)}, "until"),
])
def test_what_is_not_so_is_not_registered(session, world, kw, field):
    args = {"name": "张三", "relation": "理事", "kind": kw["kind"], "since": kw.get("since"), "until": kw.get("until"),
            "donor_id": world["officer"].id if kw.get("donor") else None,
            "organisation_id": world["org"].id if kw.get("org") else None}
    with pytest.raises(InvalidInput) as info:
        rp.register(session, MANAGER, **args)
    assert field in info.value.errors
    assert _count(session) == 0


def test_a_relation_ends_once_and_not_in_the_future(session, world):
    party = rp.register(session, MANAGER, name="张三", kind="person", relation="理事")
    with pytest.raises(InvalidInput) as info:
        rp.end_relation(session, MANAGER, party.id, until=date(2026, 11, 28))
    assert "until" in info.value.errors
    rp.end_relation(session, MANAGER, party.id, until=date(2026, 10, 10))
    for again in (date(1999, 1, 1), date(2026, 11, 1)):  # neither back nor forward: a new relation is a new row
        with pytest.raises(Conflict) as info:
            rp.end_relation(session, MANAGER, party.id, until=again)
        assert info.value.code == "already_ended"
    assert session.get(m.RelatedParty, party.id).until == date(2026, 10, 10)


def test_an_anonymous_gift_names_its_donor_only_where_managers_read(session, world):
    donor = create_donor(session, MANAGER, name="欧阳秘书长", kind="person", display_name="一位理事会成员",
                         related_party=True, related_note="秘书长")
    _gift(session, donor.id, 6_000_00, date(2026, 11, 3))
    gift = session.scalars(select(m.Donation).where(m.Donation.donor_id == donor.id)).one()
    assert [(t.party, t.public_name) for t in rp.transactions(session)] == [("欧阳秘书长", "欧阳秘书长")]
    assert not gift.anonymous  # anonymity is the gift's, set when it is recorded: here one that asks for it
    record_donation(session, MANAGER, Gift(donor_id=donor.id, fund="AILILIANG", amount=1_000_00,
                                           received_on=date(2026, 11, 4), channel="wechat", anonymous=True), today=TODAY)
    shown = [(t.party, t.public_name, t.anonymous) for t in rp.transactions(session)]
    assert shown == [("欧阳秘书长", "欧阳秘书长", False), ("欧阳秘书长", "一位理事会成员", True)]
