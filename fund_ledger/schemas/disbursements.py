"""Organisations and their disbursement requests: submit, approve/reject/cancel, pay, acknowledge, report."""
from __future__ import annotations

from marshmallow import fields

from .base import Input
from .fields import Id, Lines, Money, StrictDate, Text


class OrganisationIn(Input):
    name = Text(required=True, max=100)
    credit_code = Text(required=True, max=18)
    contact = Text(max=500, multiline=True)


class ProgrammeIn(Input):
    name = Text(required=True, max=100)
    fund_id = Id(required=True)
    budget = Money(required=True)
    starts_on = StrictDate(required=True)
    ends_on = StrictDate(required=True)
    description = Text(max=2000, multiline=True)
    organisation_ids = fields.List(Id(), load_default=list)


class BudgetLine(Input):
    item = Text(required=True, max=200)
    amount = Money(required=True)


class DisbursementIn(Input):
    """A request; in a form the budget is lines of ``item amount`` (the amount last)."""

    organisation_id = Id(required=True)
    fund_id = Id(required=True)
    amount = Money(required=True)
    purpose = Text(required=True, max=2000, multiline=True)
    budget = Lines(BudgetLine, keys=("item", "amount"), last_word=True, max_lines=100, load_default=list)
    programme_id = Id(load_default=None, allow_none=True)


class ApproveIn(Input):
    """Approving takes nothing but the request's id (in the path)."""


class ReasonIn(Input):
    reason = Text(required=True, max=500, multiline=True)


class CancelIn(Input):
    reason = Text(max=500, multiline=True)


class PayIn(Input):
    paid_on = StrictDate(required=True)
    reference = Text(required=True, max=64)


class AcknowledgeIn(Input):
    received_on = StrictDate(required=True)


class UseReportIn(Input):
    spent = Money(allow_zero=True, load_default=0)
    returned = Money(allow_zero=True, load_default=0)
    narrative = Text(required=True, max=5000, multiline=True)
    lines = Lines(BudgetLine, keys=("item", "amount"), last_word=True, max_lines=100, load_default=list)


class ReceiveReportIn(Input):
    note = Text(max=500, multiline=True)
    returned_on = StrictDate(load_default=None, allow_none=True)
    return_reference = Text(max=64)
