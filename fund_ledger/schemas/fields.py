"""Fields for money and dates at the API edge: strict, so a float or a typo never becomes an amount."""
from __future__ import annotations

import re

from datetime import date

from marshmallow import ValidationError, fields, validate

from ..ledger.money import MoneyError, fen_to_str, parse_amount


class Money(fields.Field):
    """A JSON string of yuan with at most two decimals (``"100000.00"``), held as integer fen."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.allow_zero = allow_zero
        self.metadata.setdefault("type", "string")
        self.metadata.setdefault("pattern", r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
        self.metadata.setdefault("example", "100000.00")

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if not isinstance(value, str):
            raise ValidationError('money is a JSON string with at most two decimals, like "100000.00"')
        try:
            return parse_amount(value, allow_zero=self.allow_zero)
        except MoneyError as err:
            raise ValidationError(str(err)) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else fen_to_str(value)


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class StrictDate(fields.Date):
    """``YYYY-MM-DD`` and nothing else (no times, no week dates)."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise ValidationError("a date written YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError("a date written YYYY-MM-DD") from None


class StrictBool(fields.Boolean):
    """JSON ``true`` or ``false`` only: not "yes", 1 or "on"."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("true or false")
        return value


MAX_ID = 2**31 - 1
"""Ids are 32-bit integers in the database: a larger number names nothing and must not reach it."""


class Id(fields.Integer):
    """A row id: a JSON integer from 1 to 2**31-1 (a bigger one would overflow the column: a 400, not a 500)."""

    def __init__(self, *, strict: bool = True, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
        super().__init__(strict=strict, **kwargs)  # strict in JSON bodies; a query string is always text
