"""The acknowledgement (捐赠确认书) of a gift as PDF, for the API's readers of the books."""
from __future__ import annotations

from flask import current_app, make_response

from ..http.db import db_session
from ..reports.receipts import VERIFY_PATH, receipt_pdf
from ..http.security import access
from ..services import donations as svc
from ..services.errors import NotFound
from . import blp

BOOK_READERS = ("manager", "auditor")
MAX_ID = 2**31 - 1


@blp.route("/donations/<int:donation_id>/receipt.pdf", methods=["GET"])
@blp.doc(summary="The acknowledgement (捐赠确认书) of a gift, as PDF",
         description="The same bytes on every download (stamped with the moment the gift was recorded) until the "
                     "gift is refunded, when the notice of the refund is added.",
         responses={"200": {"description": "PDF", "content": {"application/pdf": {}}}})
@access(*BOOK_READERS)
def donation_receipt_pdf(donation_id: int):
    if donation_id > MAX_ID:  # beyond the id column's range: it names nothing (and must not reach the database)
        raise NotFound(f"no donation {donation_id}")
    session = db_session()
    donation = svc.get_donation(session, donation_id)
    verify_url = (current_app.config.get("PUBLIC_URL") or "").rstrip("/") + VERIFY_PATH
    response = make_response(receipt_pdf(session, donation, verify_url=verify_url))
    response.mimetype = "application/pdf"
    number = svc.receipt_number(donation.receipt_year, donation.receipt_seq)
    response.headers["Content-Disposition"] = f'attachment; filename="{number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
