"""Backing the ledger up while it runs, and restoring a backup only when the result verifies."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from ..db import backup as store
from ..db.engine import read_session
from .verify import VerifyReport, verify_ledger

BackupError = store.BackupError


@dataclass(frozen=True)
class Restored:
    file: store.BackupFile
    report: VerifyReport
    """``verify`` of what was restored; when it failed, the database was emptied again."""


def backup_ledger(engine: Engine, target: Path) -> store.BackupFile:
    return store.backup(engine, Path(target))


def restore_ledger(engine: Engine, source: Path) -> Restored:
    """Restore into an empty database, then verify the chain, the balances, the seals and the audit log; a backup
    that does not verify is not kept (the database is emptied again) and the report names the first bad entry."""
    restored = store.restore(engine, Path(source))
    try:
        with read_session(engine) as session, session.begin():
            report = verify_ledger(session)
    except Exception:
        store.empty(engine)
        raise
    if not report.ok:
        store.empty(engine)
    return Restored(restored, report)
