"""Structured logs: one JSON object a line (``FUND_LEDGER_LOG_FORMAT=json``, the default outside demo mode), so a
log collector reads them without patterns: every request gets one ``request`` line (method, path, status,
milliseconds, who, client address, request id), and any error logged while serving it carries the same request id.
Times come from the one clock, in UTC. No secrets: no query strings (they may hold a verification code), no
bodies, no headers but the request id a proxy sent."""
from __future__ import annotations

import json
import logging
import secrets
import time

from flask import Flask, current_app, g, has_request_context, request

from .. import clock

REQUEST_ID_HEADER = "X-Request-ID"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"at": clock.utc_stamp(), "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        if has_request_context() and "request_id" not in line:
            line["request_id"] = g.get("request_id")
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def init_logs(app: Flask, log_format: str) -> None:
    if log_format == "json" and not app.config.get("TESTING"):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        app.logger.handlers[:] = [handler]
        app.logger.setLevel(logging.INFO)
        app.logger.propagate = False
        logging.getLogger("werkzeug").disabled = True  # its access line is replaced by ours
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = sent if 0 < len(sent) <= 64 and sent.isascii() and sent.isprintable() else secrets.token_hex(8)
    g.request_started = time.perf_counter()


def _finish(response):
    from .security import principal

    started = g.get("request_started")
    who = principal()
    fields = {"request_id": g.get("request_id"), "method": request.method, "path": request.path,
              "status": response.status_code, "remote": request.remote_addr,
              "user": getattr(who, "username", None),
              "ms": round((time.perf_counter() - started) * 1000, 1) if started is not None else None}
    current_app.logger.info("request", extra={"fields": fields})
    if g.get("request_id"):
        response.headers.setdefault(REQUEST_ID_HEADER, g.request_id)
    return response
