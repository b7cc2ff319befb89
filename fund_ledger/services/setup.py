"""Setting up an empty ledger: the chart of accounts and the general fund. Safe to run again."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db.repository import utc_now_text
from ..ledger.accounts import GENERAL_FUND_CODE, load_chart

GENERAL_FUND = {
    "code": GENERAL_FUND_CODE,
    "name": "非限定性基金",
    "name_en": "General fund (unrestricted)",
    "restricted": False,
    "purpose": "妇女儿童事业发展基金的非限定性资金，用于基金章程范围内的公益活动",
}


def initialise(session: Session) -> dict[str, int]:
    """Add what is missing of the standard chart and the general fund; report how many were added."""
    now = utc_now_text()
    known = set(session.scalars(select(m.Account.code)))
    added_accounts = 0
    for a in load_chart():
        if a.code not in known:
            session.add(m.Account(code=a.code, name=a.name, name_en=a.name_en, type=a.type.value,
                                  normal_side=a.normal_side.value, monetary=a.monetary, created_at=now))
            added_accounts += 1
    added_funds = 0
    if session.scalar(select(m.Fund.id).where(m.Fund.code == GENERAL_FUND_CODE)) is None:
        session.add(m.Fund(**GENERAL_FUND, created_at=now))
        added_funds = 1
    session.flush()
    return {"accounts": added_accounts, "funds": added_funds}
