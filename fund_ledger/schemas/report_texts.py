"""A section's text of the notes to the financial statements: the one input the notes page's form and
``PUT /api/v1/report-texts/<year>/<section>`` load (the year and the section are in the URL)."""
from __future__ import annotations

from .base import Input
from .fields import Text

MAX_BODY = 20_000
"""Characters in one section's text (services.report_texts checks it again)."""


class ReportTextIn(Input):
    body = Text(max=MAX_BODY, multiline=True, metadata={
        "description": "the section's text; newlines separate paragraphs; markup is printed as written, never obeyed"})
