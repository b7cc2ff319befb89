"""The request's database session, beside the engine the app made (flaskr's ``db.py``): no module needs the
app object to reach it."""
from __future__ import annotations

from flask import Flask, current_app, g, request

from ..db.engine import create_db_engine, read_session, write_session

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
ENGINE_KEY = "fund_ledger.engine"


def init_db(app: Flask) -> None:
    app.extensions[ENGINE_KEY] = create_db_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def engine():
    return current_app.extensions[ENGINE_KEY]


def db_session():
    """The request's session: a write session (``BEGIN IMMEDIATE`` on SQLite) for anything but a read."""
    if "db_session" not in g:
        g.db_session = read_session(engine()) if request.method in READ_METHODS else write_session(engine())
    return g.db_session


def _close_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if session.in_transaction():
            session.rollback()  # whatever a request did not commit explicitly is undone
        session.close()
