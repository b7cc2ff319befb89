"""Background jobs through the API and the pages with more than one app process (issue 11), on both databases:
a long PDF asked of one app instance answers 202 + Location, a worker runs it, another app instance answers for
it and gives the file, to the user who asked alone."""
from __future__ import annotations

import time

import pytest

from fund_ledger import create_app
from fund_ledger.http import jobs as http_jobs
from fund_ledger.reports.jobs import Worker
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.both_databases  # the queue is in the database: its behaviour there matters

LONG_PDF = "/api/v1/reports/general-journal?from=2026-01-01&to=2026-11-27&format=pdf"


@pytest.fixture
def other_app(demo_db):
    """A second app instance on the same database, as another gunicorn worker would be."""
    application = create_app({"TESTING": True, "DATABASE_URL": demo_db})
    yield application
    application.extensions["fund_ledger.engine"].dispose()


def _token(app, username: str) -> dict:
    r = app.test_client().post("/api/v1/tokens", json={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 201
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def _run_jobs(app) -> int:
    return Worker(app.extensions["fund_ledger.engine"], lease_seconds=30, max_attempts=3).run(once=True)


def test_a_long_pdf_is_202_and_any_app_instance_answers_for_the_job(app, other_app, monkeypatch):
    monkeypatch.setattr(http_jobs, "BACKGROUND_LINES", 5)
    manager = _token(app, "manager")
    one, two = app.test_client(), other_app.test_client()
    r = one.get(LONG_PDF, headers=manager)
    assert r.status_code == 202, r.get_data(as_text=True)
    location = r.headers["Location"]
    job_id = location.rsplit("/", 1)[1]
    assert location == f"/api/v1/jobs/{job_id}" and r.get_json() == {"id": job_id, "status": "queued", "progress": 0}
    assert one.get(LONG_PDF, headers=manager).headers["Location"] == location  # asked again: the same job

    r = two.get(location, headers=manager)  # another process, before any worker ran
    assert r.status_code == 200 and r.get_json() == {"id": job_id, "status": "queued", "progress": 0}
    assert two.get(f"{location}/result", headers=manager).status_code == 404

    assert _run_jobs(other_app) == 1  # a worker (here: in this process, on the second instance's engine)
    body = one.get(location, headers=manager).get_json()
    assert body == {"id": job_id, "status": "done", "progress": 100, "result_url": f"{location}/result"}
    r = two.get(body["result_url"], headers=manager)
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert r.headers["Content-Disposition"] == 'attachment; filename="general-journal-2026-11-27.pdf"'
    # the page reads the same table: the browser's job page, on the other instance, offers the same file
    for other in ("auditor", "manager2", "admin", "zhuren"):  # anyone else: as if it did not exist
        headers = _token(app, other)
        for client in (one, two):
            assert client.get(location, headers=headers).status_code == 404
            assert client.get(f"{location}/result", headers=headers).status_code == 404
    assert one.get(location).status_code == 401
    assert one.get("/api/v1/jobs/not-a-job", headers=manager).status_code == 404


def test_a_short_pdf_still_comes_at_once_from_the_api(app):
    r = app.test_client().get("/api/v1/reports/general-journal?from=2026-09-01&to=2026-09-30&format=pdf",
                              headers=_token(app, "auditor"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"


def test_the_page_and_the_api_read_the_same_job(app, other_app, login, monkeypatch):
    monkeypatch.setattr(http_jobs, "BACKGROUND_LINES", 5)
    r = app.test_client().get(LONG_PDF, headers=_token(app, "manager"))
    job_id = r.headers["Location"].rsplit("/", 1)[1]
    _run_jobs(app)
    page = login("manager").get(f"/reports/jobs/{job_id}")  # `login` signs in on the first instance
    assert page.status_code == 200 and f"/reports/jobs/{job_id}/file" in page.get_data(as_text=True)
    assert login("manager").get(f"/reports/jobs/{job_id}/file").data.startswith(b"%PDF")
    assert login("auditor").get(f"/reports/jobs/{job_id}").status_code == 404


def test_the_demo_app_runs_jobs_in_a_thread_of_its_own(demo_db, monkeypatch):
    monkeypatch.setattr(http_jobs, "BACKGROUND_LINES", 5)
    demo = create_app({"TESTING": True, "DATABASE_URL": demo_db, "JOB_WORKER_THREAD": True})
    try:
        assert "fund_ledger.job_worker" not in demo.extensions  # started by the first request, not before
        c, manager = demo.test_client(), _token(demo, "manager")
        demo.extensions["fund_ledger.job_worker"].poll_seconds = 0.1
        location = c.get(LONG_PDF, headers=manager).headers["Location"]
        deadline = time.monotonic() + 90
        while c.get(location, headers=manager).get_json()["status"] != "done":
            assert time.monotonic() < deadline, "the app's worker thread did not finish the job"
            time.sleep(0.2)
        assert c.get(f"{location}/result", headers=manager).data.startswith(b"%PDF")
    finally:
        if "fund_ledger.job_worker" in demo.extensions:
            demo.extensions["fund_ledger.job_worker"].stop.set()
        time.sleep(0.3)
        demo.extensions["fund_ledger.engine"].dispose()
