"""资产负债表 (会民非01表): its layout as data, and net assets that must equal assets less liabilities."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..accounts import Account, AccountType
from .common import RESTRICTED_NET_ASSETS, LineSpec, TotalsByAccountFund, _keys, _l, _line_of, top_code

# Assets on their debit side (contra accounts such as 累计折旧, credited, subtract by themselves);
# liabilities on their credit side. Sections end with a subtotal over the lines since the heading.
POSITION_ASSETS: tuple[LineSpec, ...] = (
    _l("h_current", "流动资产：", "Current assets", kind="heading", indent=0),
    _l("cash", "货币资金", "Cash and bank", "1001", "1002", "1009"),
    _l("short_investments", "短期投资", "Short-term investments", "1101", "1102"),
    _l("receivables", "应收款项", "Receivables", "1111", "1121", "1122", "1131"),
    _l("prepayments", "预付账款", "Prepayments", "1141"),
    _l("inventories", "存货", "Inventories", "1201", "1202"),
    _l("prepaid_expenses", "待摊费用", "Prepaid expenses", "1301"),
    _l("other_current_assets", "其他流动资产", "Other current assets"),
    _l("current_assets", "流动资产合计", "Total current assets", kind="subtotal"),
    _l("h_long_investments", "长期投资：", "Long-term investments", kind="heading", indent=0),
    _l("equity_investments", "长期股权投资", "Long-term equity investments", "1401"),
    _l("debt_investments", "长期债权投资", "Long-term debt investments", "1402", "1421"),
    _l("long_investments", "长期投资合计", "Total long-term investments", kind="subtotal"),
    _l("h_fixed", "固定资产：", "Fixed assets", kind="heading", indent=0),
    _l("fixed_cost", "固定资产原价", "Fixed assets at cost", "1501"),
    _l("depreciation", "减：累计折旧", "Less accumulated depreciation", "1502"),
    _l("construction", "在建工程", "Construction in progress", "1505"),
    _l("heritage", "文物文化资产", "Cultural relics and heritage assets", "1506"),
    _l("fixed_disposal", "固定资产清理", "Fixed assets in disposal", "1509"),
    _l("fixed_assets", "固定资产合计", "Total fixed assets", kind="subtotal"),
    _l("h_intangible", "无形资产：", "Intangible assets", kind="heading", indent=0),
    _l("intangible", "无形资产", "Intangible assets", "1601"),
    _l("h_agency_assets", "受托代理资产：", "Assets held as agent", kind="heading", indent=0),
    _l("agency_assets", "受托代理资产", "Assets held as agent", "1701"),
)


POSITION_LIABILITIES: tuple[LineSpec, ...] = (
    _l("h_current_liabilities", "流动负债：", "Current liabilities", kind="heading", indent=0),
    _l("short_borrowings", "短期借款", "Short-term borrowings", "2101"),
    _l("payables", "应付款项", "Payables", "2201", "2202", "2209"),
    _l("wages", "应付工资", "Wages payable", "2204"),
    _l("taxes", "应交税金", "Taxes payable", "2206"),
    _l("advances", "预收账款", "Advances received", "2203"),
    _l("accrued", "预提费用", "Accrued expenses", "2301"),
    _l("provisions", "预计负债", "Provisions", "2401"),
    _l("other_current_liabilities", "其他流动负债", "Other current liabilities"),
    _l("current_liabilities", "流动负债合计", "Total current liabilities", kind="subtotal"),
    _l("h_long_liabilities", "长期负债：", "Long-term liabilities", kind="heading", indent=0),
    _l("long_borrowings", "长期借款", "Long-term borrowings", "2501"),
    _l("long_payables", "长期应付款", "Long-term payables", "2502"),
    _l("long_liabilities", "长期负债合计", "Total long-term liabilities", kind="subtotal"),
    _l("h_agency_liabilities", "受托代理负债：", "Liabilities held as agent", kind="heading", indent=0),
    _l("agency_liabilities", "受托代理负债", "Liabilities held as agent", "2601"),
)


CATCH_ALL = {AccountType.ASSET: "other_current_assets", AccountType.LIABILITY: "other_current_liabilities"}
"""Where an account of the chart that no line names is added, so that nothing drops out of the totals."""


@dataclass(frozen=True, slots=True)
class NetAssets:
    unrestricted: int
    restricted: int

    @property
    def total(self) -> int:
        return self.unrestricted + self.restricted


@dataclass(frozen=True, slots=True)
class PositionFigures:
    """资产负债表 figures as of one date: each line's amount, the totals, and net assets by restriction."""

    lines: Mapping[str, int]
    assets: int
    liabilities: int
    net_assets: NetAssets


class StatementImbalance(AssertionError):
    """A statement whose own identity fails (net assets ≠ assets − liabilities): the books are broken."""


def _with_subtotals(specs: tuple[LineSpec, ...], amounts: dict[str, int]) -> dict[str, int]:
    out, running = dict(amounts), 0
    for spec in specs:
        if spec.kind == "heading":
            running = 0
        elif spec.kind == "line":
            out.setdefault(spec.key, 0)
            running += out[spec.key]
        elif spec.kind == "subtotal":
            out[spec.key] = running
    return out


def net_assets(balances: TotalsByAccountFund, accounts: Mapping[str, Account],
               restricted_funds: frozenset[str]) -> NetAssets:
    """Net assets by restriction, counting income and expenses not yet closed (see the module's note)."""
    unrestricted = restricted = 0
    for (code, fund), t in balances.items():
        account = accounts.get(code)
        kind = account.type if account else None
        top = top_code(code)
        if kind is AccountType.NET_ASSETS:
            if top == RESTRICTED_NET_ASSETS:
                restricted += t.credit_balance
            else:
                unrestricted += t.credit_balance
        elif kind is AccountType.INCOME:
            if fund in restricted_funds:
                restricted += t.credit_balance
            else:
                unrestricted += t.credit_balance
        elif kind is AccountType.EXPENSE:
            unrestricted -= t.debit_balance
    return NetAssets(unrestricted, restricted)


def position_figures(balances: TotalsByAccountFund, accounts: Mapping[str, Account],
                     restricted_funds: frozenset[str]) -> PositionFigures:
    """The 资产负债表 as of the date ``balances`` were summed to; raises StatementImbalance when
    net assets differ from assets minus liabilities."""
    asset_line, liability_line = _line_of(POSITION_ASSETS), _line_of(POSITION_LIABILITIES)
    amounts: dict[str, int] = {}
    for (code, _fund), t in balances.items():
        account = accounts.get(code)
        if account is None or account.type not in (AccountType.ASSET, AccountType.LIABILITY):
            continue
        top = top_code(code)
        if account.type is AccountType.ASSET:
            key, amount = asset_line.get(top, CATCH_ALL[account.type]), t.debit_balance
        else:
            key, amount = liability_line.get(top, CATCH_ALL[account.type]), t.credit_balance
        amounts[key] = amounts.get(key, 0) + amount
    lines = {**_with_subtotals(POSITION_ASSETS, {k: v for k, v in amounts.items() if k in _keys(POSITION_ASSETS)}),
             **_with_subtotals(POSITION_LIABILITIES, {k: v for k, v in amounts.items() if k in _keys(POSITION_LIABILITIES)})}
    assets = sum(lines[s.key] for s in POSITION_ASSETS if s.kind == "line")
    liabilities = sum(lines[s.key] for s in POSITION_LIABILITIES if s.kind == "line")
    na = net_assets(balances, accounts, restricted_funds)
    if na.total != assets - liabilities:
        raise StatementImbalance(f"net assets {na.total} fen differ from assets {assets} less liabilities {liabilities}")
    return PositionFigures(lines, assets, liabilities, na)
