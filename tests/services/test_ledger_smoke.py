from datetime import date

import pytest

from fund_ledger.services.errors import RuleBroken
from fund_ledger.services.verify import verify_ledger
from tests.factories import gift_draft, grant_draft, make_fund, post


def test_gift_then_grant_keeps_ledger_verifiable(session):
    make_fund(session)
    first = post(session, gift_draft("AILILIANG", 100_000_00))
    post(session, grant_draft("AILILIANG", 30_000_00))
    session.commit()
    assert first.number == "2026-000001"
    report = verify_ledger(session)
    assert report.ok, report.problems
    assert report.entries == 2


def test_grant_beyond_balance_is_refused(session):
    make_fund(session)
    post(session, gift_draft("AILILIANG", 100_00))
    with pytest.raises(RuleBroken, match="available"):
        post(session, grant_draft("AILILIANG", 100_01, day=date(2026, 10, 3)))
