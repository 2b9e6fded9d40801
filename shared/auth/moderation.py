"""Operators stop and restore accounts (the console's users page). A ban takes effect on the very next request (the
router and the console read `users.status` every time) and revokes what the account holds: refresh tokens and console
sessions. Both actions need a reason, are audited with the status before and after, and publish UserBanned /
UserUnbanned for whoever must react (e.g. a credit profile)."""

from __future__ import annotations

from shared.auth.models import User
from shared.auth.web_sessions import revoke_user_sessions
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.events import AdminAudited, UserBanned, UserUnbanned
from shared.uow import UnitOfWork


def _reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not 2 <= len(text) <= 500:
        raise ValidationFailed.field("reason", "请填写 2–500 字的原因")
    return text


def _locked(uow: UnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("USER_NOT_FOUND", "用户不存在")
    return user


def ban_user(uow: UnitOfWork, admin_id: int, user_id: int, reason: str) -> User:
    text = _reason(reason)
    if user_id == admin_id:
        raise Conflict("CANNOT_BAN_SELF", "不能停用自己的账号")
    user = _locked(uow, user_id)
    if user.status == "banned":
        raise Conflict("ALREADY_BANNED", "该账号已是停用状态")
    before = user.status
    user.status, user.updated_at = "banned", uow.now
    uow.session.add(user)
    tokens = uow.execute("UPDATE refresh_tokens SET revoked_at = :now WHERE user_id = :u AND revoked_at IS NULL",
                         {"now": uow.now, "u": user_id}).rowcount
    sessions = revoke_user_sessions(uow, user_id, "banned")
    uow.publish(UserBanned(user_id=user_id, admin_id=admin_id, reason=text))
    uow.publish(AdminAudited(admin_id=admin_id, action="user.ban", entity_name="user", entity_id=user_id,
                             before={"status": before},
                             after={"status": "banned", "tokens_revoked": tokens, "sessions_revoked": sessions},
                             reason=text, subject_user_id=user_id))
    return user


def unban_user(uow: UnitOfWork, admin_id: int, user_id: int, reason: str) -> User:
    text = _reason(reason)
    user = _locked(uow, user_id)
    if user.status != "banned":
        raise Conflict("NOT_BANNED", "该账号未被停用")
    before = user.status
    user.status, user.updated_at = "active", uow.now
    uow.session.add(user)
    uow.publish(UserUnbanned(user_id=user_id, admin_id=admin_id, reason=text))
    uow.publish(AdminAudited(admin_id=admin_id, action="user.unban", entity_name="user", entity_id=user_id,
                             before={"status": before}, after={"status": "active"}, reason=text,
                             subject_user_id=user_id))
    return user
