"""``fund-ledger backup`` and ``restore`` as an operator uses them, on both databases: a copy taken while gifts
are being posted restores into an empty database, verifies and equals the ledger as it was at one moment; a copy
of a tampered ledger is refused, naming the entry, and leaves the database empty; a database that is not empty,
a file of the other kind and a file that is no backup are refused and change nothing."""
from __future__ import annotations

import threading
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from fund_ledger.cli import main
from fund_ledger.db.engine import create_db_engine, write_session
from tests.db.tamper import disable_guards
from tests.factories import gift_draft, post


def _run(url: str, monkeypatch, *args):
    monkeypatch.setenv("FUND_LEDGER_DATABASE_URL", url)
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def empty_url(db_url, tmp_path, request):
    """A second database of the same kind, with nothing in it."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    from tests.conftest import _pg_url

    admin = request.getfixturevalue("pg_admin")  # the suite's maintenance connection
    name = f"fl_restore_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield _pg_url(name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _chain(url: str) -> list[tuple]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            entries = conn.execute(text("SELECT id, hash FROM entries ORDER BY id")).all()
            postings = conn.execute(text("SELECT entry_id, line_no, account_code, fund_code, debit, credit "
                                         "FROM postings ORDER BY entry_id, line_no")).all()
            balances = conn.execute(text("SELECT account_code, fund_code, debits_posted, credits_posted "
                                         "FROM account_balances ORDER BY account_code, fund_code")).all()
        return [tuple(r) for r in entries], [tuple(r) for r in postings], [tuple(r) for r in balances]
    finally:
        engine.dispose()


def test_a_backup_taken_under_write_load_restores_verifies_and_equals_one_moment(demo_db, engine, empty_url,
                                                                                   tmp_path, monkeypatch):
    stop, posted, failures = threading.Event(), [], []

    def write() -> None:
        try:
            while not stop.is_set() and len(posted) < 400:
                with write_session(engine) as session, session.begin():
                    posted.append(post(session, gift_draft(fen=100_00 + len(posted))).seq)
        except Exception as err:  # noqa: BLE001 - reported below
            failures.append(err)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(posted) < 20 and writer.is_alive():
            threading.Event().wait(0.01)
        result = _run(demo_db, monkeypatch, "backup", str(tmp_path / "ledger.backup"))
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not failures, failures
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output

    restored = _run(empty_url, monkeypatch, "restore", str(tmp_path / "ledger.backup"))
    assert restored.exit_code == 0, restored.output
    assert restored.output.startswith("ok: ")
    entries, postings, _ = _chain(empty_url)
    original_entries, original_postings, _ = _chain(demo_db)
    assert 12 + 20 <= len(entries) <= len(original_entries)  # the demo's 12, and the gifts posted by then
    assert entries == original_entries[:len(entries)]  # one moment of the ledger: a prefix of its chain
    assert postings == [p for p in original_postings if p[0] <= entries[-1][0]]
    assert _run(empty_url, monkeypatch, "verify").exit_code == 0


def test_a_copy_at_rest_restores_to_the_same_books(demo_db, empty_url, tmp_path, monkeypatch):
    assert _run(demo_db, monkeypatch, "backup", str(tmp_path / "b")).exit_code == 0
    assert _run(empty_url, monkeypatch, "restore", str(tmp_path / "b")).exit_code == 0
    assert _chain(empty_url) == _chain(demo_db)  # entries, postings and running balances
    tb = _run(empty_url, monkeypatch, "report", "trial-balance", "--format", "json").output
    assert tb == _run(demo_db, monkeypatch, "report", "trial-balance", "--format", "json").output


def test_a_backup_of_a_tampered_ledger_is_refused_naming_the_entry(demo_db, engine, empty_url, tmp_path,
                                                                    monkeypatch):
    with write_session(engine) as session, session.begin():
        disable_guards(session)
        session.execute(text("UPDATE postings SET debit = debit + 1 WHERE entry_id = 3 AND line_no = 1"))
    assert _run(demo_db, monkeypatch, "backup", str(tmp_path / "b")).exit_code == 0
    result = _run(empty_url, monkeypatch, "restore", str(tmp_path / "b"))
    assert result.exit_code == 1
    assert "first bad entry 2026-000003" in result.output
    assert "nothing was restored" in result.output
    target = create_db_engine(empty_url)
    try:
        from sqlalchemy import inspect

        assert inspect(target).get_table_names() == []  # left as empty as it was found
    finally:
        target.dispose()
    assert _run(demo_db, monkeypatch, "verify").exit_code == 1  # the source is as tampered as it was


def test_restore_refuses_a_database_that_is_not_empty(demo_db, tmp_path, monkeypatch):
    assert _run(demo_db, monkeypatch, "backup", str(tmp_path / "b")).exit_code == 0
    before = _chain(demo_db)
    result = _run(demo_db, monkeypatch, "restore", str(tmp_path / "b"))
    assert result.exit_code == 1 and "not empty" in result.output
    assert _chain(demo_db) == before


def test_restore_refuses_what_is_not_a_backup_of_this_kind(demo_db, empty_url, tmp_path, monkeypatch):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"PK\x03\x04 not a backup at all")
    result = _run(empty_url, monkeypatch, "restore", str(junk))
    assert result.exit_code == 1 and "is not a backup" in result.output
    other = tmp_path / "other"
    if empty_url.startswith("sqlite"):
        other.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
        expected = "is a PostgreSQL backup; the database is SQLite"
    else:
        other.write_bytes(b"SQLite format 3\x00" + b"\x00" * 84)
        expected = "is a SQLite backup; the database is PostgreSQL"
    result = _run(empty_url, monkeypatch, "restore", str(other))
    assert result.exit_code == 1 and expected in result.output, result.output


def test_sqlite_restore_refuses_a_damaged_file(sqlite_demo_template, tmp_path, monkeypatch):
    import shutil

    shutil.copyfile(sqlite_demo_template, tmp_path / "live.sqlite3")
    assert _run(f"sqlite:///{tmp_path / 'live.sqlite3'}", monkeypatch, "backup", str(tmp_path / "b")).exit_code == 0
    data = bytearray((tmp_path / "b").read_bytes())
    data[4096:8192] = b"\xff" * 4096  # a page of garbage
    (tmp_path / "b").write_bytes(bytes(data))
    target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    result = _run(target, monkeypatch, "restore", str(tmp_path / "b"))
    assert result.exit_code == 1
    assert "damaged" in result.output or "cannot be read" in result.output or "does not verify" in result.output
