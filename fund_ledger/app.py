"""The Flask application factory: configuration, database session per request, blueprints, CLI, headers."""
from __future__ import annotations

import secrets
from typing import Any

import click
from flask import Flask
from werkzeug.routing import IntegerConverter

from . import clock
from .config import PROJECT_ROOT, Settings, SettingsError, database_url, settings

class StartupError(SettingsError, click.ClickException):
    """A bad setting at start-up: ``flask --app fund_ledger ...`` prints the message (naming the variable) and
    exits 1, no traceback; a caller that is not a command line catches it as a SettingsError."""

    def __init__(self, message: str):
        click.ClickException.__init__(self, message)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    try:
        chosen = settings()  # every variable read and checked now: a bad one stops the start, naming it
    except SettingsError as err:
        raise StartupError(str(err)) from None
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"),
                static_folder=str(PROJECT_ROOT / "static"), instance_path=str(chosen.instance_dir))
    _configure(app, chosen, test_config)
    _init_logs(app, chosen)
    _init_database(app)
    _init_security(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_cli(app)
    _register_security_headers(app)
    _start_job_worker(app)
    return app


def _init_logs(app: Flask, s: Settings) -> None:
    from .http.logs import init_logs

    init_logs(app, s.log_format)


def _configure(app: Flask, s: Settings, test_config: dict[str, Any] | None) -> None:
    app.config.update(
        DATABASE_URL=database_url(),
        SECRET_KEY=s.secret_key,
        DEMO=s.demo,
        PUBLIC_URL=s.public_url,
        JSON_AS_ASCII=False,
        # No request body beyond this is read at all (413): attachments, reports to verify and gift lists to
        # import are each checked against their own, smaller limit after that.
        MAX_CONTENT_LENGTH=s.max_upload_bytes,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        TODAY=s.today,
        VERIFY_PER_ADDRESS=s.verify_per_10_min,
        JOB_WORKER_THREAD=s.job_worker_thread,
        JOB_LEASE_SECONDS=s.job_lease_seconds,
        JOB_MAX_ATTEMPTS=s.job_max_attempts,
    )
    if test_config:
        app.config.update(test_config)
    chosen = clock.clock_from_setting(app.config.get("CLOCK") or app.config.get("TODAY"))
    if chosen is not None:  # the one clock (fund_ledger.clock): tests and rehearsals set "today"
        clock.set_clock(chosen)
    proxies = s.trusted_proxies
    if proxies:  # behind nginx & co.: the client's address comes from X-Forwarded-For, set by that many proxies
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    if not app.config["SECRET_KEY"]:
        if not (app.config.get("DEMO") or app.config.get("TESTING")):
            raise RuntimeError("FUND_LEDGER_SECRET_KEY must be set (it signs sessions); "
                               "only demo mode (FUND_LEDGER_DEMO=1) and tests run without one")
        app.config["SECRET_KEY"] = secrets.token_hex(32)


def _init_database(app: Flask) -> None:
    from .http.db import init_db

    init_db(app)


def _init_security(app: Flask) -> None:
    from .http.door import init_door
    from .http.security import init_security

    init_door(app)  # bodies checked before anything reads them
    init_security(app)


class _IdConverter(IntegerConverter):
    """``<int:...>`` in every route stops at 2**31-1: a bigger id is a 404, never an overflow in the database."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    from .api import init_api

    app.url_map.converters["int"] = _IdConverter  # before any route is added
    from .http.i18n import init_i18n
    from .web import bp as web_bp

    init_i18n(app)  # the pages' language: Chinese unless ?lang=en
    app.register_blueprint(web_bp)
    init_api(app)


def _register_error_handlers(app: Flask) -> None:
    from .http.errors import init_error_handlers

    init_error_handlers(app)


def _register_cli(app: Flask) -> None:
    from .cli import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _start_job_worker(app: Flask) -> None:
    """The embedded demo is one process: it runs background jobs in a thread of its own, started at the first
    request (so that a command such as ``flask --app fund_ledger init`` starts none, nor a process that a server
    forks later). In production (several app processes) ``fund-ledger worker`` processes run them instead;
    tests ask for it."""
    if not app.config.get("JOB_WORKER_THREAD"):
        return
    import threading

    from .http.db import ENGINE_KEY
    from .reports.jobs import start_worker_thread

    lock = threading.Lock()

    @app.before_request
    def _worker_thread_running() -> None:
        if "fund_ledger.job_worker" in app.extensions:
            return
        with lock:
            if "fund_ledger.job_worker" not in app.extensions:
                worker, _thread = start_worker_thread(app.extensions[ENGINE_KEY],
                                                      lease_seconds=app.config["JOB_LEASE_SECONDS"],
                                                      max_attempts=app.config["JOB_MAX_ATTEMPTS"])
                app.extensions["fund_ledger.job_worker"] = worker
