from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

_MAINLAND_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def normalize_phone(value: str) -> str:
    """Mainland mobile numbers in any common form → E.164 (+86…)."""
    m = _MAINLAND_MOBILE.match(value.replace(" ", "").replace("-", ""))
    if not m:
        raise ValueError("手机号格式不正确")
    return "+86" + m.group(1)


class WeChatLogin(BaseModel):
    code: str = Field(min_length=1, max_length=128, description="wx.login() 返回的 code")


class SmsSend(BaseModel):
    phone: str = Field(description="中国大陆手机号")

    _norm = field_validator("phone")(classmethod(lambda cls, v: normalize_phone(v)))


class SmsLogin(BaseModel):
    phone: str
    code: str = Field(pattern=r"^\d{6}$", description="6 位短信验证码")

    _norm = field_validator("phone")(classmethod(lambda cls, v: normalize_phone(v)))


class PhoneByWeChat(BaseModel):
    code: str = Field(min_length=1, max_length=256, description="getPhoneNumber 返回的 code")


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=2048)


class UserOut(BaseModel):
    id: int
    nickname: str
    roles: list[str]
    phone_bound: bool
    wechat_bound: bool


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    user: UserOut
    is_new_user: bool = False
