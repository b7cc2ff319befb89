"""What a gift costs in round trips to the database (issue 14): each statement is a round trip on PostgreSQL, and
those after the ledger's lock are time every other writer waits. Counted, not timed, so the count is the same
on any machine: a change that adds a statement under the lock fails here and says which."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from fund_ledger.services.donations import Gift, create_donor, record_donation
from tests.factories import MANAGER, TODAY, make_fund


def _statements(session, work) -> list[str]:
    seen: list[str] = []
    engine = session.get_bind()

    def count(conn, cursor, statement, params, context, many):
        seen.append(" ".join(statement.split())[:60])

    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.pg)], indirect=True)
def test_a_gift_takes_each_lock_once_and_reads_the_ledger_in_one_statement(session):
    make_fund(session)
    donor = create_donor(session, MANAGER, name="孙丽", kind="person")
    gift = Gift(donor_id=donor.id, fund="AILILIANG", amount=500_00, received_on=date(2026, 11, 2), channel="bank")
    record_donation(session, MANAGER, gift, today=TODAY)  # the chart is cached from here on, as in a running app
    session.commit()
    session.begin()
    seen = _statements(session, lambda: record_donation(session, MANAGER, gift, today=TODAY))
    locks = [s for s in seen if "pg_advisory_xact_lock" in s]
    assert len(locks) == 2, seen  # the ledger's and the audit chain's, once each (the gift and its entry share one)
    after_lock = seen[seen.index(locks[0]) + 1:]
    assert len(after_lock) <= 8, after_lock  # receipt number, ledger state, postings, entry, gift, audit (3)
    assert sum(s.startswith("SELECT v.*") for s in after_lock) == 1, after_lock  # head, numbers, money: one read
    assert not [s for s in after_lock if "FROM entries" in s and not s.startswith("SELECT v.*")], after_lock
    assert len(seen) <= 11, seen


def test_the_answer_built_without_reading_back_is_what_a_read_gives(session):
    """record_gift answers from what it wrote (no read under the lock): the same row the gift's page reads."""
    from fund_ledger.services.donations import gift_row, record_gift

    make_fund(session)
    donor = create_donor(session, MANAGER, name="孙丽", kind="person")
    for day in (date(2026, 11, 2), date(2025, 12, 31)):
        made = record_gift(session, MANAGER, Gift(donor_id=donor.id, fund="AILILIANG", amount=1_234_56, received_on=day,
                                                  channel="wechat", memo="年终捐赠", anonymous=True), today=TODAY)
        session.flush()
        read = gift_row(session, made.donation.id)
        assert (made.donor.id, made.fund_id, made.fund_name, made.entry_number, made.receipt_number, made.refunded) == \
            (read.donor.id, read.fund_id, read.fund_name, read.entry_number, read.receipt_number, read.refunded)
        assert made.receipt_number.startswith(f"JZ{day.year}-")
