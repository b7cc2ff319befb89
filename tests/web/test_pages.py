"""The pages people read: the overview and the journal, in Chinese, with the demo's numbers."""
from __future__ import annotations

import pytest

from fund_ledger import create_app


@pytest.fixture
def client(login):
    return login("auditor")


def test_overview_shows_funds_and_a_balanced_trial_balance(client):
    page = client.get("/overview").get_data(as_text=True)
    assert "爱力量" in page and "¥78,000.00" in page  # 100,000 + 8,000 given, 30,000 granted
    assert page.count("239,408.50") == 2  # debit and credit totals agree


def test_overview_as_of_a_past_date(client):
    page = client.get("/overview?as_of=2026-09-30").get_data(as_text=True)
    assert "¥100,000.00" in page


@pytest.mark.parametrize("query", ["?as_of=2026-02-30", "?as_of=yesterday", "?as_of=2026-1-1"])
def test_bad_dates_are_a_400_not_a_500(client, query):
    response = client.get("/overview" + query)
    assert response.status_code == 400
    assert b"YYYY-MM-DD" in response.data


@pytest.mark.both_databases  # input PostgreSQL refuses and SQLite takes (NUL, huge ids, long text)
def test_a_nul_character_is_refused_at_the_door_naming_the_parameter(client):
    response = client.get("/overview?as_of=%00")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'as_of: <span class="message" data-field="as_of" data-code="text.nul">' in page
    assert "NUL characters are not allowed" in page and "不能含 NUL 字符" in page


def test_journal_lists_entries_newest_first_and_pages(client):
    page = client.get("/journal?per_page=5").get_data(as_text=True)
    assert page.index("2026-000012") < page.index("2026-000008")
    assert "2026-000007" not in page
    assert "2026-000007" in client.get("/journal?per_page=5&page=2").get_data(as_text=True)
    assert client.get("/journal?page=999").status_code == 200
    assert client.get("/journal?page=-3&per_page=100000").status_code == 200


def test_a_reversed_entry_shows_what_reversed_it(client):
    page = client.get("/journal/2026-000005").get_data(as_text=True)
    assert "此分录已被冲销" in page and "2026-000006" in page
    assert "人民币贰仟元整" in page
    back = client.get("/journal/2026-000006").get_data(as_text=True)
    assert "本分录冲销" in back and "2026-000005" in back


@pytest.mark.parametrize("number", ["2026-999999", "nonsense", "2026-0%2F1", "..%2F..%2Fetc"])
def test_unknown_entries_are_404(client, number):
    assert client.get(f"/journal/{number}").status_code == 404


def test_security_headers(client):
    headers = client.get("/overview").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src" not in headers["Content-Security-Policy"] or "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, db_url):
    monkeypatch.delenv("FUND_LEDGER_SECRET_KEY", raising=False)
    monkeypatch.delenv("FUND_LEDGER_DEMO", raising=False)
    with pytest.raises(RuntimeError, match="FUND_LEDGER_SECRET_KEY"):
        create_app({"DATABASE_URL": db_url})
