"""The JSON API at /api/v1, described by OpenAPI 3 at /api/v1/openapi.json (flask-smorest).

Handlers are thin: load with a marshmallow schema, call a service with the acting user, commit, dump.
Malformed input is a 400 naming the field; every error is application/problem+json.
"""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from ..http.security import PUBLIC, csrf, declare


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400  # malformed input is a 400 naming the field, not webargs' 422


class ApiBlueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = _Parser()


class LedgerApi(Api):
    def handle_http_exception(self, error):
        from ..http.errors import http_error

        return http_error(error)


blp = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="Fund Ledger API")


def init_api(app: Flask) -> None:
    from . import (annual_reports, audit, audit_reports, disbursements, disclosures, donations, entries,  # noqa: F401
                   exports, funds, jobs, periods, programmes, receipts, related_parties, report_texts, reports,
                   tokens, users)  # (routes register on blp)

    app.config.update(
        API_TITLE="Fund Ledger API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
    )
    api = LedgerApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})
    api.register_blueprint(blp)
    csrf.exempt(blp)  # the API takes bearer tokens only, never the session cookie
    declare(app, "api-docs.openapi_json", PUBLIC)
