"""The production set-up the README describes, run for real: gunicorn with three worker processes on one
database (SQLite and PostgreSQL), reached over HTTP (issue 11). Whatever worker a request lands on, a session
started on one is honoured by the others and ended for all of them by log-out; gifts posted at once through
several workers are each recorded once and the ledger verifies; the public check's limit per address holds over
all the workers together; /healthz answers."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from fund_ledger.db.engine import create_db_engine, read_session
from fund_ledger.services.verify import verify_ledger
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(demo_db, tmp_path):
    """gunicorn --workers 3 serving the demo ledger; its base URL."""
    port = _free_port()
    env = {**os.environ, "FUND_LEDGER_DATABASE_URL": demo_db, "FUND_LEDGER_SECRET_KEY": "s" * 40,
           "FUND_LEDGER_TODAY": "2026-11-27", "FUND_LEDGER_VERIFY_PER_10_MIN": "2", "PYTHONPATH": str(ROOT)}
    env.pop("FUND_LEDGER_DEMO", None)
    with open(tmp_path / "gunicorn.log", "wb") as log:  # the server keeps its own copy of the handle
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind",
                                   f"127.0.0.1:{port}", "--timeout", "120", "--control-socket",
                                   str(tmp_path / "gunicorn.ctl"), "fund_ledger:create_app()"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:  # not listening yet, or a worker still starting
            pass
        assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
        time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(30)


class _Browser(requests.Session):
    """Sends the app's Secure cookies back over plain http to 127.0.0.1, as the TLS-terminating proxy in front
    of gunicorn does (outside demo and tests the session cookie is Secure, and requests keeps such cookies
    for https addresses only)."""

    def request(self, *args, **kwargs):
        response = super().request(*args, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def _log_in(base: str, username: str) -> requests.Session:
    browser = _Browser()
    page = browser.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    r = browser.post(f"{base}/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token},
                     allow_redirects=False)
    assert r.status_code == 302, r.text[:500]
    return browser


def _token(base: str, username: str) -> dict:
    r = requests.post(f"{base}/api/v1/tokens", json={"username": username, "password": DEMO_PASSWORD}, timeout=30)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_three_workers_share_sessions_gifts_and_limits(served, demo_db):
    base = served
    # a session begun on one worker is good on all of them, and log-out ends it on all of them
    browser = _log_in(base, "manager")
    copied = _Browser()
    copied.cookies.update(browser.cookies.copy())  # a copy of the session cookie, as a thief would hold it
    assert {browser.get(f"{base}/overview", allow_redirects=False).status_code for _ in range(12)} == {200}
    assert {copied.get(f"{base}/overview", allow_redirects=False).status_code for _ in range(12)} == {200}
    page = browser.get(f"{base}/overview").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert browser.post(f"{base}/logout", data={"csrf_token": csrf}, allow_redirects=False).status_code == 302
    assert {copied.get(f"{base}/overview", allow_redirects=False).status_code for _ in range(12)} == {302}

    # gifts posted at once, through whichever worker, are each recorded once
    headers = _token(base, "manager")
    donor = requests.post(f"{base}/api/v1/donors", json={"name": "并发测试人", "kind": "person"}, headers=headers,
                          timeout=30).json()["id"]
    funds = requests.get(f"{base}/api/v1/funds", params={"per_page": 200}, headers=headers, timeout=30).json()
    general = next(f["id"] for f in funds["items"] if f["code"] == "GENERAL")

    def give(i: int) -> requests.Response:
        return requests.post(f"{base}/api/v1/donations", headers={**headers, "Idempotency-Key": f"g-{i % 15}"},
                             json={"donor_id": donor, "fund_id": general, "amount": f"{i % 15 + 1}.00",
                                   "received_on": "2026-11-20", "channel": "bank"}, timeout=120)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(give, range(30)))  # 15 gifts, each asked twice
    assert {r.status_code for r in answers} == {201}, [r.text for r in answers if r.status_code != 201][:3]
    numbers = {r.json()["receipt_number"] for r in answers}
    assert len(numbers) == 15
    engine = create_db_engine(demo_db)
    try:
        with read_session(engine) as s, s.begin():
            assert verify_ledger(s).ok
    finally:
        engine.dispose()

    # the public check's limit per address (2 here) holds over the three workers together
    assert requests.post(f"{base}/api/v1/periods/2026-09/close", headers=headers, timeout=60).status_code == 201
    issued = requests.post(f"{base}/api/v1/audit-reports", json={"period": "2026-09"}, headers=headers, timeout=300)
    assert issued.status_code == 201, issued.text
    pdf = requests.get(f"{base}/api/v1/audit-reports/{issued.json()['id']}.pdf", headers=headers, timeout=120).content
    statuses = [requests.post(f"{base}/api/v1/audit-reports/verify", files={"file": ("report.pdf", pdf)},
                              timeout=120).status_code for _ in range(6)]
    assert statuses[:2] == [200, 200] and set(statuses[2:]) == {429}, statuses
