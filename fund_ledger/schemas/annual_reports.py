"""Submitting a year's annual work report (年度工作报告): the one input the page and
``POST /api/v1/annual-reports/<year>/submit`` load. The year travels in the path; both edges load it here too."""
from __future__ import annotations

import re

from marshmallow import ValidationError, fields

from .base import Input
from .fields import Text
from .messages import Message

MAX_REFERENCE = 200
MAX_REASON = 300
YEAR = re.compile(r"[0-9]{4}")


class Year(fields.Field):
    """A calendar year written ``YYYY`` (ASCII digits), 1901 to 9998: the statements' range less a year each side
    (the spending ratio reads the year before)."""

    def from_text(self, text: str):
        return text.strip()

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError(Message("annual.year"))
        text = str(value)
        if not YEAR.fullmatch(text) or not 1901 <= int(text) <= 9998:
            raise ValidationError(Message("annual.year"))
        return int(text)


class AnnualYearIn(Input):
    year = Year(required=True)


class AnnualSubmitIn(Input):
    year = Year(required=True)
    audit_reference = Text(max=MAX_REFERENCE, metadata={
        "description": "the auditor's report, when no audit report of the year's December was issued here"})
    reason = Text(max=MAX_REASON, multiline=True, metadata={"description": "required to submit a year again"})
