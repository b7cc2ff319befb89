"""Pages about people: my own account, the users an administrator manages, and the audit log.

Every form posts back to its own page. On success the change is committed and the browser goes back
to the page (POST → redirect → GET) with a short notice; when a service refuses, nothing is committed
and the form comes back, with the status the service chose and its messages beside the fields they
concern. The services write the audit log themselves.
"""
from __future__ import annotations

import re
from datetime import UTC, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_user
from marshmallow import ValidationError
from sqlalchemy import select

from ..clock import LOCAL_TZ
from ..http.db import db_session
from ..db import models as m
from ..http.i18n import N_, bi
from ..http.security import AUDIT_READERS, SIGNED_IN, SessionUser, access, current_actor, principal
from ..schemas.audit import AuditQuery
from ..services import users
from ..services.audit import audit_page
from ..services.actor import ROLES
from ..services.errors import InvalidInput, NotFound, ServiceError
from . import bp
from .filters import message  # noqa: F401  (web/donations.py takes it from here)

YEAR_MESSAGE = "a year from 1000 to 9998"

SERVICE_MESSAGES = (  # what the user service and the audit query say on these pages (the catalogue has the Chinese)
    # users.MIN_PASSWORD and users.MAX_PASSWORD (tests/web/test_translations.py checks they still agree)
    N_("at least 10 characters"), N_("at most 256 characters"),
    N_("must not contain the username"), N_("too simple: use more different characters"),
    N_("3 to 32 characters: lowercase letters, digits, . _ -, starting with a letter"), N_("at most 100 characters"),
    N_("already exists"), N_("a grantee belongs to an organisation"), N_("only grantees belong to an organisation"),
    N_("not right"), N_("does not match"), N_("the passwords do not match"),
    N_("an administrator cannot disable their own account"),
    N_("an administrator cannot take away their own administrator role"), N_("Not a valid datetime."),
    N_("a year from 1000 to 9998"), N_("no organisation 0"), N_("Not a valid integer."),
    N_("Must be one of: ok, denied, failed, error."),
)

DATE_ONLY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _organisations(session) -> list[m.Organisation]:
    return list(session.scalars(select(m.Organisation).order_by(m.Organisation.name)))


def _refused(err: ServiceError) -> dict:
    """What a template needs to show a refusal; the request's work is rolled back."""
    db_session().rollback()
    return {"error": err.detail, "errors": err.errors}


def _notice(text: str, **values) -> None:
    """A short notice for the next page: the msgid ``text`` with gettext's named ``values``, shown as
    :func:`~fund_ledger.http.i18n.bi` shows it."""
    flash(bi(text, **values), "ok")


def _relogin_if_self(user: m.User) -> None:
    """A change to my own password or role ends my sessions (the version moves on); keep this one."""
    who = principal()
    if who is not None and who.id == user.id and user.active:
        login_user(SessionUser(user))


MAX_ID = 2**31 - 1
"""Ids are 32-bit integers in the database: a larger number names nothing (and must not reach PostgreSQL)."""


def _int_or_none(value: str | None) -> int | None:
    """The organisation chosen: None when none was; 0 (no such organisation) for anything not an id."""
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        return 0
    return number if 0 < number <= MAX_ID else 0


# --- my account -------------------------------------------------------------------------------------

@bp.route("/account", methods=["GET", "POST"])
@access(SIGNED_IN)
def account():
    db = db_session()
    who = principal()
    context, status = {"error": None, "errors": {}}, 200
    if request.method == "POST":
        form = request.form
        try:
            if form.get("new_password", "") != form.get("new_password_repeat", ""):
                raise InvalidInput("the passwords do not match", {"new_password_repeat": ["does not match"]})
            user = users.change_own_password(db, current_actor(), who.id, form.get("old_password", ""),
                                             form.get("new_password", ""))
        except ServiceError as err:
            context, status = _refused(err), err.status
        else:
            db.commit()
            _relogin_if_self(user)
            _notice("Password changed")
            return redirect(url_for("web.account"))
    user = db.get(m.User, who.id)
    organisation = db.get(m.Organisation, user.organisation_id) if user.organisation_id else None
    return render_template("web/account.html", user=user, organisation=organisation, **context), status


# --- users, for the administrator -------------------------------------------------------------------

@bp.route("/admin/users", methods=["GET", "POST"], endpoint="users")
@access("admin")
def users_page():
    db = db_session()
    context, status = {"error": None, "errors": {}, "form": {}}, 200
    if request.method == "POST":
        form = request.form
        role = form.get("role", "")
        try:
            user = users.create_user(
                db, current_actor(), username=form.get("username", ""), role=role,
                password=form.get("password", ""), display_name=form.get("display_name", ""),
                # The organisation field is hidden unless the role is grantee: a leftover choice is ignored.
                organisation_id=_int_or_none(form.get("organisation_id")) if role == "grantee" else None)
        except ServiceError as err:
            context, status = {**_refused(err), "form": form}, err.status
        else:
            db.commit()
            _notice("User %(username)s added", username=user.username)
            return redirect(url_for("web.users"))
    organisations = _organisations(db)
    return render_template("web/users.html", users=users.list_users(db), organisations=organisations,
                           organisation_names={o.id: o.name for o in organisations}, roles=ROLES,
                           **context), status


USER_ACTIONS = ("role", "enable", "disable", "reset_password")


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@access("admin")
def user_detail(user_id: int):
    db = db_session()
    try:
        if user_id > MAX_ID:
            raise NotFound(f"no user {user_id}")
        user = users.get_user(db, user_id)
    except NotFound:
        abort(404)
    context, status = {"error": None, "errors": {}, "form": {}, "action": None}, 200
    if request.method == "POST":
        form, action = request.form, request.form.get("action", "")
        if action not in USER_ACTIONS:
            abort(400, f"action must be one of {', '.join(USER_ACTIONS)}")
        try:
            done = _change_user(db, user, action, form)
        except ServiceError as err:
            context, status = {**_refused(err), "form": form, "action": action}, err.status
            user = users.get_user(db, user_id)  # as it is in the database, after the rollback
        else:
            db.commit()
            _relogin_if_self(user)
            _notice(done)
            return redirect(url_for("web.user_detail", user_id=user_id))
    organisations = _organisations(db)
    return render_template("web/user_detail.html", user=user, organisations=organisations,
                           organisation_names={o.id: o.name for o in organisations}, roles=ROLES,
                           **context), status


def _change_user(db, user: m.User, action: str, form) -> str:
    """Do one change; the notice to show (a msgid)."""
    actor = current_actor()
    if action == "role":
        role = form.get("role", "")
        org = _int_or_none(form.get("organisation_id")) if role == "grantee" else None
        users.change_role(db, actor, user.id, role, org)
        return N_("Role changed")
    if action in ("enable", "disable"):
        users.set_active(db, actor, user.id, action == "enable")
        return N_("Enabled") if action == "enable" else N_("Disabled; their sessions have ended")
    if form.get("password", "") != form.get("password_repeat", ""):
        raise InvalidInput("the passwords do not match", {"password_repeat": ["does not match"]})
    users.reset_password(db, actor, user.id, form.get("password", ""))
    return N_("Password reset")


# --- the audit log ----------------------------------------------------------------------------------

@bp.get("/audit")
@access(*AUDIT_READERS)
def audit_log():
    db = db_session()
    schema = AuditQuery()
    raw = {k: v.strip() for k, v in request.args.items() if k in schema.fields and v.strip()}
    problems: dict[str, list[str]] = {}  # (NUL never gets here: security refuses it at the door)
    try:
        args = schema.load(raw)
    except ValidationError as err:
        problems = {**{k: v if isinstance(v, list) else [str(v)] for k, v in err.messages.items()}, **problems}
    else:
        # The log's times are text compared as text: a year must have four digits (and a day after it).
        problems.update({k: [YEAR_MESSAGE] for k in ("since", "until")
                         if args.get(k) is not None and not 1000 <= args[k].year <= 9998})
    if problems:
        return render_template("web/audit_log.html", raw=raw, page=None, errors=problems,
                               error="; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items()),
                               actors=[u.username for u in users.list_users(db)]), 400
    for name in ("since", "until"):  # people write Beijing time; the log is kept in UTC
        if args.get(name) is not None:
            at = args[name] if args[name].tzinfo is not None else args[name].replace(tzinfo=LOCAL_TZ)
            args[name] = at.astimezone(UTC).replace(tzinfo=None)
    if args.get("until") is not None and DATE_ONLY.match(raw["until"]):
        args["until"] += timedelta(days=1)  # a date "until" on the page includes that day
    page = audit_page(db, args)
    filters = {k: v for k, v in raw.items() if k != "page"}
    return render_template("web/audit_log.html", raw=raw, page=page, filters=filters, errors={}, error=None,
                           actors=[u.username for u in users.list_users(db)],
                           login_failures=users.recent_login_failures(db))
