"""Many writers at once, each on its own connection: the database serialises them, so no fund is
overdrawn, no two entries share a number, and the chain never forks."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import text

from fund_ledger.db.engine import create_db_engine, write_session
from fund_ledger.ledger import rules
from fund_ledger.services.errors import ServiceError
from fund_ledger.services.verify import verify_ledger
from tests.factories import gift_draft, grant_draft, make_fund, post

THREADS = 12
ATTEMPTS = 3
GRANT = 1_000_00
FUND_HOLDS = 10 * GRANT  # affords exactly 10 of the 36 attempts


def _spend_concurrently(db_url: str) -> list[str]:
    engine = create_db_engine(db_url, pool_size=THREADS, max_overflow=0) if not db_url.startswith("sqlite") \
        else create_db_engine(db_url)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        barrier.wait()
        for i in range(ATTEMPTS):
            with write_session(engine) as session:
                try:
                    with session.begin():
                        post(session, grant_draft("AILILIANG", GRANT, date(2026, 11, 1 + (n + i) % 20)))
                    result = "paid"
                except ServiceError as err:
                    result = err.code
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    return outcomes


def _prepare(engine) -> None:
    with write_session(engine) as session, session.begin():
        make_fund(session)
        post(session, gift_draft("AILILIANG", FUND_HOLDS))


def _check(engine, outcomes) -> None:
    assert outcomes.count("paid") == 10, outcomes
    assert set(outcomes) <= {"paid", "insufficient_funds", "Conflict"}
    with write_session(engine) as session, session.begin():
        report = verify_ledger(session)
        assert report.ok, report.problems
        assert report.entries == 11
        held = session.execute(text(
            "SELECT sum(debits_posted - credits_posted) FROM account_balances WHERE fund_code = 'AILILIANG' "
            "AND account_code = '1002'")).scalar_one()
        assert held == 0
        numbers = session.execute(text("SELECT count(DISTINCT year * 1000000 + year_seq), count(*) FROM entries")).one()
        assert numbers[0] == numbers[1]


@pytest.mark.slow
def test_concurrent_spending_never_overdraws_nor_forks(engine, db_url):
    _prepare(engine)
    _check(engine, _spend_concurrently(db_url))


@pytest.mark.slow
def test_database_alone_stops_overdraft_when_application_check_is_skipped(engine, db_url, monkeypatch):
    """Even with the Python balance check switched off, the database's own check refuses the overdraft."""
    monkeypatch.setattr(rules, "check_funds_cover", lambda draft, ctx: [])
    _prepare(engine)
    outcomes = _spend_concurrently(db_url)
    assert outcomes.count("paid") == 10, outcomes
    assert outcomes.count("Conflict") == THREADS * ATTEMPTS - 10  # refused by the trigger, reported as a conflict
    _check(engine, outcomes)
