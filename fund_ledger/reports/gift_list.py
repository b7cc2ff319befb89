"""The gifts list as a CSV file for a spreadsheet: UTF-8 with a byte-order mark (so that Excel opens the
Chinese as Chinese), one row a gift, amounts in yuan; any text a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@`` first) gets a leading ``'`` (``statement_render.safe_cell``)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from ..ledger.money import fen_to_str
from ..services.donations import CHANNEL_NAMES, GiftRow
from .statement_render import safe_cell

BOM = "\ufeff"
HEADER = ("确认书编号 Acknowledgement", "收到日期 Received on", "捐赠人 Donor", "匿名 Anonymous", "基金 Fund",
          "方式 Channel", "凭证号 Reference", "金额（元） Amount (yuan)", "分录 Entry", "状态 Status", "冲销分录 Refund entry",
          "备注 Memo")


def gift_row_cells(r: GiftRow) -> list:
    d = r.donation
    return [r.receipt_number, d.received_on.isoformat(), r.donor.name, "是" if d.anonymous else "", r.fund_name,
            CHANNEL_NAMES.get(d.channel, d.channel), d.reference or "", fen_to_str(d.amount), r.entry_number,
            "已退款 refunded" if r.refunded else "有效 stands", r.refund_entry or "", d.memo or ""]


def gift_list_csv(rows: Iterable[GiftRow], *, every: int = 500) -> Iterator[str]:
    """The file's text in pieces (a piece every ``every`` rows), starting with the BOM and the header."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write(BOM)
    writer.writerow(HEADER)
    for n, row in enumerate(rows, 1):
        writer.writerow([safe_cell(v) for v in gift_row_cells(row)])
        if n % every == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


__all__ = ["gift_list_csv", "BOM", "HEADER"]
