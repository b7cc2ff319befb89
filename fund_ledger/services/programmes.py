"""Grant programmes (资助项目): a fund, a budget, a period, and the organisations taking part.

A request made within a programme must come from one of its organisations, draw on its fund, and be
made within its dates; approvals never commit more than its budget (money returned frees budget again).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import models as m
from ..db import repository as repo
from ..ledger.disbursements import ACKNOWLEDGED, APPROVED, PAID, SUBMITTED
from ..ledger.money import MAX_AMOUNT_FEN, format_yuan
from . import audit
from .actor import Actor
from .errors import Conflict, Forbidden, InvalidInput, NotFound

COMMITTED = (APPROVED, PAID, ACKNOWLEDGED)


@dataclass(frozen=True)
class Usage:
    budget: int
    requested: int
    """Submitted, not yet decided."""
    committed: int
    """Approved or paid, less what grantees returned."""

    @property
    def room(self) -> int:
        return self.budget - self.committed


def create_programme(session: Session, actor: Actor, *, name: str, fund, budget: int, starts_on: date,
                     ends_on: date, description: str = "", organisation_ids: list[int] | None = None) -> m.GrantProgramme:
    from .donations import open_fund

    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager sets up grant programmes")
    errors: dict[str, list[str]] = {}
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 100:
        errors["name"] = ["1 to 100 characters"]
    elif session.scalar(select(m.GrantProgramme.id).where(m.GrantProgramme.name == name)):
        errors["name"] = [f"a programme named {name} already exists"]
    fund_row = open_fund(session, fund, errors)
    if type(budget) is not int or not 0 < budget <= MAX_AMOUNT_FEN:
        errors["budget"] = [f"between ¥0.01 and {format_yuan(MAX_AMOUNT_FEN)}"]
    if type(starts_on) is not date:
        errors["starts_on"] = ["a date"]
    if type(ends_on) is not date:
        errors["ends_on"] = ["a date"]
    elif type(starts_on) is date and ends_on < starts_on:
        errors["ends_on"] = ["on or after the start"]
    description = description.strip() if isinstance(description, str) else ""
    if len(description) > 2000:
        errors["description"] = ["at most 2000 characters"]
    orgs = list(dict.fromkeys(organisation_ids or []))
    unknown = [o for o in orgs if not repo.is_row_id(o) or session.get(m.Organisation, o) is None]
    if unknown:
        errors["organisation_ids"] = [f"no organisation {unknown[0]}"]
    if errors:
        raise InvalidInput("the programme is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    row = m.GrantProgramme(name=name, fund_code=fund_row.code, budget=budget, starts_on=starts_on, ends_on=ends_on,
                           description=description, created_by=actor.username, created_at=repo.utc_now_text())
    session.add(row)
    session.flush()
    audit.record(session, actor, "programme.create", object_type="programme", object_id=row.id,
                 detail={"name": name, "fund": fund_row.code, "budget": budget, "starts_on": starts_on.isoformat(),
                         "ends_on": ends_on.isoformat()})
    for org in orgs:
        add_organisation(session, actor, row.id, org)
    return row


def get_programme(session: Session, programme_id: int) -> m.GrantProgramme:
    row = session.get(m.GrantProgramme, programme_id) if repo.is_row_id(programme_id) else None
    if row is None:
        raise NotFound(f"no programme {programme_id}")
    return row


def add_organisation(session: Session, actor: Actor, programme_id: int, organisation_id: int) -> None:
    if actor.role not in ("manager", "system"):
        raise Forbidden("only a fund manager adds organisations to a programme")
    programme = get_programme(session, programme_id)
    org = session.get(m.Organisation, organisation_id) if repo.is_row_id(organisation_id) else None
    if org is None:
        raise InvalidInput(f"no organisation {organisation_id}", {"organisation_id": ["not found"]})
    if session.get(m.ProgrammeOrganisation, (programme.id, org.id)) is not None:
        raise Conflict(f"{org.name} already takes part in {programme.name}", code="already_member")
    session.add(m.ProgrammeOrganisation(programme_id=programme.id, organisation_id=org.id, added_by=actor.username,
                                        added_at=repo.utc_now_text()))
    session.flush()
    audit.record(session, actor, "programme.add_organisation", object_type="programme", object_id=programme.id,
                 detail={"organisation": org.id, "name": org.name})


def members(session: Session, programme_id: int) -> list[m.Organisation]:
    return list(session.scalars(select(m.Organisation).join(
        m.ProgrammeOrganisation, m.ProgrammeOrganisation.organisation_id == m.Organisation.id)
        .where(m.ProgrammeOrganisation.programme_id == programme_id).order_by(m.Organisation.name)))


def programmes_for(session: Session, organisation_id: int | None = None) -> list[m.GrantProgramme]:
    """All programmes, or those an organisation takes part in."""
    q = select(m.GrantProgramme).order_by(m.GrantProgramme.starts_on.desc(), m.GrantProgramme.id.desc())
    if organisation_id is not None:
        q = q.join(m.ProgrammeOrganisation, m.ProgrammeOrganisation.programme_id == m.GrantProgramme.id).where(
            m.ProgrammeOrganisation.organisation_id == organisation_id)
    return list(session.scalars(q))


def usage(session: Session, programme_id: int) -> Usage:
    programme = get_programme(session, programme_id)
    d, r = m.Disbursement, m.DisbursementReport
    by_status = dict(session.execute(select(d.status, func.coalesce(func.sum(d.amount), 0))
                                     .where(d.programme_id == programme.id).group_by(d.status)).all())
    returned = session.scalar(select(func.coalesce(func.sum(r.returned), 0)).join(d, d.id == r.disbursement_id)
                              .where(d.programme_id == programme.id, r.status == "received")) or 0
    committed = sum(int(by_status.get(s, 0)) for s in COMMITTED) - int(returned)
    return Usage(programme.budget, int(by_status.get(SUBMITTED, 0)), committed)


def programme_room(session: Session, programme_id: int) -> int:
    """What the programme's budget can still commit."""
    return usage(session, programme_id).room


def programme_problem(session: Session, programme_id, organisation_id: int, fund_code: str, today: date) -> str | None:
    """Why a request from ``organisation_id`` on ``fund_code`` cannot be made in this programme, or None."""
    try:
        programme = get_programme(session, programme_id)
    except NotFound as err:
        return err.detail
    if programme.fund_code != fund_code:
        return f"programme {programme.name} draws on fund {programme.fund_code}, not {fund_code}"
    if session.get(m.ProgrammeOrganisation, (programme.id, organisation_id)) is None:
        return f"the organisation does not take part in programme {programme.name}"
    if not programme.starts_on <= today <= programme.ends_on:
        return (f"programme {programme.name} takes requests from {programme.starts_on.isoformat()} "
                f"to {programme.ends_on.isoformat()}")
    return None


__all__ = ["create_programme", "get_programme", "add_organisation", "members", "programmes_for", "usage",
           "programme_room", "programme_problem", "Usage"]
