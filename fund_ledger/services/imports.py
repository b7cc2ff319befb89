"""Importing a list of gifts, as fund managers keep them: CSV (UTF-8 or GBK) or Excel (.xlsx).

Everything is checked before anything is written; errors come back by row and column in plain words;
either every row is recorded or none; importing the same file again records nothing new.
"""
from __future__ import annotations

import csv
import re
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db.engine import lock_ledger
from ..db.repository import current_chart, utc_now_text
from marshmallow import ValidationError

from ..schemas.base import load_form
from ..schemas.donations import ImportRowIn
from ..schemas.messages import Message
from . import audit
from .actor import Actor
from .donations import CHANNEL_ACCOUNTS, Gift, _require_manager, record_donations
from .errors import InvalidInput, RuleBroken
from ..clock import local_today
from .ledger import BOOKS_BEGIN

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000

COLUMNS = {  # our name: the header names accepted for it
    "donor": ("donor", "捐赠人"), "donor_kind": ("donor_kind", "类型"), "fund": ("fund", "基金"),
    "amount": ("amount", "金额"), "received_on": ("received_on", "日期"), "channel": ("channel", "方式"),
    "reference": ("reference", "凭证号"), "memo": ("memo", "备注"),
}
REQUIRED = ("donor", "fund", "amount", "received_on")
KIND_WORDS = {"person": "person", "个人": "person", "organisation": "organisation", "organization": "organisation",
              "单位": "organisation", "企业": "organisation"}
CHANNEL_WORDS = {**{c: c for c in CHANNEL_ACCOUNTS}, "银行": "bank", "银行转账": "bank", "转账": "bank",
                 "现金": "cash", "微信": "wechat", "微信支付": "wechat", "支付宝": "alipay", "其他": "other"}
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
ROW_CELLS = ("donor", "fund", "amount", "received_on", "reference", "memo")
"""The cells loaded through ``schemas.donations.ImportRowIn`` (kind and channel take words in two languages)."""
GIFT_FIELD_COLUMNS = {"donor_id": "donor", "fund_id": "fund"}
"""record_donations names a gift's fields; the file's columns for the two whose names differ."""




@dataclass
class ImportResult:
    batch_id: int
    rows: int
    total: int
    new_donors: int = 0
    already_imported: bool = False
    encoding: str = ""


class ImportErrors(InvalidInput):
    """Errors by row and column (row 1 is the header, as the spreadsheet numbers it); nothing was written."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        self.problems = problems
        by_field: dict[str, list[str]] = {}
        for row, column, message in problems[:200]:
            by_field.setdefault(f"row {row}" + (f", {column}" if column else ""), []).append(message)
        more = " (the first 200 are listed)" if len(problems) > 200 else ""
        super().__init__(f"{len(problems)} problem(s) in the file; nothing was recorded{more}", by_field)


def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[object]], str]:
    """Header and rows of a .csv or .xlsx file, and the text encoding used (for CSV)."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportErrors(problems=[(0, "", f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")])
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return (*_read_xlsx(data), "xlsx")
    if not name.endswith(".csv") and name:
        raise ImportErrors(problems=[(0, "", "only .csv and .xlsx files can be imported")])
    for encoding in ("utf-8-sig", "gb18030"):  # GB 18030 reads every GBK file
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportErrors(problems=[(0, "", "the file is neither UTF-8 nor GBK text; save it as CSV UTF-8")])
    if "\x00" in text:
        raise ImportErrors(problems=[(0, "", "the file contains NUL characters: is it really a CSV file?")])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise ImportErrors(problems=[(0, "", "the file is empty")])
    return [h.strip() for h in rows[0]], rows[1:], "UTF-8" if encoding == "utf-8-sig" else "GBK"


def _read_xlsx(data: bytes) -> tuple[list[str], list[list[object]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise ImportErrors(problems=[(0, "", f"not a readable .xlsx file ({type(exc).__name__})")]) from None
    sheet = book.worksheets[0]
    rows, problems = [], []
    for r, row in enumerate(sheet.iter_rows(), start=1):
        values = []
        for c, cell in enumerate(row, start=1):
            if getattr(cell, "data_type", None) == "f":
                problems.append((r, f"column {c}", "formulas are not accepted: paste the values instead"))
            values.append(cell.value)
        rows.append(values)
        if len(rows) > MAX_ROWS + 1:
            break
    book.close()
    if problems:
        raise ImportErrors(problems=problems)
    if not rows:
        raise ImportErrors(problems=[(0, "", "the sheet is empty")])
    return [str(h or "").strip() for h in rows[0]], rows[1:]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # Excel numbers are floats: 100000.5 stays "100000.5"; 0.1+0.2 is refused, not rounded
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


@dataclass
class _Row:
    number: int
    donor: str
    kind: str
    fund: str
    amount: int
    received_on: date
    channel: str
    reference: str
    memo: str


def parse_rows(header: list[str], rows: list[list[object]], today: date,
               funds: dict[str, m.Fund], closed_periods: frozenset[str] = frozenset(),
               earliest: date = BOOKS_BEGIN) -> tuple[list[_Row], list[tuple[int, str, str]]]:
    """Every row checked; the problems by row (as the spreadsheet numbers it) and column.

    Besides the cells' own form, the ledger's rules a gift can break are checked here, so that every one
    of them is listed with the rest: a fund past its end date, a date before the books begin or in a
    closed month (``closed_periods``, as ``YYYY-MM``), control characters in what goes into the memo.
    """
    problems: list[tuple[int, str, str]] = []
    where: dict[str, int] = {}
    for i, h in enumerate(header):
        for ours, names in COLUMNS.items():
            if h.lower() in names or h in names:
                if ours in where:
                    problems.append((1, h, Message("import.duplicate_column", column=ours)))
                where[ours] = i
    missing = [f"{c} ({COLUMNS[c][1]})" for c in REQUIRED if c not in where]
    if missing:
        problems.append((1, "", Message("import.missing_columns", columns=", ".join(missing))))
        return [], problems
    if len(rows) > MAX_ROWS:
        return [], [(0, "", f"more than {MAX_ROWS} rows: split the file")]
    parsed = []
    for n, raw in enumerate(rows, start=2):
        cells = {c: _cell_text(raw[i]) if i < len(raw) else "" for c, i in where.items()}
        if not any(cells.values()):
            continue  # blank lines at the end of a sheet
        bad = len(problems)
        for column, text in cells.items():
            if text[:1] in ("=", "@") or (text[:1] in ("+", "-") and column not in ("amount",)):
                problems.append((n, column, Message("import.formula")))
        # the cells' own form: the schema a gift is loaded with on the page and in the API (cells are text)
        try:
            row = load_form(ImportRowIn, {c: cells.get(c, "") for c in ROW_CELLS})
        except ValidationError as err:
            for column, messages in err.messages.items():
                problems.append((n, column, messages[0]))
            row = err.valid_data or {}
        kind = KIND_WORDS.get(cells.get("donor_kind", "").lower() or "person")
        if kind is None:
            problems.append((n, "donor_kind", Message("import.kind")))
        fund = funds.get(row["fund"]) if "fund" in row else None
        if "fund" not in row:
            pass  # (said above)
        elif fund is None:
            problems.append((n, "fund", Message("fund.missing", fund=repr(row["fund"]))))
        elif fund.closed_on is not None:
            problems.append((n, "fund", Message("fund.closed", fund=fund.name)))
        received_on = row.get("received_on")
        if received_on is not None:  # the ledger's rules on the date, and the fund's end date
            if received_on > today:
                problems.append((n, "received_on", Message("date.future", date=received_on.isoformat())))
            elif received_on < earliest:
                problems.append((n, "received_on", Message("date.before_books", date=received_on.isoformat(),
                                                           begin=earliest.isoformat())))
            elif received_on.strftime("%Y-%m") in closed_periods:
                problems.append((n, "received_on", Message("period.closed", period=received_on.strftime("%Y-%m"))))
            if fund is not None and fund.closed_on is None and fund.end_date is not None \
                    and received_on > fund.end_date:
                problems.append((n, "fund", Message("fund.ended", fund=fund.name, date=fund.end_date.isoformat())))
        channel = CHANNEL_WORDS.get((cells.get("channel") or "bank").lower())
        if channel is None:
            problems.append((n, "channel", Message("import.channel")))
        if len(problems) == bad:
            parsed.append(_Row(n, row["donor"], kind, fund.code, row["amount"], received_on, channel,
                               row["reference"], row["memo"]))
    return parsed, problems


def import_donations(session: Session, actor: Actor, data: bytes, filename: str, *,
                     today: date | None = None) -> ImportResult:
    """Record every gift in the file, or none; the caller commits.

    A refusal changes nothing in the caller's transaction: every row is checked before the first write,
    and the writes (new donors, the batch, the gifts) run in a savepoint that a late refusal rolls back.
    """
    _require_manager(actor)
    today = today or local_today()
    digest = hashlib.sha256(data).hexdigest()
    lock_ledger(session)
    done = session.scalar(select(m.ImportBatch).where(m.ImportBatch.file_sha256 == digest))
    if done is not None:
        return ImportResult(done.id, done.rows, done.total, already_imported=True)
    header, rows, encoding = read_table(data, filename)
    funds = list(session.scalars(select(m.Fund)))
    parsed, problems = parse_rows(header, rows, today, {**{f.code: f for f in funds}, **{f.name: f for f in funds}},
                                  closed_periods=current_chart(session).closed_periods)
    if problems:
        raise ImportErrors(problems=sorted(problems))
    if not parsed:
        raise ImportErrors(problems=[(0, "", "the file has no gifts in it")])

    try:
        with session.begin_nested():  # a refusal below rolls back the donors and the batch written before it
            batch, new = _record(session, actor, parsed, digest, filename, today)
    except ImportErrors:
        raise
    except (InvalidInput, RuleBroken) as err:  # a ledger rule parse_rows does not know of: name the row
        problems = []
        for key, messages in err.errors.items():
            found = re.match(r"gifts\[(\d+)\]\.(\w+)$", key)
            for message in messages:
                problems.append((parsed[int(found[1])].number, GIFT_FIELD_COLUMNS.get(found[2], found[2]), message)
                                if found else (0, key, message))
        raise ImportErrors(problems=sorted(problems)) from err
    audit.record(session, actor, "donation.import", object_type="import_batch", object_id=batch.id,
                 detail={"file": batch.filename, "sha256": digest, "rows": batch.rows, "total": batch.total,
                         "new_donors": len(new), "encoding": encoding})
    return ImportResult(batch.id, batch.rows, batch.total, len(new), encoding=encoding)


def _record(session: Session, actor: Actor, parsed: list[_Row], digest: str, filename: str,
            today: date) -> tuple[m.ImportBatch, list[m.Donor]]:
    """Write the new donors, the batch and the gifts of checked rows."""
    known = {}
    for d in session.scalars(select(m.Donor).order_by(m.Donor.id.desc())):
        known[(d.name, d.kind)] = d  # the oldest donor of a name and kind wins
    new = [m.Donor(name=r.donor, kind=r.kind, created_at=utc_now_text())
           for r in {(r.donor, r.kind): r for r in parsed if (r.donor, r.kind) not in known}.values()]
    session.add_all(new)
    session.flush()
    known.update({(d.name, d.kind): d for d in new})
    batch = m.ImportBatch(file_sha256=digest, filename=(filename or "")[:200], rows=len(parsed),
                          total=sum(r.amount for r in parsed), created_at=utc_now_text(), created_by=actor.username)
    session.add(batch)
    session.flush()
    gifts = [Gift(donor_id=known[(r.donor, r.kind)].id, fund=r.fund, amount=r.amount,
                  received_on=r.received_on, channel=r.channel, reference=r.reference, memo=r.memo) for r in parsed]
    record_donations(session, actor, gifts, today=today, import_batch_id=batch.id)
    return batch, new
