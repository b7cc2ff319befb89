"""信息公开 over the API: a manager publishes; anyone lists what was published and checks a copy."""
from __future__ import annotations

from flask import request, url_for
from marshmallow import Schema, ValidationError, fields

from ..http.db import db_session
from ..http.security import PUBLIC, access, current_actor
from ..schemas.base import load_form, load_json
from ..schemas.disclosures import PublishIn
from ..services import disclosures as svc
from ..services.errors import from_validation
from . import blp


class PublishedOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    period = fields.String(allow_none=True)
    sha256 = fields.String()
    size = fields.Integer()
    duty = fields.String(allow_none=True)
    corrects_id = fields.Integer(allow_none=True)
    published_at = fields.String()
    published_by = fields.String()
    url = fields.String()


class PublicItem(Schema):
    kind = fields.String()
    title = fields.String()
    period = fields.String(metadata={"description": "what it covers, when it covers a period"})
    published_at = fields.String()
    sha256 = fields.String(metadata={"description": "SHA-256 of the bytes at url"})
    url = fields.String(metadata={"description": "where anyone downloads it (no log-in)"})
    corrects = fields.String(metadata={"description": "the url of the item this one corrects, for a correction"})


class PublicList(Schema):
    items = fields.List(fields.Nested(PublicItem))


class DisclosureVerifyOut(Schema):
    genuine = fields.Boolean(metadata={"description": "the file is, byte for byte, one the fund published"})
    sha256 = fields.String()
    kind = fields.String(allow_none=True)
    item_id = fields.Integer(allow_none=True)
    report_id = fields.Integer(allow_none=True)
    title = fields.String(allow_none=True)
    period = fields.String(allow_none=True)
    published_at = fields.String(allow_none=True)


def download_url(ref: str) -> str:
    table, _, number = ref.partition(":")
    if table == "audit_report":
        return url_for("web.public_audit_report_pdf", report_id=int(number), _external=True)
    return url_for("web.public_disclosure_file", item_id=int(number), _external=True)


def public_json(item: dict) -> dict:
    out = {"kind": item["kind"], "title": item["title"], "published_at": item["published_at"],
           "sha256": item["sha256"], "url": download_url(item["ref"])}
    if item["period"]:
        out["period"] = item["period"]
    if item["corrects"]:
        table = "audit_report" if item["corrects"].get("audit_report") else "item"
        out["corrects"] = download_url(f"{table}:{item['corrects']['id']}")
    return out


_UPLOAD_DOC = {"required": True, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
    "file": {"type": "string", "format": "binary"}, "kind": {"type": "string"}, "title": {"type": "string"},
    "period": {"type": "string"}, "body": {"type": "string"}, "duty": {"type": "string"},
    "corrects_id": {"type": "integer"}}, "required": ["kind", "title"]}}}}


def uploaded_file() -> bytes | None:
    from ..services.audit_reports import MAX_UPLOAD, TooLarge

    if request.content_length and request.content_length > MAX_UPLOAD + 64 * 1024:
        raise TooLarge("the file is too large", {"file": ["too large"]})
    upload = request.files.get("file")
    if upload is None:
        return None
    try:
        return upload.stream.read(MAX_UPLOAD + 1)
    finally:  # (a large upload is a temporary file: closed here, not left to the collector)
        upload.close()


@blp.route("/disclosures", methods=["POST"])
@blp.doc(summary="Publish an item (信息公开): a PDF as the multipart field file, or a text as body",
         requestBody=_UPLOAD_DOC)
@blp.response(201, PublishedOut)
@access("manager")
def publish_disclosure():
    """Publish a PDF (multipart ``file``) or a text (``body``), with ``kind``, ``title``, optional ``period``,
    ``duty`` (the calendar's duty it answers) and ``corrects_id`` (the item a correction corrects). Nothing
    published is ever edited: a correction is a new item. JSON (a text only) is accepted too."""
    session = db_session()
    try:
        if request.is_json:
            body, data = load_json(PublishIn, request.get_json(silent=True)), None
        else:
            body, data = load_form(PublishIn, request.form), uploaded_file()
    except ValidationError as err:
        raise from_validation(err, "item") from None
    row = svc.publish(session, current_actor(), pdf=data, **body)
    session.commit()
    return published_json(row)


def published_json(row) -> dict:
    """A published item as ``PublishedOut`` says, with the address anyone downloads it at."""
    return {**{c: getattr(row, c) for c in ("id", "kind", "title", "period", "sha256", "size", "duty", "corrects_id",
                                             "published_at", "published_by")},
            "url": download_url(f"item:{row.id}")}


@blp.route("/public/disclosures", methods=["GET"])
@blp.response(200, PublicList)
@blp.doc(security=[])
@access(PUBLIC)
def public_disclosures():
    """Everything the fund published (no token): issued audit reports, annual reports and other items, newest
    first, each downloadable at ``url`` with that SHA-256. A correction names the ``url`` it corrects."""
    return {"items": [public_json(i) for i in svc.public_items(db_session())]}


@blp.route("/disclosures/verify", methods=["POST"])
@blp.doc(summary="Check a copy of a published file: is it, byte for byte, one the fund published? (anyone)",
         security=[], requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
             "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}})
@blp.response(200, DisclosureVerifyOut)
@access(PUBLIC)
def verify_disclosure():
    return svc.verify_file(db_session(), uploaded_file())
