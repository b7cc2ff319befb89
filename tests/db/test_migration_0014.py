"""Migration 0014 moves donors flagged as related parties into the new register, on both databases: a ledger
built at revision 0013 with a flagged donor (with and without a note) and an unflagged one, then upgraded."""
from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from fund_ledger.db.engine import create_db_engine
from fund_ledger.db.schema import alembic_config
from tests.conftest import _pg_url, _run_id

DONORS = [("王理事", "person", True, "理事"), ("某发起单位", "organisation", True, ""), ("路人甲", "person", False, "")]


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql",
                                                                             marks=pytest.mark.pg)])
def empty_url(request, tmp_path):
    """An empty database (no schema at all)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    admin, dropper = request.getfixturevalue("pg_admin"), request.getfixturevalue("pg_dropper")
    name = f"fl_migration_{_run_id}_{tmp_path.name[-12:]}".lower().replace("-", "_")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield _pg_url(name)
    dropper.drop_later(name)


def _upgrade(engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_flagged_donors_enter_the_register(empty_url):
    engine = create_db_engine(empty_url)
    try:
        _upgrade(engine, "0013")
        with engine.begin() as conn:
            for name, kind, flagged, note in DONORS:
                conn.execute(text("INSERT INTO donors (name, kind, phone, email, address, related_party, related_note, "
                                  "display_name, created_at) VALUES (:name, :kind, '', '', '', :flagged, :note, '', "
                                  "'2026-09-01T02:00:00Z')"), {"name": name, "kind": kind, "flagged": flagged,
                                                                 "note": note})
        _upgrade(engine, "head")
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT r.name, r.kind, r.relation, d.name, r.organisation_id, r.since, r.until, r.created_by, "
                "r.created_at FROM related_parties r JOIN donors d ON d.id = r.donor_id ORDER BY r.id")).all()
            flags = dict(conn.execute(text("SELECT name, related_party FROM donors")).all())
    finally:
        engine.dispose()
    assert [tuple(r[:8]) for r in rows] == [
        ("王理事", "person", "理事", "王理事", None, None, None, "migration"),
        ("某发起单位", "organisation", "关联方", "某发起单位", None, None, None, "migration")]
    assert rows[0].created_at == "2026-09-01T02:00:00Z"
    assert {k: bool(v) for k, v in flags.items()} == {"王理事": True, "某发起单位": True, "路人甲": False}
