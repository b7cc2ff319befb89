"""Who may use what, for pages and API alike, and who is asking.

Every view declares its audience with :func:`access`; a view that declares nothing is refused to
everyone (and a test walks the route table so none is forgotten). Pages use a Flask-Login session
cookie (CSRF-protected by Flask-WTF); the API uses only bearer tokens, never the cookie, so a forged
cross-site request cannot ride on a logged-in browser.
"""
from __future__ import annotations

import json

from datetime import datetime, timedelta


from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFProtect

from .. import clock
from ..services.actor import NOBODY, Actor

PUBLIC = "public"
"""Anyone, logged in or not."""
SIGNED_IN = "signed_in"
"""Anyone logged in, whatever the role."""
AUDIT_READERS = ("auditor", "manager", "admin")
"""Who reads the audit log and the ledger's integrity check (the page and the API alike)."""

SESSION_IDLE = timedelta(minutes=30)
SESSION_MAX = timedelta(hours=12)

csrf = CSRFProtect()
login_manager = LoginManager()


def access(*audience: str):
    """Declare who may use a view: roles (``manager``, ...), ``SIGNED_IN`` or ``PUBLIC``."""
    def decorate(view):
        view.access = frozenset(audience)
        return view
    return decorate


def declare(app: Flask, endpoint: str, *audience: str) -> None:
    """Declare the audience of a view we do not write ourselves (static files, the OpenAPI document)."""
    app.extensions.setdefault("fund_ledger.access", {})[endpoint] = frozenset(audience)


def declared_access(app: Flask, endpoint: str) -> frozenset[str] | None:
    declared = app.extensions.get("fund_ledger.access", {})
    if endpoint in declared:
        return declared[endpoint]
    return getattr(app.view_functions.get(endpoint), "access", None)


class SessionUser:
    """What Flask-Login keeps for a logged-in person (a snapshot of the user row)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, row):
        self.id, self.username, self.role = row.id, row.username, row.role
        self.organisation_id, self.display_name = row.organisation_id, row.display_name or row.username
        self.session_version, self.language = row.session_version, row.language

    def get_id(self) -> str:
        # The version changes when the user is disabled or their password or role changes: old sessions die.
        return f"{self.id}:{self.session_version}"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def client_address() -> str | None:
    return request.remote_addr


def principal():
    """The user making this request (a SessionUser or a token's user row), or None."""
    if is_api_request():
        return g.get("api_user")
    return current_user if current_user.is_authenticated else None


def current_actor() -> Actor:
    who = principal()
    if who is None:
        return Actor(NOBODY.username, NOBODY.role, None, client_address())
    return Actor(who.username, who.role, who.organisation_id, client_address())


def init_security(app: Flask) -> None:
    # Assigned, not setdefault: Flask's defaults already hold these keys (SameSite None, 31 days).
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not (app.config.get("DEMO") or app.config.get("TESTING")),
        SESSION_COOKIE_NAME="fund_ledger_session",
        PERMANENT_SESSION_LIFETIME=SESSION_IDLE,
        WTF_CSRF_TIME_LIMIT=int(SESSION_MAX.total_seconds()),
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_session_user)
    app.before_request(_refuse_nul)
    app.before_request(_enforce_access)
    declare(app, "static", PUBLIC)


def _load_session_user(user_id: str):
    from .db import db_session
    from ..db import models as m

    try:
        uid, version = (int(x) for x in user_id.split(":"))
    except ValueError:
        return None
    row = db_session().get(m.User, uid)
    if row is None or not row.active or row.session_version != version:
        return None
    return SessionUser(row)


def _load_token_user():
    from .db import db_session
    from ..services.users import user_for_token

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return user_for_token(db_session(), token.strip())


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in k or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _refuse_nul():
    """NUL is never meaningful in a form, a query or JSON, and PostgreSQL refuses it in text: say so at the
    door (400, naming the field) instead of letting it reach a query. Uploaded files are checked by their
    readers."""
    fields = [k for source in (request.args, request.form)  # a multipart form's text fields too; files aside
              for k, v in source.items(multi=True) if "\x00" in k or "\x00" in v]
    body = b"" if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded") \
        else request.get_data(cache=True)
    if fields or b"\x00" in body or b"\\u0000" in body.lower() or "\x00" in request.path:
        from werkzeug.exceptions import BadRequest

        from ..schemas.messages import Message

        if not fields and body:  # JSON: name the fields that hold one, as a form's are named
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                fields = [k for k, v in parsed.items() if "\x00" in k or _holds_nul(v)]

        error = BadRequest(description="; ".join(f"{name}: NUL characters are not allowed" for name in sorted(set(fields)))
                           or "NUL characters are not allowed")
        error.data = {"messages": {"request": {name: [Message("text.nul")] for name in fields}}}
        raise error


def _session_expired() -> bool:
    started = session.get("login_at")
    if not current_user.is_authenticated or started is None:
        return False
    return clock.now() - datetime.fromisoformat(started) > SESSION_MAX


def _enforce_access():
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no such route: Flask answers 404 (or 405)
    if is_api_request():
        g.api_user = _load_token_user()
    elif _session_expired():
        from .i18n import clear_session_keeping_language

        logout_user()
        clear_session_keeping_language()
    audience = declared_access(current_app, endpoint)
    if audience is None:
        _refuse(endpoint, "no access declared")
    if PUBLIC in audience:
        return None
    who = principal()
    if who is None:
        if is_api_request():
            abort(401, description="log in first: send Authorization: Bearer TOKEN (POST /api/v1/tokens gives one)")
        return redirect(url_for("web.login", next=request.full_path if request.method == "GET" else None))
    if SIGNED_IN in audience or who.role in audience:
        return None
    _refuse(endpoint, f"role {who.role} may not use it")


def _refuse(endpoint: str, reason: str):
    from ..services.audit import record_apart

    actor = current_actor()  # before the rollback: an API principal is a row the rollback would expire
    request_session = g.get("db_session")
    if request_session is not None and request_session.in_transaction():
        request_session.rollback()  # on SQLite it holds the write lock that record_apart needs
    record_apart(current_app.extensions["fund_ledger.engine"], actor, "access", outcome="denied",
                 object_type="route", object_id=endpoint,
                 detail={"method": request.method, "path": request.path[:200], "reason": reason})
    abort(403, description=f"you may not use this: {reason}")


