"""The notes to the financial statements (会计报表附注) page's own parts: the manager's form for each section's
text (会计政策, 重大事项, 其他事项) and each section's history. The notes themselves are the catalogue's report
``notes`` at ``/reports/notes`` (:mod:`.reports`); this module adds what that page shows beside the tables.

The form loads through :class:`fund_ledger.schemas.report_texts.ReportTextIn`, the schema
``PUT /api/v1/report-texts/<year>/<section>`` loads too, and saves through :mod:`fund_ledger.services.report_texts`.
The texts are shown escaped (Jinja autoescape), a paragraph per line: markup in them is printed, never obeyed.
"""
from __future__ import annotations

from datetime import date

from flask import redirect, render_template, request, url_for

from .. import clock
from ..http.db import db_session
from ..http.security import access, current_actor
from ..ledger.statements import format_percent
from ..reports import notes_render
from ..reports import statement_render as render
from ..reports.catalogue import REPORTS, Query, build
from ..schemas.report_texts import MAX_BODY, ReportTextIn
from ..services import report_texts as svc
from ..services.errors import ServiceError
from . import bp
from .donations import _refused_here, loaded
from .people import _notice


def notes_context(notes, *, failed: str | None = None, form_body: str | None = None, refusal: dict | None = None
                  ) -> dict:
    """What the notes page shows beside the tables: each section's history, who may write, the max length, and,
    after a refused save, the section it was for, the text as sent and the refusal."""
    return {"text_histories": svc.histories(db_session(), notes.year), "text_max": MAX_BODY, "render_notes": notes_render,
            "may_write_texts": current_actor().role == "manager", "text_failed": failed, "text_sent": form_body,
            "text_refusal": refusal or {"error": None, "errors": {}, "unplaced": None}}


def _year_url(year: int) -> str:
    return url_for("web.report", name="notes", **{"from": f"{year:04d}-01-01", "to": f"{year:04d}-12-31"})


@bp.post("/reports/notes/texts/<int:year>/<section>")
@access("manager")
def save_report_text(year: int, section: str):
    session = db_session()
    try:
        data = loaded(ReportTextIn, request.form, "text")
        _version, written = svc.save(session, current_actor(), year, section, data["body"])
    except ServiceError as err:
        refusal = _refused_here(err, ("body",))
        today = clock.local_today()
        shown = year if svc.years(session, today)[0] <= year <= today.year else today.year
        notes = build(session, "notes", Query(start=date(shown, 1, 1), end=date(shown, 12, 31)),
                      today=today, fmt="html")
        kind = REPORTS["notes"]
        args = {"from": notes.start.isoformat(), "to": notes.end.isoformat()}
        return render_template("web/reports/report.html", kind=kind, report=notes, args=args, funds=[], accounts=[],
                               today=today, render=render, format_percent=format_percent,
                               **notes_context(notes, failed=section, form_body=request.form.get("body", ""),
                                               refusal=refusal)), err.status
    session.commit()
    if written:
        _notice("Saved the text for %(year)s.", year=year)
    else:
        _notice("The text is unchanged: nothing was written.")
    return redirect(_year_url(year) + f"#text-{section}", 303)
