"""Signed, expiring tokens (compact JWS, HS256) — written by hand because it is 40 lines and keeps PyJWT out of
every function's cold start.

Access tokens are short-lived and stateless. Refresh tokens carry a `jti` recorded in `refresh_tokens`, rotated on
every use; reusing a rotated one revokes the whole family (a stolen refresh token stops working).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime

from shared import clock
from shared.config import get_settings


class TokenError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


def _sign(signing_input: str) -> str:
    key = get_settings().token_secret.encode()
    return _b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())


def encode(claims: dict) -> str:
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{_HEADER}.{payload}"
    return f"{signing_input}.{_sign(signing_input)}"


def decode(token: str, *, expected_type: str, at: datetime | None = None) -> dict:
    try:
        header, payload, signature = token.split(".")
        # Compare bytes: compare_digest refuses non-ASCII str, and a forged token may carry anything.
        valid = header == _HEADER and hmac.compare_digest(signature.encode(), _sign(f"{header}.{payload}").encode())
    except (ValueError, UnicodeError):
        raise TokenError("INVALID_TOKEN", "登录凭证无效") from None
    if not valid:
        raise TokenError("INVALID_TOKEN", "登录凭证无效")
    try:
        claims = json.loads(_unb64(payload))
    except ValueError:
        raise TokenError("INVALID_TOKEN", "登录凭证无效") from None
    if claims.get("typ") != expected_type:
        raise TokenError("INVALID_TOKEN", "登录凭证类型不正确")
    now = (at or clock.now()).timestamp()
    if int(claims.get("exp", 0)) <= now:
        raise TokenError("TOKEN_EXPIRED", "登录已过期，请重新登录")
    return claims


def issue_access_token(user_id: int, at: datetime | None = None) -> tuple[str, int]:
    settings = get_settings()
    now = int((at or clock.now()).timestamp())
    ttl = settings.access_token_ttl_seconds
    return encode({"sub": str(user_id), "typ": "access", "iat": now, "exp": now + ttl}), ttl


def new_refresh_token(user_id: int, at: datetime | None = None) -> tuple[str, str, int]:
    """Returns (token, jti, ttl). The caller records the jti."""
    settings = get_settings()
    now = int((at or clock.now()).timestamp())
    jti = secrets.token_urlsafe(18)
    ttl = settings.refresh_token_ttl_seconds
    return encode({"sub": str(user_id), "typ": "refresh", "jti": jti, "iat": now, "exp": now + ttl}), jti, ttl


def verify_access_token(token: str) -> int:
    claims = decode(token, expected_type="access")
    try:
        return int(claims["sub"])
    except (KeyError, ValueError):
        raise TokenError("INVALID_TOKEN", "登录凭证无效") from None
