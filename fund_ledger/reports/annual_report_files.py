"""The annual work report laid out: a PDF in the house style and an XLSX for re-keying into the national platform.

Both are laid out from the figures' JSON alone (``annual_report.annual_figures``) and a moment, so the same
figures submitted at the same moment give the same bytes: the PDF through ``pdf.render_pdf`` (dates stamped
from ``generated_at``), the XLSX with its document properties and every zip member's time set from it too.

The XLSX has one sheet per section (基本信息, 收入, 支出, 比例, 重大项目, 关联交易): the fund's name and the year
on top, labels in Chinese in column A, amounts in column B as numbers with two decimals, no formulas.
"""
from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from ..ledger.money import format_amount, parse_amount
from .pdf import render_pdf

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00"
DRAFT_MARK = "草稿 DRAFT"


def _fen(text: str) -> int:
    return parse_amount(text, allow_zero=True, allow_negative=True)


def yuan(text: str) -> str:
    """``"100000.00"`` as people read it: ``100,000.00``."""
    return format_amount(_fen(text))


# --- PDF ------------------------------------------------------------------------------------------------

def render_annual_pdf(figures: dict, *, draft: bool, generated_at: datetime, generated_by: str,
                      submission: dict | None = None) -> bytes:
    return render_pdf("reports/annual_report.html", f=figures, draft=draft, submission=submission, yuan=yuan,
                      generated_at=generated_at, generated_by=generated_by, period_start=figures["from"],
                      period_end=figures["to"], entries=figures["ledger"]["entries"],
                      head_hash=figures["ledger"]["head_hash"])


# --- XLSX -----------------------------------------------------------------------------------------------

def _percent(text: str):
    """``"75.00%"`` as the number 75.00; ``—`` (not applicable) stays text."""
    return Decimal(text.rstrip("%")) if text.endswith("%") else "不适用 n/a"


class _Sheet:
    """Rows written one after another under the title block; amounts are numbers, formatted to two decimals."""

    def __init__(self, wb: Workbook, title: str, figures: dict, draft: bool, first: bool = False):
        self.ws = wb.active if first else wb.create_sheet()
        self.ws.title = title
        heading = f"{figures['fund']['name']} {figures['year']}年度工作报告"
        self.ws.append([heading + (f"（{DRAFT_MARK}）" if draft else "")])
        self.ws["A1"].font = Font(bold=True, size=13)
        self.ws.append([f"{figures['fund']['name_en']} · Annual work report {figures['year']} · {title}"])
        self.ws.append([])
        self.ws.column_dimensions["A"].width = 42
        self.ws.column_dimensions["B"].width = 18
        for col in "CDEF":
            self.ws.column_dimensions[col].width = 24

    def row(self, label: str, value=None, *rest, money: bool = True, bold: bool = False):
        if money and isinstance(value, str):
            value = Decimal(value)
        self.ws.append([label, value, *rest])
        r = self.ws.max_row
        if isinstance(value, Decimal):
            self.ws.cell(r, 2).number_format = MONEY_FORMAT if money else PERCENT_FORMAT
        if bold:
            for cell in self.ws[r]:
                cell.font = Font(bold=True)


def _basic(wb, f, draft, submission):
    s = _Sheet(wb, "基本信息", f, draft, first=True)
    s.row("机构名称", f["fund"]["name"], money=False)
    s.row("报告年度", f["year"], money=False)
    s.row("会计期间", f"{f['from']} 至 {f['to']}", money=False)
    s.row("报告状态", DRAFT_MARK if draft else "已提交 Submitted", money=False)
    if submission:
        s.row("提交时间（UTC）", submission["submitted_at"], money=False)
        s.row("提交人", submission["submitted_by"], money=False)
        if submission["replaces"]:
            s.row("替代的报告编号", submission["replaces"], money=False)
            s.row("重新提交原因", submission["reason"], money=False)
    s.row("审计报告", f["audit_reference"] or "未提供 none given", money=False)
    s.row("年初净资产", f["net_assets"]["start"]["total"])
    s.row("  其中：非限定性", f["net_assets"]["start"]["unrestricted"])
    s.row("  其中：限定性", f["net_assets"]["start"]["restricted"])
    s.row("年末净资产", f["net_assets"]["end"]["total"])
    s.row("  其中：非限定性", f["net_assets"]["end"]["unrestricted"])
    s.row("  其中：限定性", f["net_assets"]["end"]["restricted"])
    s.row("账本摘要（笔数）", f["ledger"]["entries"], money=False)
    s.row("账本摘要（最新哈希）", f["ledger"]["head_hash"], money=False)


def _income(wb, f, draft):
    s = _Sheet(wb, "收入", f, draft)
    s.row("项目", "合计", "非限定性", "限定性", money=False, bold=True)
    for line in f["income"]["lines"]:
        s.row(line["name"], line["total"], Decimal(line["unrestricted"]), Decimal(line["restricted"]))
    s.row("收入合计", f["income"]["total"]["total"], Decimal(f["income"]["total"]["unrestricted"]),
          Decimal(f["income"]["total"]["restricted"]), bold=True)
    s.ws.append([])
    d = f["income"]["donations"]
    s.row("捐赠收入", d["total"], bold=True)
    s.row("  其中：个人捐赠", d["person"])
    s.row("  其中：单位捐赠", d["organisation"])
    s.row("  其中：其他调整（跨年度退还等）", d["other"])
    s.row("  其中：非限定性捐赠", d["unrestricted"])
    s.row("  其中：限定性捐赠", d["restricted"])
    for r in range(4, s.ws.max_row + 1):
        for c in (3, 4):
            if isinstance(s.ws.cell(r, c).value, Decimal):
                s.ws.cell(r, c).number_format = MONEY_FORMAT


def _spending(wb, f, draft):
    s = _Sheet(wb, "支出", f, draft)
    for line in f["spending"]["lines"]:
        s.row(line["name"], line["total"])
    s.row("费用合计（总支出）", f["spending"]["total"], bold=True)
    s.row("公益慈善活动支出（业务活动成本）", f["spending"]["charitable"])
    s.row("管理费用", f["spending"]["management"])


def _ratios(wb, f, draft):
    r = f["ratios"]
    s = _Sheet(wb, "比例", f, draft)
    s.row(f"{f['ratios']['base_year']}年总收入（比例基数）", r["last_year_income"])
    s.row(f"{f['year']}年公益慈善活动支出", r["charitable_spending"])
    s.row(f"{f['year']}年管理费用", r["management_costs"])
    s.row(f"{f['year']}年总支出", r["total_spending"])
    verdicts = {True: "符合", False: "不符合", None: "不适用"}
    for rule in r["rules"]:
        s.row(rule["name"] + "（%）", _percent(rule["ratio"]), f"标准 {rule['threshold']}", verdicts[rule["met"]],
              money=False)


def _projects(wb, f, draft):
    s = _Sheet(wb, "重大项目", f, draft)
    g = f["grants"]
    s.row("本年资助拨付合计", g["paid"], bold=True)
    s.row("本年资助拨付笔数", g["count"], money=False)
    s.ws.append([])
    s.row(f"金额最大的{len(g['largest'])}笔资助：受助机构", "金额", "资助用途", "所属项目", "拨付日期", money=False,
          bold=True)
    for x in g["largest"]:
        s.row(x["organisation"], x["amount"], x["purpose"], x["programme"] or "—", x["paid_on"])
    s.ws.append([])
    s.row("资助项目：项目名称", "本年拨付", "预算", money=False, bold=True)
    for p in g["programmes"]:
        s.row(p["name"], p["paid"], Decimal(p["budget"]))
        s.ws.cell(s.ws.max_row, 3).number_format = MONEY_FORMAT


def _related(wb, f, draft):
    s = _Sheet(wb, "关联交易", f, draft)
    rp = f["related_parties"]
    s.row("关联交易合计金额", rp["total"], bold=True)
    s.row("关联交易笔数", rp["count"], money=False)
    for k in rp["by_kind"]:
        s.row(f"  其中：{k['name']}（{k['count']}笔）", k["total"])
    s.ws.append([])
    s.row("关联方", "金额", "类型", "日期", "关联关系", "交易对方", money=False, bold=True)
    for t in rp["transactions"]:
        s.row(t["party"], t["amount"], t["kind_name"], t["on"], t["relation"], t["counterparty"])


def render_annual_xlsx(figures: dict, *, draft: bool, generated_at: datetime, generated_by: str,
                       submission: dict | None = None) -> bytes:
    wb = Workbook()
    _basic(wb, figures, draft, submission)
    _income(wb, figures, draft)
    _spending(wb, figures, draft)
    _ratios(wb, figures, draft)
    _projects(wb, figures, draft)
    _related(wb, figures, draft)
    moment = generated_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    wb.properties.creator = wb.properties.lastModifiedBy = generated_by
    wb.properties.created = wb.properties.modified = moment
    wb.properties.title = f"{figures['year']}年度工作报告" + (f"（{DRAFT_MARK}）" if draft else "")
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()  # (save_workbook would stamp "modified" with the real time)
    return _fixed_times(raw.getvalue(), moment)


def _fixed_times(data: bytes, moment: datetime) -> bytes:
    """The same zip with every member dated ``moment`` (zip members otherwise carry the time of writing)."""
    out = io.BytesIO()
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


__all__ = ["render_annual_pdf", "render_annual_xlsx", "yuan", "MONEY_FORMAT", "DRAFT_MARK"]
