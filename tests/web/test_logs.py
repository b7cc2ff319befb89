"""Structured logs: a JSON line per request, with the request id it answers with; errors carry the same id."""
from __future__ import annotations

import io
import json
import logging

import pytest

from fund_ledger.http.logs import JsonFormatter


@pytest.fixture
def lines(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    app.logger.addHandler(handler)
    app.logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    app.logger.removeHandler(handler)


def test_each_request_is_one_json_line_with_its_id(client, lines):
    response = client.get("/verify?code=SECRET-CODE", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    [line] = [x for x in lines() if x["message"] == "request"]
    assert line["request_id"] == "abc-123" and line["method"] == "GET" and line["path"] == "/verify"
    assert line["status"] == response.status_code and line["ms"] >= 0 and line["level"] == "info"
    assert line["at"].endswith("Z")
    assert "SECRET-CODE" not in json.dumps(lines())  # no query strings: they may hold a gift's code


def test_a_hostile_request_id_is_replaced(client, lines):
    response = client.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert len(response.headers["X-Request-ID"]) == 16
    assert lines()[-1]["request_id"] == response.headers["X-Request-ID"]


def test_the_user_is_named(login, lines):
    login("auditor").get("/overview")
    assert lines()[-1]["user"] == "auditor"


def test_a_bad_log_format_stops_the_start(monkeypatch, demo_db):
    from fund_ledger import create_app
    from fund_ledger.config import SettingsError

    monkeypatch.setenv("FUND_LEDGER_LOG_FORMAT", "xml")
    with pytest.raises(SettingsError, match="FUND_LEDGER_LOG_FORMAT"):
        create_app({"TESTING": True, "DATABASE_URL": demo_db})
