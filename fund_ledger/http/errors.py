"""One place that turns errors into answers: problem+json for the API, a page for people.

Nothing a client sends may produce a 500 with a stack trace: unexpected errors are logged, the
request's transaction is rolled back, and the client gets a plain 500 problem without details.
"""
from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, InternalServerError

from .security import is_api_request
from ..schemas.base import flat_errors
from ..schemas.messages import code_of, codes_of, render
from ..services.errors import INVALID_INPUT, ServiceError
from .i18n import N_

PROBLEM = "application/problem+json"

STATUS_PAGES = {
    # status -> what a person's page says (msgids; the catalogue has the Chinese): a title, then what it means
    # and what to do. Werkzeug's own English ("Not Found", "The requested URL was not found on the server...")
    # never reaches a page: its words are for the API's problems.
    400: (N_("The request could not be understood"), N_("Something in the address or the form is not valid.")),
    401: (N_("Please log in"), N_("This page is for signed-in users.")),
    403: (N_("Not allowed"), N_("Your role may not use this page. Ask a fund manager if you think it should.")),
    404: (N_("Page not found"), N_("There is no page at this address. Check the address, or start again from the "
                                   "home page.")),
    405: (N_("Not allowed this way"), N_("This page cannot be used like that. Go back and use the page's own "
                                          "buttons.")),
    409: (N_("Conflict"), N_("Something changed in the meantime. Reload the page and try again.")),
    410: (N_("Page not found"), N_("There is no page at this address. Check the address, or start again from the "
                                   "home page.")),
    413: (N_("Too large"), N_("The file or form is too large.")),
    415: (N_("Not accepted"), N_("This kind of file or form is not accepted here.")),
    422: (N_("The request could not be understood"), N_("Something in the address or the form is not valid.")),
    429: (N_("Too many attempts"), N_("Too many attempts in a short time. Wait a few minutes and try again.")),
    500: (N_("Something went wrong"), N_("An unexpected error: nothing was changed. Try again; if it happens "
                                         "again, tell the administrator.")),
    503: (N_("Not available just now"), N_("The service is busy or being maintained. Try again in a few "
                                           "minutes.")),
}


def problem(status: int, title: str, detail: str, errors: dict | None = None, code: str | None = None, headers=None):
    """``{type, title, status, detail, errors: {field: [words]}, code, codes: {field: [code]}}``: the words in
    English (the API's language), the codes for programs (``amount.too_many_decimals``, ``fund.closed``...)."""
    errors = flat_errors(errors or {})
    body = {"type": f"https://fund-ledger.invalid/problems/{code or status}", "title": title, "status": status,
            "detail": detail, "errors": {k: [render(x, "en") for x in v] for k, v in errors.items()},
            "code": code or str(status), "codes": codes_of(errors)}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None and session.in_transaction():
        session.rollback()


def http_error(exc: HTTPException):
    _rollback()
    code = exc.code or 500
    detail = exc.description if code != 500 else "an unexpected error; nothing was changed"
    if is_api_request():
        errors = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
        if isinstance(errors, dict):  # webargs puts field errors under their location ("json", "query")
            errors = {k: v for loc in errors.values() if isinstance(loc, dict) for k, v in loc.items()} or errors
        headers = {k: v for k, v in exc.get_headers() if k in ("Allow", "Retry-After")}
        if code == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(errors, dict):  # a schema refused the input: the same code a page's refusal has
            return problem(code, "Invalid input" if code == 400 else exc.name, _detail(errors) if code == 400 else detail,
                           errors, INVALID_INPUT if code == 400 else None, headers=headers)
        return problem(code, exc.name, detail, None, headers=headers)
    errors = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
    if detail == type(exc).description or detail == HTTPException.description:
        detail = None  # Werkzeug's stock English adds nothing to the page's own words
    if isinstance(errors, dict) and code == 400:  # refused at the door (a NUL): each field's message, coded
        errors = flat_errors({k: v for loc in errors.values() if isinstance(loc, dict) for k, v in loc.items()})
        if errors:
            detail = Markup("; ").join(Markup("{}: {}").format(field, placed(field, x))
                                       for field, xs in errors.items() for x in xs)
    return _page(code, exc.name, detail)


def words(text) -> Markup | str:
    """A message in the page's language: Chinese with the English small beside it, or the English alone."""
    from flask_babel import gettext

    from .i18n import both, language

    en = render(text, "en")
    return both(render(text, "zh", gettext), en) if language() == "zh" else en


def placed(field: str, text) -> Markup:
    """A message beside its field on a page, with its code (``data-code``) for programs and tests."""
    return Markup('<span class="message" data-field="{}" data-code="{}">{}</span>').format(
        field, code_of(text), words(text) if hasattr(text, "code") else text)


def _detail(errors: dict) -> str:
    return "the input is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in flat_errors(errors).items() if v)


def _page(code: int, title: str, detail: str | None, headers=None):
    """The app's own page for a refusal or an error, in the page's language (Chinese first): the status's title
    and what it means (:data:`STATUS_PAGES`), then the particular reason, if there is one."""
    heading, meaning = STATUS_PAGES.get(code) or STATUS_PAGES[500 if code >= 500 else 400]
    try:
        body = render_template("web/error.html", code=code, title=title, heading=heading, meaning=meaning,
                               detail=detail)
    except Exception:  # noqa: BLE001 - the error page itself failed: answer plainly, never with a trace
        from flask import current_app

        current_app.logger.exception("error page failed")
        body = escape(f"{code} {title}: {detail}")
    return body, code, headers or {}


def service_error(exc: ServiceError):
    _rollback()
    headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if is_api_request():
        return problem(exc.status, exc.title, exc.detail, exc.errors, exc.code, headers)
    return _page(exc.status, exc.title, exc.detail, headers)


def unexpected_error(exc: Exception):
    if isinstance(exc, HTTPException):
        return http_error(exc)
    from flask import current_app

    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    return http_error(InternalServerError())


def init_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(ServiceError, service_error)
    app.register_error_handler(Exception, unexpected_error)
