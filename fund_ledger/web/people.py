"""Pages about people: my own account, the users an administrator manages, and the audit log.

Every form posts back to its own page. On success the change is committed and the browser goes back
to the page (POST → redirect → GET) with a short notice; when a service refuses, nothing is committed
and the form comes back, with the status the service chose and its messages beside the fields they
concern. The services write the audit log themselves.
"""
from __future__ import annotations

import json

import re
from datetime import UTC, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_user
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy import select

from ..api.audit import READERS, AuditQuery, audit_page
from ..http.db import db_session
from ..db import models as m
from ..http.i18n import bi, language, t
from ..ledger.money import format_yuan
from ..http.security import SIGNED_IN, SessionUser, access, current_actor, principal
from ..services import users
from ..services.actor import ROLES
from ..services.errors import InvalidInput, NotFound, ServiceError
from . import ROLE_NAMES, bp

ROLE_NAMES_EN = {"admin": "Administrator", "manager": "Fund manager", "grantee": "Grantee", "auditor": "Auditor"}

YEAR_MESSAGE = "a year from 1000 to 9998"

MESSAGES_ZH = {
    # What the services and the audit query say, for the Chinese page; anything not here shows as it is.
    f"at least {users.MIN_PASSWORD} characters": f"至少 {users.MIN_PASSWORD} 个字符",
    f"at most {users.MAX_PASSWORD} characters": f"最多 {users.MAX_PASSWORD} 个字符",
    "must not contain the username": "不得包含用户名",
    "too simple: use more different characters": "过于简单：请使用更多不同的字符",
    "3 to 32 characters: lowercase letters, digits, . _ -, starting with a letter":
        "3 至 32 个字符：小写字母、数字及 . _ -，以字母开头",
    "at most 100 characters": "最多 100 个字符",
    "already exists": "已存在",
    "a grantee belongs to an organisation": "受助机构用户须属于一个机构",
    "only grantees belong to an organisation": "只有受助机构用户属于机构",
    "not right": "不正确",
    "does not match": "两次输入不一致",
    "the passwords do not match": "两次输入的密码不一致",
    "an administrator cannot disable their own account": "管理员不能停用自己的账户",
    "an administrator cannot take away their own administrator role": "管理员不能取消自己的管理员角色",
    "Not a valid datetime.": "不是有效的日期",
    YEAR_MESSAGE: "年份须在 1000 至 9998 之间",
    "no organisation 0": "请选择一个机构",
    "Not a valid integer.": "不是有效的整数",
    "Must be one of: ok, denied, failed, error.": "必须是 ok、denied、failed、error 之一",
}

DATE_ONLY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
DETAIL_SHOWN = 80
"""Characters of an audit record's detail shown in the table (the whole of it is in the tooltip)."""


# --- helpers for the templates ----------------------------------------------------------------------

@bp.app_template_global()
def role_name(role: str | None) -> str:
    if role in ROLE_NAMES:
        return t(ROLE_NAMES[role], ROLE_NAMES_EN[role])
    return role or "—"


@bp.app_template_global()
def message(text: str) -> Markup | str:
    """A service's message in the page's language (Chinese with the original beside it)."""
    zh = MESSAGES_ZH.get(text)
    return bi(zh, text) if zh and language() == "zh" else text


@bp.app_template_global()
def field_errors(errors: dict | None, name: str) -> Markup:
    texts = (errors or {}).get(name) or []
    if not texts:
        return Markup("")
    joined = Markup("；" if language() == "zh" else "; ").join(message(x) for x in texts)
    return Markup('<span class="field-error" role="alert">{}</span>').format(joined)


@bp.app_template_filter("utc_time")
def _utc_time(at: str) -> str:
    return at[:19].replace("T", " ") if at else ""


AUDIT_ACTIONS = {  # action: (Chinese, English), as the audit log page names them
    "login": ("登录", "log-in"), "logout": ("退出", "log-out"), "access": ("访问", "access"),
    "user.create": ("新建用户", "user created"), "user.disable": ("停用用户", "user disabled"),
    "user.enable": ("启用用户", "user enabled"), "user.role": ("更改角色", "role changed"),
    "user.change_password": ("修改密码", "password changed"), "user.reset_password": ("重置密码", "password reset"),
    "token.issue": ("签发令牌", "token issued"), "token.revoke": ("撤销令牌", "token revoked"),
    "account.create": ("新增科目", "account added"), "fund.create": ("设立基金", "fund set up"),
    "entry.post": ("记账", "entry posted"), "entry.reverse": ("冲销", "entry reversed"),
    "donor.create": ("登记捐赠人", "donor added"), "donation.record": ("记录捐赠", "gift recorded"),
    "donation.import": ("导入捐赠", "gifts imported"), "donation.refund": ("退还捐赠", "gift refunded"),
    "donation.official_receipt": ("登记捐赠票据", "official receipt recorded"), "pledge.create": ("登记认捐", "pledge added"),
    "organisation.create": ("登记受助机构", "grantee registered"),
    "organisation.bank_account": ("更新银行账户", "bank account updated"),
    "programme.create": ("设立资助项目", "programme set up"), "programme.add_organisation": ("加入资助项目", "added to programme"),
    "disbursement.submit": ("提交拨款申请", "request submitted"), "disbursement.approve": ("批准", "approved"),
    "disbursement.reject": ("驳回", "rejected"), "disbursement.cancel": ("撤销申请", "cancelled"),
    "disbursement.pay": ("拨付", "paid"), "disbursement.acknowledge": ("确认到账", "receipt acknowledged"),
    "disbursement.attach": ("上传附件", "file attached"), "disbursement.report": ("提交使用报告", "use report submitted"),
    "disbursement.report_received": ("收悉使用报告", "use report received"),
    "disbursement.report_sent_back": ("退回使用报告", "use report sent back"),
    "period.close": ("结账", "period closed"), "audit_report.issue": ("出具审计报告", "audit report issued"),
}
MONEY_KEYS = {"amount", "total", "budget", "spent", "returned"}
"""Detail fields that hold money in fen: shown as yuan."""


@bp.app_template_global()
def audit_action_name(action: str) -> str:
    zh, en = AUDIT_ACTIONS.get(action, (None, None))
    return t(zh, en) if zh else action


def _detail_value(key: str, value) -> str:
    if key in MONEY_KEYS and type(value) is int:
        return format_yuan(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_detail_value(k, v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "、".join(_detail_value("", v) for v in value)
    return "—" if value is None else str(value)


@bp.app_template_filter("short_detail")
def _short_detail(detail: str | None) -> str:
    """The detail as ``key: value`` pairs, money in yuan (the raw JSON stays in the cell's title)."""
    if not detail or detail == "{}":
        return "—"
    try:
        data = json.loads(detail)
        shown = " · ".join(f"{k}: {_detail_value(k, v)}" for k, v in data.items()) if isinstance(data, dict) else detail
    except ValueError:
        shown = detail
    return shown if len(shown) <= DETAIL_SHOWN else shown[:DETAIL_SHOWN - 1] + "…"


def _organisations(session) -> list[m.Organisation]:
    return list(session.scalars(select(m.Organisation).order_by(m.Organisation.name)))


def _refused(err: ServiceError) -> dict:
    """What a template needs to show a refusal; the request's work is rolled back."""
    db_session().rollback()
    return {"error": err.detail, "errors": err.errors}


def _notice(zh: str, en: str) -> None:
    flash(bi(zh, en) if language() == "zh" else en, "ok")


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
            _notice("密码已修改", "Password changed")
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
            _notice(f"已添加用户 {user.username}", f"User {user.username} added")
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
            _notice(*done)
            return redirect(url_for("web.user_detail", user_id=user_id))
    organisations = _organisations(db)
    return render_template("web/user_detail.html", user=user, organisations=organisations,
                           organisation_names={o.id: o.name for o in organisations}, roles=ROLES,
                           **context), status


def _change_user(db, user: m.User, action: str, form) -> tuple[str, str]:
    """Do one change; the notice to show (Chinese, English)."""
    actor = current_actor()
    if action == "role":
        role = form.get("role", "")
        org = _int_or_none(form.get("organisation_id")) if role == "grantee" else None
        users.change_role(db, actor, user.id, role, org)
        return "角色已修改", "Role changed"
    if action in ("enable", "disable"):
        users.set_active(db, actor, user.id, action == "enable")
        return ("已启用", "Enabled") if action == "enable" else ("已停用，其会话已失效", "Disabled; their sessions have ended")
    if form.get("password", "") != form.get("password_repeat", ""):
        raise InvalidInput("the passwords do not match", {"password_repeat": ["does not match"]})
    users.reset_password(db, actor, user.id, form.get("password", ""))
    return "密码已重设", "Password reset"


# --- the audit log ----------------------------------------------------------------------------------

@bp.get("/audit")
@access(*READERS)
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
    for name in ("since", "until"):
        if args.get(name) is not None and args[name].tzinfo is not None:
            args[name] = args[name].astimezone(UTC).replace(tzinfo=None)  # the log is kept in UTC
    if args.get("until") is not None and DATE_ONLY.match(raw["until"]):
        args["until"] += timedelta(days=1)  # a date "until" on the page includes that day
    page = audit_page(db, args)
    filters = {k: v for k, v in raw.items() if k != "page"}
    return render_template("web/audit_log.html", raw=raw, page=page, filters=filters, errors={}, error=None,
                           actors=[u.username for u in users.list_users(db)])
