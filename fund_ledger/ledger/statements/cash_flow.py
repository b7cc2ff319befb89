"""现金流量表 (会民非03表), direct method: its layout, the one table that maps accounts to its lines, and
the routing of an entry's cash to those lines. Pure: the report builder sums in SQL and hands the sums here.

Cash is 1001 现金, 1002 银行存款 and 1009 其他货币资金 (and their sub-accounts). For an entry with a cash
posting, what the cash was for is read from the entry's *other* postings
(its counter-accounts). Each counter-account belongs to one class of :data:`CASH_FLOW_CLASSES`; within
one entry a class's postings are netted first (credit − debit: the cash that class brought in), so an
entry's release of restriction (Dr 3102 / Cr 3101) nets to nothing, and the net goes to the class's
inflow line when positive, its outflow line when negative. The counter-postings of a balanced entry net
to exactly its cash change, so the lines always add up to the change in cash (see the property test).
An entry that both receives and pays cash (a gift and a grant in one entry) shows both, gross.

* Only entries with a cash posting count. A movement between two cash accounts (1002 → 1009) has no
  counter-accounts: it is not a flow.
* A reversal (冲销, e.g. the refund of a gift) is routed to the lines its original used, with the
  opposite sign: a refunded gift lowers 接受捐赠收到的现金 (as the 业务活动表 nets it from 捐赠收入), a
  reversed grant payment lowers 提供捐赠或者资助支付的现金.
* A grantee's return of unspent grant money (a ``return`` entry, Dr 1002 / Cr 5101) is new cash coming
  in, in whichever year it comes back: 收到的其他与业务活动有关的现金.
* Opening balances (``opening`` entries) put cash on the books without any flow; should a period
  include them they are shown on their own line, 期初余额录入, outside the form's lines, so that the
  net increase still equals closing cash less opening cash. The reversal of an opening entry nets
  against that line (:func:`entry_kind`), whatever period it falls in.
* 汇率变动对现金的影响额 is zero: the books are kept in CNY only.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .common import top_code

CASH_ACCOUNTS: tuple[str, ...] = ("1001", "1002", "1009")
"""现金, 银行存款, 其他货币资金: the cash of the statement (the 货币资金 line of the 资产负债表)."""


def is_cash(code: str) -> bool:
    return top_code(code) in CASH_ACCOUNTS


@dataclass(frozen=True, slots=True)
class FlowLine:
    """One line of the 现金流量表 layout."""

    key: str
    zh: str
    en: str
    kind: str
    """``heading``, ``inflow`` / ``outflow`` (a line of figures), ``in_total`` / ``out_total`` (现金流入小计 /
    现金流出小计 of the section), ``net`` (the section's 净额), ``fx``, ``opening`` or ``total``."""
    section: str = ""
    """``operating``, ``investing``, ``financing`` or empty."""

    @property
    def direction(self) -> int:
        """+1 for a line of cash received, −1 for cash paid (amounts on both are shown positive)."""
        return -1 if self.kind in ("outflow", "out_total") else 1


def _f(key, zh, en, kind, section=""):
    return FlowLine(key, zh, en, kind, section)


CASH_FLOW_LINES: tuple[FlowLine, ...] = (
    _f("h_operating", "一、业务活动产生的现金流量：", "Cash flows from operating activities", "heading", "operating"),
    _f("donations", "接受捐赠收到的现金", "Cash received from donations", "inflow", "operating"),
    _f("dues", "收取会费收到的现金", "Cash received from membership dues", "inflow", "operating"),
    _f("services", "提供服务收到的现金", "Cash received from services", "inflow", "operating"),
    _f("sales", "销售商品收到的现金", "Cash received from sales", "inflow", "operating"),
    _f("government", "政府补助收到的现金", "Cash received from government grants", "inflow", "operating"),
    _f("other_operating_in", "收到的其他与业务活动有关的现金", "Other cash received from operating activities",
       "inflow", "operating"),
    _f("operating_in", "现金流入小计", "Total cash inflows", "in_total", "operating"),
    _f("grants_paid", "提供捐赠或者资助支付的现金", "Cash paid for donations and grants", "outflow", "operating"),
    _f("staff_paid", "支付给职工以及为职工支付的现金", "Cash paid to and for employees", "outflow", "operating"),
    _f("purchases_paid", "购买商品、接受服务支付的现金", "Cash paid for goods and services", "outflow", "operating"),
    _f("other_operating_out", "支付的其他与业务活动有关的现金", "Other cash paid for operating activities",
       "outflow", "operating"),
    _f("operating_out", "现金流出小计", "Total cash outflows", "out_total", "operating"),
    _f("operating_net", "业务活动产生的现金流量净额", "Net cash from operating activities", "net", "operating"),
    _f("h_investing", "二、投资活动产生的现金流量：", "Cash flows from investing activities", "heading", "investing"),
    _f("investments_recovered", "收回投资所收到的现金", "Cash received from investments recovered", "inflow", "investing"),
    _f("investment_income", "取得投资收益所收到的现金", "Cash received from investment income", "inflow", "investing"),
    _f("fixed_assets_sold", "处置固定资产和无形资产所收回的现金", "Cash received from disposal of fixed and intangible assets",
       "inflow", "investing"),
    _f("other_investing_in", "收到的其他与投资活动有关的现金", "Other cash received from investing activities",
       "inflow", "investing"),
    _f("investing_in", "现金流入小计", "Total cash inflows", "in_total", "investing"),
    _f("fixed_assets_paid", "购建固定资产和无形资产所支付的现金", "Cash paid for fixed and intangible assets",
       "outflow", "investing"),
    _f("investments_paid", "对外投资所支付的现金", "Cash paid for investments", "outflow", "investing"),
    _f("other_investing_out", "支付的其他与投资活动有关的现金", "Other cash paid for investing activities",
       "outflow", "investing"),
    _f("investing_out", "现金流出小计", "Total cash outflows", "out_total", "investing"),
    _f("investing_net", "投资活动产生的现金流量净额", "Net cash from investing activities", "net", "investing"),
    _f("h_financing", "三、筹资活动产生的现金流量：", "Cash flows from financing activities", "heading", "financing"),
    _f("borrowings", "借款所收到的现金", "Cash received from borrowings", "inflow", "financing"),
    _f("other_financing_in", "收到的其他与筹资活动有关的现金", "Other cash received from financing activities",
       "inflow", "financing"),
    _f("financing_in", "现金流入小计", "Total cash inflows", "in_total", "financing"),
    _f("repayments", "偿还借款所支付的现金", "Cash paid to repay borrowings", "outflow", "financing"),
    _f("interest_paid", "偿付利息所支付的现金", "Cash paid for interest", "outflow", "financing"),
    _f("other_financing_out", "支付的其他与筹资活动有关的现金", "Other cash paid for financing activities",
       "outflow", "financing"),
    _f("financing_out", "现金流出小计", "Total cash outflows", "out_total", "financing"),
    _f("financing_net", "筹资活动产生的现金流量净额", "Net cash from financing activities", "net", "financing"),
    _f("fx", "四、汇率变动对现金的影响额", "Effect of exchange rate changes on cash", "fx"),
    _f("opening_balances", "期初余额录入（非现金流量）", "Opening balances entered (not a flow)", "opening"),
    _f("net_change", "五、现金及现金等价物净增加额", "Net increase in cash and cash equivalents", "total"),
)
LINE = {line.key: line for line in CASH_FLOW_LINES}


@dataclass(frozen=True, slots=True)
class FlowClass:
    """Counter-accounts whose cash goes to one pair of lines: ``inflow`` when they bring cash in (credited
    on net within the entry), ``outflow`` when cash goes out for them. Both may name one line, which
    then shows the net (a refunded gift lowers 接受捐赠收到的现金)."""

    key: str
    codes: tuple[str, ...]
    inflow: str
    outflow: str


CASH_FLOW_CLASSES: tuple[FlowClass, ...] = (
    FlowClass("donations", ("4101",), "donations", "donations"),
    FlowClass("dues", ("4201",), "dues", "dues"),
    FlowClass("services", ("4301",), "services", "services"),
    FlowClass("sales", ("4501",), "sales", "sales"),
    FlowClass("government", ("4401",), "government", "government"),
    # 业务活动成本 paid out is the fund's grants; money a grantee gives back is other operating cash received.
    FlowClass("grants", ("5101",), "other_operating_in", "grants_paid"),
    FlowClass("staff", ("2204",), "other_operating_in", "staff_paid"),
    FlowClass("purchases", ("5201", "5301", "1141", "1201", "1202", "1301", "2201", "2202"),
              "other_operating_in", "purchases_paid"),
    FlowClass("investments", ("1101", "1102", "1401", "1402", "1421"), "investments_recovered", "investments_paid"),
    FlowClass("investment_income", ("4601",), "investment_income", "investment_income"),
    FlowClass("fixed_assets", ("1501", "1502", "1505", "1506", "1509", "1601"), "fixed_assets_sold",
              "fixed_assets_paid"),
    FlowClass("borrowings", ("2101", "2501"), "borrowings", "repayments"),
    FlowClass("other", (), "other_operating_in", "other_operating_out"),
)
"""The one table from the chart to the lines. An account is looked up by its own code, then its parents'
(``5301.01`` before ``5301``), so a sub-account (say 借款利息 under 筹资费用) can be given its own class by
adding a row here; any account no row names is ``other`` (其他与业务活动有关的现金)."""
CLASS = {c.key: c for c in CASH_FLOW_CLASSES}
_CLASS_OF_CODE = {code: c.key for c in CASH_FLOW_CLASSES for code in c.codes}
OTHER = "other"
OPENING = "opening"
"""The class of every counter-posting of an ``opening`` entry, whatever its account."""


def flow_class(code: str) -> str:
    """The class of a (non-cash) account code: its own row, its nearest parent's, or ``other``."""
    parts = code.split(".")
    for n in range(len(parts), 0, -1):
        found = _CLASS_OF_CODE.get(".".join(parts[:n]))
        if found:
            return found
    return OTHER


@dataclass(frozen=True, slots=True)
class ClassSum:
    """What one class of counter-accounts did to cash, summed over entries of one kind after netting
    within each entry: ``received`` (≥ 0) the sum of the entries where it brought cash in, ``paid`` (≥ 0)
    where cash went out for it."""

    flow_class: str
    kind: str
    """``normal``, ``reversal`` (routed as its original, with the opposite sign) or ``opening``."""
    received: int = 0
    paid: int = 0


def route(sums: Iterable[ClassSum]) -> dict[str, int]:
    """The figure lines (inflow, outflow, opening) from the class sums; amounts shown positive."""
    out = {line.key: 0 for line in CASH_FLOW_LINES if line.kind in ("inflow", "outflow", "opening")}
    for s in sums:
        if s.kind == OPENING or s.flow_class == OPENING:
            out["opening_balances"] += s.received - s.paid
            continue
        c = CLASS.get(s.flow_class, CLASS[OTHER])
        # (cash effect, the line its entry's original would use): a reversal's cash in undoes an outflow.
        if s.kind == "reversal":
            legs = ((s.received, c.outflow), (-s.paid, c.inflow))
        else:
            legs = ((s.received, c.inflow), (-s.paid, c.outflow))
        for effect, key in legs:
            out[key] += effect * LINE[key].direction
    return out


@dataclass(frozen=True, slots=True)
class CashFlowFigures:
    """Every line's amount (figure lines as routed, the section totals computed)."""

    lines: Mapping[str, int]

    @property
    def net_change(self) -> int:
        return self.lines["net_change"]


def cash_flow_figures(sums: Iterable[ClassSum]) -> CashFlowFigures:
    """The statement from the class sums: subtotals per section, 净额, and the net increase."""
    lines = route(sums)
    lines["fx"] = 0
    for section in ("operating", "investing", "financing"):
        inflow = sum(lines[x.key] for x in CASH_FLOW_LINES if x.section == section and x.kind == "inflow")
        outflow = sum(lines[x.key] for x in CASH_FLOW_LINES if x.section == section and x.kind == "outflow")
        lines[f"{section}_in"], lines[f"{section}_out"] = inflow, outflow
        lines[f"{section}_net"] = inflow - outflow
    lines["net_change"] = (lines["operating_net"] + lines["investing_net"] + lines["financing_net"] + lines["fx"]
                           + lines["opening_balances"])
    return CashFlowFigures(lines)


def entry_class_sums(postings: Iterable[tuple[str, int, int]], entry_kind: str = "normal") -> list[ClassSum]:
    """One entry's counter-postings ``(account code, debit, credit)`` netted per class (the SQL does the same
    per entry with ``GROUP BY``). An entry with no cash posting has no flows (an accrual, a release)."""
    postings = list(postings)
    if not any(is_cash(code) for code, _d, _c in postings):
        return []
    net: dict[str, int] = {}
    for code, d, c in postings:
        if not is_cash(code):
            key = OPENING if entry_kind == OPENING else flow_class(code)
            net[key] = net.get(key, 0) + c - d
    return [ClassSum(k, entry_kind, max(v, 0), max(-v, 0)) for k, v in net.items() if v]


def classify_entry(postings: Iterable[tuple[str, int, int]], entry_kind: str = "normal") -> dict[str, int]:
    """The figure lines of one entry (see :func:`route`)."""
    return route(entry_class_sums(postings, entry_kind))


def signed_total(lines: Mapping[str, int]) -> int:
    """What the figure lines do to cash: inflows less outflows, plus opening balances."""
    return sum(amount * LINE[key].direction for key, amount in lines.items()
               if LINE[key].kind in ("inflow", "outflow", "opening"))


def entry_kind(code: str, reversed_code: str | None = None) -> str:
    """How an entry of this code is routed: ``reversal``, ``opening`` or ``normal``. A reversal takes the
    code of the entry it reverses as ``reversed_code``: the reversal of an opening balance (a mistyped 期初余额
    taken back) is ``opening`` too, so it nets against the 期初余额录入 line instead of showing as a flow."""
    if code == "reversal" and reversed_code == OPENING:
        return OPENING
    return code if code in ("reversal", OPENING) else "normal"
