"""Donors, gifts, refunds, acknowledgement numbers and pledges, through the services, on both databases.

Each refusal is checked to name the field and to write nothing: entries, donations, donors and audit
records are counted before and after.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from fund_ledger.db import models as m
from fund_ledger.db import repository as repo
from fund_ledger.ledger.accounts import GENERAL_FUND_CODE
from fund_ledger.ledger.entries import EntryCode
from fund_ledger.ledger.money import MAX_AMOUNT_FEN
from fund_ledger.services import donations as svc
from fund_ledger.services.actor import Actor
from fund_ledger.services.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken, ServiceError
from fund_ledger.services.periods import close_period
from fund_ledger.services.pledges import create_pledge, get_pledge, overdue_pledges, pledge_statuses
from fund_ledger.services.verify import verify_ledger
from tests.factories import MANAGER, TODAY, grant_draft, make_fund, post

DAY = date(2026, 10, 1)


# ---------------------------------------------------------------------------------------------- helpers

def counts(session) -> dict[str, int]:
    return {t: session.scalar(text(f"SELECT count(*) FROM {t}"))
            for t in ("entries", "postings", "donations", "donors", "audit_log", "pledges", "import_batches")}


def held(session, fund: str) -> int:
    position = repo.money_by_fund(session).get(fund)
    return position.balance if position else 0


def audit_actions(session) -> list[str]:
    return list(session.scalars(select(m.AuditLog.action).order_by(m.AuditLog.id)))


def gift(donor_id: int, fund="AILILIANG", amount=1_000_00, day=DAY, channel="bank", **kw) -> svc.Gift:
    return svc.Gift(donor_id=donor_id, fund=fund, amount=amount, received_on=day, channel=channel, **kw)


def record(session, g: svc.Gift) -> m.Donation:
    return svc.record_donation(session, MANAGER, g, today=TODAY)


@pytest.fixture
def donor(session):
    make_fund(session)
    return svc.create_donor(session, MANAGER, name="张店区女企业家协会", kind="organisation", phone="0533-1234567",
                            email="office@example.cn", related_party=False, display_name="爱心单位")


@pytest.fixture
def other_donor(donor, session):
    return svc.create_donor(session, MANAGER, name="王秀兰", kind="person")


# ---------------------------------------------------------------------------------------------- posting

@pytest.mark.parametrize("channel, account", [
    ("bank", "1002"), ("cash", "1001"), ("wechat", "1009"), ("alipay", "1009"), ("other", "1009"),
])
def test_a_gift_posts_its_channel_account_against_donation_income_in_its_fund(session, donor, channel, account):
    before = held(session, "AILILIANG")
    general_before = held(session, GENERAL_FUND_CODE)
    d = record(session, gift(donor.id, amount=100_000_00, channel=channel, reference="ICBC-0001", memo="首笔"))
    entry = repo.get_entry(session, d.entry_id)
    assert entry.code is EntryCode.DONATION and entry.accounting_date == DAY
    lines = sorted((p.account, p.fund, p.debit, p.credit) for p in entry.postings)
    assert lines == sorted([(account, "AILILIANG", 100_000_00, 0), ("4101", "AILILIANG", 0, 100_000_00)])
    assert held(session, "AILILIANG") - before == 100_000_00
    assert held(session, GENERAL_FUND_CODE) == general_before  # no other fund moves
    assert "张店区女企业家协会" in entry.memo and "爱力量" in entry.memo and "首笔" in entry.memo
    stored = session.execute(text("SELECT debits_posted, credits_posted FROM account_balances "
                                  "WHERE account_code = :a AND fund_code = 'AILILIANG'"), {"a": account}).one()
    assert tuple(stored) == (100_000_00, 0)
    assert (d.amount, d.channel, d.reference, d.memo, d.fund_code) == \
        (100_000_00, channel, "ICBC-0001", "首笔", "AILILIANG")


def test_a_gift_to_the_general_fund_is_unrestricted_income_of_that_fund(session, donor):
    d = record(session, gift(donor.id, fund=GENERAL_FUND_CODE, amount=5_000_00, channel="cash"))
    entry = repo.get_entry(session, d.entry_id)
    assert {(p.account, p.fund) for p in entry.postings} == {("1001", GENERAL_FUND_CODE), ("4101", GENERAL_FUND_CODE)}
    assert held(session, GENERAL_FUND_CODE) == 5_000_00


def test_a_fund_is_found_by_id_code_or_name(session, donor):
    fund_id = session.scalar(select(m.Fund.id).where(m.Fund.code == "AILILIANG"))
    for ref in (fund_id, "AILILIANG", "爱力量"):
        assert record(session, gift(donor.id, fund=ref, amount=1_00)).fund_code == "AILILIANG"
    assert held(session, "AILILIANG") == 3_00


def test_an_anonymous_gift_shows_the_display_name_not_the_donor(session, donor):
    d = record(session, gift(donor.id, anonymous=True))
    memo = repo.get_entry(session, d.entry_id).memo
    assert "爱心单位" in memo and "张店区女企业家协会" not in memo
    assert d.anonymous is True


# ---------------------------------------------------------------------------------------------- numbers

def test_acknowledgement_numbers_run_per_year_of_receipt_and_never_repeat(session, donor):
    first = record(session, gift(donor.id, day=date(2026, 9, 8)))
    second = record(session, gift(donor.id, day=date(2026, 9, 9)))
    batch = svc.record_donations(session, MANAGER, [
        gift(donor.id, day=date(2025, 12, 30)), gift(donor.id, day=date(2026, 10, 2)),
        gift(donor.id, day=date(2025, 12, 31)), gift(donor.id, day=date(2026, 10, 3)),
    ], today=TODAY)
    later = record(session, gift(donor.id, day=date(2025, 6, 1)))
    numbers = [svc.receipt_number(d.receipt_year, d.receipt_seq) for d in (first, second, *batch, later)]
    assert numbers == ["JZ2026-000001", "JZ2026-000002", "JZ2025-000001", "JZ2026-000003", "JZ2025-000002",
                       "JZ2026-000004", "JZ2025-000003"]
    stored = session.execute(text("SELECT receipt_year, receipt_seq FROM donations")).all()
    assert len(set(stored)) == len(stored) == 7


def test_verification_codes_are_unique_and_found_however_they_are_typed(session, donor):
    donations = svc.record_donations(session, MANAGER, [gift(donor.id, amount=1_00 + i) for i in range(1500)],
                                     today=TODAY)
    codes = [d.verification_code for d in donations]
    assert len(set(codes)) == 1500
    assert all(re.fullmatch(f"[{svc.CODE_ALPHABET}]{{10}}", c) for c in codes)
    target = donations[777]
    typed = f" {target.verification_code[:5].lower()}-{target.verification_code[5:].lower()} "
    assert svc.donation_by_code(session, typed).id == target.id
    assert svc.donation_by_code(session, "") is None
    assert svc.donation_by_code(session, "ZZZZZZZZZZ") is None or "ZZZZZZZZZZ" in codes


# ---------------------------------------------------------------------------------------------- donors

@pytest.mark.parametrize("kwargs, field", [
    (dict(kind="robot"), "kind"),
    (dict(kind=""), "kind"),
    (dict(name=""), "name"),
    (dict(name="   "), "name"),
    (dict(name="张" * 101), "name"),
    (dict(name="bell\x07"), "name"),
    (dict(name=123), "name"),
    (dict(phone="call me"), "phone"),
    (dict(phone="1" * 33), "phone"),
    (dict(email="not-an-address"), "email"),
    (dict(email="a@b"), "email"),
    (dict(email="a b@c.cn"), "email"),
    (dict(address="路" * 201), "address"),
    (dict(related_note="x" * 201), "related_note"),
    (dict(display_name="x" * 101), "display_name"),
])
def test_a_bad_donor_is_refused_naming_the_field_and_nothing_is_written(session, kwargs, field):
    before = counts(session)
    with pytest.raises(InvalidInput) as err:
        svc.create_donor(session, MANAGER, **{"name": "李红梅", "kind": "person", **kwargs})
    assert field in err.value.errors, err.value.errors
    assert counts(session) == before


def test_a_good_donor_is_stored_with_contact_details_and_audited(session):
    d = svc.create_donor(session, MANAGER, name=" 孙丽 ", kind="person", phone="+86 138-0000-0000",
                         email="sun.li@example.cn", address="张店区", related_party=True,
                         related_note="协会理事", display_name="孙女士")
    assert (d.name, d.kind, d.phone, d.email, d.related_party, d.related_note) == \
        ("孙丽", "person", "+86 138-0000-0000", "sun.li@example.cn", True, "协会理事")
    assert audit_actions(session)[-2:] == ["donor.create", "related_party.register"]  # and into the register
    assert svc.get_donor(session, d.id) is d
    with pytest.raises(NotFound):
        svc.get_donor(session, d.id + 1)


@pytest.mark.parametrize("role", ["auditor", "grantee", "admin"])
def test_only_a_manager_records_donors_and_gifts(session, donor, role):
    actor = Actor("someone", role, 1 if role == "grantee" else None)
    before = counts(session)
    with pytest.raises(Forbidden):
        svc.create_donor(session, actor, name="张三", kind="person")
    with pytest.raises(Forbidden):
        svc.record_donation(session, actor, gift(donor.id), today=TODAY)
    assert counts(session) == before


# ---------------------------------------------------------------------------------------------- refusals

def _close_fund(session, code: str) -> None:
    session.execute(text("UPDATE funds SET closed_on = :d WHERE code = :c"), {"d": date(2026, 9, 30), "c": code})
    session.expire_all()  # the ORM's copy of the fund must see it, as a new request's session would


@pytest.mark.parametrize("case, field, error", [
    ("unknown donor", "donor_id", InvalidInput),
    ("unknown fund", "fund_id", InvalidInput),
    ("closed fund", "fund_id", InvalidInput),
    ("fund ended", "fund_id", InvalidInput),
    ("tomorrow", "received_on", InvalidInput),
    ("far future", "received_on", InvalidInput),
    ("amount 0", "amount", InvalidInput),
    ("amount negative", "amount", InvalidInput),
    ("amount above max", "amount", InvalidInput),
    ("amount float", "amount", InvalidInput),
    ("amount bool", "amount", InvalidInput),
    ("channel", "channel", InvalidInput),
    ("reference too long", "reference", InvalidInput),
    ("memo control chars", "memo", InvalidInput),
    ("unknown pledge", "pledge_id", InvalidInput),
])
def test_a_bad_gift_is_refused_naming_the_field_and_nothing_is_written(session, donor, case, field, error):
    if case == "closed fund":
        _close_fund(session, "AILILIANG")
    if case == "fund ended":
        make_fund(session, code="SUMMER", name="暑期课堂", end_date=date(2026, 8, 31))
    g = {
        "unknown donor": gift(donor.id + 99),
        "unknown fund": gift(donor.id, fund="NOSUCHFUND"),
        "closed fund": gift(donor.id),
        "fund ended": gift(donor.id, fund="SUMMER", day=date(2026, 9, 1)),
        "tomorrow": gift(donor.id, day=TODAY + timedelta(days=1)),
        "far future": gift(donor.id, day=date(2999, 1, 1)),
        "amount 0": gift(donor.id, amount=0),
        "amount negative": gift(donor.id, amount=-100),
        "amount above max": gift(donor.id, amount=MAX_AMOUNT_FEN + 1),
        "amount float": gift(donor.id, amount=100.0),
        "amount bool": gift(donor.id, amount=True),
        "channel": gift(donor.id, channel="paypal"),
        "reference too long": gift(donor.id, reference="R" * 65),
        "memo control chars": gift(donor.id, memo="a\x00b"),
        "unknown pledge": gift(donor.id, pledge_id=12345),
    }[case]
    before = counts(session)
    with pytest.raises(error) as err:
        record(session, g)
    assert field in err.value.errors, err.value.errors
    assert counts(session) == before


def test_the_largest_amount_is_accepted_and_one_fen_more_is_not(session, donor):
    d = record(session, gift(donor.id, amount=MAX_AMOUNT_FEN))
    assert d.amount == MAX_AMOUNT_FEN
    assert held(session, "AILILIANG") == MAX_AMOUNT_FEN


def test_a_gift_dated_in_a_closed_month_is_refused_and_nothing_is_written(session, donor):
    close_period(session, MANAGER, "2026-09", today=TODAY)
    before = counts(session)
    with pytest.raises(RuleBroken) as err:
        record(session, gift(donor.id, day=date(2026, 9, 15)))
    assert err.value.code == "closed_period" and "2026-09" in err.value.detail
    assert counts(session) == before
    assert record(session, gift(donor.id, day=date(2026, 10, 1))).receipt_seq == 1  # the number was not used up


@pytest.mark.parametrize("day", [date(2026, 9, 15), date(1999, 12, 31)], ids=["closed-month", "before-the-books"])
def test_a_gift_dated_where_the_books_refuse_names_the_date_received(session, donor, day):
    close_period(session, MANAGER, "2026-09", today=TODAY)
    before = counts(session)
    with pytest.raises(ServiceError) as err:
        record(session, gift(donor.id, day=day))
    assert list(err.value.errors) == ["received_on"], err.value.errors
    with pytest.raises(ServiceError) as err:
        svc.record_donations(session, MANAGER, [gift(donor.id), gift(donor.id, day=day)], today=TODAY)
    assert list(err.value.errors) == ["gifts[1].received_on"], err.value.errors
    assert counts(session) == before


@pytest.mark.parametrize("donor_id", [10**30, 2**31, 2**63, -(2**31) - 1, 0, True], ids=str)
def test_a_donor_id_out_of_range_is_no_donor(session, donor, donor_id):
    """Ids the column cannot hold name nothing: a clear "no donor", never an overflow in the database."""
    before = counts(session)
    with pytest.raises(InvalidInput) as err:
        record(session, gift(donor_id))
    assert list(err.value.errors) == ["donor_id"] and "no donor" in err.value.errors["donor_id"][0], err.value.errors
    with pytest.raises(InvalidInput) as err:
        svc.record_donations(session, MANAGER, [gift(donor.id), gift(donor_id)], today=TODAY)
    assert list(err.value.errors) == ["gifts[1].donor_id"], err.value.errors
    with pytest.raises(NotFound):
        svc.get_donor(session, donor_id)
    assert counts(session) == before
    session.execute(text("SELECT 1"))  # the transaction is still usable: nothing failed in the database


@pytest.mark.parametrize("ident", [10**30, 2**31, -(2**31) - 1, True], ids=str)
def test_other_ids_out_of_range_name_nothing(session, donor, ident):
    before = counts(session)
    with pytest.raises(InvalidInput) as err:
        record(session, gift(donor.id, pledge_id=ident))
    assert list(err.value.errors) == ["pledge_id"], err.value.errors
    with pytest.raises(NotFound):
        svc.get_donation(session, ident)
    with pytest.raises(NotFound):
        svc.find_fund(session, ident)
    assert counts(session) == before
    session.execute(text("SELECT 1"))


def test_a_gift_against_pledge_true_is_not_taken_for_pledge_one(session, donor):
    pledge = create_pledge(session, MANAGER, donor_id=donor.id, fund="AILILIANG", instalments=[(DAY, 100_00)])
    assert pledge.id == 1
    with pytest.raises(InvalidInput) as err:
        record(session, gift(donor.id, pledge_id=True))
    assert "pledge_id" in err.value.errors


def test_an_empty_list_of_gifts_records_nothing_and_returns_an_empty_list(session, donor):
    before = counts(session)
    assert svc.record_donations(session, MANAGER, [], today=TODAY) == []
    assert counts(session) == before  # no entry, no donation, no audit record
    with pytest.raises(Forbidden):  # still only a manager, even for nothing
        svc.record_donations(session, Actor("auditor", "auditor"), [], today=TODAY)
    assert record(session, gift(donor.id)).receipt_seq == 1  # the ledger goes on as before


def test_the_longest_memo_is_recorded_whole_and_the_entry_shows_its_beginning(session, donor):
    """A gift's memo may take 500 characters; the entry's summary puts the donor and fund in front of it and
    must stay within the ledger's 500, so it is cut there, while the donation keeps every character."""
    long_donor = svc.create_donor(session, MANAGER, name="张" * 100, kind="person")
    memo = "备注" * 250
    d = record(session, gift(long_donor.id, memo=memo))
    assert d.memo == memo
    entry_memo = repo.get_entry(session, d.entry_id).memo
    assert len(entry_memo) == 500 and entry_memo.startswith("张" * 100 + "捐赠爱力量") and entry_memo.endswith("…")
    short = record(session, gift(donor.id, memo="首笔"))
    assert repo.get_entry(session, short.entry_id).memo == "张店区女企业家协会捐赠爱力量（银行转账）：首笔"
    assert verify_ledger(session).ok


def test_a_batch_with_one_bad_gift_records_none_and_names_it(session, donor):
    before = counts(session)
    with pytest.raises(InvalidInput) as err:
        svc.record_donations(session, MANAGER, [gift(donor.id), gift(donor.id, amount=0), gift(donor.id)],
                             today=TODAY)
    assert list(err.value.errors) == ["gifts[1].amount"]
    assert counts(session) == before


# ---------------------------------------------------------------------------------------------- refunds

def test_a_refund_reverses_the_entry_shows_the_reason_and_happens_once(session, donor):
    d = record(session, gift(donor.id, amount=2_000_00, channel="cash"))
    session.commit()
    session.begin()
    before = held(session, "AILILIANG")
    reversal = svc.refund_donation(session, MANAGER, d.id, "捐赠人指定用于童梦童行", on=date(2026, 10, 12), today=TODAY)
    assert reversal.code is EntryCode.REVERSAL and reversal.reverses == d.entry_id
    original = repo.get_entry(session, d.entry_id)
    assert sorted((p.account, p.fund, p.debit, p.credit) for p in reversal.postings) == \
        sorted((p.account, p.fund, p.credit, p.debit) for p in original.postings)
    assert held(session, "AILILIANG") == before - 2_000_00
    status = svc.donation_status(session, d)
    assert status["refunded"] is True and status["refund_entry"] == reversal.number
    assert "捐赠人指定用于童梦童行" in status["refund_reason"]
    assert session.scalar(select(m.Donation.amount).where(m.Donation.id == d.id)) == 2_000_00  # never edited
    assert audit_actions(session)[-2:] == ["entry.reverse", "donation.refund"]
    after = counts(session)
    with pytest.raises(Conflict):
        svc.refund_donation(session, MANAGER, d.id, "again", today=TODAY)
    assert counts(session) == after
    with pytest.raises(InvalidInput):
        svc.refund_donation(session, MANAGER, record(session, gift(donor.id)).id, "  ", today=TODAY)
    with pytest.raises(NotFound):
        svc.refund_donation(session, MANAGER, 999_999, "no such gift", today=TODAY)


def test_a_gift_that_was_not_refunded_says_so(session, donor):
    d = record(session, gift(donor.id))
    assert svc.donation_status(session, d) == {"refunded": False, "refund_entry": None, "refund_reason": None}


def test_a_refund_is_refused_when_the_money_was_already_spent(session, donor):
    d = record(session, gift(donor.id, amount=1_000_00))
    post(session, grant_draft("AILILIANG", 800_00, day=date(2026, 10, 5)))
    before = counts(session)
    with pytest.raises(RuleBroken) as err:
        svc.refund_donation(session, MANAGER, d.id, "捐赠人要求退款", today=TODAY)
    assert err.value.code == "insufficient_funds", (err.value.code, err.value.detail)
    assert counts(session) == before
    assert held(session, "AILILIANG") == 200_00
    assert svc.donation_status(session, d)["refunded"] is False


def test_only_a_manager_refunds(session, donor):
    d = record(session, gift(donor.id))
    with pytest.raises(Forbidden):
        svc.refund_donation(session, Actor("auditor", "auditor"), d.id, "no", today=TODAY)


# ---------------------------------------------------------------------------------------------- official receipt

def test_the_official_receipt_number_is_recorded_once(session, donor):
    d = record(session, gift(donor.id))
    with pytest.raises(InvalidInput) as err:
        svc.set_official_receipt(session, MANAGER, d.id, "   ")
    assert "official_receipt_number" in err.value.errors
    svc.set_official_receipt(session, MANAGER, d.id, " 鲁财票 No.0012345 ")
    assert session.scalar(select(m.Donation.official_receipt_number).where(m.Donation.id == d.id)) == "鲁财票 No.0012345"
    assert audit_actions(session)[-1] == "donation.official_receipt"
    before = counts(session)
    with pytest.raises(Conflict, match="No.0012345"):
        svc.set_official_receipt(session, MANAGER, d.id, "No.999")
    assert counts(session) == before
    assert svc.get_donation(session, d.id).official_receipt_number == "鲁财票 No.0012345"


# ---------------------------------------------------------------------------------------------- the database's guards

def _refused(session, sql: str, **params) -> None:
    with pytest.raises(DBAPIError, match="fund_ledger"):
        with session.begin_nested():
            session.execute(text(sql), params)


def test_the_database_refuses_editing_or_deleting_a_donation(session, donor):
    d = record(session, gift(donor.id, amount=1_000_00))
    session.flush()
    _refused(session, "UPDATE donations SET amount = 1 WHERE id = :id", id=d.id)
    _refused(session, "UPDATE donations SET memo = 'changed', fund_code = 'GENERAL' WHERE id = :id", id=d.id)
    _refused(session, "UPDATE donations SET receipt_seq = 99 WHERE id = :id", id=d.id)
    _refused(session, "DELETE FROM donations WHERE id = :id", id=d.id)
    _refused(session, "DELETE FROM donations")
    # the one later write: the official receipt number, once
    session.execute(text("UPDATE donations SET official_receipt_number = 'A1' WHERE id = :id"), {"id": d.id})
    _refused(session, "UPDATE donations SET official_receipt_number = 'B2' WHERE id = :id", id=d.id)
    _refused(session, "UPDATE donations SET official_receipt_number = NULL WHERE id = :id", id=d.id)
    row = session.execute(text("SELECT amount, memo, official_receipt_number FROM donations WHERE id = :id"),
                          {"id": d.id}).one()
    assert tuple(row) == (1_000_00, "", "A1")


def test_the_database_refuses_editing_pledges(session, donor):
    pledge = create_pledge(session, MANAGER, donor_id=donor.id, fund="AILILIANG", instalments=[(DAY, 100_00)])
    session.flush()
    _refused(session, "UPDATE pledge_instalments SET amount = 1 WHERE pledge_id = :id", id=pledge.id)
    _refused(session, "DELETE FROM pledges WHERE id = :id", id=pledge.id)


# ---------------------------------------------------------------------------------------------- pledges

def test_a_pledge_in_instalments_is_settled_by_gifts_and_shows_what_is_overdue(session, donor):
    pledge = create_pledge(session, MANAGER, donor_id=donor.id, fund="爱力量", memo="三年认捐", instalments=[
        (date(2026, 12, 1), 400_00), (date(2026, 9, 1), 300_00), (date(2026, 10, 1), 300_00)])
    assert audit_actions(session)[-1] == "pledge.create"
    (status,) = pledge_statuses(session, date(2026, 8, 31))
    assert (status.promised, status.received, status.due_by_today, status.overdue) == (1_000_00, 0, 0, 0)
    assert overdue_pledges(session, date(2026, 8, 31)) == []

    record(session, gift(donor.id, amount=200_00, day=date(2026, 9, 15), pledge_id=pledge.id))
    record(session, gift(donor.id, amount=50_00, day=date(2026, 9, 16)))  # not against the pledge
    (status,) = pledge_statuses(session, date(2026, 10, 15))
    assert (status.received, status.due_by_today, status.overdue, status.outstanding) == \
        (200_00, 600_00, 400_00, 800_00)
    assert status.next_due_on == date(2026, 9, 1)
    assert [s.pledge.id for s in overdue_pledges(session, date(2026, 10, 15))] == [pledge.id]

    record(session, gift(donor.id, amount=400_00, day=date(2026, 10, 20), pledge_id=pledge.id))
    (status,) = pledge_statuses(session, date(2026, 10, 31))
    assert (status.received, status.overdue, status.next_due_on) == (600_00, 0, date(2026, 12, 1))
    assert overdue_pledges(session, date(2026, 10, 31)) == []
    assert overdue_pledges(session, date(2026, 12, 2))[0].overdue == 400_00
    assert pledge_statuses(session, TODAY, donor_id=donor.id + 1) == []


def test_a_gift_against_another_donors_or_another_funds_pledge_is_refused(session, donor, other_donor):
    make_fund(session, code="TONGMENG", name="童梦童行", purpose="暑期课堂")
    pledge = create_pledge(session, MANAGER, donor_id=donor.id, fund="AILILIANG", instalments=[(DAY, 100_00)])
    before = counts(session)
    for g in (gift(other_donor.id, pledge_id=pledge.id), gift(donor.id, fund="TONGMENG", pledge_id=pledge.id)):
        with pytest.raises(InvalidInput) as err:
            record(session, g)
        assert "pledge_id" in err.value.errors
    assert counts(session) == before


@pytest.mark.parametrize("instalments", [
    [], [(DAY, 0)], [(DAY, -5)], [(DAY, 100), (DAY, 200)], [(DAY, 1.5)], [(DAY, MAX_AMOUNT_FEN + 1)],
    [(DAY + timedelta(days=i), 1) for i in range(121)],
])
def test_a_bad_pledge_is_refused_and_nothing_is_written(session, donor, instalments):
    before = counts(session)
    with pytest.raises(InvalidInput) as err:
        create_pledge(session, MANAGER, donor_id=donor.id, fund="AILILIANG", instalments=instalments)
    assert "instalments" in err.value.errors
    assert counts(session) == before


def test_a_pledge_needs_a_known_donor_and_fund(session, donor):
    with pytest.raises(NotFound):
        create_pledge(session, MANAGER, donor_id=donor.id + 50, fund="AILILIANG", instalments=[(DAY, 1)])
    with pytest.raises(NotFound):
        create_pledge(session, MANAGER, donor_id=donor.id, fund="NOPE", instalments=[(DAY, 1)])
    with pytest.raises(InvalidInput) as err:
        create_pledge(session, MANAGER, donor_id=donor.id, fund="AILILIANG", instalments=[(DAY, 1)], memo="m" * 501)
    assert "memo" in err.value.errors
    with pytest.raises(NotFound):
        get_pledge(session, 424242)
    assert get_pledge(session, create_pledge(session, MANAGER, donor_id=donor.id, fund="AILILIANG",
                                             instalments=[(DAY, 1)]).id).fund_code == "AILILIANG"


# ---------------------------------------------------------------------------------------------- the whole story

def test_every_change_leaves_an_audit_record_and_the_ledger_verifies(session, donor, other_donor):
    start = len(audit_actions(session))
    pledge = create_pledge(session, MANAGER, donor_id=other_donor.id, fund="AILILIANG", instalments=[(DAY, 500_00)])
    a = record(session, gift(donor.id, amount=100_000_00))
    b = record(session, gift(other_donor.id, amount=500_00, channel="wechat", pledge_id=pledge.id))
    svc.record_donations(session, MANAGER, [gift(donor.id, amount=i * 100) for i in range(1, 4)], today=TODAY)
    svc.refund_donation(session, MANAGER, b.id, "误收", today=TODAY)
    svc.set_official_receipt(session, MANAGER, a.id, "0001")
    session.commit()
    session.begin()
    actions = audit_actions(session)[start:]
    assert actions == ["pledge.create", "donation.record", "donation.record", "donation.record", "entry.reverse",
                       "donation.refund", "donation.official_receipt"]
    batch_detail = session.scalar(select(m.AuditLog.detail).where(m.AuditLog.action == "donation.record")
                                  .order_by(m.AuditLog.id.desc()))
    assert '"count":3' in batch_detail and '"total":600' in batch_detail
    report = verify_ledger(session)
    assert report.ok, report.problems
    assert report.entries == session.scalar(select(func.count()).select_from(m.Entry)) == 6
    assert held(session, "AILILIANG") == 100_000_00 + 600
