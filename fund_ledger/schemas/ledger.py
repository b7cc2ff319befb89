"""The books themselves: closing a period, reversing an entry."""
from __future__ import annotations

import re

from marshmallow import ValidationError, fields

from .base import Input
from .fields import StrictDate, Text
from .messages import Message

PERIOD_OR_YEAR = re.compile(r"[0-9]{4}(-(0[1-9]|1[0-2]))?")


class Period(fields.String):
    """A month ``YYYY-MM`` or a year ``YYYY`` (ASCII digits), from 2000 on."""

    def from_text(self, text: str):
        return text.strip()

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str) or not PERIOD_OR_YEAR.fullmatch(value) or not "2000" <= value[:4] <= "9998":
            raise ValidationError(Message("period.format"))
        return value


class PeriodCloseIn(Input):
    period = Period(required=True)


class ReversalIn(Input):
    reason = Text(required=True, max=300, multiline=True)
    on = StrictDate(load_default=None, allow_none=True, metadata={"description": "accounting date (default today)"})
