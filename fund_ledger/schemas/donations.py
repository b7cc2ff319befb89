"""Donors, gifts and what follows a gift (refund, official receipt, pledge), funds and an import row."""
from __future__ import annotations

import re


from .base import Input
from .fields import Choice, Id, Lines, Money, StrictBool, StrictDate, Text

CHANNELS = ("bank", "cash", "wechat", "alipay", "other")
KINDS = ("person", "organisation")


class DonorIn(Input):
    name = Text(required=True, max=100)
    kind = Choice(KINDS, required=True, code="donor.kind")
    phone = Text(max=32, pattern=re.compile(r"[0-9+\- ()]*"), pattern_code="phone.format")
    email = Text(max=120, pattern=re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"), pattern_code="email.format")
    address = Text(max=200)
    related_party = StrictBool(load_default=False)
    related_note = Text(max=200)
    display_name = Text(max=100)


class DonationIn(Input):
    """A gift: the page's form and ``POST /donations`` alike."""

    donor_id = Id(required=True)
    fund_id = Id(required=True)
    amount = Money(required=True)
    received_on = StrictDate(required=True)
    channel = Choice(CHANNELS, required=True, code="channel.choice")
    reference = Text(max=64)
    memo = Text(max=500, multiline=True)
    anonymous = StrictBool(load_default=False)
    pledge_id = Id(load_default=None, allow_none=True)


class RefundIn(Input):
    reason = Text(required=True, max=300, multiline=True)
    on = StrictDate(load_default=None, allow_none=True)


class OfficialReceiptIn(Input):
    number = Text(required=True, max=64)


class InstalmentIn(Input):
    due_on = StrictDate(required=True)
    amount = Money(required=True)


class PledgeIn(Input):
    """A pledge; in a form the instalments are lines of ``YYYY-MM-DD amount``."""

    donor_id = Id(required=True)
    fund_id = Id(required=True)
    instalments = Lines(InstalmentIn, keys=("due_on", "amount"), last_word=False, max_lines=120, required=True)
    memo = Text(max=500, multiline=True)


class FundIn(Input):
    code = Text(required=True, max=32)
    name = Text(required=True, max=100)
    name_en = Text(max=100)
    restricted = StrictBool(required=True)
    purpose = Text(max=2000, multiline=True)
    end_date = StrictDate(load_default=None, allow_none=True)


class CloseFundIn(Input):
    """The day a fund's work ended (nothing is posted to it after)."""

    closed_on = StrictDate(required=True)


class ImportRowIn(Input):
    """One row of a donations file (``services/imports.py``): every cell is text, as in a form; the fund is a
    code or a name, the donor a name (created when new); the donor's kind and the channel are words in two
    languages, read by the import itself."""

    donor = Text(required=True, max=100)
    fund = Text(required=True, max=100)
    amount = Money(required=True)
    received_on = StrictDate(required=True)
    reference = Text(max=64)
    memo = Text(max=500, multiline=True)
