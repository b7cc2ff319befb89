"""The arithmetic of the financial statements, as pure functions over totals per account and fund.

The layouts of 资产负债表 (会民非01表) and 业务活动表 (会民非02表) of the 民间非营利组织会计制度 are data
here (lines naming the top-level account codes they add up), so a later chart revision changes a table,
not the code. Everything is integer fen; nothing here reads a database.

Restricted and unrestricted (限定性 / 非限定性), as DOMAIN.md states the rule:

* income goes in the 限定性 column when it was received in a restricted fund, else 非限定性;
* every expense goes in the 非限定性 column;
* the release of a restriction (Dr 3102 / Cr 3101, posted when a restricted fund pays for its purpose)
  is the line 限定性净资产转为非限定性净资产: minus in 限定性, plus in 非限定性;
* net assets as of a date are the net asset accounts plus the income and expenses not yet closed
  into them: 非限定性 = 3101 + income of unrestricted funds − all expenses; 限定性 = 3102 + income of
  restricted funds. Their sum equals assets minus liabilities because every entry balances.

One module per statement: :mod:`.position` (资产负债表), :mod:`.activities` (业务活动表), :mod:`.cash_flow`
(现金流量表), :mod:`.funds` (a
fund's statement, running balances), :mod:`.ratios` (the spending ratio); account codes, totals and the
layout's line in :mod:`.common`.
"""
from __future__ import annotations

from .activities import ACTIVITY_EXPENSES, ACTIVITY_INCOME, ActivityFigures, Columns, activity_figures
from .cash_flow import (CASH_ACCOUNTS, CASH_FLOW_CLASSES, CASH_FLOW_LINES, CashFlowFigures, ClassSum, FlowLine,
                        cash_flow_figures, classify_entry, flow_class, is_cash)
from .common import (DONATION_INCOME, GRANT_EXPENSE, MANAGEMENT_EXPENSE, RESTRICTED_NET_ASSETS,
                     UNRESTRICTED_NET_ASSETS, LineSpec, Totals, TotalsByAccountFund, top_code)
from .funds import FUND_MOVEMENTS, fund_movement_key, money_effect, running_balances
from .position import (POSITION_ASSETS, POSITION_LIABILITIES, NetAssets, PositionFigures, StatementImbalance,
                       net_assets, position_figures)
from .ratios import RatioCheck, format_percent, spending_checks

__all__ = [
    "Totals", "LineSpec", "POSITION_ASSETS", "POSITION_LIABILITIES", "ACTIVITY_INCOME", "ACTIVITY_EXPENSES",
    "NetAssets", "PositionFigures", "StatementImbalance", "net_assets", "position_figures", "Columns",
    "ActivityFigures", "activity_figures", "FUND_MOVEMENTS", "fund_movement_key", "money_effect",
    "running_balances", "RatioCheck", "spending_checks", "format_percent", "top_code", "TotalsByAccountFund",
    "UNRESTRICTED_NET_ASSETS", "RESTRICTED_NET_ASSETS", "GRANT_EXPENSE", "MANAGEMENT_EXPENSE", "DONATION_INCOME",
    "CASH_ACCOUNTS", "CASH_FLOW_CLASSES", "CASH_FLOW_LINES", "CashFlowFigures", "ClassSum", "FlowLine",
    "cash_flow_figures", "classify_entry", "flow_class", "is_cash",
]
