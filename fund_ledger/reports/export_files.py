"""The journal as a file to download (Beancount, hledger), spooled to disk so memory stays bounded."""
from __future__ import annotations

import io
import tempfile
from datetime import date

from sqlalchemy.orm import Session

from .export import FORMATS, export_journal

SUFFIX = {"beancount": "beancount", "ledger": "journal"}


def journal_file(session: Session, fmt: str, through: date | None = None):
    """(binary file positioned at 0, download name) for the journal in ``fmt`` through ``through``."""
    if fmt not in FORMATS:
        raise ValueError(f"no export format {fmt!r}")
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="\n", write_through=True)
    export_journal(session, fmt, text, through=through)
    text.flush()
    text.detach()
    spool.seek(0)
    stem = f"fund-ledger-{through.isoformat()}" if through else "fund-ledger"
    return spool, f"{stem}.{SUFFIX[fmt]}"


def download(session: Session, fmt: str, through: date | None = None):
    """A streamed download response of the journal file (the spool is closed once it is sent)."""
    from flask import Response

    spool, name = journal_file(session, fmt, through)

    def chunks():
        with spool:
            while data := spool.read(64 * 1024):
                yield data

    response = Response(chunks(), content_type="text/plain; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


__all__ = ["journal_file", "download", "SUFFIX"]
