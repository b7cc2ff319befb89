"""Publishing an item (信息公开): the one input the publish page and ``POST /api/v1/disclosures`` load.

The file (a PDF) travels beside these fields as the multipart ``file``; the service checks it."""
from __future__ import annotations

import re

from .base import Input
from .fields import Choice, Id, Money, Text

KINDS = ("annual_report", "audit_report", "project_update", "leftover_notice", "related_party", "major_transaction",
         "other")
PERIOD = re.compile(r"20[0-9]{2}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?")  # the books begin in 2000 (services.ledger)
DUTY = re.compile(r"(annual_report|accounts):[0-9]{4}|project_update:[0-9]{1,10}:[0-9]{1,10}|(leftover|major):[0-9]{1,10}"
                  r"|related_party:((refund|grant|return):)?[0-9]{1,10}")
"""The keys of ``ledger.disclosure_calendar``'s duties, and nothing else."""


class PublishIn(Input):
    kind = Choice(KINDS, required=True)
    title = Text(required=True, max=200)
    period = Text(max=16, pattern=PERIOD, pattern_code="disclosure.period")
    body = Text(max=20000, multiline=True)
    duty = Text(max=48, pattern=DUTY, pattern_code="invalid")
    corrects_id = Id(load_default=None, allow_none=True)


class MajorTransactionIn(Input):
    """The major-transaction threshold (重大交易): an amount, or nothing (JSON ``null``, an empty box) to unset it."""

    amount = Money(load_default=None, allow_none=True)
