"""Shared fixtures. Every test that takes ``engine`` or ``session`` runs on SQLite and on PostgreSQL.

Each test gets a fresh database copied from a template migrated once per run: a file copy on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. With ``CI=true`` a missing PostgreSQL fails the run
instead of skipping its half of the suite.
"""
from __future__ import annotations

import os

os.environ["FUND_LEDGER_CHEAP_PASSWORD_HASHES"] = "1"  # before the app is imported: see services/users.py

import itertools  # noqa: E402
import shutil
import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fund_ledger.db.engine import create_db_engine, write_session
from fund_ledger.db.schema import upgrade
from fund_ledger.services.actor import Actor
from fund_ledger.services.setup import initialise

PG_URL = os.environ.get("FUND_LEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"
TODAY = date(2026, 11, 27)
"""The date tests treat as today, so that dated stories do not drift with the calendar."""

_counter = itertools.count()
_run_id = uuid.uuid4().hex[:8]


def _prepare(url: str) -> None:
    engine = create_db_engine(url)
    upgrade(engine)
    with write_session(engine) as session, session.begin():
        initialise(session)
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _prepare(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_admin():
    """An engine on the maintenance database, for creating and dropping test databases."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    yield admin
    admin.dispose()


def _pg_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template(pg_admin):
    name = f"fl_template_{_run_id}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    _prepare(_pg_url(name))
    yield name
    with pg_admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request, tmp_path):
    """A fresh, initialised database (chart of accounts and general fund, no entries)."""
    if request.param == "sqlite":
        path = tmp_path / "ledger.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("pg_admin")
    template = request.getfixturevalue("pg_template")
    name = f"fl_test_{_run_id}_{next(_counter)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_url(name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def engine(db_url):
    eng = create_db_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    """A write session with its transaction begun; the test commits when it needs to."""
    with write_session(engine) as s:
        s.begin()
        yield s
        if s.in_transaction():
            s.rollback()


@pytest.fixture
def manager():
    return Actor("manager", "manager")


@pytest.fixture
def today():
    return TODAY


DEMO_PASSWORD = "aililiang-2026"


@pytest.fixture
def demo_db(db_url, engine):
    """A database holding the demo story and its users (admin, manager, manager2, zhuren, auditor)."""
    from fund_ledger.services.demo import load_demo

    with write_session(engine) as s, s.begin():
        load_demo(s, today=TODAY)
    return db_url


@pytest.fixture
def app(demo_db):
    from fund_ledger import create_app

    application = create_app({"TESTING": True, "DATABASE_URL": demo_db})
    yield application
    application.extensions["fund_ledger.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(app):
    """``login("manager")`` gives a test client logged in through the real form (CSRF token included)."""
    import re

    def _login(username: str, password: str = DEMO_PASSWORD):
        c = app.test_client()
        page = c.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = c.post("/login", data={"username": username, "password": password, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        # logging in starts a new session, and with it a new CSRF secret: read the token again
        page = c.get("/account").get_data(as_text=True)
        c.csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return c
    return _login


@pytest.fixture
def api_token(client):
    """``api_token("auditor")`` gives a bearer token for that demo user."""
    def _token(username: str, password: str = DEMO_PASSWORD) -> str:
        response = client.post("/api/v1/tokens", json={"username": username, "password": password})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["token"]
    return _token
