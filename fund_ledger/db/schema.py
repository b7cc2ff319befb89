"""Creating and upgrading the schema with Alembic, from code (``fund-ledger init``) or tests."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from ..config import PROJECT_ROOT


def alembic_config() -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there."""
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    analyze(engine)


def analyze(engine: Engine, tables: tuple[str, ...] = ()) -> None:
    """Refresh the planner's statistics, of ``tables`` or of every table (after set-up and bulk imports:
    autovacuum, where it runs, keeps them later)."""
    with engine.connect() as conn:
        for statement in [f"ANALYZE {t}" for t in tables] or ["ANALYZE"]:  # SQLite's ANALYZE takes one name
            conn.exec_driver_sql(statement)
        conn.commit()


def is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head
