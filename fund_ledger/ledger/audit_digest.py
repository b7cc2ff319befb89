"""The machine-readable digest an audit report embeds, and a reader that finds it again in a PDF's bytes.

The PDF is written by ``reports.audit_bundle`` (as the ``FundLedgerAuditReport`` document property and the
attachment ``fund-ledger-audit-report.json``); checking an uploaded report (``services.audit_reports``) reads
the digest back. The format lives here, below both, so that neither has to import the other.
"""
from __future__ import annotations

import json
import re
import zlib

MARKER_FORMAT = "fund-ledger-audit-report"
MARKER_PREFIX = b'{"format":"' + MARKER_FORMAT.encode() + b'"'


_STREAM = re.compile(rb"stream\r?\n")
MAX_STREAMS = 20_000
MAX_INFLATED = 64 * 1024 * 1024
"""Bytes inflated in all, at most: an upload cannot make the reader expand a zip bomb."""


def read_marker(data: bytes) -> dict | None:
    """The digest embedded in a PDF we issued (from its attachment or metadata), or None.

    A deliberately small reader, no PDF library: the marker is JSON starting with :data:`MARKER_PREFIX`,
    either in the file as is or inside one of its Flate-compressed streams (the attachment, or the
    object stream holding the document information).
    """
    found = _marker_in(data)
    if found is not None:
        return found
    budget = MAX_INFLATED
    for count, match in enumerate(_STREAM.finditer(data)):
        if count >= MAX_STREAMS or budget <= 0:
            break
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            break
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(data[start:end], budget)
        except zlib.error:
            continue
        budget -= len(inflated)
        found = _marker_in(inflated)
        if found is not None:
            return found
    return None


def _marker_in(blob: bytes) -> dict | None:
    at = blob.find(MARKER_PREFIX)
    while at >= 0:
        text = blob[at:at + 4096].decode("utf-8", errors="replace")
        try:
            value, _ = json.JSONDecoder().raw_decode(text)
        except ValueError:
            value = None
        if isinstance(value, dict) and _well_formed(value):
            return value
        at = blob.find(MARKER_PREFIX, at + 1)
    return None


def _well_formed(marker: dict) -> bool:
    return (marker.get("version") == 1 and isinstance(marker.get("report_id"), int)
            and isinstance(marker.get("head_seq"), int) and isinstance(marker.get("period"), str)
            and all(isinstance(marker.get(k), str) and re.fullmatch(r"[0-9a-f]{64}", marker[k])
                    for k in ("head_hash", "seal")))
