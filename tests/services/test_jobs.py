"""The job queue in the database (services/jobs.py), on SQLite and PostgreSQL: claiming, leases that lapse,
attempts, a lost claim that writes nothing, owners, purging."""
from __future__ import annotations

from datetime import timedelta

import pytest

from fund_ledger.db.engine import read_session, write_session
from fund_ledger.services import jobs as queue
from fund_ledger.services.errors import TooBusy
from tests.conftest import TODAY

LEASE = 30


@pytest.fixture
def clock_(set_today):
    return set_today(TODAY)


def _enqueue(engine, label: str, owner: str = "manager") -> queue.JobView:
    with write_session(engine) as s, s.begin():
        return queue.enqueue(s, "probe", {"label": label}, owner)


def _claim(engine, worker: str, max_attempts: int = 3) -> queue.Claim | None:
    with write_session(engine) as s, s.begin():
        return queue.claim(s, worker, lease_seconds=LEASE, max_attempts=max_attempts)


def _find(engine, job_id: str, owner: str = "manager") -> queue.JobView | None:
    with read_session(engine) as s, s.begin():
        return queue.find(s, job_id, owner)


def test_jobs_are_claimed_oldest_first_once_each_and_done_with_their_result(engine, clock_):
    first, second = _enqueue(engine, "a"), _enqueue(engine, "b")
    assert first.status == "queued" and first.progress == 0 and len(first.id) == 24
    a, b = _claim(engine, "w1"), _claim(engine, "w2")
    assert (a.id, a.attempt, a.arguments) == (first.id, 1, {"label": "a"}) and b.id == second.id
    assert _claim(engine, "w3") is None  # both held
    with write_session(engine) as s, s.begin():
        assert queue.heartbeat(s, a, lease_seconds=LEASE, done=3, total=4)
    assert _find(engine, a.id).progress == 75
    with write_session(engine) as s, s.begin():
        assert queue.complete(s, a, b"%PDF-1.7 ...", "journal.pdf", "application/pdf", total=4)
    job = _find(engine, a.id)
    assert (job.status, job.progress, job.progress_done, job.attempts) == ("done", 100, 4, 1)
    with read_session(engine) as s, s.begin():
        assert queue.result(s, a.id, "manager") == (b"%PDF-1.7 ...", "journal.pdf", "application/pdf")
        assert queue.result(s, b.id, "manager") is None  # not done yet


def test_only_the_owner_sees_a_job_and_its_result(engine, clock_):
    job = _enqueue(engine, "mine")
    c = _claim(engine, "w")
    with write_session(engine) as s, s.begin():
        queue.complete(s, c, b"secret", "x.txt", "text/plain")
    assert _find(engine, job.id) is not None
    assert _find(engine, job.id, "manager2") is None and _find(engine, "no-such-job") is None
    with read_session(engine) as s, s.begin():
        assert queue.result(s, job.id, "auditor") is None


def test_a_lapsed_lease_is_claimed_again_and_the_old_worker_writes_nothing(engine, clock_):
    job = _enqueue(engine, "slow")
    old = _claim(engine, "killed")
    clock_.advance(timedelta(seconds=LEASE - 1))
    assert _claim(engine, "other") is None  # the lease still holds
    clock_.advance(timedelta(seconds=2))
    new = _claim(engine, "other")
    assert (new.id, new.attempt) == (job.id, 2)
    with write_session(engine) as s, s.begin():  # the first worker wakes up: its claim is gone
        assert not queue.heartbeat(s, old, lease_seconds=LEASE)
        assert not queue.complete(s, old, b"half", "x", "text/plain")
        assert queue.give_up(s, old, "late", max_attempts=3) is None
    assert _find(engine, job.id).status == "running"
    with write_session(engine) as s, s.begin():
        assert queue.complete(s, new, b"whole", "x", "text/plain")
    with read_session(engine) as s, s.begin():
        assert queue.result(s, job.id, "manager")[0] == b"whole"


def test_after_the_most_attempts_a_job_is_failed_with_no_result(engine, clock_):
    job = _enqueue(engine, "doomed")
    for attempt in (1, 2):
        c = _claim(engine, f"w{attempt}", max_attempts=2)
        assert c.attempt == attempt
        clock_.advance(timedelta(seconds=LEASE + 1))  # killed: never beats again
    assert _claim(engine, "w3", max_attempts=2) is None
    failed = _find(engine, job.id)
    assert failed.status == "failed" and "2 attempts" in failed.error and failed.done
    with read_session(engine) as s, s.begin():
        assert queue.result(s, job.id, "manager") is None


def test_a_failing_job_is_queued_again_until_its_last_attempt(engine, clock_):
    job = _enqueue(engine, "raises")
    for attempt, status in ((1, "queued"), (2, "failed")):
        c = _claim(engine, "w", max_attempts=2)
        with write_session(engine) as s, s.begin():
            assert queue.give_up(s, c, "RuntimeError: no", max_attempts=2) == status
    assert _find(engine, job.id).error == "RuntimeError: no"


def test_the_same_job_again_is_that_job_and_too_many_are_refused(engine, clock_):
    with write_session(engine) as s, s.begin():
        one = queue.enqueue(s, "probe", {"label": "x", "at": 1}, "manager", ignore=("at",))
        assert queue.enqueue(s, "probe", {"label": "x", "at": 2}, "manager", ignore=("at",)).id == one.id
        queue.enqueue(s, "probe", {"label": "y"}, "manager")
        queue.enqueue(s, "probe", {"label": "z"}, "manager")
        with pytest.raises(TooBusy):
            queue.enqueue(s, "probe", {"label": "w"}, "manager")
        queue.enqueue(s, "probe", {"label": "w"}, "auditor")  # another user's own allowance


def test_finished_jobs_are_purged_after_an_hour(engine, clock_):
    job = _enqueue(engine, "old")
    c = _claim(engine, "w")
    with write_session(engine) as s, s.begin():
        queue.complete(s, c, b"x", "x", "text/plain")
    waiting = _enqueue(engine, "waiting")
    clock_.advance(queue.RESULT_KEPT - timedelta(seconds=1))
    with write_session(engine) as s, s.begin():
        assert queue.purge(s) == 0
    clock_.advance(timedelta(seconds=2))
    assert _find(engine, job.id) is None  # past its hour: gone for its owner already
    with write_session(engine) as s, s.begin():
        assert queue.purge(s) == 1
        assert queue.count(s) == 1
    assert _find(engine, waiting.id).status == "queued"
