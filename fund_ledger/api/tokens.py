"""Log-in for programs: a username and password give a bearer token that expires."""
from __future__ import annotations

from flask import request
from marshmallow import Schema, fields, validate

from ..http.db import db_session
from ..http.security import PUBLIC, SIGNED_IN, access, client_address, current_actor
from ..services import users
from . import blp


class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenResponse(Schema):
    token = fields.String()
    expires_at = fields.String()


@blp.route("/tokens", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(201, TokenResponse)
@access(PUBLIC)
def create_token(body):
    """Exchange a username and password for a bearer token."""
    session = db_session()
    try:
        user = users.authenticate(session, body["username"], body["password"], client_address())
    except users.ServiceError:
        session.commit()  # keep the audit record of the failure; nothing else was written
        raise
    issued = users.issue_token(session, user, client_address())
    session.commit()
    return {"token": issued.token, "expires_at": issued.expires_at}


@blp.route("/tokens/revoke", methods=["POST"])
@blp.response(204)
@access(SIGNED_IN)
def revoke_token():
    """Revoke the token this request carries (log out a program)."""
    session = db_session()
    users.revoke_token(session, current_actor(), request.headers["Authorization"].partition(" ")[2].strip())
    session.commit()
