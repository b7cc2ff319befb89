"""People and the audit log at the service level: who may manage users, what a valid user is, and that
every change leaves its audit record in the same transaction, in a chain the database guards."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from fund_ledger import clock
from fund_ledger.db import models as m
from fund_ledger.services import audit, users
from fund_ledger.services.actor import SYSTEM, Actor
from fund_ledger.services.errors import Conflict, Forbidden, InvalidInput
from fund_ledger.services.organisations import create_organisation
from fund_ledger.services.verify import verify_ledger
from tests.db.tamper import disable_guards

ADMIN = Actor("admin", "admin")
MANAGER = Actor("manager", "manager")
AUDITOR = Actor("auditor", "auditor")
PASSWORD = "aililiang-2026"


def test_passwords_are_hashed_with_argon2id_at_a_modern_cost():
    """The suite runs with cheap hashes (tests/conftest.py); without that switch the real cost applies."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "FUND_LEDGER_CHEAP_PASSWORD_HASHES"}
    out = subprocess.run([sys.executable, "-c", "from fund_ledger.services import users; h = users._hasher; "
                          "print(h.type.name, h.memory_cost, h.time_cost, users.hash_password('x' * 12)[:10])"],
                         env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "ID" and out[3] == "$argon2id$"
    assert int(out[1]) >= 19 * 1024 and int(out[2]) >= 2  # at least OWASP's minimum for Argon2id


@pytest.fixture
def org(session):
    return create_organisation(session, SYSTEM, name="筑仁成长公益服务中心", credit_code="52370303MJD123451B")


@pytest.fixture
def admin(session):
    return users.create_user(session, SYSTEM, username="admin", role="admin", password=PASSWORD)


@pytest.fixture
def alice(session, admin):
    return users.create_user(session, ADMIN, username="alice", role="manager", password=PASSWORD, display_name="王敏")


def _records(session, **where) -> list[m.AuditLog]:
    q = select(m.AuditLog).order_by(m.AuditLog.id)
    for name, value in where.items():
        q = q.where(getattr(m.AuditLog, name) == value)
    return list(session.scalars(q))


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------------------------------------- validation

@pytest.mark.parametrize("username", [
    "", "ab", "Alice", "1alice", "_alice", "al ice", "alice!", "王敏", "a" * 33, "alice\x00", "al/ice",
])
def test_create_user_refuses_a_bad_username(session, admin, username):
    with pytest.raises(InvalidInput) as info:
        users.create_user(session, ADMIN, username=username, role="manager", password=PASSWORD)
    assert "username" in info.value.errors


@pytest.mark.parametrize("username", ["abc", "li.na", "zhao_jing-2", "a" * 32])
def test_create_user_accepts_good_usernames(session, admin, username):
    user = users.create_user(session, ADMIN, username=username, role="auditor", password=PASSWORD)
    assert user.id and user.active and user.session_version == 1
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


@pytest.mark.parametrize("password, why", [
    ("short-1", "at least"),
    ("x" * 257, "at most"),
    ("my-bob-password-1", "username"),
    ("MY-BOB-PASSWORD-1", "username"),
    ("aaaaaaaaaaaabbbbb", "too simple"),
    ("", "at least"),
])
def test_create_user_refuses_a_weak_password(session, admin, password, why):
    with pytest.raises(InvalidInput) as info:
        users.create_user(session, ADMIN, username="bob", role="manager", password=password)
    assert why in info.value.errors["password"][0]


def test_a_grantee_needs_an_existing_organisation(session, admin, org):
    with pytest.raises(InvalidInput) as info:
        users.create_user(session, ADMIN, username="zhuren", role="grantee", password=PASSWORD)
    assert "organisation_id" in info.value.errors
    with pytest.raises(InvalidInput) as info:
        users.create_user(session, ADMIN, username="zhuren", role="grantee", password=PASSWORD,
                          organisation_id=org.id + 1000)
    assert "organisation_id" in info.value.errors
    user = users.create_user(session, ADMIN, username="zhuren", role="grantee", password=PASSWORD,
                             organisation_id=org.id)
    assert user.organisation_id == org.id


@pytest.mark.parametrize("role", ["admin", "manager", "auditor"])
def test_only_grantees_belong_to_an_organisation(session, admin, org, role):
    with pytest.raises(InvalidInput) as info:
        users.create_user(session, ADMIN, username="carol", role=role, password=PASSWORD, organisation_id=org.id)
    assert "organisation_id" in info.value.errors


@pytest.mark.parametrize("role", ["root", "system", "anonymous", "", "Manager"])
def test_unknown_roles_are_refused(session, admin, role):
    with pytest.raises(InvalidInput) as info:
        users.create_user(session, ADMIN, username="carol", role=role, password=PASSWORD)
    assert "role" in info.value.errors


def test_a_duplicate_username_is_a_conflict(session, alice):
    with pytest.raises(Conflict):
        users.create_user(session, ADMIN, username="alice", role="auditor", password="another-pass-99")
    with pytest.raises(Conflict):
        users.create_user(session, ADMIN, username=" alice ", role="auditor", password="another-pass-99")
    assert _count(session, m.User) == 2


def test_a_too_long_display_name_is_refused(session, admin):
    with pytest.raises(InvalidInput) as info:
        users.create_user(session, ADMIN, username="carol", role="manager", password=PASSWORD, display_name="名" * 101)
    assert "display_name" in info.value.errors


# ---------------------------------------------------------------------------------------------- who may

@pytest.mark.parametrize("actor", [MANAGER, AUDITOR, Actor("zhuren", "grantee", 1), Actor("", "anonymous")])
def test_only_an_admin_manages_users(session, alice, actor):
    before = _count(session, m.AuditLog)
    with pytest.raises(Forbidden):
        users.create_user(session, actor, username="mallory", role="admin", password=PASSWORD)
    with pytest.raises(Forbidden):
        users.change_role(session, actor, alice.id, "admin")
    with pytest.raises(Forbidden):
        users.set_active(session, actor, alice.id, False)
    with pytest.raises(Forbidden):
        users.reset_password(session, actor, alice.id, "a-new-password-1")
    session.refresh(alice)
    assert (alice.role, alice.active, alice.session_version) == ("manager", True, 1)
    assert _count(session, m.AuditLog) == before
    assert session.scalar(select(m.User).where(m.User.username == "mallory")) is None


def test_an_admin_cannot_disable_or_demote_themselves(session, admin):
    with pytest.raises(Conflict):
        users.set_active(session, ADMIN, admin.id, False)
    with pytest.raises(Conflict):
        users.change_role(session, ADMIN, admin.id, "manager")
    session.refresh(admin)
    assert admin.active and admin.role == "admin"


def test_nobody_changes_another_persons_password_as_their_own(session, alice):
    with pytest.raises(Forbidden):
        users.change_own_password(session, MANAGER, alice.id, PASSWORD, "a-new-password-1")


def test_changing_ones_own_password_checks_the_old_one(session, alice):
    me = Actor("alice", "manager")
    with pytest.raises(InvalidInput) as info:
        users.change_own_password(session, me, alice.id, "wrong-password", "a-new-password-1")
    assert "old_password" in info.value.errors
    with pytest.raises(InvalidInput) as info:
        users.change_own_password(session, me, alice.id, PASSWORD, "short")
    assert "new_password" in info.value.errors
    users.change_own_password(session, me, alice.id, PASSWORD, "a-new-password-1")
    assert alice.session_version == 2
    assert users.authenticate(session, "alice", "a-new-password-1", "10.0.0.1").id == alice.id
    assert _records(session, action="user.change_password")[-1].actor == "alice"


# ---------------------------------------------------------------------------------------------- audit records

def test_each_change_leaves_an_audit_record(session, org, admin, alice):
    users.change_role(session, ADMIN, alice.id, "grantee", org.id)
    users.reset_password(session, ADMIN, alice.id, "a-new-password-1")
    users.set_active(session, ADMIN, alice.id, False)
    users.set_active(session, ADMIN, alice.id, False)  # no change: no record
    users.set_active(session, ADMIN, alice.id, True)
    actions = [(r.actor, r.action, r.object_id) for r in _records(session, object_type="user")]
    assert actions == [
        ("system", "user.create", "admin"),
        ("admin", "user.create", "alice"),
        ("admin", "user.role", "alice"),
        ("admin", "user.reset_password", "alice"),
        ("admin", "user.disable", "alice"),
        ("admin", "user.enable", "alice"),
    ]
    role_change = _records(session, action="user.role")[0]
    assert json.loads(role_change.detail) == {"before": {"role": "manager", "organisation_id": None},
                                              "after": {"role": "grantee", "organisation_id": org.id}}
    assert alice.session_version == 5  # role, password, disable and enable each end older sessions
    text_of_log = " ".join(r.detail for r in _records(session))
    assert PASSWORD not in text_of_log and "a-new-password-1" not in text_of_log
    assert verify_ledger(session).ok


def test_a_rolled_back_change_leaves_no_audit_record(session, admin):
    session.commit()
    users_before, records_before = _count(session, m.User), _count(session, m.AuditLog)
    users.create_user(session, ADMIN, username="bob", role="manager", password=PASSWORD)
    assert _count(session, m.AuditLog) == records_before + 1
    session.rollback()
    assert (_count(session, m.User), _count(session, m.AuditLog)) == (users_before, records_before)
    with session.begin_nested() as nested:
        bob = users.create_user(session, ADMIN, username="bob", role="manager", password=PASSWORD)
        users.set_active(session, ADMIN, bob.id, False)
        nested.rollback()
    assert (_count(session, m.User), _count(session, m.AuditLog)) == (users_before, records_before)
    assert verify_ledger(session).ok


def _failures(session) -> dict[tuple[str, str], int]:
    return {(r.scope, r.key): r.failures for r in session.scalars(select(m.LoginFailure))}


def test_failed_log_ins_are_counted_apart_from_the_audit_chain(session, alice):
    records_before = _count(session, m.AuditLog)
    with pytest.raises(users.LoginFailed) as wrong:
        users.authenticate(session, "alice", "not-her-password", "10.0.0.1")
    with pytest.raises(users.LoginFailed) as unknown:
        users.authenticate(session, "nobody-here", "not-her-password", "10.0.0.1")
    assert wrong.value.detail == unknown.value.detail  # no hint whether the name exists
    assert _count(session, m.AuditLog) == records_before  # a failure is counted, not chained
    assert _failures(session) == {("account", "alice|10.0.0.1"): 1, ("account", "nobody-here|10.0.0.1"): 1,
                                  ("address", "10.0.0.1"): 2}
    assert users.authenticate(session, "alice", PASSWORD, "10.0.0.2").id == alice.id
    log = [(r.actor, r.address, r.object_id, r.outcome) for r in _records(session, action="login")]
    assert log == [("alice", "10.0.0.2", "alice", "ok")]  # a success stays a chained record
    assert ("address", "10.0.0.2") not in _failures(session)  # reserved for the check, given back: no failure
    assert users.authenticate(session, "alice", PASSWORD, "10.0.0.1").id == alice.id
    assert ("account", "alice|10.0.0.1") not in _failures(session)  # a success clears its account+address key
    assert _failures(session)[("address", "10.0.0.1")] == 2  # while the address keeps its failures
    stored = " ".join(f"{r.key} {r.window_start} {r.newest_at}" for r in session.scalars(select(m.LoginFailure)))
    assert "not-her-password" not in stored + " ".join(r.detail for r in _records(session))
    assert verify_ledger(session).ok


def test_the_throttle_binds_one_account_at_one_address_only(session, alice):
    for _ in range(users.ACCOUNT_FREE_TRIES):
        with pytest.raises(users.LoginFailed):
            users.authenticate(session, "alice", "guess-guess-1", "10.6.6.6")
    engaged = _records(session, action="login.throttled")
    assert [(r.actor, r.address, r.object_type, r.object_id, r.outcome, json.loads(r.detail)) for r in engaged] == [
        ("alice", "10.6.6.6", "account", "alice", "denied", {"scope": "account", "failures": 5})]
    before = (_count(session, m.AuditLog), _failures(session))
    for _ in range(3):
        with pytest.raises(users.LoginThrottled) as info:
            users.authenticate(session, "alice", PASSWORD, "10.6.6.6")  # even the right password must wait
        assert 0 < info.value.retry_after <= users.MAX_LOCK.total_seconds() + 1
    assert (_count(session, m.AuditLog), _failures(session)) == before  # a throttled attempt writes nothing
    assert users.authenticate(session, "alice", PASSWORD, "10.0.0.9").id == alice.id  # the real user elsewhere


def test_many_failures_from_one_address_throttle_that_address_for_every_account(session, alice):
    for n in range(users.ADDRESS_LIMIT):
        with pytest.raises(users.LoginFailed):
            users.authenticate(session, f"guess{n}", "guess-guess-1", "10.6.6.6")
    with pytest.raises(users.LoginThrottled):
        users.authenticate(session, "alice", PASSWORD, "10.6.6.6")
    assert users.authenticate(session, "alice", PASSWORD, "10.0.0.9").id == alice.id
    engaged = _records(session, action="login.throttled")
    assert [(r.actor, r.object_type, r.object_id) for r in engaged] == [(None, "address", "10.6.6.6")]


@pytest.mark.parametrize("failures", [5, 6, 10, 40, 50, 10_000])  # parallel guesses can push the count far
def test_a_lock_never_lasts_longer_than_15_minutes(failures):

    now = clock.utc_stamp()
    wait = users._wait_seconds(failures, now, users.ACCOUNT_FREE_TRIES)
    assert 0 < wait <= users.MAX_LOCK.total_seconds() + 1
    assert users._wait_seconds(users.ACCOUNT_FREE_TRIES - 1, now, users.ACCOUNT_FREE_TRIES) == 0


def _fail(session, username="alice", address="10.6.6.6", password="guess-guess-1") -> str:
    try:
        users.authenticate(session, username, password, address)
    except users.LoginThrottled:
        return "throttled"
    except users.LoginFailed:
        return "failed"
    return "ok"


def test_a_lock_lifts_after_its_time_and_grows_while_guessing_goes_on(session, alice, set_today):
    from tests.conftest import TODAY

    now = set_today(TODAY, ticking=False)
    assert [_fail(session) for _ in range(7)] == ["failed"] * 5 + ["throttled"] * 2
    now.advance(timedelta(seconds=29))
    assert _fail(session) == "throttled"
    now.advance(timedelta(seconds=2))  # 30 s after the fifth failure: one more check
    assert [_fail(session), _fail(session)] == ["failed", "throttled"]
    now.advance(timedelta(seconds=59))
    assert _fail(session) == "throttled"
    now.advance(timedelta(seconds=2))  # then 60 s after the sixth, and so on, never beyond 15 minutes
    assert [_fail(session), _fail(session)] == ["failed", "throttled"]
    now.advance(users.MAX_LOCK + timedelta(seconds=1))  # a whole window quiet: the count starts again
    assert _fail(session, password=PASSWORD) == "ok"
    assert _failures(session).get(("account", "alice|10.6.6.6")) is None
    assert len(_records(session, action="login.throttled")) == 1  # one record for the key in that window


def test_200_failed_log_ins_add_a_bounded_number_of_rows(session, alice, set_today):
    """Before, each failed or throttled attempt added a chained audit record; now the counts table holds
    one row per key, and the chain one record per key per window in which its lock engaged."""
    from tests.conftest import TODAY

    now = set_today(TODAY, ticking=False)
    session.commit()
    records_before = _count(session, m.AuditLog)
    addresses, names = [f"10.6.6.{n}" for n in range(4)], ["alice", "admin", "nobody"]
    outcomes = []
    for n in range(200):
        outcomes.append(_fail(session, names[n % 3], addresses[n % 4]))
        now.advance(timedelta(seconds=20))  # 200 attempts over 66 minutes: five windows
    assert outcomes.count("ok") == 0 and outcomes.count("failed") < 200 and "throttled" in outcomes
    keys = len(addresses) * len(names) + len(addresses)
    assert _count(session, m.LoginFailure) <= keys  # 16, not 200
    added = _count(session, m.AuditLog) - records_before
    assert 0 < added <= keys * 6  # at most one per key per window
    assert set(r.action for r in _records(session)[records_before:]) == {"login.throttled"}
    report = verify_ledger(session)
    assert report.ok, report.problems

    now.advance(users.FORGET_AFTER + timedelta(minutes=1))
    assert _fail(session, "alice", "10.9.9.9") == "failed"  # a new key purges the keys quiet for a day
    assert set(_failures(session)) == {("account", "alice|10.9.9.9"), ("address", "10.9.9.9")}


def test_a_password_reset_ends_the_users_tokens_too(session, admin, alice):
    issued = users.issue_token(session, alice)
    users.reset_password(session, ADMIN, alice.id, "a-new-password-1")
    assert users.user_for_token(session, issued.token) is None


def test_a_disabled_user_cannot_log_in_and_their_tokens_die(session, admin, alice):
    issued = users.issue_token(session, alice, "10.0.0.1")
    assert users.user_for_token(session, issued.token).id == alice.id
    users.set_active(session, ADMIN, alice.id, False)
    assert users.user_for_token(session, issued.token) is None
    with pytest.raises(users.LoginFailed):
        users.authenticate(session, "alice", PASSWORD, "10.0.0.1")
    assert _failures(session)[("account", "alice|10.0.0.1")] == 1  # counted like a wrong password


def test_tokens_are_stored_only_as_hashes_and_can_be_revoked(session, alice):
    issued = users.issue_token(session, alice)
    stored = session.execute(text("SELECT token_hash, expires_at FROM api_tokens")).all()
    assert len(stored) == 1 and issued.token not in stored[0][0] and stored[0][1] == issued.expires_at
    for (value,) in session.execute(text("SELECT detail FROM audit_log")):
        assert issued.token not in value
    users.revoke_token(session, Actor("alice", "manager"), issued.token)
    assert users.user_for_token(session, issued.token) is None
    assert users.user_for_token(session, "") is None and users.user_for_token(session, "x" * 5000) is None


# ---------------------------------------------------------------------------------------------- database guards

def _refused(session, sql: str, params: dict | None = None) -> str:
    with pytest.raises(DBAPIError) as info:
        with session.begin_nested():
            session.execute(text(sql), params or {})
    return str(info.value.orig)


@pytest.mark.parametrize("sql", [
    "UPDATE audit_log SET detail = '{}'",
    "UPDATE audit_log SET outcome = 'ok' WHERE id = 1",
    "UPDATE audit_log SET at = at",
    "DELETE FROM audit_log",
    "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)",
])
def test_the_database_refuses_to_change_the_audit_log(session, alice, sql):
    before = [(r.id, r.hash, r.detail) for r in _records(session)]
    assert "append-only" in _refused(session, sql)
    assert [(r.id, r.hash, r.detail) for r in _records(session)] == before


def test_the_database_refuses_an_audit_record_that_breaks_the_chain(session, alice):
    head = _records(session)[-1]
    message = _refused(session, "INSERT INTO audit_log (id, at, actor, role, address, action, object_type, object_id,"
                                " outcome, detail, prev_hash, hash, hash_version) VALUES (:id, :at, 'x', 'admin', NULL,"
                                " 'forged', NULL, NULL, 'ok', '{}', :prev, :hash, 1)",
                       {"id": head.id + 1, "at": head.at, "prev": "f" * 64, "hash": "e" * 64})
    assert "audit chain" in message


@pytest.mark.parametrize("sql, match", [
    ("DELETE FROM users WHERE username = 'alice'", "never deleted"),
    ("DELETE FROM users", "never deleted"),
    ("UPDATE users SET username = 'eve' WHERE username = 'alice'", "username never changes"),
    ("DELETE FROM api_tokens", "never deleted"),
])
def test_the_database_keeps_users_and_tokens(session, alice, sql, match):
    users.issue_token(session, alice)
    assert match in _refused(session, sql)
    assert session.scalar(select(m.User.username).where(m.User.id == alice.id)) == "alice"


def test_other_changes_to_a_user_row_are_allowed(session, alice):
    session.execute(text("UPDATE users SET display_name = '王敏 (财务)' WHERE username = 'alice'"))
    session.execute(text("UPDATE api_tokens SET revoked_at = '2026-01-01T00:00:00.000000Z'"))


# ---------------------------------------------------------------------------------------------- tampering

@pytest.fixture
def some_history(session, org, alice):
    users.create_user(session, ADMIN, username="zhuren", role="grantee", password=PASSWORD, organisation_id=org.id)
    users.create_user(session, ADMIN, username="auditor", role="auditor", password=PASSWORD)
    for _ in range(users.ACCOUNT_FREE_TRIES):  # the last one engages the lock: a login.throttled record
        with pytest.raises(users.LoginFailed):
            users.authenticate(session, "auditor", "wrong-wrong-1", "10.0.0.5")
    users.authenticate(session, "zhuren", PASSWORD, "10.0.0.6")
    users.set_active(session, ADMIN, alice.id, False)
    session.commit()
    report = verify_ledger(session)
    assert report.ok and report.first_bad_audit_record is None, report.problems
    assert report.audit_records == _count(session, m.AuditLog) >= 8
    return report


def _record_id(session, **where) -> int:
    return _records(session, **where)[0].id


def test_verify_names_an_audit_record_edited_behind_the_triggers_back(session, some_history):
    target = _record_id(session, action="login.throttled", outcome="denied")
    disable_guards(session)
    session.execute(text("UPDATE audit_log SET detail = :d WHERE id = :id"), {"d": '{"reason":"nothing happened"}',
                                                                              "id": target})
    report = verify_ledger(session)
    assert not report.ok
    assert report.first_bad_audit_record == target
    assert report.first_bad_entry is None  # the journal itself is intact
    assert any(f"#{target}" in p for p in report.problems)


@pytest.mark.parametrize("column, value", [("actor", "'someone-else'"), ("outcome", "'ok'"), ("address", "'127.0.0.1'"),
                                           ("at", "'2020-01-01T00:00:00.000000Z'")])
def test_verify_finds_any_edited_field(session, some_history, column, value):
    target = _record_id(session, action="login.throttled", outcome="denied")
    disable_guards(session)
    session.execute(text(f"UPDATE audit_log SET {column} = {value} WHERE id = :id"), {"id": target})
    assert verify_ledger(session).first_bad_audit_record == target


def test_verify_names_where_a_deleted_audit_record_was(session, some_history):
    target = _record_id(session, action="login")  # one in the middle of the chain
    disable_guards(session)
    session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": target})
    report = verify_ledger(session)
    assert not report.ok and report.first_bad_audit_record == target


def test_verify_finds_a_rehashed_record_by_its_successor(session, some_history):
    """Rewriting a record and its own hash still breaks the link from the next record."""
    from dataclasses import replace

    from fund_ledger.ledger.audit import audit_hash

    target = _record_id(session, action="login.throttled")
    rec = next(r for r in audit.iter_audit(session) if r.seq == target)
    forged = replace(rec, outcome="ok", detail="{}")
    forged = replace(forged, hash=audit_hash(forged))
    disable_guards(session)
    session.execute(text("UPDATE audit_log SET outcome = 'ok', detail = '{}', hash = :h WHERE id = :id"),
                    {"h": forged.hash, "id": target})
    report = verify_ledger(session)
    assert not report.ok and report.first_bad_audit_record == target + 1


def test_writing_after_verify_in_one_transaction(session, alice):
    """verify streams with ``yield_per``; that must not change how the rest of the transaction runs
    (on PostgreSQL every later statement would become a server-side cursor, and an INSERT fail)."""
    assert verify_ledger(session).ok
    audit.record(session, ADMIN, "verify.after", object_type="test")
    users.set_active(session, ADMIN, alice.id, False)
    assert verify_ledger(session).ok


# ---------------------------------------------------------------------------------------------- parallel guesses

@pytest.mark.slow
def test_parallel_wrong_passwords_get_at_most_the_free_checks(session, alice, db_url, monkeypatch):
    """20 threads, each on its own connection, guess at once: the reservation is one atomic statement, so
    at most ACCOUNT_FREE_TRIES passwords are checked (counted at the hasher), and the rest are throttled."""
    import threading
    import time

    from fund_ledger.db.engine import create_db_engine, write_session

    session.commit()
    threads_n = 20
    checks, lock = [], threading.Lock()
    real_verify = users._verify

    def counting_verify(password_hash, password):
        with lock:
            checks.append(password)
        time.sleep(0.02)  # a slower hash widens the window a racy check-then-count would fall into
        return real_verify(password_hash, password)

    monkeypatch.setattr(users, "_verify", counting_verify)
    engine = (create_db_engine(db_url, pool_size=threads_n, max_overflow=0) if db_url.startswith("postgresql")
              else create_db_engine(db_url))
    barrier = threading.Barrier(threads_n)
    outcomes: list[str] = []

    def guess(n: int) -> None:
        barrier.wait()
        with write_session(engine) as s:
            result = _fail(s, "alice", "10.6.6.6", f"guess-guess-{n}")
            s.commit()
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=guess, args=(n,)) for n in range(threads_n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    engine.dispose()
    assert len(checks) == users.ACCOUNT_FREE_TRIES, outcomes
    free = users.ACCOUNT_FREE_TRIES
    assert sorted(outcomes) == ["failed"] * free + ["throttled"] * (threads_n - free)
    session.rollback()
    assert _failures(session) == {("account", "alice|10.6.6.6"): 5, ("address", "10.6.6.6"): 5}
    assert len(_records(session, action="login.throttled")) == 1
    assert verify_ledger(session).ok
    assert users.authenticate(session, "alice", PASSWORD, "10.0.0.9").id == alice.id  # the real user elsewhere
