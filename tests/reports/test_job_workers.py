"""Worker processes (`fund-ledger worker`) on one database, on SQLite and PostgreSQL (issue 11): three of them
finish the jobs asked of one app instance, fetched through another; a worker killed with -9 mid-job leaves the
job to another once its lease lapses, and no half-written result is ever seen."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fund_ledger import create_app
from fund_ledger.db.engine import read_session, write_session
from fund_ledger.http import jobs as http_jobs
from fund_ledger.services import jobs as queue
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LEASE = 2
DEADLINE = 120


def _start_workers(db_url: str, n: int, tmp_path: Path, **env: str) -> list[subprocess.Popen]:
    environ = {**os.environ, "FUND_LEDGER_DATABASE_URL": db_url, "FUND_LEDGER_JOB_LEASE_SECONDS": str(LEASE),
               "PYTHONPATH": str(ROOT), **env}
    environ.pop("FUND_LEDGER_TODAY", None)
    workers = []
    for i in range(n):
        with open(tmp_path / f"worker{i}.out", "wb") as out:  # the child keeps its own copy of the handle
            workers.append(subprocess.Popen([sys.executable, "-c", "from fund_ledger.cli import main; main()",
                                             "worker", "--poll", "0.1"], cwd=ROOT, env=environ, stdout=out,
                                            stderr=subprocess.STDOUT))
    return workers


def _stop(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=20)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait()


def _until(what, message: str, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found:
            return found
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


@pytest.fixture
def two_apps(demo_db):
    apps = [create_app({"TESTING": True, "DATABASE_URL": demo_db}) for _ in range(2)]
    yield apps
    for a in apps:
        a.extensions["fund_ledger.engine"].dispose()


def _token(app, username: str) -> dict:
    r = app.test_client().post("/api/v1/tokens", json={"username": username, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def test_three_worker_processes_finish_jobs_asked_of_one_app_and_fetched_through_another(two_apps, demo_db,
                                                                                         tmp_path, monkeypatch):
    monkeypatch.setattr(http_jobs, "BACKGROUND_LINES", 5)
    asked_of, fetched_from = two_apps
    users = {u: _token(asked_of, u) for u in ("manager", "manager2", "auditor")}
    locations = {}
    for user, headers in users.items():  # two long PDFs each, for three users: six jobs
        for to in ("2026-11-26", "2026-11-27"):
            r = asked_of.test_client().get(f"/api/v1/reports/general-journal?from=2026-01-01&to={to}&format=pdf",
                                           headers=headers)
            assert r.status_code == 202
            locations[(user, to)] = r.headers["Location"]
    workers = _start_workers(demo_db, 3, tmp_path)
    try:
        client = fetched_from.test_client()

        def all_done():
            states = {k: client.get(loc, headers=users[k[0]]).get_json()["status"] for k, loc in locations.items()}
            assert "failed" not in states.values(), states
            return all(s == "done" for s in states.values())

        _until(all_done, "the workers did not finish the jobs")
        for (user, to), location in locations.items():
            r = client.get(f"{location}/result", headers=users[user])
            assert r.status_code == 200 and r.data.startswith(b"%PDF")
            assert r.headers["Content-Disposition"] == f'attachment; filename="general-journal-{to}.pdf"'
            other = next(u for u in users if u != user)
            assert client.get(location, headers=users[other]).status_code == 404
            assert client.get(f"{location}/result", headers=users[other]).status_code == 404
        assert all(w.poll() is None for w in workers)  # still running, waiting for more
    finally:
        _stop(workers)
    assert all(w.returncode == 0 for w in workers)


def test_a_worker_killed_mid_job_leaves_it_to_another_which_finishes_it(two_apps, demo_db, tmp_path):
    engine = two_apps[0].extensions["fund_ledger.engine"]
    gate = tmp_path / "go"
    with write_session(engine) as s, s.begin():
        job = queue.enqueue(s, "probe", {"label": "stalled", "until_file": str(gate)}, "manager")
    workers = _start_workers(demo_db, 3, tmp_path, FUND_LEDGER_JOB_MAX_ATTEMPTS="2")
    try:
        def held():
            with read_session(engine) as s, s.begin():
                row = queue.find(s, job.id, "manager")
                return row.status == "running" and s.get(queue.m.Job, job.id).worker

        holder = _until(held, "no worker took the job")
        pid = int(holder.split(":")[1])
        victim = next(w for w in workers if w.pid == pid)
        os.kill(pid, signal.SIGKILL)
        victim.wait(timeout=20)
        gate.touch()  # the job can now finish, but only after its lease lapsed may another worker take it

        def finished():
            with read_session(engine) as s, s.begin():
                row = queue.find(s, job.id, "manager")
                assert row.status != "failed", row.error
                if row.status == "done":
                    return row, queue.result(s, job.id, "manager")
                assert queue.result(s, job.id, "manager") is None  # never a result before done
                return None

        row, (data, filename, media_type) = _until(finished, "the job was not taken over after the lease lapsed")
        assert row.attempts == 2 and (filename, media_type) == ("probe.txt", "text/plain")
        assert data.startswith(b"probe stalled done by ") and f":{pid}:" not in data.decode()
    finally:
        _stop(workers)
