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
"""
from __future__ import annotations

import logging
import mimetypes
import os
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse, path2url

from ..config import PROJECT_ROOT
from ..ledger.money import fen_to_str, format_amount, to_chinese_capital
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
        moment = datetime.now(timezone.utc)
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


def render_pdf(template_name: str, /, *, generated_at: datetime | str | None = None, **context) -> bytes:
    """Render ``templates/<template_name>`` with ``context`` and lay it out as PDF.

    ``generated_at`` (default: now) is printed on the statement and written as the PDF's creation
    and modification date: pass a fixed value to get the same bytes for the same inputs. Every
    template also receives ``fund_name``, ``fund_name_en``, ``generated_at`` (text, UTC) and
    ``generated_at_iso``.
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
        return document.write_pdf(pdf_identifier=True)  # /ID: an MD5 of the content, so reproducible too
    except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint: turn it into an ordinary error
        raise PdfResourceError(f"{exc} ({exc.__cause__})") from exc.__cause__


def trial_balance_pdf(tb: TrialBalance, *, generated_by: str = "fund-ledger",
                      generated_at: datetime | str | None = None) -> bytes:
    """科目余额表 as PDF: accounts with a 合计 row, then each fund's balance, reserved and available."""
    return render_pdf("reports/trial_balance.html", tb=tb, as_of=tb.as_of.isoformat(), generated_by=generated_by,
                      generated_at=generated_at, entries=tb.entries, head_hash=tb.head_hash)
