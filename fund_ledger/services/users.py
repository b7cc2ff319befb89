"""People: accounts, roles, passwords, log-in with a throttle, and API tokens.

Passwords are hashed with Argon2id (argon2-cffi). Failed log-ins are counted in ``login_failures`` (a small
mutable table, not the audit chain), per account *and address* and per address, so an attacker elsewhere
can slow guesses but never lock the real user out: a lock lasts at most 15 minutes and binds only the
address that failed. Each check is reserved atomically before the password is verified.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, text, tuple_, update
from sqlalchemy.orm import Session

from .. import clock
from ..db import models as m
from ..db.repository import utc_now_text
from . import audit
from ..config import settings
from .actor import ROLES, Actor
from .errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
MIN_PASSWORD, MAX_PASSWORD = 10, 256
TOKEN_LIFETIME = timedelta(hours=12)
WINDOW = timedelta(minutes=15)
ACCOUNT_FREE_TRIES = 5
"""Failed log-ins for one account from one address before each further try must wait."""
ADDRESS_LIMIT = 30
"""Failed log-ins from one address (any accounts) within the window before it is refused for the window."""
MAX_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)
"""A key whose newest failure is older than this is purged from ``login_failures``."""

# Tests may ask for argon2's cheapest parameters (a test suite logs in thousands of times); hashes made
# either way verify either way, and check_needs_rehash upgrades a cheap hash at the next log-in.
_hasher = (PasswordHasher.from_parameters(profiles.CHEAPEST)
           if settings().cheap_password_hashes else PasswordHasher())
_DUMMY_HASH = _hasher.hash("not a password of anyone's")


class LoginFailed(ServiceError):
    status = 401
    title = "Log-in failed"


class LoginThrottled(ServiceError):
    status = 429
    title = "Too many failed log-ins"

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail, code="throttled")
        self.retry_after = retry_after


@dataclass(frozen=True)
class IssuedToken:
    token: str
    """Shown once; only its SHA-256 is stored."""
    expires_at: str


def actor_for(user: m.User, address: str | None = None) -> Actor:
    return Actor(user.username, user.role, user.organisation_id, address)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_errors(password: str, username: str = "") -> list[str]:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return [f"at least {MIN_PASSWORD} characters"]
    if len(password) > MAX_PASSWORD:
        return [f"at most {MAX_PASSWORD} characters"]
    if username and username.lower() in password.lower():
        return ["must not contain the username"]
    if len(set(password)) < 4:
        return ["too simple: use more different characters"]
    return []


def _require_admin(actor: Actor) -> None:
    if actor.role not in ("admin", "system"):
        raise Forbidden("only an administrator manages users")


def _check_role(session: Session, role: str, organisation_id: int | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if role not in ROLES:
        errors["role"] = [f"one of {', '.join(ROLES)}"]
    elif role == "grantee":
        if organisation_id is None:
            errors["organisation_id"] = ["a grantee belongs to an organisation"]
        elif session.get(m.Organisation, organisation_id) is None:
            errors["organisation_id"] = [f"no organisation {organisation_id}"]
    elif organisation_id is not None:
        errors["organisation_id"] = ["only grantees belong to an organisation"]
    return errors


def create_user(session: Session, actor: Actor, *, username: str, role: str, password: str,
                organisation_id: int | None = None, display_name: str = "") -> m.User:
    _require_admin(actor)
    username = (username or "").strip()
    errors = _check_role(session, role, organisation_id)
    if not USERNAME_RE.match(username):
        errors["username"] = ["3 to 32 characters: lowercase letters, digits, . _ -, starting with a letter"]
    if len(display_name or "") > 100:
        errors["display_name"] = ["at most 100 characters"]
    if problems := password_errors(password, username):
        errors["password"] = problems
    if errors:
        raise InvalidInput("the user is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    if session.scalar(select(m.User.id).where(m.User.username == username)) is not None:
        raise Conflict(f"user {username} already exists", {"username": ["already exists"]})
    user = m.User(username=username, display_name=(display_name or "").strip(), role=role,
                  organisation_id=organisation_id, password_hash=hash_password(password), active=True,
                  session_version=1, language="zh", created_at=utc_now_text())
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", object_type="user", object_id=username,
                 detail={"role": role, "organisation_id": organisation_id})
    return user


def get_user(session: Session, user_id: int) -> m.User:
    user = session.get(m.User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def change_role(session: Session, actor: Actor, user_id: int, role: str, organisation_id: int | None = None) -> m.User:
    _require_admin(actor)
    user = get_user(session, user_id)
    if errors := _check_role(session, role, organisation_id):
        raise InvalidInput("; ".join(v[0] for v in errors.values()), errors)
    if user.username == actor.username and role != "admin":
        raise Conflict("an administrator cannot take away their own administrator role")
    before = {"role": user.role, "organisation_id": user.organisation_id}
    user.role, user.organisation_id = role, organisation_id
    _end_sessions(session, user)  # permissions changed: sign in again, under the new role
    audit.record(session, actor, "user.role", object_type="user", object_id=user.username,
                 detail={"before": before, "after": {"role": role, "organisation_id": organisation_id}})
    return user


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> m.User:
    """Disable (or enable again) a user; a disabled user's sessions and tokens stop working at once."""
    _require_admin(actor)
    user = get_user(session, user_id)
    if user.username == actor.username and not active:
        raise Conflict("an administrator cannot disable their own account")
    if user.active != active:
        user.active = active
        _end_sessions(session, user)  # and enabling again revives none of them
        audit.record(session, actor, "user.enable" if active else "user.disable", object_type="user",
                     object_id=user.username)
    return user


def reset_password(session: Session, actor: Actor, user_id: int, new_password: str) -> m.User:
    _require_admin(actor)
    user = get_user(session, user_id)
    if problems := password_errors(new_password, user.username):
        raise InvalidInput("the new password is not acceptable: " + problems[0], {"password": problems})
    _set_password(session, user, new_password)
    audit.record(session, actor, "user.reset_password", object_type="user", object_id=user.username)
    return user


def change_own_password(session: Session, actor: Actor, user_id: int, old: str, new: str) -> m.User:
    user = get_user(session, user_id)
    if user.username != actor.username:
        raise Forbidden("you can change only your own password")
    if not _verify(user.password_hash, old or ""):
        raise InvalidInput("the current password is not right", {"old_password": ["not right"]})
    if problems := password_errors(new, user.username):
        raise InvalidInput("the new password is not acceptable: " + problems[0], {"new_password": problems})
    _set_password(session, user, new)
    audit.record(session, actor, "user.change_password", object_type="user", object_id=user.username)
    return user


def _set_password(session: Session, user: m.User, password: str) -> None:
    """A new password ends every session and revokes every token: whoever knew the old one is out."""
    user.password_hash = hash_password(password)
    _end_sessions(session, user)


def _end_sessions(session: Session, user: m.User) -> None:
    """End every session (cookies carry the session version, which moves on) and revoke every live token of
    ``user``, server-side: a copied cookie or an old token is worthless from the next request on. The one
    mechanism behind log-out, disabling, enabling, a new role and a new password."""
    user.session_version += 1
    session.flush()
    session.execute(update(m.ApiToken).where(m.ApiToken.user_id == user.id, m.ApiToken.revoked_at.is_(None))
                    .values(revoked_at=utc_now_text()))


def log_out(session: Session, actor: Actor) -> None:
    """Log-out ends every session and token of the user, not only this browser's cookie."""
    user = session.scalar(select(m.User).where(m.User.username == actor.username))
    if user is not None:
        _end_sessions(session, user)
    audit.record(session, actor, "logout", object_type="user", object_id=actor.username)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _lock_for(failures: int, free: int) -> timedelta:
    """How long a key stays locked after its newest failure, once ``failures`` reached ``free``."""
    return min(timedelta(seconds=30 * 2 ** min(max(failures - free, 0), 10)), MAX_LOCK)  # capped: no overflow


def _wait_seconds(count: int, newest: str | None, free: int) -> int:
    if count < free or newest is None:
        return 0
    last = clock.from_stamp(newest)
    return max(int((last + _lock_for(count, free) - clock.now()).total_seconds()) + 1, 0)


_stamp = clock.utc_stamp


_LOCK_STEPS = 6
"""30 s, 1, 2, 4, 8 minutes, then MAX_LOCK: the lock after ``free + i`` failures, one CASE branch each."""

_RESERVE = text(f"""
INSERT INTO login_failures (scope, key, window_start, failures, newest_at)
VALUES (:scope, :key, :now, 1, :now)
ON CONFLICT (scope, key) DO UPDATE SET
    failures = CASE WHEN login_failures.newest_at < :stale THEN 1 ELSE login_failures.failures + 1 END,
    window_start = CASE WHEN login_failures.newest_at < :stale THEN :now ELSE login_failures.window_start END,
    newest_at = :now
WHERE login_failures.failures < :free OR login_failures.newest_at <= CASE login_failures.failures - :free
    {' '.join(f'WHEN {i} THEN :unlocked{i}' for i in range(_LOCK_STEPS - 1))} ELSE :unlocked{_LOCK_STEPS - 1} END
RETURNING failures
""")
"""Reserve one password check for a key, or refuse, in one atomic statement: the row (or the conflicting
insert) is locked by the database, so parallel attempts are counted one after the other and at most
``free`` checks get through before the lock; a key quiet for the whole window starts again at 1. A
refusal (no row returned) writes nothing. Timestamps are ISO text in UTC, so they compare as text."""


def _reserve(session: Session, scope: str, key: str, free: int) -> int | None:
    """The number of this check in the key's window, or None while the key is locked."""
    now = clock.now()
    params = {"scope": scope, "key": key, "now": _stamp(now), "stale": _stamp(now - WINDOW), "free": free}
    params |= {f"unlocked{i}": _stamp(now - _lock_for(free + i, free)) for i in range(_LOCK_STEPS)}
    return session.execute(_RESERVE, params).scalar()


def _keys(username: str, address: str | None) -> tuple[tuple[str, str, int], tuple[str, str, int]]:
    where = (address or "-")[:64]
    return ("account", f"{username}|{where}", ACCOUNT_FREE_TRIES), ("address", where, ADDRESS_LIMIT)


def _retry_after(session: Session, keys) -> int:
    waits = [1]
    for scope, key, free in keys:
        row = session.get(m.LoginFailure, (scope, key), populate_existing=True)
        if row is not None:
            waits.append(_wait_seconds(row.failures, row.newest_at, free))
    return max(waits)


def _purge_old_failures(session: Session) -> None:
    """Forget keys not touched for a day, a hundred at a time (run whenever a key gets a new row). Rows
    another transaction holds are skipped (PostgreSQL), so the purge never waits on a log-in nor deadlocks."""
    lf = m.LoginFailure
    old = (select(lf.scope, lf.key).where(lf.newest_at < _stamp(clock.now() - FORGET_AFTER)).limit(100)
           .with_for_update(skip_locked=True))
    session.execute(delete(lf).where(tuple_(lf.scope, lf.key).in_(old)))


def authenticate(session: Session, username: str, password: str, address: str | None) -> m.User:
    """The user these credentials belong to.

    Before any other work, one password check is reserved for this account at this address and for this
    address (``_reserve``, atomic in the database): while either key is locked, LoginThrottled is raised
    and nothing is written. A wrong name or password raises LoginFailed, saying the same in both cases; the
    failure stays counted in ``login_failures`` (not in the audit chain). The audit chain gets a successful
    log-in, and one ``login.throttled`` record when a key reaches its limit (once per key and window).
    The caller commits.
    """
    username = (username or "").strip()[:64]
    who = Actor(username, "anonymous", None, address)
    keys = _keys(username, address)
    with session.begin_nested() as reservation:
        counts = [_reserve(session, scope, key, free) for scope, key, free in keys]
        if None in counts:
            reservation.rollback()  # the other key's reservation too: a refused attempt counts nowhere
    if None in counts:
        wait = _retry_after(session, keys)
        raise LoginThrottled(f"too many failed log-ins: try again in {wait} seconds", wait)
    user = session.scalar(select(m.User).where(m.User.username == username))
    ok = _verify(user.password_hash if user else _DUMMY_HASH, password or "")  # same work for unknown names
    if not ok or not user.active:
        if 1 in counts:
            _purge_old_failures(session)
        for (scope, key, free), count in zip(keys, counts):
            if count == free:  # this failure engages the key's lock: one chained record per key and window
                audit.record(session, who if scope == "account" else Actor("", "anonymous", None, address),
                             "login.throttled", outcome="denied", object_type=scope,
                             object_id=username if scope == "account" else address,
                             detail={"scope": scope, "failures": count})
        raise LoginFailed("wrong username or password, or the account is disabled")
    (_, account, _), (_, where, _) = keys
    lf = m.LoginFailure
    session.execute(delete(lf).where(lf.scope == "account", lf.key == account))  # a success clears its key
    session.execute(delete(lf).where(lf.scope == "address", lf.key == where, lf.failures <= 1))
    session.execute(update(lf).where(lf.scope == "address", lf.key == where)
                    .values(failures=lf.failures - 1))  # the reservation given back: a success is no failure
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(session, actor_for(user, address), "login", object_type="user", object_id=username)
    return user


def recent_login_failures(session: Session, since: timedelta = timedelta(days=1)) -> list[m.LoginFailure]:
    """The throttle's counts touched within ``since``, newest first (what the audit-log page shows)."""
    lf = m.LoginFailure
    return list(session.scalars(select(lf).where(lf.newest_at >= _stamp(clock.now() - since), lf.failures > 0)
                                .order_by(lf.newest_at.desc()).limit(200)))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: m.User, address: str | None = None) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    expires = clock.utc_stamp(clock.now() + TOKEN_LIFETIME)
    session.add(m.ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=utc_now_text(),
                           expires_at=expires))
    session.flush()
    audit.record(session, actor_for(user, address), "token.issue", object_type="user", object_id=user.username,
                 detail={"expires_at": expires})
    return IssuedToken(token, expires)


def user_for_token(session: Session, token: str) -> m.User | None:
    """The active user a live token belongs to, or None (expired, revoked, unknown, or user disabled)."""
    if not token or len(token) > 200:
        return None
    row = session.execute(select(m.ApiToken, m.User).join(m.User, m.User.id == m.ApiToken.user_id)
                          .where(m.ApiToken.token_hash == _token_hash(token))).first()
    if row is None:
        return None
    tok, user = row
    if tok.revoked_at is not None or tok.expires_at <= utc_now_text() or not user.active:
        return None
    return user


def revoke_token(session: Session, actor: Actor, token: str) -> None:
    session.execute(update(m.ApiToken).where(m.ApiToken.token_hash == _token_hash(token),
                                             m.ApiToken.revoked_at.is_(None)).values(revoked_at=utc_now_text()))
    audit.record(session, actor, "token.revoke", object_type="user", object_id=actor.username)


def users_query():
    """Every user, by role and name (for the paginator)."""
    return select(m.User).order_by(m.User.role, m.User.username)


def list_users(session: Session) -> list[m.User]:
    return list(session.scalars(users_query()))
