"""Attachments to a disbursement request or its use report: PDFs and images, checked, stored, never run.

The type is read from the file's own first bytes, not from its name or the browser's label; a name or
label that says otherwise is refused as mislabelled. Files are stored as bytes in the database (with
their SHA-256), so no upload ever becomes a path on disk, and are served only as downloads.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..config import settings
from ..db import models as m
from ..db import repository as repo
from ..ledger.disbursements import ACKNOWLEDGED, CANCELLED, PAID, REJECTED
from . import audit
from .actor import Actor
from .disbursements import get_disbursement
from .errors import Forbidden, InvalidInput, RuleBroken

TYPES = {  # content type: (magic bytes, file name endings)
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
}
MAX_PER_REQUEST = 20


def max_bytes() -> int:
    """The largest attachment accepted (FUND_LEDGER_ATTACHMENT_MAX_MB, default 10)."""
    return settings().attachment_max_bytes


def sniff(data: bytes) -> str | None:
    """The content type the bytes themselves show, or None when they are none of the accepted kinds."""
    for content_type, (magic, _) in TYPES.items():
        if data.startswith(magic):
            return content_type
    return None


def clean_filename(name: str) -> str:
    """The file's own name without any folder, control or format characters, at most 200 characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def check_file(filename: str, data: bytes, declared_type: str | None = None) -> tuple[str, str]:
    """(clean name, content type) of an acceptable file; InvalidInput naming the problem otherwise."""
    name = clean_filename(filename)
    if not name:
        raise InvalidInput("the file has no name", {"file": ["a file name is required"]})
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise InvalidInput(f"{name} is empty", {"file": ["the file is empty"]})
    if len(data) > max_bytes():
        raise InvalidInput(f"{name} is {len(data) / 1048576:.1f} MB; at most {max_bytes() // 1048576} MB is accepted",
                           {"file": ["too large"]})
    actual = sniff(bytes(data[:16]))
    if actual is None:
        raise InvalidInput(f"{name} is not a PDF, PNG or JPEG file (its content says otherwise)",
                           {"file": ["only PDF, PNG or JPEG"]})
    endings = TYPES[actual][1]
    if not name.lower().endswith(endings):
        raise InvalidInput(f"{name} is mislabelled: its content is {actual}, its name should end in "
                           f"{' or '.join(endings)}", {"file": ["mislabelled"]})
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared and declared not in ("application/octet-stream", actual, "image/jpg" if actual == "image/jpeg" else actual):
        raise InvalidInput(f"{name} is mislabelled: sent as {declared}, its content is {actual}",
                           {"file": ["mislabelled"]})
    return name, actual


def add_attachment(session: Session, actor: Actor, disbursement_id: int, *, filename: str, data: bytes,
                   declared_type: str | None = None, report_id: int | None = None) -> m.DisbursementAttachment:
    """Attach a file to a request (by its grantee or a manager) while it is still open, or to a use report."""
    if actor.role not in ("grantee", "manager", "system"):
        raise Forbidden("only the grantee or a fund manager attaches files")
    row = get_disbursement(session, actor, disbursement_id)
    if report_id is None and row.status in (REJECTED, CANCELLED):
        raise RuleBroken(f"a request that is {row.status} takes no more attachments", code="wrong_state")
    if report_id is not None:
        report = session.get(m.DisbursementReport, report_id) if repo.is_row_id(report_id) else None
        if report is None or report.disbursement_id != row.id:
            raise InvalidInput(f"no use report {report_id} on this request", {"report_id": ["not found"]})
        if report.status != "submitted" or row.status not in (PAID, ACKNOWLEDGED):
            raise RuleBroken("attachments go with a report until a manager has decided on it", code="wrong_state")
    count = session.scalar(select(func.count()).select_from(m.DisbursementAttachment)
                           .where(m.DisbursementAttachment.disbursement_id == row.id))
    if count >= MAX_PER_REQUEST:
        raise RuleBroken(f"a request takes at most {MAX_PER_REQUEST} attachments", code="too_many")
    name, content_type = check_file(filename, data, declared_type)
    digest = hashlib.sha256(bytes(data)).hexdigest()
    att = m.DisbursementAttachment(disbursement_id=row.id, report_id=report_id, filename=name,
                                   content_type=content_type, size=len(data), sha256=digest, data=bytes(data),
                                   uploaded_by=actor.username, uploaded_at=repo.utc_now_text())
    session.add(att)
    session.flush()
    audit.record(session, actor, "disbursement.attach", object_type="disbursement", object_id=row.id,
                 detail={"attachment": att.id, "file": name, "type": content_type, "size": len(data),
                         "sha256": digest, "report": report_id})
    return att


def list_attachments(session: Session, actor: Actor, disbursement_id: int) -> list[m.DisbursementAttachment]:
    row = get_disbursement(session, actor, disbursement_id)
    return list(session.scalars(select(m.DisbursementAttachment)
                                .where(m.DisbursementAttachment.disbursement_id == row.id)
                                .order_by(m.DisbursementAttachment.id)))


def get_attachment(session: Session, actor: Actor, disbursement_id: int, attachment_id: int) -> m.DisbursementAttachment:
    """The attachment with its bytes, if this actor may see the request; NotFound otherwise."""
    from .errors import NotFound

    row = get_disbursement(session, actor, disbursement_id)
    att = session.get(m.DisbursementAttachment, attachment_id) if repo.is_row_id(attachment_id) else None
    if att is None or att.disbursement_id != row.id:
        raise NotFound(f"no attachment {attachment_id} on request {disbursement_id}")
    return att


__all__ = ["add_attachment", "list_attachments", "get_attachment", "check_file", "sniff", "max_bytes"]
