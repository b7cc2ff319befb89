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
* Related-party transactions (``services.related_parties.transactions`` says which), within 30 days of the
  transaction: ``related_party:D`` a gift ``D`` (the key gifts had before the register), and
  ``related_party:refund:D`` its refund, ``related_party:grant:B`` a grant ``B`` paid to a related organisation,
  ``related_party:return:B`` money it returned from grant ``B``.
* ``major:E``: a major transaction (重大交易), a single gift received or grant paid at or above the threshold the
  manager set (none when unset), entry ``E``, within 30 days of its date.
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
MAJOR_DAYS = 30
RELATED_KINDS = ("gift", "refund", "grant", "return")
MAJOR_KINDS = ("gift", "grant")


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


def related_party_due(on: date) -> date:
    return on + timedelta(days=RELATED_PARTY_DAYS)


def major_due(on: date) -> date:
    return on + timedelta(days=MAJOR_DAYS)


def related_key(kind: str, ident: int) -> str:
    """A gift keeps the key it had before the register (``related_party:D``); the others name their kind."""
    return f"related_party:{ident}" if kind == "gift" else f"related_party:{kind}:{ident}"


@dataclass(frozen=True)
class Programme:
    id: int
    name: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class Related:
    """A related-party transaction as far as the calendar cares."""

    kind: str
    """``gift``, ``refund`` (both: ``id`` is the donation's), ``grant`` or ``return`` (the disbursement's)."""
    id: int
    party: str
    on: date
    amount: int
    """Fen, as the money moved (negative out of the fund)."""


@dataclass(frozen=True)
class Major:
    """A single gift received or grant paid at or above the major-transaction threshold."""

    kind: str
    """``gift`` or ``grant``."""
    entry_id: int
    id: int
    """The donation's or the disbursement's id."""
    counterparty: str
    on: date
    amount: int


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
    deal: str | None = None
    """For a related-party or major transaction: ``gift``, ``refund``, ``grant`` or ``return``."""
    subject_id: int | None = None
    """The donation's id (a gift, a refund) or the disbursement's (a grant, a return)."""
    party: str | None = None
    """The related party, or a major transaction's donor or grantee."""
    amount: int | None = None
    on: date | None = None
    """The transaction's date."""


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


def duties(years: tuple[int, ...], programmes: tuple[Programme, ...], related: tuple[Related, ...],
           majors: tuple[Major, ...] = ()) -> tuple[Duty, ...]:
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
    for r in related:
        out.append(Duty(related_key(r.kind, r.id), "related_party", related_party_due(r.on), deal=r.kind,
                        subject_id=r.id, party=r.party, amount=r.amount, on=r.on))
    for t in majors:
        out.append(Duty(f"major:{t.entry_id}", "major_transaction", major_due(t.on), deal=t.kind, subject_id=t.id,
                        party=t.counterparty, amount=t.amount, on=t.on))
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
