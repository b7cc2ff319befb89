"""业务活动表 (会民非02表): its layout as data, income and expenses in the 非限定性 and 限定性 columns."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..accounts import Account, AccountType
from .common import LineSpec, TotalsByAccountFund, _l, _line_of, top_code


ACTIVITY_INCOME: tuple[LineSpec, ...] = (
    _l("donations", "捐赠收入", "Donation income", "4101"),
    _l("dues", "会费收入", "Membership dues", "4201"),
    _l("services", "提供服务收入", "Service income", "4301"),
    _l("sales", "商品销售收入", "Sales income", "4501"),
    _l("government", "政府补助收入", "Government grants", "4401"),
    _l("investment", "投资收益", "Investment income", "4601"),
    _l("other_income", "其他收入", "Other income", "4901"),
)


ACTIVITY_EXPENSES: tuple[LineSpec, ...] = (
    _l("programme", "（一）业务活动成本", "Programme activity costs", "5101"),
    _l("management", "（二）管理费用", "Administrative expenses", "5201"),
    _l("fundraising", "（三）筹资费用", "Fundraising expenses", "5301"),
    _l("other_expenses", "（四）其他费用", "Other expenses", "5401"),
)


@dataclass(frozen=True, slots=True)
class Columns:
    """An amount in the 非限定性 and 限定性 columns; 合计 is their sum."""

    unrestricted: int = 0
    restricted: int = 0

    @property
    def total(self) -> int:
        return self.unrestricted + self.restricted

    def __add__(self, other: Columns) -> Columns:
        return Columns(self.unrestricted + other.unrestricted, self.restricted + other.restricted)

    def __sub__(self, other: Columns) -> Columns:
        return Columns(self.unrestricted - other.unrestricted, self.restricted - other.restricted)


@dataclass(frozen=True, slots=True)
class ActivityFigures:
    income: Mapping[str, Columns]
    """Per line key of ACTIVITY_INCOME."""
    expenses: Mapping[str, Columns]
    """Per line key of ACTIVITY_EXPENSES (always in the 非限定性 column)."""
    release: Columns
    """限定性净资产转为非限定性净资产: (+released, −released)."""

    @property
    def income_total(self) -> Columns:
        return sum(self.income.values(), Columns())

    @property
    def expense_total(self) -> Columns:
        return sum(self.expenses.values(), Columns())

    @property
    def net_change(self) -> Columns:
        """净资产变动额 = 收入合计 − 费用合计 + 限定性净资产转为非限定性净资产 (per column)."""
        return self.income_total - self.expense_total + self.release


def activity_figures(movements: TotalsByAccountFund, accounts: Mapping[str, Account],
                     restricted_funds: frozenset[str], released: int) -> ActivityFigures:
    """The 业务活动表 over a period from the period's movements (closing entries already left out).

    ``released`` is the net debit to 3102 in the period's releases (entries other than opening and
    closing ones): the amount whose restriction was met.
    """
    income_line, expense_line = _line_of(ACTIVITY_INCOME), _line_of(ACTIVITY_EXPENSES)
    income = {s.key: Columns() for s in ACTIVITY_INCOME}
    expenses = {s.key: Columns() for s in ACTIVITY_EXPENSES}
    for (code, fund), t in movements.items():
        account = accounts.get(code)
        if account is None:
            continue
        top = top_code(code)
        if account.type is AccountType.INCOME:
            key = income_line.get(top, "other_income")
            amount = t.credit_balance
            income[key] += Columns(0, amount) if fund in restricted_funds else Columns(amount, 0)
        elif account.type is AccountType.EXPENSE:
            key = expense_line.get(top, "other_expenses")
            expenses[key] += Columns(t.debit_balance, 0)
    return ActivityFigures(income, expenses, Columns(released, -released))
