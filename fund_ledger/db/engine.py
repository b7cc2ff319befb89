"""Engines and sessions for SQLite (embedded) and PostgreSQL (production).

Writers are serialised in the database, never by a lock inside one Python process:
- SQLite: a write session begins with ``BEGIN IMMEDIATE``, so one writer at a time holds the
  database's write lock from its first statement (no upgrade from a read lock that could fail).
- PostgreSQL: :func:`lock_ledger` takes a transaction-scoped advisory lock before the ledger's head
  is read, so entries are numbered and chained one at a time across every process.
"""
from __future__ import annotations

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

_WRITE = "fund_ledger_write"
LEDGER_LOCK_KEY = 0x46554E44  # "FUND": the advisory lock that serialises writes to the ledger
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


def create_db_engine(url: str, **kwargs) -> Engine:
    """An engine configured for the ledger on either database."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit BEGIN cannot be IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def write_session(engine: Engine) -> Session:
    """A session whose transaction may write to the ledger."""
    return Session(bind=engine.execution_options(**{_WRITE: True}), expire_on_commit=False)


def read_session(engine: Engine) -> Session:
    """A session for reading: one consistent snapshot for the whole transaction on both databases
    (SQLite's WAL read transaction gives it; PostgreSQL needs REPEATABLE READ), so a report, an export
    or verify never mixes two states of the ledger."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return Session(bind=engine, expire_on_commit=False)


def advisory_lock(session: Session, key: int) -> None:
    """Take PostgreSQL's transaction-scoped advisory lock ``key`` once per transaction: a second call in the
    same transaction (a gift takes the ledger's lock, then posts its entry, which asks again) costs no round
    trip. Taken inside a savepoint it is asked for again after, since rolling the savepoint back may drop it."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    root, nested = conn.get_transaction(), conn.get_nested_transaction()
    held = conn.info.setdefault("fund_ledger_locks", {})
    if held.get(key) is root and root is not None:
        return
    conn.execute(_LOCK, {"k": key})
    if nested is None:
        held[key] = root


def lock_ledger(session: Session) -> None:
    """Serialise this transaction against every other writer of the ledger, in the database."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        advisory_lock(session, LEDGER_LOCK_KEY)
    elif conn.dialect.name == "sqlite" and not conn.get_execution_options().get(_WRITE):
        raise RuntimeError("ledger writes need write_session(): a deferred SQLite transaction could fail to upgrade")
