"""Browser sessions of the operators' web console (shared/console): signed in by the SMS flow, admins only.

The browser holds a random 256-bit token in an HttpOnly cookie; the `web_sessions` row is named by its SHA-256, so the
table alone opens nothing. A session lives 12 hours from sign-in and dies after 2 idle hours; logout revokes it, and so
does a ban (shared/auth/moderation.py) — and because every request re-reads the user row, a session whose user lost
the admin role or was banned is refused at once even before it is revoked. Each session has its own CSRF token that
every form and htmx request of the console must carry back (shared/console/web.py checks it).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import select

from shared.auth.models import User
from shared.errors import Forbidden
from shared.events import AdminAudited
from shared.uow import UnitOfWork

SESSION_TTL = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(hours=2)
TOUCH_EVERY = timedelta(minutes=5)  # last_seen_at is written at most this often: no write per page view


@dataclass(frozen=True)
class WebSession:
    id: int
    user_id: int
    csrf_token: str
    nickname: str
    phone: str | None
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_console_session(uow: UnitOfWork, phone: str, code: str, *, ip: str = "",
                          user_agent: str = "") -> tuple[str, WebSession]:
    """Check the SMS code, then open a session for the admin who owns `phone`. Nobody else gets one — and unlike the
    mini-program's SMS login, no account is ever created here. Returns the cookie's token and the session."""
    from shared.auth.service import check_sms_code

    check_sms_code(uow, phone, code)  # first: a wrong try is committed by it
    user = uow.session.exec(select(User).where(User.phone == phone)).first()
    if user is None or not user.has_role("admin"):
        raise Forbidden("ADMIN_REQUIRED", "该手机号没有运营后台权限")
    if user.status != "active":
        raise Forbidden("ACCOUNT_BANNED", "账号已被停用")
    assert user.id is not None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session_id = int(uow.execute(
        "INSERT INTO web_sessions (token_hash, user_id, csrf_token, ip, user_agent, created_at, last_seen_at,"
        " expires_at) VALUES (:h, :u, :c, :ip, :ua, :now, :now, :exp) RETURNING id",
        {"h": token_hash(token), "u": user.id, "c": csrf, "ip": ip[:64], "ua": user_agent[:300], "now": uow.now,
         "exp": uow.now + SESSION_TTL}).scalar_one())
    uow.publish(AdminAudited(admin_id=user.id, action="console.login", entity_name="web_session",
                             entity_id=session_id, after={"ip": ip[:64]}, subject_user_id=user.id))
    return token, WebSession(session_id, user.id, csrf, user.nickname, user.phone, uow.now + SESSION_TTL)


def console_session(uow: UnitOfWork, token: str) -> WebSession | None:
    """The live session the cookie names, or None: unknown, revoked, expired or idle too long. Raises Forbidden when
    its user is no longer an active admin. Refreshes last_seen_at (at most every few minutes)."""
    if not token or len(token) > 200:
        return None
    row = uow.execute(
        "SELECT s.id, s.user_id, s.csrf_token, s.last_seen_at, s.expires_at, s.revoked_at, u.status, u.roles,"
        " u.nickname, u.phone FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = :h",
        {"h": token_hash(token)}).first()
    if row is None or row.revoked_at is not None or row.expires_at <= uow.now:
        return None
    if uow.now - row.last_seen_at > IDLE_TIMEOUT:
        return None
    # A live session whose user lost the role or was stopped (by hand, not through the ban that revokes it): refused,
    # and said so, rather than sent to a login page that would refuse them too.
    if row.status != "active":
        raise Forbidden("ACCOUNT_BANNED", "账号已被停用")
    if "admin" not in row.roles:
        raise Forbidden("ADMIN_REQUIRED", "需要运营管理员身份")
    if uow.now - row.last_seen_at > TOUCH_EVERY:
        uow.execute("UPDATE web_sessions SET last_seen_at = :now WHERE id = :id", {"now": uow.now, "id": row.id})
    return WebSession(row.id, row.user_id, row.csrf_token, row.nickname, row.phone, row.expires_at)


def end_console_session(uow: UnitOfWork, token: str) -> bool:
    """Logout: revoke the cookie's session (audited). False when it was not live."""
    row = uow.execute(
        "UPDATE web_sessions SET revoked_at = :now, revoked_reason = 'logout' WHERE token_hash = :h"
        " AND revoked_at IS NULL RETURNING id, user_id", {"now": uow.now, "h": token_hash(token)}).first()
    if row is None:
        return False
    uow.publish(AdminAudited(admin_id=row.user_id, action="console.logout", entity_name="web_session",
                             entity_id=row.id, subject_user_id=row.user_id))
    return True


def revoke_user_sessions(uow: UnitOfWork, user_id: int, reason: str) -> int:
    """Revoke every live console session of a user (a ban); returns how many."""
    return int(uow.execute(
        "UPDATE web_sessions SET revoked_at = :now, revoked_reason = :r WHERE user_id = :u AND revoked_at IS NULL",
        {"now": uow.now, "r": reason, "u": user_id}).rowcount)
