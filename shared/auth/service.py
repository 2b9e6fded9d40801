"""Auth use cases: WeChat login, SMS codes, phone binding, token refresh and logout."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlmodel import select

from shared.adapters import clients
from shared.auth import tokens
from shared.auth.models import User
from shared.auth.schemas import TokenPair, UserOut
from shared.clock import start_of_shanghai_day
from shared.config import get_settings
from shared.errors import Conflict, NotFound, ServiceUnavailable, TooManyRequests, Unauthorized, ValidationFailed
from shared.events import AdminAudited, PhoneBound, UserRegistered, WeChatBound
from shared.rules_config import load_rules
from shared.uow import UnitOfWork, run


def user_out(user: User) -> UserOut:
    assert user.id is not None
    return UserOut(id=user.id, nickname=user.nickname, roles=list(user.roles), phone_bound=user.phone is not None,
                   wechat_bound=user.openid is not None)


def _issue(uow: UnitOfWork, user: User, *, is_new: bool = False) -> TokenPair:
    assert user.id is not None
    access, ttl = tokens.issue_access_token(user.id, uow.now)
    refresh, jti, refresh_ttl = tokens.new_refresh_token(user.id, uow.now)
    uow.execute(
        "INSERT INTO refresh_tokens (jti, user_id, expires_at, created_at) VALUES (:j, :u, :e, :now)",
        {"j": jti, "u": user.id, "e": uow.now + timedelta(seconds=refresh_ttl), "now": uow.now},
    )
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=ttl, user=user_out(user),
                     is_new_user=is_new)


def _ensure_active(user: User) -> None:
    if user.status != "active":
        raise Unauthorized("ACCOUNT_BANNED", "账号已被停用，如有疑问请联系客服")


def _new_user(uow: UnitOfWork, **fields: object) -> User:
    user = User(created_at=uow.now, updated_at=uow.now, roles=[], **fields)
    uow.session.add(user)
    uow.flush()
    assert user.id is not None
    uow.publish(UserRegistered(user_id=user.id, via="wechat" if user.openid else "sms"))
    return user


def _wechat_session(code: str) -> dict:
    from shared.adapters.wechat import InvalidCode, WeChatError

    try:
        return clients.wechat().code_to_session(code)
    except InvalidCode:
        raise Unauthorized("WECHAT_CODE_INVALID", "微信登录凭证无效或已过期，请重新登录") from None
    except WeChatError as exc:
        raise ServiceUnavailable("WECHAT_UNAVAILABLE", "微信服务暂时不可用，请稍后再试") from exc


def bind_wechat(uow: UnitOfWork, user_id: int, code: str) -> User:
    """Attach the WeChat identity (wx.login in the mini-program) to an account that signed up by SMS: payouts are
    WeChat transfers to an openid, and content checks and subscribe messages need one too."""
    openid = _wechat_session(code)["openid"]
    owner = uow.session.exec(select(User).where(User.openid == openid)).first()
    if owner is not None and owner.id != user_id:
        raise Conflict("WECHAT_TAKEN", "该微信已绑定其他账号")
    user = uow.session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("USER_NOT_FOUND", "用户不存在")
    if user.openid not in (None, openid):
        raise Conflict("WECHAT_ALREADY_BOUND", "账号已绑定其他微信")
    if user.openid is None:
        user.openid, user.updated_at = openid, uow.now
        uow.session.add(user)
        uow.publish(WeChatBound(user_id=user_id))
    return user


def login_with_wechat(uow: UnitOfWork, code: str) -> TokenPair:
    session = _wechat_session(code)
    openid = session["openid"]
    # Lock-free upsert: two concurrent first logins of the same openid must yield one user.
    inserted = uow.execute(
        "INSERT INTO users (openid, unionid, roles, created_at, updated_at) VALUES (:o, :u, '{}', :now, :now)"
        " ON CONFLICT (openid) DO NOTHING RETURNING id",
        {"o": openid, "u": session.get("unionid"), "now": uow.now},
    ).first()
    user = uow.session.exec(select(User).where(User.openid == openid)).one()
    # New only if this request inserted the row (not "created at this instant": a fixed or coarse clock, or two
    # logins in the same microsecond, would make every login look like a registration).
    is_new = inserted is not None
    if is_new:
        assert user.id is not None
        uow.publish(UserRegistered(user_id=user.id, via="wechat"))
    _ensure_active(user)
    return _issue(uow, user, is_new=is_new)


def _code_hash(phone: str, code: str) -> str:
    key = get_settings().token_secret.encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def send_sms_code(phone: str) -> tuple[int, int]:
    """Send a 6-digit code; returns its validity and the wait before another send, in seconds. Limits: one per phone
    per 60 s, 10 per day.

    Three steps, the SMS call between two short transactions (never inside one): reserve the code — the per-phone
    advisory lock serialises two quick taps, so only one passes the 60 s check — then send, then, if the send
    failed, take the reservation back so a failure does not count against the limits."""
    from shared.adapters.sms import SmsError

    code = f"{secrets.randbelow(1_000_000):06d}"
    code_id, ttl, resend = run(lambda uow: _reserve_sms_code(uow, phone, code))
    try:
        clients.sms().send_code(phone, code, ttl // 60)
    except SmsError as exc:
        run(lambda uow: uow.execute("DELETE FROM sms_codes WHERE id = :id", {"id": code_id}))
        raise ServiceUnavailable("SMS_UNAVAILABLE", "短信发送失败，请稍后再试") from exc
    return ttl, resend


def _reserve_sms_code(uow: UnitOfWork, phone: str, code: str) -> tuple[int, int, int]:
    rules = load_rules(uow)
    uow.execute("SELECT pg_advisory_xact_lock(hashtext(:p))", {"p": "sms:" + phone})
    last = uow.execute(
        "SELECT max(created_at) AS last, count(*) FILTER (WHERE created_at >= :day) AS today"
        " FROM sms_codes WHERE phone = :p AND created_at >= :day - interval '1 day'",
        {"p": phone, "day": start_of_shanghai_day(uow.now)},
    ).one()
    if last.last is not None and uow.now - last.last < timedelta(seconds=rules.sms_resend_seconds):
        wait = rules.sms_resend_seconds - int((uow.now - last.last).total_seconds())
        raise TooManyRequests("SMS_TOO_FREQUENT", f"验证码发送过于频繁，请 {wait} 秒后再试", retry_after=wait)
    if last.today >= rules.sms_daily_limit:
        raise TooManyRequests("SMS_DAILY_LIMIT", "今日验证码发送次数已达上限，请明天再试")
    code_id = uow.execute(
        "INSERT INTO sms_codes (phone, code_hash, expires_at, created_at) VALUES (:p, :h, :e, :now) RETURNING id",
        {"p": phone, "h": _code_hash(phone, code), "e": uow.now + timedelta(seconds=rules.sms_code_ttl_seconds),
         "now": uow.now},
    ).scalar_one()
    return int(code_id), rules.sms_code_ttl_seconds, rules.sms_resend_seconds


def check_sms_code(uow: UnitOfWork, phone: str, code: str) -> None:
    """Consume the phone's latest code if `code` matches; count a wrong try. Raises on failure.

    Must run before any other write of the use case (a wrong try commits the attempt count).
    """
    rules = load_rules(uow)
    row = uow.execute(
        "SELECT id, code_hash, expires_at, attempts, consumed_at FROM sms_codes WHERE phone = :p"
        " ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE",
        {"p": phone},
    ).first()
    if row is None or row.consumed_at is not None or row.expires_at <= uow.now:
        raise ValidationFailed([{"field": "code", "message": "验证码已失效，请重新获取"}])
    if row.attempts >= rules.sms_max_attempts:
        raise TooManyRequests("SMS_CODE_LOCKED", "验证码错误次数过多，请重新获取")
    if not hmac.compare_digest(row.code_hash, _code_hash(phone, code)):
        # The wrong try must count even though the request fails: commit it, then refuse. Callers check the code
        # before doing any other write, so nothing else rides on this commit.
        uow.execute("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = :id", {"id": row.id})
        uow.commit()
        left = rules.sms_max_attempts - row.attempts - 1
        raise ValidationFailed([{"field": "code", "message": f"验证码错误，还可尝试 {left} 次"}])
    uow.execute("UPDATE sms_codes SET consumed_at = :now WHERE id = :id", {"now": uow.now, "id": row.id})


def login_with_sms(uow: UnitOfWork, phone: str, code: str) -> TokenPair:
    check_sms_code(uow, phone, code)
    user = uow.session.exec(select(User).where(User.phone == phone)).first()
    is_new = user is None
    if user is None:
        user = _new_user(uow, phone=phone)
    _ensure_active(user)
    return _issue(uow, user, is_new=is_new)


def _bind_phone(uow: UnitOfWork, user_id: int, phone: str) -> User:
    owner = uow.session.exec(select(User).where(User.phone == phone)).first()
    if owner is not None and owner.id != user_id:
        raise Conflict("PHONE_TAKEN", "该手机号已绑定其他账号")
    user = uow.session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("USER_NOT_FOUND", "用户不存在")
    user.phone = phone
    user.updated_at = uow.now
    uow.session.add(user)
    uow.publish(PhoneBound(user_id=user_id))
    return user


def bind_phone_with_sms(uow: UnitOfWork, user_id: int, phone: str, code: str) -> User:
    check_sms_code(uow, phone, code)
    return _bind_phone(uow, user_id, phone)


def bind_phone_with_wechat(uow: UnitOfWork, user_id: int, code: str) -> User:
    from shared.adapters.wechat import InvalidCode, WeChatError

    try:
        raw = clients.wechat().phone_number(code)
    except InvalidCode:
        raise ValidationFailed([{"field": "code", "message": "手机号授权凭证无效或已过期"}]) from None
    except WeChatError as exc:
        raise ServiceUnavailable("WECHAT_UNAVAILABLE", "微信服务暂时不可用，请稍后再试") from exc
    from shared.auth.schemas import normalize_phone

    try:
        phone = normalize_phone(raw)
    except ValueError:
        raise ValidationFailed([{"field": "code", "message": "仅支持中国大陆手机号"}]) from None
    return _bind_phone(uow, user_id, phone)


def refresh(uow: UnitOfWork, refresh_token: str) -> TokenPair:
    try:
        claims = tokens.decode(refresh_token, expected_type="refresh", at=uow.now)
    except tokens.TokenError as exc:
        raise Unauthorized(exc.code, exc.message) from None
    row = uow.execute(
        "SELECT user_id, revoked_at, replaced_by FROM refresh_tokens WHERE jti = :j FOR UPDATE",
        {"j": claims["jti"]},
    ).first()
    if row is None:
        raise Unauthorized("INVALID_TOKEN", "登录凭证无效")
    if row.revoked_at is not None:
        if row.replaced_by is not None:
            # A rotated token came back: someone holds a copy. Revoke every live token of this user, keep that
            # even though this request fails.
            uow.execute("UPDATE refresh_tokens SET revoked_at = :now WHERE user_id = :u AND revoked_at IS NULL",
                        {"now": uow.now, "u": row.user_id})
            uow.commit()
        raise Unauthorized("TOKEN_REVOKED", "登录已失效，请重新登录")
    user = uow.session.get(User, row.user_id)
    if user is None:
        raise Unauthorized("INVALID_TOKEN", "登录凭证无效")
    _ensure_active(user)
    pair = _issue(uow, user)
    new_jti = tokens.decode(pair.refresh_token, expected_type="refresh", at=uow.now)["jti"]
    uow.execute("UPDATE refresh_tokens SET revoked_at = :now, replaced_by = :n WHERE jti = :j",
                {"now": uow.now, "n": new_jti, "j": claims["jti"]})
    return pair


def logout(uow: UnitOfWork, user_id: int, refresh_token: str) -> None:
    try:
        claims = tokens.decode(refresh_token, expected_type="refresh", at=uow.now)
    except tokens.TokenError:
        return  # logging out with a dead token is already done
    uow.execute("UPDATE refresh_tokens SET revoked_at = :now WHERE jti = :j AND user_id = :u AND revoked_at IS NULL",
                {"now": uow.now, "j": claims["jti"], "u": user_id})


def get_user(uow: UnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("USER_NOT_FOUND", "用户不存在")
    return user


def grant_role(uow: UnitOfWork, user_id: int, role: str) -> None:
    uow.execute(
        "UPDATE users SET roles = array_append(roles, :r), updated_at = :now WHERE id = :u AND NOT (:r = ANY(roles))",
        {"r": role, "u": user_id, "now": uow.now},
    )


def make_admin(uow: UnitOfWork, phone: str) -> int:
    """Give the admin role to the user with this phone, creating the account if needed (`make admin`). Returns the
    user id. Audited with no admin id: it is run from the command line by whoever operates the deployment."""
    user = uow.session.exec(select(User).where(User.phone == phone)).first()
    if user is None:
        user = User(phone=phone, nickname="运营", roles=[], created_at=uow.now, updated_at=uow.now)
        uow.session.add(user)
        uow.flush()
        assert user.id is not None
        uow.publish(UserRegistered(user_id=user.id, via="admin"))
    assert user.id is not None
    grant_role(uow, user.id, "admin")
    uow.publish(AdminAudited(admin_id=None, action="user.grant_admin", entity_name="user", entity_id=user.id,
                             after={"role": "admin"}, subject_user_id=user.id))
    return user.id
