"""Importing a list of gifts, as fund managers keep them: CSV (UTF-8 or GBK) or Excel (.xlsx).

Everything is checked before anything is written; errors come back by row and column in plain words;
either every row is recorded or none; importing the same file again records nothing new.
"""
from __future__ import annotations

import csv
import re
import hashlib
import io
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db.engine import lock_ledger
from ..db.repository import current_chart, utc_now_text
from ..db.schema import analyze
from marshmallow import EXCLUDE, ValidationError

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
MAX_COLUMNS = 64
"""An .xlsx row with a value further right than this is refused (the import reads 8 columns)."""
MAX_PROBLEMS = 1000
"""Checking stops at this many problems (the first 200 are shown): bounded time and memory for any file."""
MAX_CELL_CHARS = csv.field_size_limit()
"""The longest CSV cell read (Python's csv module's own limit, 128 Ki characters); a longer one is refused."""

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

    def __init__(self, problems: list[tuple[int, str, str]], *, recorded: int = 0):
        self.problems = problems
        self.recorded = recorded
        by_field: dict[str, list[str]] = {}
        for row, column, message in problems[:200]:
            by_field.setdefault(f"row {row}" + (f", {column}" if column else ""), []).append(message)
        more = " (the first 200 are listed)" if len(problems) > 200 else ""
        if recorded:  # a chunk refused after others were written (import_file): the batch is left unfinished
            super().__init__(f"{len(problems)} problem(s) in the file after {recorded} gift(s) were recorded: the "
                             f"import is unfinished; import the same file again to finish it{more}", by_field)
        else:
            super().__init__(f"{len(problems)} problem(s) in the file; nothing was recorded{more}", by_field)


def read_table(data: bytes, filename: str) -> tuple[list[str], Iterator[list[object]], str]:
    """Header and rows of a .csv or .xlsx file, and the text encoding used (for CSV).

    The rows come as an iterator, read as they are asked for (bounded memory at any file size): more than
    ``MAX_ROWS`` of them, a CSV cell longer than ``MAX_CELL_CHARS`` or an .xlsx row with a value beyond
    ``MAX_COLUMNS`` stop the reading with an ``ImportErrors`` naming the row.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ImportErrors(problems=[(0, "", f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")])
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return (*_read_xlsx(data), "xlsx")
    if not name.endswith(".csv") and name:
        raise ImportErrors(problems=[(0, "", "only .csv and .xlsx files can be imported")])
    encoding = csv_encoding(data)
    if b"\x00" in data:
        raise ImportErrors(problems=[(0, "", "the file contains NUL characters: is it really a CSV file?")])
    records = _csv_records(data, encoding)
    header = next(records, None)
    if header is None:
        raise ImportErrors(problems=[(0, "", "the file is empty")])
    return [h.strip() for h in header], _at_most(records, MAX_ROWS), "UTF-8" if encoding == "utf-8" else "GBK"


def _lines(data: bytes) -> Iterator[bytes]:
    """The file's physical lines (each ends with its \\n). A \\n byte is never part of a UTF-8 or GB 18030
    character, so every line decodes on its own in either."""
    return iter(io.BytesIO(data))


def csv_encoding(data: bytes) -> str:
    """``utf-8`` or ``gb18030``: the one encoding every row of the file is in, or ImportErrors naming the row.

    UTF-8 (with or without BOM) when the whole file is valid UTF-8. Otherwise GB 18030 (which reads every GBK
    file), but only when every line decodes in it and no line is UTF-8 with non-ASCII text: a file of UTF-8
    rows with a GBK row among them (two exports pasted together) is refused naming the first row whose
    encoding differs from the rows before it, rather than read with its names garbled. Nothing is ever
    decoded with replacement characters.
    """
    first_utf8 = first_other = None  # the first line of non-ASCII UTF-8 text, and of text that is not UTF-8
    for number, line in enumerate(_lines(data), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            if first_other is None:
                first_other = number
        else:
            if first_utf8 is None:
                first_utf8 = number
        if first_utf8 is not None and first_other is not None:
            raise ImportErrors(problems=[(_row_of_line(data, max(first_utf8, first_other)), "",
                                          Message("import.mixed_encoding", row=_row_of_line(data, max(first_utf8, first_other)),
                                                  encoding="UTF-8" if first_utf8 < first_other else "GBK"))])
    if first_other is None:
        return "utf-8"
    for number, line in enumerate(_lines(data), start=1):
        try:
            line.decode("gb18030")
        except UnicodeDecodeError:
            row = _row_of_line(data, number)
            raise ImportErrors(problems=[(row, "", Message("import.encoding", row=row))]) from None
    return "gb18030"


def _row_of_line(data: bytes, line: int) -> int:
    """The row (as a spreadsheet numbers it, the header being row 1) that physical line ``line`` belongs to:
    a quoted cell may hold line breaks. The quotes, commas and line breaks are ASCII, so reading the bytes
    as Latin-1 finds the same rows whatever the encoding."""
    reader = csv.reader((chunk.decode("latin-1") for chunk in _lines(data)))
    row = 0
    try:
        for row, _record in enumerate(reader, start=1):
            if reader.line_num >= line:
                return row
    except csv.Error:
        pass
    return row + 1


def _csv_records(data: bytes, encoding: str) -> Iterator[list[str]]:
    """The CSV records of the file, decoded strictly; a cell too long for the reader is a problem of its row."""
    def text() -> Iterator[str]:
        for number, line in enumerate(_lines(data), start=1):
            if number == 1 and encoding == "utf-8":
                line = line.removeprefix(b"\xef\xbb\xbf")
            yield line.decode(encoding)

    reader = csv.reader(text())
    row = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            row += 1
            if "field larger than field limit" in str(err):
                raise ImportErrors(problems=[(row, _long_cell_column(data, encoding, row), Message(
                    "import.cell_too_long", max=MAX_CELL_CHARS))]) from None
            raise ImportErrors(problems=[(row, "", Message("import.csv", problem=str(err)))]) from None
        row += 1
        yield record


def _long_cell_column(data: bytes, encoding: str, row: int) -> str:
    """The header name of the column whose cell in ``row`` is too long, when the header can be read."""
    try:
        reader = csv.reader(line.decode(encoding).removeprefix("\ufeff") for line in _lines(data))
        header = [h.strip() for h in next(reader)]
    except (csv.Error, StopIteration, UnicodeDecodeError):
        return ""
    reader = csv.reader((chunk.decode("latin-1") for chunk in _lines(data)))  # a byte is a character: rows only
    try:
        for _ in range(row - 1):
            next(reader)
    except (csv.Error, StopIteration):
        return ""
    lines = list(_lines(data))
    text = b"".join(lines[reader.line_num:]).decode("latin-1")
    column, i, quoted, length = 0, 0, False, 0
    while i < len(text):  # walk the row's cells until one grows past the limit
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1:i + 2] == '"':
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == ",":
            column, length = column + 1, -1
        elif ch in "\r\n":
            break
        length += 1
        if length > MAX_CELL_CHARS:
            return _column_name(header, column)
        i += 1
    return ""


def _column_name(header: list[str], index: int) -> str:
    for ours, names in COLUMNS.items():
        if index < len(header) and (header[index].lower() in names or header[index] in names):
            return ours
    return f"column {index + 1}"


def _at_most(rows: Iterator[list[object]], limit: int) -> Iterator[list[object]]:
    for count, row in enumerate(rows, start=1):
        if count > limit:
            raise ImportErrors(problems=[(0, "", f"more than {limit} rows: split the file")])
        yield row


def _read_xlsx(data: bytes) -> tuple[list[str], Iterator[list[object]]]:
    """The first sheet, streamed (openpyxl's read-only mode): a row at a time, at most ``MAX_COLUMNS`` cells of
    it kept; a value further right, or more than ``MAX_ROWS`` rows, is refused before anything is written."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        declared = sheet.max_row  # from the sheet's <dimension>, if it has one: a fast refusal
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise ImportErrors(problems=[(0, "", f"not a readable .xlsx file ({type(exc).__name__})")]) from None
    if isinstance(declared, int) and declared > MAX_ROWS + 1:
        book.close()
        raise ImportErrors(problems=[(0, "", f"more than {MAX_ROWS} rows: split the file")])
    limit = MAX_COLUMNS

    def rows() -> Iterator[list[object]]:
        try:
            for r, row in enumerate(sheet.iter_rows(max_col=limit + 1), start=1):
                values = []
                for c, cell in enumerate(row, start=1):
                    value = getattr(cell, "value", None)
                    if getattr(cell, "data_type", None) == "f":  # parse_rows refuses it in a column it reads
                        value = _Formula(str(getattr(value, "text", value) or ""))
                    if c > limit:
                        if value not in (None, ""):
                            raise ImportErrors(problems=[(r, f"column {c}", Message("import.too_many_columns",
                                                                                    max=limit))])
                        continue
                    values.append(value)
                yield values
        except ImportErrors:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged sheet found while streaming it
            raise ImportErrors(problems=[(0, "", f"not a readable .xlsx file ({type(exc).__name__})")]) from None
        finally:
            book.close()

    stream = rows()
    header = next(stream, None)
    if header is None or not any(v not in (None, "") for v in header):
        stream.close()
        raise ImportErrors(problems=[(0, "", "the sheet is empty")])
    return [str(h or "").strip() for h in header], _at_most(stream, MAX_ROWS)


class _Formula(str):
    """An .xlsx cell holding a formula (its text): refused, never evaluated."""


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


def parse_rows(header: list[str], rows: Iterable[list[object]], today: date,
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
    parsed = []
    schema = ImportRowIn(unknown=EXCLUDE)  # one for the file: building a marshmallow schema per row cost half the check
    try:
        for n, raw in enumerate(rows, start=2):
            _parse_row(n, raw, where, today, funds, closed_periods, earliest, parsed, problems, schema)
            if len(problems) >= MAX_PROBLEMS:  # a file that is not a list of gifts: stop reading it
                problems.append((n + 1, "", Message("import.too_many_problems", max=MAX_PROBLEMS, row=n)))
                return [], problems
    except ImportErrors as err:  # the file itself stopped being readable (a cell too long, too many rows)
        return [], problems + err.problems
    return parsed, problems


def _closed_month(received_on: date, closed_periods) -> Message | None:
    """The refusal of a gift dated in a closed month (checked when the file is read, and again under the lock
    when its batch is declared), or None."""
    month = received_on.strftime("%Y-%m")
    return Message("period.closed", period=month) if month in closed_periods else None


def _parse_row(n: int, raw: list[object], where: dict[str, int], today: date, funds, closed_periods, earliest: date,
               parsed: list, problems: list, schema: ImportRowIn) -> None:
    """Check row ``n``: a good row goes to ``parsed``, what is wrong with it to ``problems``."""
    cells = {c: _cell_text(raw[i]) if i < len(raw) else "" for c, i in where.items()}
    if not any(cells.values()):
        return  # blank lines at the end of a sheet
    bad = len(problems)
    formulas = {column for column, i in where.items() if i < len(raw) and isinstance(raw[i], _Formula)}
    for column in formulas:  # said once, in the words a spreadsheet user knows
        problems.append((n, column, "formulas are not accepted: paste the values instead"))
    for column, text in cells.items():
        if column in formulas:
            continue
        if text[:1] in ("=", "@") or (text[:1] in ("+", "-") and column not in ("amount",)):
            problems.append((n, column, Message("import.formula")))
    # the cells' own form: the schema a gift is loaded with on the page and in the API (cells are text)
    try:
        row = load_form(schema, {c: cells.get(c, "") for c in ROW_CELLS})
    except ValidationError as err:
        for column, messages in err.messages.items():
            if column not in formulas:
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
        elif (closed := _closed_month(received_on, closed_periods)) is not None:
            problems.append((n, "received_on", closed))
        if fund is not None and fund.closed_on is None and fund.end_date is not None \
                and received_on > fund.end_date:
            problems.append((n, "fund", Message("fund.ended", fund=fund.name, date=fund.end_date.isoformat())))
    channel = CHANNEL_WORDS.get((cells.get("channel") or "bank").lower())
    if channel is None:
        problems.append((n, "channel", Message("import.channel")))
    if len(problems) == bad:
        parsed.append(_Row(n, row["donor"], kind, fund.code, row["amount"], received_on, channel,
                           row["reference"], row["memo"]))


@dataclass
class PreparedImport:
    """A file read and checked without the ledger's lock (``prepare_import``): what the writes then record.
    ``already`` is set when the file had been imported in full when it was checked."""

    digest: str
    encoding: str
    rows: list[_Row]
    today: date
    already: ImportResult | None = None


CHUNK_ROWS = 500
"""Gifts written per write transaction by :func:`import_file`: the ledger's lock is held for one chunk at a
time, so other writers (a gift at the desk, a payment) get in between chunks, however long the file."""


ANALYZE_AFTER_ROWS = 5_000
"""An import of this many gifts or more refreshes the statistics of the tables it grew, as ``fund-ledger init``
does for all of them: PostgreSQL here runs without autovacuum, and a planner that still believes the journal
empty (the statistics ``init`` took) may choose plans that read it whole (docs/benchmarks.md)."""
IMPORTED_TABLES = ("entries", "postings", "donations", "donors", "daily_totals", "account_balances")


SQLITE_PAUSE = 0.1
"""Seconds an import rests between chunks on SQLite. A writer waiting there polls (SQLite's busy handler sleeps
up to 100 ms between tries) rather than queueing, so without a pause the import, retaking the lock at once,
kept a gift at the desk waiting through 23 chunks (5.2 s, docs/benchmarks.md); PostgreSQL queues the waiters
on its advisory lock and needs none."""


def prepare_import(session: Session | None, actor: Actor, data: bytes, filename: str, *,
                   today: date | None = None) -> PreparedImport:
    """Everything an import does before it writes: hash, decode and parse the file, load every row through
    the schema and check it against the funds and the closed months. Reads only, so the caller should give
    it a read session (or one that has not begun writing): the ledger stays open to other writers for all
    of it, however long the file. Raises ImportErrors by row and column."""
    _require_manager(actor)
    today = today or local_today()
    digest = hashlib.sha256(data).hexdigest()
    done = _finished(session, digest)
    if done is not None:
        return PreparedImport(digest, "", [], today, already=done)
    header, rows, encoding = read_table(data, filename)
    funds = list(session.scalars(select(m.Fund)))
    parsed, problems = parse_rows(header, rows, today, {**{f.code: f for f in funds}, **{f.name: f for f in funds}},
                                  closed_periods=current_chart(session).closed_periods)
    if problems:
        raise ImportErrors(problems=sorted(problems))
    if not parsed:
        raise ImportErrors(problems=[(0, "", "the file has no gifts in it")])
    return PreparedImport(digest, encoding, parsed, today)


def _written(session: Session, batch_id: int) -> int:
    """How many of a batch's gifts are in the books: an import is finished when all its rows are."""
    return session.scalar(select(func.count()).select_from(m.Donation)
                          .where(m.Donation.import_batch_id == batch_id))


def _finished(session: Session, digest: str) -> ImportResult | None:
    batch = session.scalar(select(m.ImportBatch).where(m.ImportBatch.file_sha256 == digest))
    if batch is None or _written(session, batch.id) < batch.rows:
        return None
    return ImportResult(batch.id, batch.rows, batch.total, already_imported=True)


def unfinished_imports(session: Session) -> list[tuple[m.ImportBatch, int]]:
    """Imports begun and not yet written in full (their writer stopped, or is still writing), each with the
    number of its gifts already in the books. Importing the same file again finishes one."""
    written = (select(m.Donation.import_batch_id.label("batch_id"), func.count().label("n"))
               .where(m.Donation.import_batch_id.is_not(None)).group_by(m.Donation.import_batch_id).subquery())
    n = func.coalesce(written.c.n, 0)
    return [(batch, count) for batch, count in session.execute(
        select(m.ImportBatch, n).outerjoin(written, written.c.batch_id == m.ImportBatch.id)
        .where(n < m.ImportBatch.rows).order_by(m.ImportBatch.id))]


def import_file(engine, actor: Actor, data: bytes, filename: str, *, today: date | None = None,
                chunk_rows: int | None = None, progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import a file without shutting the ledger for its length.

    1. Check every row in a read session, without the ledger's lock (``prepare_import``): a refusal there
       names rows and columns, and nothing is written.
    2. Declare the batch (the file's hash, its rows and total) and add the donors it names, in one short write
       transaction.
    3. Write the gifts ``chunk_rows`` at a time, each chunk in its own write transaction under the lock, so
       other writers get in between chunks. Each chunk first counts the batch's gifts already in the books
       and goes on from there: two processes importing the same file share the work and record each gift once.

    If the writer dies part way (a killed worker, a lost machine), the batch stays unfinished: the rows
    written are whole gifts (each chunk commits or not), months cannot be closed meanwhile, and importing the
    same file again (same hash) writes the rest. Rows were checked before the first write; a ledger rule that
    changed in between (the one way: a month closed) is refused while an import is unfinished.

    ``progress(written, rows)`` is called after each chunk is committed, outside any transaction."""
    from ..db.engine import read_session, write_session

    chunk_rows = chunk_rows or CHUNK_ROWS
    with read_session(engine) as session, session.begin():
        prepared = prepare_import(session, actor, data, filename, today=today)
    if prepared.already is not None:
        return prepared.already
    with write_session(engine) as session, session.begin():
        batch_id, new_donors = _declare(session, actor, prepared, filename)
    while True:
        with write_session(engine) as session, session.begin():
            lock_ledger(session)
            start = _written(session, batch_id)
            if start >= len(prepared.rows):
                break
            try:
                _write_chunk(session, actor, prepared, batch_id, start, min(start + chunk_rows, len(prepared.rows)))
            except ImportErrors as err:
                raise ImportErrors(err.problems, recorded=start) from err
        if progress is not None:
            progress(min(start + chunk_rows, len(prepared.rows)), len(prepared.rows))
        if engine.dialect.name == "sqlite":
            time.sleep(SQLITE_PAUSE)
    if len(prepared.rows) >= ANALYZE_AFTER_ROWS:
        analyze(engine, IMPORTED_TABLES)
    return ImportResult(batch_id, len(prepared.rows), sum(r.amount for r in prepared.rows), new_donors,
                        encoding=prepared.encoding)


def import_donations(session: Session, actor: Actor, data: bytes, filename: str, *,
                     today: date | None = None, prepared: PreparedImport | None = None) -> ImportResult:
    """Record every gift in the file, or none, in the caller's transaction (the caller commits): the one-chunk
    form of :func:`import_file`, for a short list or a caller that needs the import inside its own
    transaction. It holds the ledger's lock for all of its writes.

    A refusal changes nothing in the caller's transaction: every row is checked before the first write,
    and the writes (new donors, the batch, the gifts) run in a savepoint that a late refusal rolls back.
    ``prepared`` is the file as ``prepare_import`` checked it before this transaction began.
    """
    _require_manager(actor)
    today = today or local_today()
    digest = hashlib.sha256(data).hexdigest()
    if prepared is not None and (prepared.digest != digest or prepared.today != today):
        raise ValueError("prepared for another file or another day")
    lock_ledger(session)
    done = _finished(session, digest)
    if done is not None:
        return done
    if prepared is None or prepared.already is not None:
        prepared = prepare_import(session, actor, data, filename, today=today)
    with session.begin_nested():  # a refusal below rolls back the donors and the batch written before it
        batch_id, new_donors = _declare(session, actor, prepared, filename)
        start = _written(session, batch_id)
        if start < len(prepared.rows):
            _write_chunk(session, actor, prepared, batch_id, start, len(prepared.rows))
    return ImportResult(batch_id, len(prepared.rows), sum(r.amount for r in prepared.rows), new_donors,
                        encoding=prepared.encoding)


def _declare(session: Session, actor: Actor, prepared: PreparedImport, filename: str) -> tuple[int, int]:
    """The batch of this file (declared now, with its rows and total, or found if an earlier run declared it)
    and the donors it names that the books do not know yet; returns the batch's id and how many donors were
    added. Audited as ``donation.import`` when declared."""
    lock_ledger(session)
    batch = session.scalar(select(m.ImportBatch).where(m.ImportBatch.file_sha256 == prepared.digest))
    if batch is not None:
        return batch.id, 0
    parsed = prepared.rows
    closed = current_chart(session).closed_periods  # a month closed since the rows were checked, without the lock
    late = [(r.number, "received_on", problem) for r in parsed
            if (problem := _closed_month(r.received_on, closed)) is not None]
    if late:  # refused before the batch exists: nothing is written, and no unfinished batch blocks closing
        raise ImportErrors(problems=late)
    known = _donors(session, parsed)
    now = utc_now_text()
    new = [dict(name=r.donor, kind=r.kind, created_at=now)
           for r in {(r.donor, r.kind): r for r in parsed if (r.donor, r.kind) not in known}.values()]
    if new:  # an executemany: an import may name thousands of new donors
        session.execute(insert(m.Donor), new)
    batch = m.ImportBatch(file_sha256=prepared.digest, filename=(filename or "")[:200], rows=len(parsed),
                          total=sum(r.amount for r in parsed), created_at=utc_now_text(), created_by=actor.username)
    session.add(batch)
    session.flush()
    audit.record(session, actor, "donation.import", object_type="import_batch", object_id=batch.id,
                 detail={"file": batch.filename, "sha256": prepared.digest, "rows": batch.rows, "total": batch.total,
                         "new_donors": len(new), "encoding": prepared.encoding})
    return batch.id, len(new)


def _donors(session: Session, rows: list[_Row]) -> dict[tuple[str, str], int]:
    """The ids of the donors these rows name that the books know (the oldest donor of a name and kind wins)."""
    names = sorted({r.donor for r in rows})
    known: dict[tuple[str, str], int] = {}
    for i in range(0, len(names), 500):
        for donor_id, name, kind in session.execute(
                select(m.Donor.id, m.Donor.name, m.Donor.kind).where(m.Donor.name.in_(names[i:i + 500]))
                .order_by(m.Donor.id.desc())):
            known[(name, kind)] = donor_id
    return known


def _write_chunk(session: Session, actor: Actor, prepared: PreparedImport, batch_id: int, start: int,
                 stop: int) -> None:
    """Record rows ``start`` to ``stop`` (0-based, in file order) of a declared batch, under the lock."""
    parsed = prepared.rows[start:stop]
    known = _donors(session, parsed)
    gifts = [Gift(donor_id=known[(r.donor, r.kind)], fund=r.fund, amount=r.amount, received_on=r.received_on,
                  channel=r.channel, reference=r.reference, memo=r.memo) for r in parsed]
    try:
        record_donations(session, actor, gifts, today=prepared.today, import_batch_id=batch_id, objects=False)
    except (InvalidInput, RuleBroken) as err:  # a ledger rule parse_rows does not know of: name the row
        if isinstance(err, ImportErrors):
            raise
        problems = []
        for key, messages in err.errors.items():
            found = re.match(r"gifts\[(\d+)\]\.(\w+)$", key)
            for message in messages:
                problems.append((parsed[int(found[1])].number, GIFT_FIELD_COLUMNS.get(found[2], found[2]), message)
                                if found else (0, key, message))
        raise ImportErrors(problems=sorted(problems)) from err
