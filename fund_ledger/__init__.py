"""Fund Ledger: the books of a charitable fund that nobody has to take on trust.

``create_app`` is imported lazily so that importing the pure core (``fund_ledger.ledger``) never
pulls in Flask or SQLAlchemy.
"""
from __future__ import annotations

from typing import Any


def create_app(test_config: dict[str, Any] | None = None):
    from .app import create_app as _create_app

    return _create_app(test_config)
