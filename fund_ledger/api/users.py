"""User accounts, for administrators: list, add, disable, enable, change a role. Disabling, enabling again and a
new role end every earlier session and token of that user (services.users)."""
from __future__ import annotations

from marshmallow import Schema, fields

from ..http.db import db_session
from ..http.security import access, current_actor
from ..schemas.users import RoleIn, UserIn
from ..services import users
from ..services.paging import paginate
from . import blp
from .schemas import PageQuery, page_schema


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    organisation_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    created_at = fields.String()


def _user_json(row) -> dict:
    return {"id": row.id, "username": row.username, "display_name": row.display_name or "", "role": row.role,
            "organisation_id": row.organisation_id, "active": bool(row.active), "created_at": row.created_at}


@blp.route("/users", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_schema(UserOut, "UserPage"))
@access("admin")
def list_users(args):
    """Every user account, by role and name."""
    found = paginate(db_session(), users.users_query(), page=args["page"], per_page=args["per_page"],
                     row=_user_json)
    return {"items": found.items, "total": found.total, "page": found.page, "per_page": found.per_page}


@blp.route("/users", methods=["POST"])
@blp.arguments(UserIn)
@blp.response(201, UserOut)
@access("admin")
def create_user(body):
    """Add a user (a grantee belongs to an organisation; nobody else does)."""
    session = db_session()
    row = users.create_user(session, current_actor(), **body)
    session.commit()
    return _user_json(row)


@blp.route("/users/<int:user_id>/disable", methods=["POST"])
@blp.response(200, UserOut)
@access("admin")
def disable_user(user_id: int):
    """Disable a user: every session and token of theirs ends at once."""
    return _set_active(user_id, False)


@blp.route("/users/<int:user_id>/enable", methods=["POST"])
@blp.response(200, UserOut)
@access("admin")
def enable_user(user_id: int):
    """Enable a user again: they log in afresh (no old session or token comes back)."""
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool) -> dict:
    session = db_session()
    row = users.set_active(session, current_actor(), user_id, active)
    session.commit()
    return _user_json(row)


@blp.route("/users/<int:user_id>/role", methods=["POST"])
@blp.arguments(RoleIn)
@blp.response(200, UserOut)
@access("admin")
def change_role(body, user_id: int):
    """Give a user another role: their sessions and tokens end, they log in again under the new one."""
    session = db_session()
    row = users.change_role(session, current_actor(), user_id, body["role"], body["organisation_id"])
    session.commit()
    return _user_json(row)
