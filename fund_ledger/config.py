"""Settings from the environment (see the README's configuration table)."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("FUND_LEDGER_INSTANCE", PROJECT_ROOT / "instance"))


def database_url() -> str:
    url = os.environ.get("FUND_LEDGER_DATABASE_URL")
    if url:
        return url
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'fund_ledger.sqlite3'}"
