"""HTTP routes of the `auth` function."""

from __future__ import annotations

from pydantic import BaseModel

from shared.auth import schemas as s
from shared.auth import service
from shared.http.router import Request, Router
from shared.uow import run

router = Router("auth")


class SmsSent(BaseModel):
    expires_in: int
    resend_after: int


class Ok(BaseModel):
    ok: bool = True


@router.post("/auth/wechat", summary="微信登录（wx.login code 换取登录凭证）", body=s.WeChatLogin, response=s.TokenPair,
             auth=False, errors=("WECHAT_CODE_INVALID", "ACCOUNT_BANNED", "WECHAT_UNAVAILABLE"))
def wechat_login(req: Request, body: s.WeChatLogin) -> s.TokenPair:
    return run(lambda uow: service.login_with_wechat(uow, body.code))


@router.post("/auth/sms/send", summary="发送短信验证码", body=s.SmsSend, response=SmsSent, auth=False,
             errors=("SMS_TOO_FREQUENT", "SMS_DAILY_LIMIT", "SMS_UNAVAILABLE"))
def sms_send(req: Request, body: s.SmsSend) -> SmsSent:
    ttl, resend_after = service.send_sms_code(body.phone)  # opens its own short transactions around the send
    return SmsSent(expires_in=ttl, resend_after=resend_after)


@router.post("/auth/sms/login", summary="手机号 + 短信验证码登录", body=s.SmsLogin, response=s.TokenPair, auth=False,
             errors=("SMS_CODE_LOCKED", "ACCOUNT_BANNED"))
def sms_login(req: Request, body: s.SmsLogin) -> s.TokenPair:
    return run(lambda uow: service.login_with_sms(uow, body.phone, body.code))


@router.post("/auth/wechat/bind", summary="为短信注册的账号绑定微信（wx.login code）", body=s.WeChatLogin,
             response=s.UserOut,
             errors=("WECHAT_TAKEN", "WECHAT_ALREADY_BOUND", "WECHAT_CODE_INVALID", "USER_NOT_FOUND",
                     "WECHAT_UNAVAILABLE"))
def bind_wechat(req: Request, body: s.WeChatLogin) -> s.UserOut:
    return run(lambda uow: service.user_out(service.bind_wechat(uow, req.user_id, body.code)))


@router.post("/auth/phone/sms", summary="用短信验证码绑定手机号", body=s.SmsLogin, response=s.UserOut,
             errors=("PHONE_TAKEN", "USER_NOT_FOUND", "SMS_CODE_LOCKED"))
def bind_phone_sms(req: Request, body: s.SmsLogin) -> s.UserOut:
    return run(lambda uow: service.user_out(service.bind_phone_with_sms(uow, req.user_id, body.phone, body.code)))


@router.post("/auth/phone/wechat", summary="用微信手机号快速验证绑定手机号", body=s.PhoneByWeChat, response=s.UserOut,
             errors=("PHONE_TAKEN", "USER_NOT_FOUND", "WECHAT_UNAVAILABLE"))
def bind_phone_wechat(req: Request, body: s.PhoneByWeChat) -> s.UserOut:
    return run(lambda uow: service.user_out(service.bind_phone_with_wechat(uow, req.user_id, body.code)))


@router.post("/auth/refresh", summary="刷新登录凭证（轮换 refresh token）", body=s.RefreshRequest, response=s.TokenPair,
             auth=False, errors=("TOKEN_REVOKED", "TOKEN_EXPIRED", "ACCOUNT_BANNED", "INVALID_TOKEN"))
def refresh(req: Request, body: s.RefreshRequest) -> s.TokenPair:
    return run(lambda uow: service.refresh(uow, body.refresh_token))


@router.post("/auth/logout", summary="退出登录", body=s.RefreshRequest, response=Ok)
def logout(req: Request, body: s.RefreshRequest) -> Ok:
    run(lambda uow: service.logout(uow, req.user_id, body.refresh_token))
    return Ok()


@router.get("/auth/me", summary="当前用户", response=s.UserOut, errors=("USER_NOT_FOUND",))
def me(req: Request) -> s.UserOut:
    return run(lambda uow: service.user_out(service.get_user(uow, req.user_id)))
