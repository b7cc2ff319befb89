"""Errors a service raises; each carries the HTTP status it means and the fields it concerns."""
from __future__ import annotations

from collections.abc import Iterable

from ..ledger.entries import LedgerError


INVALID_INPUT = "InvalidInput"
"""The code of a 400 for malformed input, whether a schema or a service found it."""


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.code = code or type(self).__name__


def from_validation(err, what: str = "input") -> "InvalidInput":
    """A schema's refusal (marshmallow ``ValidationError``) as the service error every edge shows alike."""
    from ..schemas.base import flat_errors

    errors = flat_errors(err.messages)
    return InvalidInput(f"the {what} is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items() if v),
                        errors)


class InvalidInput(ServiceError):
    status = 400
    title = "Invalid input"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


class Conflict(ServiceError):
    """The request contradicts the current state (already done, duplicate key)."""

    status = 409
    title = "Conflict"


class RuleBroken(ServiceError):
    """A business rule refuses it: not enough money in the fund, a closed period, a wrong state."""

    status = 422
    title = "Rule broken"


def from_ledger_errors(errors: Iterable[LedgerError]) -> ServiceError:
    """One service error for the rules a draft broke: 400 when malformed, 422 when a rule refuses it."""
    errors = list(errors)
    by_field: dict[str, list[str]] = {}
    for e in errors:
        by_field.setdefault(e.field, []).append(e.message)
    detail = "; ".join(e.message for e in errors)
    rule = next((e.code for e in errors if e.code != "invalid"), None)
    if rule is not None and all(e.code != "invalid" for e in errors):
        return RuleBroken(detail, by_field, rule)
    return InvalidInput(detail, by_field)


class TooBusy(ServiceError):
    """Too many requests of a costly kind, from this address or at once: try again later (429)."""

    status = 429
