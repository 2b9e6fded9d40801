"""Fake WeChat mini-program server APIs (api.weixin.qq.com) for tests and local runs.

wechatpy's `WeChatClient` talks to it unchanged once its base URLs point here. Served:

  GET  /cgi-bin/token                    client_credential -> access_token (expires; a new one retires
                                         the old ones after 5 minutes, like WeChat; 2,000 calls a day)
  POST /cgi-bin/stable_token             {grant_type, appid, secret, force_refresh} -> the stable access token
                                         (getStableAccessToken): the same token while it is valid, a new one in its
                                         last 5 minutes (the old one lasts until it expires); force_refresh issues
                                         a new one and retires the old at once, at most 20 a day and not within
                                         30 s of the previous (then the current one is answered); 500,000 calls a
                                         day. Its tokens and cgi-bin/token's are independent of each other.
  GET  /sns/jscode2session               js code -> openid, session_key, unionid (one use, 5 minutes)
  POST /wxa/business/getuserphonenumber  {code} -> phone_info (codes: one use, 5 minutes)
  POST /wxa/msg_sec_check                v2 {openid, scene, version: 2, content} -> result {suggest, label};
                                         without version=2 the v1 answer (errcode 87014 on risky content)
  POST /cgi-bin/message/subscribe/send   consumes one one-time authorisation, else errcode 43101
  POST /wxa/getwxacodeunlimit            -> a small PNG

Errors are WeChat's: HTTP 200 with {"errcode", "errmsg"}; access token 40001 invalid, 42001 expired,
41001 missing; 45009 a daily quota is used up (quotas count per Beijing day).

Controls (the mini-program side, which the real WeChat does through the client):
  POST /_fake/wechat/login-code  {user}                        -> {code, openid, unionid}  (wx.login)
  POST /_fake/wechat/phone-code  {phone, country_code?}        -> {code}  (getPhoneNumber)
  POST /_fake/wechat/subscribe   {openid, template_id, count}  -> {remaining}  (user accepts the templates)
  GET  /_fake/wechat/messages?openid=                          -> {messages: [...]}
and the same as Python methods (`mint_login_code`, `mint_phone_code`, `grant_subscription`, `messages`, ...).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import struct
import time
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from infra.fakes.base import FakeRequest, FakeResponse, FakeServer

log = logging.getLogger("codelink.fakes.wechat")

CODE_TTL_SECONDS = 5 * 60
# Daily quotas (developers.weixin.qq.com: getAccessToken 2,000/day; getStableAccessToken 500,000/day, of which
# force_refresh 20/day, at least 30 s apart).
TOKEN_DAILY_QUOTA = 2_000
STABLE_TOKEN_DAILY_QUOTA = 500_000
FORCE_REFRESH_DAILY_QUOTA = 20
FORCE_REFRESH_MIN_INTERVAL = 30
TOKEN_OVERLAP_SECONDS = 5 * 60  # a new token does not retire the previous one at once: it has 5 more minutes
_BEIJING_OFFSET = 8 * 3600
# Words that make msg_sec_check answer "risky", with WeChat's label: 20002 porn, 20006 crime, 20008 fraud.
DEFAULT_BLOCKLIST: Mapping[str, int] = {
    "赌博": 20006,
    "博彩": 20006,
    "色情": 20002,
    "代考": 20006,
    "替考": 20006,
    "刷单": 20008,
    "套现": 20008,
}
# Off-platform contact attempts -> "review" with label 10001 (advertising), as WeChat flags them.
DEFAULT_REVIEW_PATTERNS: Sequence[str] = (
    r"加.{0,2}(微信|薇信|v信|vx|wx)",
    r"(微信|vx|wx)\s*号?\s*[:：]\s*[A-Za-z0-9_-]{5,}",
    r"(qq|扣扣)\s*号",
    r"加.{0,2}(qq|扣扣)",
)
# Characters WeChat accepts in a mini-program code's `scene` (at most 32 of them).
_SCENE_RE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass
class _Code:
    value: dict
    expires_at: float
    used: bool = False


class FakeWeChat(FakeServer):
    name = "fake-wechat"

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        token_ttl: int = 7200,
        blocklist: Mapping[str, int] | None = None,
        review_patterns: Sequence[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`blocklist`: word -> label for "risky" (default `DEFAULT_BLOCKLIST`); `clock`: for time travel."""
        super().__init__(host, port)
        self.appid = appid
        self.secret = secret
        self.token_ttl = token_ttl
        self.blocklist = dict(DEFAULT_BLOCKLIST if blocklist is None else blocklist)
        patterns = DEFAULT_REVIEW_PATTERNS if review_patterns is None else review_patterns
        self.review_patterns = [re.compile(p, re.IGNORECASE) for p in patterns]
        self.clock = clock
        self._tokens: dict[str, float] = {}  # cgi-bin/token access token -> expires at
        self.tokens_issued = 0
        self._stable_tokens: dict[str, float] = {}  # stable_token access token -> expires at
        self._stable_current: str | None = None
        self._last_force_refresh: float | None = None
        self.stable_tokens_issued = 0
        self._calls: dict[tuple[str, int], int] = {}  # (quota, Beijing day number) -> calls
        self._login_codes: dict[str, _Code] = {}
        self._phone_codes: dict[str, _Code] = {}
        self._openids: dict[str, str] = {}  # openid -> user it was derived from
        # (openid, template_id) -> one-time authorisations left
        self._subscriptions: dict[tuple[str, str], int] = {}
        self._messages: list[dict] = []
        self._routes: dict[tuple[str, str], Callable[[FakeRequest], dict | FakeResponse]] = {
            ("GET", "/cgi-bin/token"): self._token,
            ("POST", "/cgi-bin/stable_token"): self._stable_token,
            ("GET", "/sns/jscode2session"): self._jscode2session,
            ("POST", "/wxa/business/getuserphonenumber"): self._phone_number,
            ("POST", "/wxa/msg_sec_check"): self._msg_sec_check,
            ("POST", "/cgi-bin/message/subscribe/send"): self._subscribe_send,
            ("POST", "/wxa/getwxacodeunlimit"): self._wxa_code_unlimited,
            ("POST", "/_fake/wechat/login-code"): self._control_login_code,
            ("POST", "/_fake/wechat/phone-code"): self._control_phone_code,
            ("POST", "/_fake/wechat/subscribe"): self._control_subscribe,
            ("GET", "/_fake/wechat/messages"): self._control_messages,
        }

    # --- HTTP ---
    def handle(self, request: FakeRequest) -> FakeResponse:
        route = self._routes.get((request.method, request.path))
        if route is None:
            return FakeResponse.json(
                {"errcode": 404, "errmsg": f"no such api {request.method} {request.path}"}, 404
            )
        try:
            result = route(request)
        except WeChatApiError as exc:
            log.info("WeChat %s -> errcode %s %s", request.path, exc.errcode, exc.errmsg)
            # WeChat answers errors with HTTP 200 and a request id ("rid") in errmsg.
            return FakeResponse.json(
                {"errcode": exc.errcode, "errmsg": f"{exc.errmsg} rid: {uuid.uuid4().hex[:24]}"}
            )
        except (ValueError, KeyError, TypeError) as exc:
            # A malformed request body (or a bug here: the traceback is logged to tell them apart).
            log.warning("WeChat %s: bad request", request.path, exc_info=True)
            if request.path.startswith("/_fake/"):
                return FakeResponse.json({"error": str(exc)}, 400)
            return FakeResponse.json({"errcode": 47001, "errmsg": f"data format error hint: {exc}"})
        return result if isinstance(result, FakeResponse) else FakeResponse.json(result)

    def _require_token(self, request: FakeRequest) -> None:
        token = request.query.get("access_token")
        if not token:
            raise WeChatApiError(41001, "access_token missing")
        with self.lock:
            expires_at = self._tokens.get(token, self._stable_tokens.get(token))
        if expires_at is None:
            raise WeChatApiError(40001, "invalid credential, access_token is invalid or not latest")
        if self.clock() >= expires_at:
            raise WeChatApiError(42001, "access_token expired")

    def _check_app(self, appid: str | None, secret: str | None) -> None:
        if appid != self.appid:
            raise WeChatApiError(40013, "invalid appid")
        if secret != self.secret:
            raise WeChatApiError(40125, "invalid appsecret")

    # --- APIs ---
    def _count(self, quota: str, limit: int) -> None:
        """Count one call against a daily quota (Beijing days), or refuse it with 45009."""
        day = int((self.clock() + _BEIJING_OFFSET) // 86400)
        with self.lock:
            used = self._calls.get((quota, day), 0)
            if used >= limit:
                raise WeChatApiError(45009, "reach max api daily quota limit")
            self._calls[(quota, day)] = used + 1

    def calls_today(self, quota: str) -> int:
        """Calls counted today against `quota`: "token", "stable_token" or "force_refresh"."""
        day = int((self.clock() + _BEIJING_OFFSET) // 86400)
        with self.lock:
            return self._calls.get((quota, day), 0)

    def _token(self, request: FakeRequest) -> dict:
        if request.query.get("grant_type") != "client_credential":
            raise WeChatApiError(40002, "invalid grant_type")
        self._check_app(request.query.get("appid"), request.query.get("secret"))
        self._count("token", TOKEN_DAILY_QUOTA)
        now = self.clock()
        token = secrets.token_urlsafe(96)
        with self.lock:
            # Getting a new token retires the previous ones after a 5-minute overlap: containers that each fetch
            # their own retire each other's. Stable tokens are not touched.
            for old, expires_at in self._tokens.items():
                self._tokens[old] = min(expires_at, now + TOKEN_OVERLAP_SECONDS)
            self._tokens[token] = now + self.token_ttl
            self.tokens_issued += 1
        return {"access_token": token, "expires_in": self.token_ttl}

    def _stable_token(self, request: FakeRequest) -> dict:
        body = request.json()
        if body.get("grant_type") != "client_credential":
            raise WeChatApiError(40002, "invalid grant_type")
        self._check_app(body.get("appid"), body.get("secret"))
        force = body.get("force_refresh", False)
        if not isinstance(force, bool):
            raise WeChatApiError(47001, "data format error hint: force_refresh must be a boolean")
        self._count("stable_token", STABLE_TOKEN_DAILY_QUOTA)
        now = self.clock()
        with self.lock:
            current = self._stable_current
            expires_at = self._stable_tokens.get(current, 0.0) if current else 0.0
            if force and current and self._last_force_refresh is not None \
                    and now - self._last_force_refresh < FORCE_REFRESH_MIN_INTERVAL:
                force = False  # "连续使用该模式时，请保证调用时间隔至少为30s，否则不会刷新"
            renew = current is None or now >= expires_at - TOKEN_OVERLAP_SECONDS
        if force:
            self._count("force_refresh", FORCE_REFRESH_DAILY_QUOTA)
        with self.lock:
            if force or renew:
                token = secrets.token_urlsafe(96)
                if force and current:
                    self._stable_tokens[current] = now  # the previous one stops working at once
                    self._last_force_refresh = now
                elif force:
                    self._last_force_refresh = now
                # Normal mode in the last 5 minutes: a new token, the previous one lives out its time.
                self._stable_tokens[token] = now + self.token_ttl
                self._stable_current = token
                self.stable_tokens_issued += 1
            token = self._stable_current or ""
            remaining = int(self._stable_tokens[token] - now)
        return {"access_token": token, "expires_in": remaining}

    def _jscode2session(self, request: FakeRequest) -> dict:
        # The real endpoint needs no access token (wechatpy sends one anyway; it is ignored here too).
        query = request.query
        self._check_app(query.get("appid"), query.get("secret"))
        if query.get("grant_type") != "authorization_code":
            raise WeChatApiError(40002, "invalid grant_type")
        identity = self._use_code(self._login_codes, query.get("js_code") or "")
        return {
            "openid": identity["openid"],
            "unionid": identity["unionid"],
            "session_key": base64.b64encode(secrets.token_bytes(16)).decode(),
        }

    def _phone_number(self, request: FakeRequest) -> dict:
        self._require_token(request)
        info = self._use_code(self._phone_codes, str(request.json().get("code") or ""))
        return {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {**info, "watermark": {"timestamp": int(self.clock()), "appid": self.appid}},
        }

    def _use_code(self, codes: dict[str, _Code], code: str) -> dict:
        with self.lock:
            entry = codes.get(code)
            if entry is None or self.clock() >= entry.expires_at:
                raise WeChatApiError(40029, "invalid code")
            if entry.used:
                raise WeChatApiError(40163, "code been used")
            entry.used = True
            return dict(entry.value)

    def _msg_sec_check(self, request: FakeRequest) -> dict:
        self._require_token(request)
        body = request.json()
        content = body.get("content")
        if not isinstance(content, str) or not content:
            raise WeChatApiError(47001, "data format error hint: content is required")
        verdict = self.check_content(content)
        if body.get("version") != 2:
            # v1: only a yes/no, as an error code.
            if verdict["suggest"] == "risky":
                raise WeChatApiError(87014, "risky content")
            return {"errcode": 0, "errmsg": "ok"}
        if body.get("scene") not in (1, 2, 3, 4):
            raise WeChatApiError(
                40003, "invalid scene, must be 1 (profile) 2 (comment) 3 (forum) 4 (social log)"
            )
        self._require_known_openid(body.get("openid"))
        return {
            "errcode": 0,
            "errmsg": "ok",
            "result": {"suggest": verdict["suggest"], "label": verdict["label"]},
            "detail": verdict["detail"],
            "trace_id": uuid.uuid4().hex,
        }

    def check_content(self, content: str) -> dict:
        """msg_sec_check's verdict: {suggest, label, detail}. Blocklist words win over review patterns."""
        for word, label in self.blocklist.items():
            if word in content:
                return {
                    "suggest": "risky",
                    "label": label,
                    "detail": [
                        {
                            "strategy": "keyword",
                            "errcode": 0,
                            "suggest": "risky",
                            "label": label,
                            "level": 90,
                            "keyword": word,
                        }
                    ],
                }
        for pattern in self.review_patterns:
            if pattern.search(content):
                return {
                    "suggest": "review",
                    "label": 10001,
                    "detail": [
                        {
                            "strategy": "content_model",
                            "errcode": 0,
                            "suggest": "review",
                            "label": 10001,
                            "prob": 80,
                        }
                    ],
                }
        return {
            "suggest": "pass",
            "label": 100,
            "detail": [
                {"strategy": "content_model", "errcode": 0, "suggest": "pass", "label": 100, "prob": 90}
            ],
        }

    def _require_known_openid(self, openid: object) -> str:
        with self.lock:
            known = isinstance(openid, str) and openid in self._openids
        if not known:
            raise WeChatApiError(40003, "invalid openid")
        return str(openid)

    def _subscribe_send(self, request: FakeRequest) -> dict:
        self._require_token(request)
        body = request.json()
        openid = self._require_known_openid(body.get("touser"))
        template_id, data = body.get("template_id"), body.get("data")
        if not isinstance(template_id, str) or not template_id:
            raise WeChatApiError(40037, "invalid template_id")
        if not isinstance(data, dict) or not data:
            raise WeChatApiError(47003, "argument invalid! data is empty")
        for key, item in data.items():
            if not isinstance(item, dict) or not isinstance(item.get("value"), str) or not item["value"]:
                raise WeChatApiError(47003, f"argument invalid! data.{key}.value is empty")
        with self.lock:
            remaining = self._subscriptions.get((openid, template_id), 0)
            if remaining <= 0:
                raise WeChatApiError(43101, "user refuse to accept the msg")
            self._subscriptions[(openid, template_id)] = remaining - 1
            msgid = secrets.randbelow(2**62)
            self._messages.append(
                {
                    "msgid": msgid,
                    "openid": openid,
                    "template_id": template_id,
                    "page": body.get("page"),
                    "data": data,
                    "miniprogram_state": body.get("miniprogram_state", "formal"),
                    "sent_at": self.clock(),
                }
            )
        log.info("WeChat subscribe message to %s (%s): %s", openid, template_id, data)
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    def _wxa_code_unlimited(self, request: FakeRequest) -> FakeResponse:
        self._require_token(request)
        body = request.json()
        scene, page = body.get("scene"), body.get("page")
        if not isinstance(scene, str) or not _SCENE_RE.match(scene):
            raise WeChatApiError(40169, "invalid length for scene, or the data is not json string")
        if page is not None and (not isinstance(page, str) or page.startswith("/")):
            # WeChat wants "pages/x/y" without the leading slash.
            raise WeChatApiError(41030, "invalid page hint")
        return FakeResponse(200, _png_for(f"{scene}|{page or ''}"), {"Content-Type": "image/png"})

    # --- controls over HTTP ---
    def _control_login_code(self, request: FakeRequest) -> dict:
        user = str(request.json()["user"])
        code = self.mint_login_code(user)
        return {"code": code, "openid": self.openid_for(user), "unionid": self.unionid_for(user)}

    def _control_phone_code(self, request: FakeRequest) -> dict:
        body = request.json()
        return {"code": self.mint_phone_code(str(body["phone"]), body.get("country_code"))}

    def _control_subscribe(self, request: FakeRequest) -> dict:
        body = request.json()
        remaining = self.grant_subscription(
            str(body["openid"]), str(body["template_id"]), int(body.get("count", 1))
        )
        return {"remaining": remaining}

    def _control_messages(self, request: FakeRequest) -> dict:
        return {"messages": self.messages(request.query.get("openid") or None)}

    # --- controls in Python ---
    def openid_for(self, user: str) -> str:
        """The stable openid of `user` for this appid (28 characters, starting with "o", like WeChat's)."""
        openid = "o" + _digest(f"openid:{self.appid}:{user}")[:27]
        with self.lock:
            self._openids[openid] = user
        return openid

    def unionid_for(self, user: str) -> str:
        return "o" + _digest(f"unionid:{user}")[:27]

    def mint_login_code(self, user: str) -> str:
        """A fresh js code for `user`, as wx.login would give the mini-program (one use, 5 minutes)."""
        openid = self.openid_for(user)
        code = secrets.token_hex(16)
        with self.lock:
            self._login_codes[code] = _Code(
                {"openid": openid, "unionid": self.unionid_for(user)}, self.clock() + CODE_TTL_SECONDS
            )
        log.info("WeChat login code for user %r (openid %s): %s", user, openid, code)
        return code

    def mint_phone_code(self, phone: str, country_code: str | None = None) -> str:
        """A getPhoneNumber code for `phone`: "13800138000", "+8613800138000", or with `country_code`."""
        phone = re.sub(r"[\s-]", "", phone)
        if phone.startswith("+"):
            if country_code is None:
                if not phone.startswith("+86"):
                    raise ValueError("give country_code for a phone number outside +86")
                country_code = "86"
            pure = phone[1 + len(country_code) :]
        else:
            country_code = country_code or "86"
            pure = phone
        if not pure.isdigit():
            raise ValueError(f"not a phone number: {phone!r}")
        # Like WeChat: phoneNumber carries the country code only for numbers outside China.
        info = {
            "phoneNumber": pure if country_code == "86" else f"+{country_code}{pure}",
            "purePhoneNumber": pure,
            "countryCode": country_code,
        }
        code = secrets.token_hex(16)
        with self.lock:
            self._phone_codes[code] = _Code(info, self.clock() + CODE_TTL_SECONDS)
        log.info("WeChat phone code for +%s %s: %s", country_code, pure, code)
        return code

    def grant_subscription(self, openid: str, template_id: str, count: int = 1) -> int:
        """The user accepts `count` one-time subscriptions to `template_id`; returns how many are left."""
        with self.lock:
            key = (openid, template_id)
            self._subscriptions[key] = self._subscriptions.get(key, 0) + count
            return self._subscriptions[key]

    def remaining_subscriptions(self, openid: str, template_id: str) -> int:
        with self.lock:
            return self._subscriptions.get((openid, template_id), 0)

    def messages(self, openid: str | None = None) -> list[dict]:
        """Subscribe messages sent so far, oldest first; only those to `openid` when given."""
        with self.lock:
            return [dict(m) for m in self._messages if openid is None or m["openid"] == openid]

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired (clients then get 42001 and must fetch a new one)."""
        now = self.clock()
        with self.lock:
            for token in self._tokens:
                self._tokens[token] = now
            for token in self._stable_tokens:
                self._stable_tokens[token] = now


def _digest(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def _png_for(seed: str, size: int = 32) -> bytes:
    """A small valid grayscale PNG, its pattern depending on `seed` (stands in for a mini-program code)."""
    bits = hashlib.sha256(seed.encode("utf-8")).digest()
    rows = b""
    for y in range(size):
        row = bytes(
            0 if (bits[((y // 4) * (size // 4) + x // 4) % len(bits)] >> ((x + y) % 8)) & 1 else 255
            for x in range(size)
        )
        rows += b"\x00" + row  # filter type 0 per scanline

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit grayscale, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
