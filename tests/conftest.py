"""Shared fixtures. A test that takes ``db_url`` (or ``engine``, ``session``, ``demo_db``, ``app``, ...) runs on
SQLite and on PostgreSQL, except an HTTP-level one.

Which database a test gets (``pytest_generate_tests`` below parametrises ``db_url``):

- Tests under ``tests/web``, ``tests/api`` and ``tests/browser`` check what the app says over HTTP: who may,
  what a page or an answer holds, what bad input gets. That does not change with the database, so they run
  once, on SQLite. The SQL they reach is checked on both databases by the tests of services, reports, db,
  the command line and imports, which stay on both.
- An HTTP-level test whose point is the database (a race, idempotency, a lock, tampering and ``verify``, a
  story specified "on both databases", every route as every role) says so with
  ``@pytest.mark.both_databases`` and runs on both.
- ``pytest --all-databases`` runs every HTTP-level test on PostgreSQL too.

Each test gets a fresh database copied from a template migrated once per run (per pytest-xdist worker): a file
copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. Every PostgreSQL database a process makes is
named after that process (the xdist worker and a random run id), so parallel workers never meet. With
``CI=true`` a missing PostgreSQL fails the run instead of skipping its half of the suite.
"""
from __future__ import annotations

import os

os.environ["FUND_LEDGER_CHEAP_PASSWORD_HASHES"] = "1"  # before the app is imported: see services/users.py

import itertools  # noqa: E402
import shutil
import uuid
from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fund_ledger import clock
from fund_ledger.db.engine import create_db_engine, write_session
from fund_ledger.db.schema import upgrade
from fund_ledger.services.actor import Actor
from fund_ledger.services.setup import initialise

PG_URL = os.environ.get("FUND_LEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"
TODAY = date(2026, 11, 27)
"""The date tests treat as today, so that dated stories do not drift with the calendar."""
TEST_TIME = time(10, 0)
"""Where the clock starts on ``TODAY`` (Beijing time); it then runs on with real time."""

@pytest.fixture(scope="session", autouse=True)
def _the_clock():
    """The one clock (``fund_ledger.clock``) starts at ``TODAY`` 10:00 Beijing time for the whole run, so that no
    test depends on the real date; a test that needs another moment uses ``set_today``. To check that, run the
    suite under Debian's faketime, e.g. ``FAKETIME_DONT_FAKE_MONOTONIC=1 faketime '2027-12-31 16:30:00' pytest``
    (with a faked monotonic clock every timed wait in Python hangs; without it libfaketime 0.9.10 makes every
    ``time.sleep`` fail with EINVAL, so the few tests that run a subprocess with a timeout fail for faketime's sake)."""
    previous = clock.set_clock(clock.SetClock.on(TODAY, TEST_TIME))
    yield
    clock.set_clock(previous)


@pytest.fixture
def set_today():
    """``set_today(date(2026, 12, 31), time(23, 59))`` moves the clock for this test; it comes back after."""
    previous = clock.current()

    def _set(day: date, at: time = TEST_TIME, **kwargs) -> clock.SetClock:
        chosen = clock.SetClock.on(day, at, **kwargs)
        clock.set_clock(chosen)
        return chosen
    yield _set
    clock.set_clock(previous)


_counter = itertools.count()
_run_id = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
"""In every PostgreSQL database name this process makes: its xdist worker (``gw0``...) and a random part."""

TESTS = Path(__file__).parent
HTTP_LEVEL = ("web", "api", "browser")
"""Directories of tests that drive the app over HTTP: on SQLite only, unless marked ``both_databases``."""


def pytest_addoption(parser):
    parser.addoption("--all-databases", action="store_true",
                     help="run the HTTP-level tests (tests/web, tests/api, tests/browser) on PostgreSQL too")


def _http_level(path: Path) -> bool:
    try:
        return path.relative_to(TESTS).parts[0] in HTTP_LEVEL
    except ValueError:
        return False


def _names(argnames) -> list[str]:
    return [n.strip() for n in argnames.split(",")] if isinstance(argnames, str) else list(argnames)


def pytest_generate_tests(metafunc):
    """``db_url`` is ``sqlite`` and ``postgresql``, or only ``sqlite`` for an HTTP-level test (module docstring)."""
    if "db_url" not in metafunc.fixturenames or any(
            "db_url" in _names(m.args[0]) for m in metafunc.definition.iter_markers("parametrize")):
        return  # a test may choose its database itself: @pytest.mark.parametrize("db_url", [...], indirect=True)
    databases = [pytest.param("sqlite", id="sqlite"),
                 pytest.param("postgresql", id="postgresql", marks=pytest.mark.pg)]
    if (_http_level(metafunc.definition.path) and not metafunc.definition.get_closest_marker("both_databases")
            and not metafunc.config.getoption("all_databases")):
        databases = databases[:1]
    metafunc.parametrize("db_url", databases, indirect=True)


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
def pg_dropper(pg_admin):
    """Drops the test databases, and at the end the templates, in batches (see :class:`_PgDropper`)."""
    dropper = _PgDropper()
    yield dropper
    dropper.close()


@pytest.fixture(scope="session")
def pg_template(pg_admin, pg_dropper):
    name = f"fl_template_{_run_id}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    _prepare(_pg_url(name))
    yield name
    pg_dropper.drop_later(name)


class _PgDropper:
    """Drops databases behind the tests, in a background thread, several at once.

    ``DROP DATABASE`` waits for a checkpoint, which takes seconds when the disk is busy; drops that wait
    together share one. So the thread takes every database waiting to be dropped (up to ``BATCH``) and drops
    them on parallel connections: six take about as long as one. An error is raised again at the end.
    """

    BATCH = 8

    def __init__(self):
        import queue
        import threading

        self._engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_size=self.BATCH, max_overflow=0)
        self._queue: queue.Queue = queue.Queue()
        self._errors: list[Exception] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="pg-dropper", daemon=True)
        self._thread.start()

    def drop_later(self, name: str) -> None:
        self._queue.put(name)

    def _drop(self, name: str) -> None:
        try:
            with self._engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception as exc:  # noqa: BLE001 - kept for close(), which raises it where pytest reports it
            self._errors.append(exc)

    def _drop_all(self, names: list[str]) -> None:
        import threading

        threads = [threading.Thread(target=self._drop, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _next_batch(self, timeout: float | None) -> list[str]:
        import queue

        names = [self._queue.get(timeout=timeout)] if timeout else [self._queue.get_nowait()]
        while len(names) < self.BATCH:
            try:
                names.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return names

    def _work(self) -> None:
        import queue

        while not self._stop.is_set():
            try:
                self._drop_all(self._next_batch(timeout=0.1))
            except queue.Empty:
                continue

    def close(self) -> None:
        """Drop everything still waiting, then stop."""
        import queue

        self._stop.set()
        self._thread.join()
        while True:
            try:
                self._drop_all(self._next_batch(timeout=None))
            except queue.Empty:
                break
        self._engine.dispose()
        if self._errors:
            raise self._errors[0]


class _PgPool:
    """Fresh test databases made ahead, by one background thread; used ones go to the dropper.

    Creating a PostgreSQL database takes a while; made in each test's set-up that was much of the suite's
    time. The thread keeps two copies of each template ready while the tests run. Each test still gets a
    database no other test touched.
    """

    READY = 2

    def __init__(self, admin, dropper: _PgDropper):
        import queue
        import threading

        self._admin = admin
        self._dropper = dropper
        self._ready: dict[str, queue.Queue] = {}
        self._wanted = queue.Queue()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="pg-pool", daemon=True)
        self._thread.start()

    def _make(self, template: str) -> None:
        name = f"fl_test_{_run_id}_{next(_counter)}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        self._ready[template].put(name)

    def _work(self) -> None:
        import queue

        while not self._stop.is_set():
            try:  # a test waiting for a database goes first, then keeping the pools full
                self._make(self._wanted.get_nowait())
                continue
            except queue.Empty:
                pass
            with self._lock:
                short = [t for t, q in self._ready.items() if q.qsize() < self.READY]
            if short:
                self._make(short[0])
                continue
            try:
                self._make(self._wanted.get(timeout=0.05))
            except queue.Empty:
                continue

    def take(self, template: str) -> str:
        import queue

        with self._lock:
            if template not in self._ready:
                self._ready[template] = queue.Queue()
        try:
            return self._ready[template].get_nowait()
        except queue.Empty:
            self._wanted.put(template)
            return self._ready[template].get(timeout=120)

    def drop_later(self, name: str) -> None:
        self._dropper.drop_later(name)

    def close(self) -> None:
        """Stop the thread; every database it made and nobody took goes to the dropper."""
        self._stop.set()
        self._thread.join(timeout=60)
        for q in self._ready.values():
            while not q.empty():
                self._dropper.drop_later(q.get_nowait())


@pytest.fixture(scope="session")
def pg_pool(pg_admin, pg_dropper, pg_template, pg_demo_template):
    """(After both templates, so that it stops before they are dropped.)"""
    pool = _PgPool(pg_admin, pg_dropper)
    yield pool
    pool.close()


@pytest.fixture
def db_url(request, tmp_path):
    """A fresh, initialised database (chart of accounts and general fund, no entries), on the database
    ``pytest_generate_tests`` chose."""
    demo = "demo_db" in request.fixturenames  # then a copy of the demo ledger, loaded once per run
    if request.param == "sqlite":
        path = tmp_path / "ledger.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_demo_template" if demo else "sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    pool = request.getfixturevalue("pg_pool")
    template = request.getfixturevalue("pg_demo_template" if demo else "pg_template")
    name = pool.take(template)
    yield _pg_url(name)
    pool.drop_later(name)


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


def _load_demo(url: str) -> None:
    from fund_ledger.services.demo import load_demo

    engine = create_db_engine(url)
    with write_session(engine) as s, s.begin():
        load_demo(s, today=TODAY)
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo_template") / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    _load_demo(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_demo_template(pg_admin, pg_dropper, pg_template):
    name = f"fl_demo_template_{_run_id}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    _load_demo(_pg_url(name))
    yield name
    pg_dropper.drop_later(name)


@pytest.fixture
def demo_db(db_url):
    """A database holding the demo story and its users (admin, manager, manager2, zhuren, auditor): a copy of
    the demo ledger loaded once per run (``db_url`` copies it instead of the empty ledger for such tests)."""
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
