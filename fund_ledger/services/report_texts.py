"""The manager's own words in a year's notes to the financial statements (会计报表附注): accounting policies,
significant events, other matters.

The texts are append-only (the database refuses UPDATE and DELETE on ``report_texts``): each save is a new row,
the newest row of a (year, section) is the current text, and the older rows are its history (who wrote what,
when). Saving the text that is already current writes nothing. Only a fund manager writes; the pages and the
API let the books' readers (managers, auditors) read. The text is kept as written: it is printed, never obeyed
(the page and the PDF escape it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import local_today
from ..db import models as m
from ..db import repository as repo
from ..schemas.fields import _hidden
from ..schemas.messages import Message
from ..schemas.report_texts import MAX_BODY
from . import audit
from .actor import Actor
from .errors import Forbidden, InvalidInput

SECTIONS = ("policies", "events", "other")
"""会计政策 accounting policies, 重大事项 significant events, 其他事项 other matters (the notes print them in this order)."""


@dataclass(frozen=True)
class TextVersion:
    """One saved version of a section's text."""

    id: int
    year: int
    section: str
    body: str
    written_at: str
    written_by: str

    @property
    def paragraphs(self) -> list[str]:
        """The text's paragraphs (its lines, blank ones dropped), as the page and the PDF print them."""
        return [line for line in self.body.split("\n") if line.strip()]

    def as_json(self) -> dict:
        return {"id": self.id, "year": self.year, "section": self.section, "body": self.body,
                "written_at": self.written_at, "written_by": self.written_by}


def _version(row: m.ReportText) -> TextVersion:
    return TextVersion(row.id, row.year, row.section, row.body, row.written_at, row.written_by)


def years(session: Session, today: date | None = None) -> tuple[int, int]:
    """The years a text may be written for: from the year of the books' first entry (or this year, when the books
    are empty or begin later) to this year."""
    this_year = (today or local_today()).year
    first = session.scalar(select(func.min(m.Entry.accounting_date)))
    first_year = repo.as_date(first).year if first is not None else this_year
    return min(first_year, this_year), this_year


def _check(session: Session, year, section, body, today: date | None) -> tuple[str, dict]:
    errors: dict[str, list] = {}
    first, last = years(session, today)
    if type(year) is not int or not first <= year <= last:
        errors["year"] = [Message("report_text.year", first=first, last=last)]
    if section not in SECTIONS:
        errors["section"] = [Message("choice", choices=", ".join(SECTIONS))]
    if not isinstance(body, str):
        errors["body"] = [Message("text.type")]
        return "", errors
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(body) > MAX_BODY:
        errors["body"] = [Message("text.too_long", max=MAX_BODY)]
    elif "\x00" in body:
        errors["body"] = [Message("text.nul")]
    elif any(_hidden(ch, "\n\t") for ch in body):  # the schema's rule for text (no control or invisible characters)
        errors["body"] = [Message("text.control")]
    return body, errors


def _newest(session: Session, year: int, section: str) -> m.ReportText | None:
    t = m.ReportText
    return session.scalar(select(t).where(t.year == year, t.section == section).order_by(t.id.desc()).limit(1))


def save(session: Session, actor: Actor, year: int, section: str, body: str, *,
         today: date | None = None) -> tuple[TextVersion | None, bool]:
    """Save ``body`` as the current text of ``section`` for ``year``: (the current version, whether a row was
    written). The same text again writes nothing; so does an empty text where nothing was written yet. Values come
    typed from the edge's schema and are checked here again; the caller commits."""
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager writes the notes to the financial statements")
    body, errors = _check(session, year, section, body, today)
    if errors:
        raise InvalidInput("the text is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    newest = _newest(session, year, section)
    if (newest.body if newest is not None else "") == body:
        return (_version(newest) if newest is not None else None), False
    row = m.ReportText(year=year, section=section, body=body, written_at=repo.utc_now_text(),
                       written_by=actor.username)
    session.add(row)
    session.flush()
    audit.record(session, actor, "report_text.save", object_type="report_text", object_id=row.id,
                 detail={"year": year, "section": section, "characters": len(body),
                         "replaces": newest.id if newest is not None else None})
    return _version(row), True


def current(session: Session, year: int) -> dict[str, TextVersion | None]:
    """Each section's current text for ``year`` (None where nothing was written), in the order of SECTIONS."""
    t = m.ReportText
    newest = (select(t.section, func.max(t.id).label("id")).where(t.year == year).group_by(t.section).subquery())
    rows = session.scalars(select(t).join(newest, newest.c.id == t.id)).all()
    found = {r.section: _version(r) for r in rows}
    return {s: found.get(s) for s in SECTIONS}


def history(session: Session, year: int, section: str) -> list[TextVersion]:
    """Every version of a section's text for ``year``, newest (the current one) first."""
    t = m.ReportText
    return [_version(r) for r in session.scalars(select(t).where(t.year == year, t.section == section)
                                                 .order_by(t.id.desc()))]


def histories(session: Session, year: int) -> dict[str, list[TextVersion]]:
    """:func:`history` of every section of ``year``, in the order of SECTIONS."""
    t = m.ReportText
    out: dict[str, list[TextVersion]] = {s: [] for s in SECTIONS}
    for r in session.scalars(select(t).where(t.year == year).order_by(t.id.desc())):
        out.setdefault(r.section, []).append(_version(r))
    return out


__all__ = ["SECTIONS", "MAX_BODY", "TextVersion", "years", "save", "current", "history", "histories"]
