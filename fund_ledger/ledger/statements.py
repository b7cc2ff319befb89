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
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from .accounts import Account, AccountType

UNRESTRICTED_NET_ASSETS = "3101"
RESTRICTED_NET_ASSETS = "3102"
GRANT_EXPENSE = "5101"
MANAGEMENT_EXPENSE = "5201"
DONATION_INCOME = "4101"


def top_code(code: str) -> str:
    """``1002.01`` belongs to ``1002``: statements add sub-accounts into their top-level account."""
    return code.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Totals:
    """Debits and credits of one account (or a group of them), in fen."""

    debits: int = 0
    credits: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.debits + other.debits, self.credits + other.credits)

    def __sub__(self, other: Totals) -> Totals:
        return Totals(self.debits - other.debits, self.credits - other.credits)

    @property
    def debit_balance(self) -> int:
        return self.debits - self.credits

    @property
    def credit_balance(self) -> int:
        return self.credits - self.debits


TotalsByAccountFund = Mapping[tuple[str, str], Totals]
"""(account code, fund code) -> totals."""


# --- 资产负债表 -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LineSpec:
    """One line of a statement's layout: a label and the top-level codes it adds up."""

    key: str
    zh: str
    en: str
    codes: tuple[str, ...] = ()
    kind: str = "line"
    """``heading`` (a caption, no figures), ``line``, ``subtotal`` (adds the lines of its section) or ``total``."""
    indent: int = 1


def _l(key, zh, en, *codes, kind="line", indent=1) -> LineSpec:
    return LineSpec(key, zh, en, tuple(codes), kind, indent)


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


def _line_of(specs: Iterable[LineSpec]) -> dict[str, str]:
    return {code: spec.key for spec in specs for code in spec.codes}


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


def _keys(specs: tuple[LineSpec, ...]) -> frozenset[str]:
    return frozenset(s.key for s in specs)


# --- 业务活动表 -----------------------------------------------------------------------------------

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


# --- the fund statement ---------------------------------------------------------------------------

FUND_MOVEMENTS: tuple[tuple[str, str, str], ...] = (
    ("gifts", "捐赠收入", "Gifts received (net of refunds)"),
    ("other_income", "其他收入", "Other income"),
    ("disbursements", "拨付", "Disbursements paid"),
    ("returns", "退回拨款", "Grant money returned"),
    ("other_expenses", "其他费用", "Other expenses"),
    ("other", "其他变动", "Other movements"),
)


def fund_movement_key(account: Account | None, code: str, side_is_debit: bool, in_reversal: bool) -> str | None:
    """Which line of the fund statement a posting's money effect belongs to (None: it *is* money).

    A payment debits 5101, a return of grant money credits it; a reversal undoes the line it reverses
    (a reversed payment lowers disbursements, not raises returns).
    """
    if account is None:
        return "other"
    if account.monetary:
        return None
    top = top_code(code)
    if top == GRANT_EXPENSE:
        return "disbursements" if side_is_debit != in_reversal else "returns"
    if account.type is AccountType.INCOME:
        return "gifts" if top == DONATION_INCOME else "other_income"
    if account.type is AccountType.EXPENSE:
        return "other_expenses"
    return "other"


def money_effect(key: str, debits: int, credits: int) -> int:
    """How a line's postings change the fund's money: money moves opposite to the other side of the entry."""
    return credits - debits


# --- running balances ------------------------------------------------------------------------------

def running_balances(opening: int, amounts: Iterable[tuple[int, int]], debit_normal: bool) -> list[int]:
    """The balance after each (debit, credit), on the account's normal side."""
    out, balance = [], opening
    for debit, credit in amounts:
        balance += (debit - credit) if debit_normal else (credit - debit)
        out.append(balance)
    return out


# --- the spending ratio ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RatioCheck:
    """One rule of the spending check: ``numerator / denominator`` against a threshold in percent."""

    numerator: int
    denominator: int
    threshold: Fraction
    at_least: bool
    """True: the ratio must be at least the threshold; False: at most."""

    @property
    def applicable(self) -> bool:
        return self.denominator > 0

    @property
    def percent(self) -> Fraction | None:
        return Fraction(self.numerator * 100, self.denominator) if self.applicable else None

    @property
    def met(self) -> bool | None:
        """None when there is nothing to measure against (no income last year, no spending this year)."""
        if not self.applicable:
            return None
        # Compared in whole fen, never in floats.
        lhs, rhs = self.numerator * 100, self.threshold * self.denominator
        return lhs >= rhs if self.at_least else lhs <= rhs


def spending_checks(last_year_income: int, charitable_spending: int, management_costs: int, total_spending: int,
                    min_spending_pct: Fraction, max_management_pct: Fraction) -> tuple[RatioCheck, RatioCheck]:
    """(charitable spending ≥ min % of last year's income, management costs ≤ max % of this year's spending)."""
    return (RatioCheck(charitable_spending, last_year_income, min_spending_pct, True),
            RatioCheck(management_costs, total_spending, max_management_pct, False))


def format_percent(value: Fraction | None) -> str:
    """``70.00%``: two decimals, rounded half up."""
    if value is None:
        return "—"
    hundredths = (value * 100 * 2 + 1) // 2  # floor(x + 1/2)
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


__all__ = [
    "Totals", "LineSpec", "POSITION_ASSETS", "POSITION_LIABILITIES", "ACTIVITY_INCOME", "ACTIVITY_EXPENSES",
    "NetAssets", "PositionFigures", "StatementImbalance", "net_assets", "position_figures", "Columns",
    "ActivityFigures", "activity_figures", "FUND_MOVEMENTS", "fund_movement_key", "money_effect",
    "running_balances", "RatioCheck", "spending_checks", "format_percent", "top_code",
]
