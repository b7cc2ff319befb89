"""The register of related parties (关联方): the inputs the register page and ``/api/v1/related-parties`` load."""
from __future__ import annotations

from marshmallow import ValidationError, validates_schema

from .base import Input
from .fields import Choice, Id, StrictDate, Text
from .messages import Message
from .paging import PageQuery
from . import lists  # noqa: F401 - (registers the message "dates.order")

KINDS = ("person", "organisation")


class RelatedPartyIn(Input):
    """A party: its name (optional when it is linked to a donor or an organisation: theirs is used), a person or
    an organisation, how it is related, the donor and/or grantee organisation it is, and since/until when."""

    name = Text(max=100)
    kind = Choice(KINDS, required=True, code="donor.kind")
    relation = Text(required=True, max=100)
    donor_id = Id(load_default=None, allow_none=True)
    organisation_id = Id(load_default=None, allow_none=True)
    since = StrictDate(load_default=None, allow_none=True)
    until = StrictDate(load_default=None, allow_none=True)
    note = Text(max=500, multiline=True)

    @validates_schema
    def _in_order(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError({"until": [Message("related.dates")]})


class EndRelationIn(Input):
    """The day the relation ended (transactions after it are no longer related-party ones)."""

    until = StrictDate(required=True)


class TransactionsQuery(PageQuery):
    """``?from=&to=&page=&per_page=``: the related-party transactions dated ``from``..``to`` (both included)."""

    first = StrictDate(data_key="from", load_default=None)
    last = StrictDate(data_key="to", load_default=None)

    @validates_schema
    def _in_order(self, data, **kwargs):
        if data.get("first") and data.get("last") and data["last"] < data["first"]:
            raise ValidationError({"to": [Message("dates.order")]})
