"""What people filter lists by: the gifts (``/donations``, and its CSV), the journal, and the search.

Query strings are text: each is loaded with ``load_form`` (empty boxes are as if not sent), so a bad date is
the ``date.format`` message beside its box, as the gift form says it, and never a 500. A date range whose
first day is after its last is ``dates.order`` on the ``to`` box.
"""
from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate, validates_schema

from ..ledger.entries import EntryCode
from .base import Input
from .fields import Choice, Id, StrictDate, Text
from .messages import CATALOGUE, Message, N_

CATALOGUE.setdefault("dates.order", N_("the last day is before the first"))
CATALOGUE.setdefault("page.invalid", N_("a page number from 1 to %(max)s"))
CATALOGUE.setdefault("per_page.invalid", N_("from 1 to %(max)s a page"))
# (codes of this module's own: kept with the fields that say them)

MAX_PAGE = 100_000
MAX_PER_PAGE = 200
SEARCH_MAX = 100
"""Characters of a search: enough for a name, a reference or a purpose's words."""


def _page_field(**kwargs) -> fields.Integer:
    return fields.Integer(load_default=1, strict=False, validate=validate.Range(
        min=1, max=MAX_PAGE, error=Message("page.invalid", max=MAX_PAGE)),
        error_messages={"invalid": Message("page.invalid", max=MAX_PAGE)}, **kwargs)


class _DateRange(Input):
    """``from`` and ``to``, both days included (the keys are Python words, so they load as ``first``/``last``)."""

    first = StrictDate(data_key="from", load_default=None)
    last = StrictDate(data_key="to", load_default=None)
    page = _page_field()

    @validates_schema
    def _in_order(self, data, **kwargs):
        if data.get("first") and data.get("last") and data["last"] < data["first"]:
            raise ValidationError({"to": [Message("dates.order")]})


class GiftListQuery(_DateRange):
    """``/donations?fund=&from=&to=&donor=&donor_id=&batch=&page=``: the gifts list and its CSV download."""

    fund = Text(max=32)
    """A fund's code."""
    donor = Text(max=SEARCH_MAX)
    """Part of the donor's name (or of the name shown on anonymous gifts)."""
    donor_id = Id(strict=False, load_default=None)
    batch = Id(strict=False, load_default=None)


class JournalQuery(_DateRange):
    """``/journal?from=&to=&fund=&account=&code=&q=&page=&per_page=``."""

    fund = Text(max=32)
    account = Text(max=16, pattern=re.compile(r"[0-9]{1,16}"), pattern_code="account.code")
    """An account's code: the account and the accounts under it (``1002`` holds ``100201``)."""
    code = Choice([c.value for c in EntryCode], load_default=None)
    q = Text(max=SEARCH_MAX)
    """Words in the entry's memo."""
    per_page = fields.Integer(load_default=50, strict=False, validate=validate.Range(
        min=1, max=MAX_PER_PAGE, error=Message("per_page.invalid", max=MAX_PER_PAGE)),
        error_messages={"invalid": Message("per_page.invalid", max=MAX_PER_PAGE)})


CATALOGUE.setdefault("account.code", N_("an account's code: digits, such as 1002"))


class SearchQuery(Input):
    """``/search?q=``: a donor's or an organisation's name, a gift's verification code, acknowledgement number
    or bank reference, a disbursement request's purpose."""

    q = Text(max=SEARCH_MAX)
