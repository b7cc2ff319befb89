"""People's accounts, as an administrator sets them up: one declaration for the API (and the pages).

Declared with the shared field types (``base.Input``, ``fields``), so a refusal carries a message code
(``required``, ``choice``, ``id.invalid``, ``text.too_long``...) like every other input."""
from __future__ import annotations

from .base import Input
from .fields import Choice, Id, Text

ROLES = ("admin", "manager", "grantee", "auditor")


class UserIn(Input):
    username = Text(required=True, max=64)
    role = Choice(ROLES, required=True)
    password = Text(required=True, max=256, load_only=True)
    organisation_id = Id(allow_none=True, load_default=None)
    display_name = Text(max=100)


class RoleIn(Input):
    role = Choice(ROLES, required=True)
    organisation_id = Id(allow_none=True, load_default=None)
