"""PDF statements: a Jinja2 template from ``templates/`` laid out by WeasyPrint.

Every statement goes through :func:`render_pdf`, which

* renders ``templates/<template_name>`` with autoescaping (no Flask: reports also run from the CLI);
* lets the document load files from the project's ``static/`` folder and nothing else: no network,
  no ``file:`` outside ``static/``, no ``data:``. A refused or missing resource stops the render
  with :class:`PdfResourceError` rather than printing a statement without its stylesheet;
* stamps the PDF's creation and modification dates from ``generated_at``, so the same inputs
  and the same ``generated_at`` give the same bytes (WeasyPrint and pydyf write nothing else
  that varies between runs; the /ID is a digest of the content).

Templates extend ``reports/base.html`` (page set-up, title block, meta, ledger digest) and link
``static/css/print.css`` (A4, running header and footer, tables). See ``reports/trial_balance.html``.

Long documents whose pages the caller has already cut (the 序时账, the 明细账) go through
:func:`render_pdf_in_parts`: the template is laid out a few dozen pages at a time, each part its own
WeasyPrint document that knows its first page number and the total, and the parts are joined with pypdf.
WeasyPrint keeps every laid-out page of a document in memory until it is written, so this bounds the
memory by the part rather than by the whole journal. WeasyPrint lays out only the frame of those pages:
the lines themselves are written into the PDF by :class:`.mono_text.LineWriter` (a line of text costs
WeasyPrint ~1 ms; writing it, a few microseconds).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import hashlib
import io
import logging
import mimetypes
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse, path2url

from .. import clock
from ..config import PROJECT_ROOT
from ..ledger.money import fen_to_str, format_amount, to_chinese_capital
from . import mono_text
from .trial_balance import TrialBalance

logger = logging.getLogger(__name__)

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"

FUND_NAME = "张店区妇女儿童事业发展基金"
FUND_NAME_EN = "Zhangdian District Women and Children's Development Fund"


class PdfResourceError(RuntimeError):
    """A template asked for a resource it may not have (outside ``static/``) or that does not exist."""


class StaticOnlyFetcher(URLFetcher):
    """Serves files inside ``static_dir``; refuses every other URL (no network, no other files).

    Like indico's ``sandboxed_url_fetcher``: parse the URL, allow one narrow case, log attempts
    at local files elsewhere and refuse everything else with ``ValueError``. Symlinks and ``..``
    are resolved before the check, so neither leads out of ``static_dir``.
    """

    def __init__(self, static_dir: Path | None = None) -> None:
        # fail_on_errors: a refused URL aborts the render instead of being skipped with a log line.
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
        self.static_dir = (static_dir or STATIC_DIR).resolve()

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"URL not allowed in a report (only files in static/): {url[:200]}")
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(self.static_dir):
            logger.warning("report template tried to read a file outside static/: %s", path)
            raise ValueError(f"file outside static/ not allowed in a report: {path}")
        if not path.is_file():
            raise ValueError(f"no such file in static/: {path}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path2url(path), path.read_bytes(), {"Content-Type": mime})


def keep_together(text: str, limit: int = 40) -> str:
    """Join a short phrase with no-break spaces, so that it wraps as a whole (a long one still wraps)."""
    return text.replace(" ", "\u00a0") if len(text) <= limit else text


@cache
def template_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt variable fails the report, never prints blank
    )
    env.filters.update(amount=format_amount, capital=to_chinese_capital, fen=fen_to_str, keep_together=keep_together)
    return env


def _utc(generated_at: datetime | str | None) -> datetime:
    """``generated_at`` as an aware UTC datetime to the second; naive values are taken as UTC."""
    if generated_at is None:
        moment = clock.now()
    elif isinstance(generated_at, datetime):
        moment = generated_at
    elif isinstance(generated_at, str):
        moment = datetime.fromisoformat(generated_at)
    else:
        raise TypeError(f"generated_at must be a datetime or ISO 8601 text, not {type(generated_at).__name__}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def render_html(template_name: str, /, *, generated_at: datetime | str | None = None, **context) -> str:
    """The HTML :func:`render_pdf` lays out (handy for tests and for looking at a template in a browser)."""
    moment = _utc(generated_at)
    return template_env().get_template(template_name).render(
        fund_name=FUND_NAME,
        fund_name_en=FUND_NAME_EN,
        generated_at=moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
        generated_at_iso=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **context,
    )


def render_pdf(template_name: str, /, *, generated_at: datetime | str | None = None,
               finisher: Callable | None = None, **context) -> bytes:
    """Render ``templates/<template_name>`` with ``context`` and lay it out as PDF.

    ``generated_at`` (default: now) is printed on the statement and written as the PDF's creation
    and modification date: pass a fixed value to get the same bytes for the same inputs. Every
    template also receives ``fund_name``, ``fund_name_en``, ``generated_at`` (text, UTC) and
    ``generated_at_iso``. ``finisher(document, pdf)`` may add to the PDF before it is written (WeasyPrint's
    hook; :class:`.mono_text.LineWriter` writes the lines of the long listings with it).
    """
    moment = _utc(generated_at)
    html = render_html(template_name, generated_at=moment, **context)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    base_url = path2url(f"{STATIC_DIR}{os.sep}")  # relative links in templates resolve inside static/
    try:
        document = HTML(string=html, base_url=base_url, url_fetcher=StaticOnlyFetcher()).render()
        # Set here rather than trusting each template's <meta>: the dates are what makes output reproducible.
        document.metadata.created = stamp
        document.metadata.modified = stamp
        return document.write_pdf(pdf_identifier=True, finisher=finisher)  # /ID: an MD5 of the content, so reproducible too
    except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint: turn it into an ordinary error
        raise PdfResourceError(f"{exc} ({exc.__cause__})") from exc.__cause__


def _release_memory() -> None:
    """Give a finished part's memory back before the next: WeasyPrint's boxes hold reference cycles
    (collected only now and then) and glibc keeps freed arenas unless asked to trim them."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


try:
    _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _LIBC.malloc_trim  # glibc only
except (OSError, AttributeError):
    _LIBC = None

PAGES_PER_PART = 60
"""Most pages laid out at once by :func:`render_pdf_in_parts`. Whatever the part, WeasyPrint reads the whole
Noto CJK collection for each of its three faces while it writes (~110 MB), on top of the interpreter
(~85 MB) and ~0.2 MB a page of layout when :class:`.mono_text.LineWriter` writes the lines (~1 MB when
WeasyPrint lays them out); a part costs ~0.25 s (its fonts read and subset again, the join). Parts of 60
keep a 10,000-line journal (3 parts of 51) under 250 MB and longer ones no bigger (docs/benchmarks.md)."""


@dataclass(frozen=True)
class TextPage:
    """One printed page of fixed-width lines; ``block`` is the ``id`` of the empty block the template leaves
    for :class:`.mono_text.LineWriter` to write them in, or None when WeasyPrint lays them out itself."""

    lines: Sequence[str]
    block: str | None


def join_pdfs(parts: Sequence[bytes]) -> bytes:
    """The pages of ``parts`` in order as one PDF; the same parts give the same bytes.

    The first part is cloned whole (its catalogue, its document information: title, author, dates,
    producer; its outline), the others' pages are appended with their resources (each part embeds its
    own subsets of the fonts). The /ID is an MD5 of the parts, as WeasyPrint's is of its content.
    """
    if len(parts) == 1:
        return parts[0]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(parts[0])))
    for part in parts[1:]:
        writer.append(PdfReader(io.BytesIO(part)), import_outline=False)
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    identifier = ByteStringObject(digest.digest())
    writer._ID = ArrayObject((identifier, identifier))  # pypdf has no public setter; by default it writes none
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_pdf_in_parts(template_name: str, /, pages: Sequence[Sequence[str]], *,
                        generated_at: datetime | str | None = None, pages_per_part: int | None = None,
                        progress: Callable[[int, int], None] | None = None, **context) -> bytes:
    """A document of ``pages`` of fixed-width lines (cut by the caller: each is exactly one printed page).

    ``templates/<template_name>`` is rendered once per part of at most ``pages_per_part`` (default
    :data:`PAGES_PER_PART`) pages, with ``context`` and ``pages`` (this part's, as :class:`TextPage`), ``first_page`` (its
    number, from 1), ``total_pages``, ``first`` and ``last`` (whether it opens or closes the document),
    ``font_size`` and ``line_height`` (points, of the lines); it prints the title block only in the first
    part, the end note only in the last, and numbers its pages from ``first_page`` of ``total_pages``
    (``reports/_text_pages.html``). ``progress(pages_done, total_pages)`` is called before the first part
    and after each. The bytes depend only on the inputs, ``generated_at`` and the part size, not on who
    calls or how fast.
    """
    moment = _utc(generated_at)
    font = mono_text.load_mono_font({ch for page in pages for line in page for ch in line}) if pages else None
    written = [font is not None and bool(page) and font.can_write(page) for page in pages]
    text_pages = [TextPage(lines, f"lines-{n}" if w else None) for n, (lines, w) in enumerate(zip(pages, written), 1)]
    writer = mono_text.LineWriter(font) if any(written) else None  # one font subset: the parts embed the same
    _release_memory()  # what fontTools read of the font collection (~60 MB), before WeasyPrint reads it too
    total = len(pages)
    count = max(1, -(-total // (pages_per_part or PAGES_PER_PART)))
    size = max(1, -(-total // count))  # parts of equal size: 152 pages at 60 make 3 of 51, not 60+60+32
    parts = []
    if progress is not None:
        progress(0, total)
    for start in range(0, max(total, 1), size):
        part = text_pages[start:start + size]
        if writer is not None:
            writer.blocks = {page.block: page.lines for page in part if page.block}
        parts.append(render_pdf(template_name, generated_at=moment, pages=part, first_page=start + 1,
                                total_pages=total, first=start == 0, last=start + size >= total,
                                font_size=mono_text.FONT_SIZE, line_height=mono_text.LINE_HEIGHT,
                                finisher=writer, **context))
        if count > 1:
            _release_memory()
        if progress is not None:
            progress(min(start + size, total), total)
    return join_pdfs(parts)


def trial_balance_pdf(tb: TrialBalance, *, generated_by: str = "fund-ledger",
                      generated_at: datetime | str | None = None) -> bytes:
    """科目余额表 as PDF: accounts with a 合计 row, then each fund's balance, reserved and available."""
    return render_pdf("reports/trial_balance.html", tb=tb, as_of=tb.as_of.isoformat(), generated_by=generated_by,
                      generated_at=generated_at, entries=tb.entries, head_hash=tb.head_hash)
