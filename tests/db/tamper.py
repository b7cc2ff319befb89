"""Going behind the ledger's back, as an attacker with database access would: for tests only."""
from __future__ import annotations

from sqlalchemy import text


def disable_guards(session) -> None:
    """Switch off the ledger's triggers inside the current transaction (rolled back with it)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # ALTER TABLE refuses to run beside pending checks
        for table in ("entries", "postings", "periods", "accounts", "funds", "audit_log", "users", "api_tokens",
                      "donations", "import_batches", "idempotency_keys", "pledges", "pledge_instalments",
                      "disbursements", "disbursement_events", "disbursement_reports", "disbursement_attachments",
                      "programme_organisations", "audit_reports", "published_items", "report_texts", "annual_reports"):
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        conn.execute(text("SET CONSTRAINTS ALL DEFERRED"))  # an attacker's edits need not satisfy keys until commit
    else:
        for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all():
            conn.execute(text(f'DROP TRIGGER "{name}"'))
