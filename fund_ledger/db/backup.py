"""Copies of the whole database taken while the app runs, and putting one back into an empty database.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page in one step inside one read
  transaction, so the copy is one consistent state of the ledger while writers go on (WAL mode).
- PostgreSQL: ``pg_dump --format=custom``, which reads one snapshot; ``pg_restore --single-transaction``.

A backup file says what it is by its first bytes; a restore refuses a file of the other kind, a damaged
file, and a database that is not empty. Whether what was restored is the ledger it claims to be is for
``verify`` to say (``services.backup``), not this module.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from ..config import child_environment

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why, for an operator."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    kind: str
    """``sqlite`` or ``postgresql``."""
    size: int


def file_kind(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as err:
        raise BackupError(f"cannot read {path}: {err.strerror or err}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a backup of this ledger (neither an SQLite database nor a pg_dump custom file)")


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    return Path(database)


def _pg_command(engine: Engine, program: str) -> tuple[list[str], dict[str, str]]:
    """The program's connection arguments, the password in the environment (never on the command line)."""
    if shutil.which(program) is None:
        raise BackupError(f"{program} is not installed (Debian: postgresql-client)")
    url = engine.url
    args = [program, "--no-password"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    args += ["--dbname", url.database or "postgres"]
    return args, child_environment(**({"PGPASSWORD": str(url.password)} if url.password else {}))


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {detail[-1] if detail else f'exit {done.returncode}'}")


def backup(engine: Engine, target: Path) -> BackupFile:
    """Write a consistent copy of the whole database to ``target`` (written aside, then moved into place)."""
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the backup file")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            source = sqlite3.connect(f"file:{_sqlite_path(engine)}?mode=ro", uri=True, timeout=60)
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)  # every page in one step: one read transaction, one state
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                copy.close()
                source.close()
        elif engine.dialect.name == "postgresql":
            args, env = _pg_command(engine, "pg_dump")
            _run(args + ["--format=custom", "--file", str(partial)], env, "pg_dump")
        else:
            raise BackupError(f"no backup for {engine.dialect.name}")
        os.replace(partial, target)
    except sqlite3.Error as err:
        raise BackupError(f"the SQLite backup failed: {err}") from None
    finally:
        partial.unlink(missing_ok=True)
    return BackupFile(target, engine.dialect.name, target.stat().st_size)


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


def restore(engine: Engine, source: Path) -> BackupFile:
    """Put the backup ``source`` into the (empty) database of ``engine``."""
    source = Path(source)
    kind = file_kind(source)
    if kind != engine.dialect.name:
        raise BackupError(f"{source} is a {KINDS[kind]} backup; the database is {KINDS.get(engine.dialect.name, engine.dialect.name)}")
    if tables := table_names(engine):
        raise BackupError(f"the database is not empty ({len(tables)} tables): restore only into an empty database")
    if kind == "sqlite":
        _restore_sqlite(engine, source)
    else:
        args, env = _pg_command(engine, "pg_restore")
        _run(args + ["--single-transaction", "--exit-on-error", "--no-owner", "--no-acl", str(source)], env,
             "pg_restore")
    return BackupFile(source, kind, source.stat().st_size)


def _restore_sqlite(engine: Engine, source: Path) -> None:
    try:
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            check = backup_db.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"{source} is a damaged SQLite file ({check[0] if check else 'no answer'})")
            engine.dispose()
            target = sqlite3.connect(_sqlite_path(engine), timeout=60)
            try:
                backup_db.backup(target)
                target.execute("PRAGMA journal_mode=WAL")
            finally:
                target.close()
        finally:
            backup_db.close()
    except sqlite3.DatabaseError as err:
        raise BackupError(f"{source} cannot be read as an SQLite database: {err}") from None


def empty(engine: Engine) -> None:
    """Undo a restore that did not verify: the database is left as empty as it was found."""
    engine.dispose()
    if engine.dialect.name == "sqlite":
        path = _sqlite_path(engine)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        sqlite3.connect(path).close()
        return
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public AUTHORIZATION pg_database_owner"))
        conn.execute(text("GRANT USAGE ON SCHEMA public TO PUBLIC"))


__all__ = ["BackupError", "BackupFile", "backup", "restore", "empty", "file_kind"]
