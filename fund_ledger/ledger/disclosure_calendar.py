"""The disclosure calendar (慈善组织信息公开办法): what the fund must publish, by when, and whether it did.

Pure functions over plain records: the service reads the books (years with entries, grant programmes,
gifts from related parties) and the published items, and this module says which duties follow and where
each stands on a given day. Every duty has a ``key``; a published item answers the duty whose key it
carries (the publish button on the calendar fills it in), so matching never guesses.

The duties:

* ``annual_report:Y`` and ``accounts:Y``: the annual work report and the year's financial statements
  for year ``Y``, due by 31 May of ``Y+1``.
* ``project_update:P:K``: a grant programme ``P`` running over six months gets a public update at least
  every three months: update ``K`` is due ``3K`` months after its start, for each such date up to its end.
* ``leftover:P``: what happened to the money left over, within three months of programme ``P``'s end.
* ``related_party:D``: a gift ``D`` from a donor flagged as a related party, within 30 days of receipt.
  (Major transactions are not computed: the ledger has no threshold for "major" yet.)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

ANNUAL_DUE = (5, 31)
"""Month and day of year Y+1 by which year Y's annual report and accounts are published."""
UPDATE_EVERY_MONTHS = 3
LONG_PROGRAMME_MONTHS = 6
LEFTOVER_MONTHS = 3
RELATED_PARTY_DAYS = 30


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, kept within the month (31 Jan + 1 month = 28 or 29 Feb)."""
    return day + relativedelta(months=months)


def annual_due(year: int) -> date:
    return date(year + 1, *ANNUAL_DUE)


def runs_over_six_months(starts_on: date, ends_on: date) -> bool:
    return ends_on > add_months(starts_on, LONG_PROGRAMME_MONTHS)


def update_dues(starts_on: date, ends_on: date) -> tuple[date, ...]:
    """The due dates of a programme's three-monthly updates (none when it runs six months or less)."""
    if not runs_over_six_months(starts_on, ends_on):
        return ()
    dues, k = [], 1
    while (due := add_months(starts_on, UPDATE_EVERY_MONTHS * k)) <= ends_on:
        dues.append(due)
        k += 1
    return tuple(dues)


def leftover_due(ends_on: date) -> date:
    return add_months(ends_on, LEFTOVER_MONTHS)


def related_party_due(received_on: date) -> date:
    return received_on + timedelta(days=RELATED_PARTY_DAYS)


@dataclass(frozen=True)
class Programme:
    id: int
    name: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class RelatedGift:
    id: int
    donor: str
    received_on: date


@dataclass(frozen=True)
class Published:
    """A published item as far as the calendar cares: the duty it answers and the (Beijing) day it appeared."""

    ref: str
    """``item:3`` (a published item) or ``audit_report:5`` (an issued audit report)."""
    kind: str
    duty: str | None
    period: str | None
    published_on: date


@dataclass(frozen=True)
class Duty:
    key: str
    """``annual_report:2026``, ``project_update:3:2``...: what a published item names to answer it."""
    kind: str
    """The kind of item that answers it (``annual_report``, ``audit_report``, ``project_update``...)."""
    due: date
    period: str | None = None
    programme_id: int | None = None
    programme: str | None = None
    number: int | None = None
    """The update's number (1, 2, ...) for a project update."""
    donation_id: int | None = None
    donor: str | None = None


@dataclass(frozen=True)
class DutyState:
    duty: Duty
    state: str
    """``done`` (on time), ``done_late`` (published after the due date), ``due`` or ``late`` (not published)."""
    days: int
    """Days left (``due``), days late (``late``, ``done_late``), 0 for ``done``."""
    item_ref: str | None = None
    published_on: date | None = None


def state_of(due: date, today: date, published_on: date | None) -> tuple[str, int]:
    """Where a duty stands: done on time, published N days late, due in N days, or late by N days."""
    if published_on is not None:
        late = (published_on - due).days
        return ("done", 0) if late <= 0 else ("done_late", late)
    return ("due", (due - today).days) if today <= due else ("late", (today - due).days)


def duties(years: tuple[int, ...], programmes: tuple[Programme, ...], gifts: tuple[RelatedGift, ...]) -> tuple[Duty, ...]:
    """Every duty that follows from the books, by due date."""
    out: list[Duty] = []
    for y in years:
        out.append(Duty(f"annual_report:{y}", "annual_report", annual_due(y), period=str(y)))
        out.append(Duty(f"accounts:{y}", "audit_report", annual_due(y), period=str(y)))
    for p in programmes:
        for k, due in enumerate(update_dues(p.starts_on, p.ends_on), start=1):
            out.append(Duty(f"project_update:{p.id}:{k}", "project_update", due, programme_id=p.id, programme=p.name,
                            number=k))
        out.append(Duty(f"leftover:{p.id}", "leftover_notice", leftover_due(p.ends_on), programme_id=p.id,
                        programme=p.name))
    for g in gifts:
        out.append(Duty(f"related_party:{g.id}", "related_party", related_party_due(g.received_on), donation_id=g.id,
                        donor=g.donor))
    return tuple(sorted(out, key=lambda d: (d.due, d.key)))


def answering(duty: Duty, items: tuple[Published, ...]) -> Published | None:
    """The first published item that answers ``duty``: one naming its key; for the annual duties also one of
    the right kind for that year that names no duty (published before the calendar existed, or by hand)."""
    found = [i for i in items if i.duty == duty.key
             or (i.duty is None and duty.period is not None and i.kind == duty.kind and i.period == duty.period)]
    return min(found, key=lambda i: (i.published_on, i.ref)) if found else None


def calendar_states(all_duties: tuple[Duty, ...], items: tuple[Published, ...], today: date) -> tuple[DutyState, ...]:
    out = []
    for duty in all_duties:
        item = answering(duty, items)
        state, days = state_of(duty.due, today, item.published_on if item else None)
        out.append(DutyState(duty, state, days, item.ref if item else None, item.published_on if item else None))
    return tuple(out)
