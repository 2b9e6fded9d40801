"""WeChat mini-program server APIs through wechatpy.

wechatpy (and requests under it) is imported lazily, on the first call that needs a client: a function pays
for the import at cold start only if it talks to WeChat.

wechatpy hard-codes https://api.weixin.qq.com (client and API-class base URLs, the token URL); the client
subclass below sends every request to `api_base` instead, so tests and local runs can point it at
`infra/fakes/wechat.py`.

The access token comes from `cgi-bin/stable_token` (getStableAccessToken, normal mode), not wechatpy's
`cgi-bin/token`: every SCF container holds its own client, and each `cgi-bin/token` call issues a new token that
retires the others after 5 minutes, so containers would invalidate each other's tokens (and spend the 2,000 calls a
day). The stable endpoint answers every caller the same token while it is valid, 500,000 calls a day. Never
force_refresh: that retires the token every other container is using.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

log = logging.getLogger("codelink.wechat")

WECHAT_API_BASE = "https://api.weixin.qq.com/"
# 40029 invalid code (unknown or expired), 40163 code already used: both mean "ask the user again".
INVALID_CODE_ERRCODES = frozenset({40029, 40163})
# The user holds no (remaining) one-time authorisation for this subscribe-message template.
NO_SUBSCRIPTION_ERRCODE = 43101


RISKY_CONTENT = 87014  # msg_sec_check v1: the content is risky


class WeChatError(Exception):
    """WeChat refused a call (`errcode`/`errmsg` as WeChat gave them) or was unreachable (`errcode` None)."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class InvalidCode(WeChatError):
    """A login (js) code or phone code that is unknown, expired or already used."""


@dataclass(frozen=True)
class TextCheck:
    """msg_sec_check v2 verdict: `suggest` pass | review | risky; `label` 100 = normal, else a category."""

    suggest: str
    label: int

    @property
    def passed(self) -> bool:
        return self.suggest == "pass"


@lru_cache(maxsize=1)
def _client_class() -> type:
    """Build (once) the wechatpy client subclass that honours `api_base`. Imports wechatpy/requests here."""
    import time

    import requests
    from wechatpy import WeChatClient
    from wechatpy.exceptions import WeChatClientException

    class _TimeoutSession(requests.Session):
        # wechatpy fetches the access token without a timeout; a function must not hang on WeChat.
        def __init__(self, timeout: float) -> None:
            super().__init__()
            self.default_timeout = timeout

        def request(self, method, url, *args, **kwargs):
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = self.default_timeout
            return super().request(method, url, *args, **kwargs)

    class _Client(WeChatClient):
        def __init__(self, appid: str, secret: str, api_base: str, timeout: float) -> None:
            super().__init__(appid, secret, timeout=timeout)
            self.api_base = api_base.rstrip("/") + "/"
            self._http = _TimeoutSession(timeout)

        def _request(self, method, url_or_endpoint, **kwargs):
            from shared.txguard import assert_outside_transaction  # never inside a transaction
            assert_outside_transaction("WeChat " + str(url_or_endpoint))
            # Resolve relative endpoints the way wechatpy does (per-API `api_base_url`, else the client's),
            # then swap the hard-coded host for ours. Absolute URLs of some wechatpy APIs get the same.
            if not url_or_endpoint.startswith(("http://", "https://")):
                url_or_endpoint = kwargs.pop("api_base_url", self.API_BASE_URL) + url_or_endpoint
            if url_or_endpoint.startswith(WECHAT_API_BASE):
                url_or_endpoint = self.api_base + url_or_endpoint[len(WECHAT_API_BASE) :]
            return super()._request(method, url_or_endpoint, **kwargs)

        def fetch_access_token(self):
            # wechatpy's _fetch_access_token, but POST JSON to the stable endpoint (see the module docstring).
            body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                    "force_refresh": False}
            res = self._http.post(self.api_base + "cgi-bin/stable_token", json=body)
            try:
                res.raise_for_status()
            except requests.RequestException as exc:
                raise WeChatClientException(None, None, client=self, request=exc.request,
                                            response=exc.response) from exc
            result = res.json()
            if result.get("errcode"):
                raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self,
                                            request=res.request, response=res)
            expires_in = int(result.get("expires_in", 7200))
            self.session.set(self.access_token_key, result["access_token"], expires_in)
            self.expires_at = int(time.time()) + expires_in
            return result

    return _Client


@contextmanager
def _wechat_errors() -> Iterator[None]:
    """Turn wechatpy/requests exceptions into this module's WeChatError family."""
    import requests
    from wechatpy.exceptions import WeChatClientException

    try:
        yield
    except WeChatClientException as exc:
        if exc.errcode is None:  # an HTTP error status, not a WeChat errcode
            status = getattr(exc.response, "status_code", None)
            raise WeChatError(None, f"HTTP status {status}") from exc
        errcode = int(exc.errcode)
        if errcode in INVALID_CODE_ERRCODES:
            raise InvalidCode(errcode, str(exc.errmsg)) from exc
        raise WeChatError(errcode, str(exc.errmsg)) from exc
    except requests.RequestException as exc:
        raise WeChatError(None, f"cannot reach WeChat: {exc}") from exc


class WeChatGateway:
    """The mini-program server APIs CodeLink uses. One instance per process: it caches the access token."""

    def __init__(
        self, appid: str, secret: str, api_base: str = WECHAT_API_BASE, timeout: float = 5.0
    ) -> None:
        self.appid = appid
        self._secret = secret
        self.api_base = api_base.rstrip("/") + "/"
        self.timeout = timeout
        self._client_instance: Any = None

    @classmethod
    def from_settings(cls, settings: Any) -> WeChatGateway:
        return cls(settings.wechat_appid, settings.wechat_secret, settings.wechat_api_base)

    @property
    def client(self) -> Any:
        """The underlying wechatpy `WeChatClient` (created on first use)."""
        if self._client_instance is None:
            self._client_instance = _client_class()(self.appid, self._secret, self.api_base, self.timeout)
        return self._client_instance

    def code_to_session(self, js_code: str) -> dict:
        """wx.login code -> {"openid", "session_key", "unionid"} (unionid None without an open platform)."""
        with _wechat_errors():
            # Same call as wechatpy's wxa.code_to_session, but with params as a list of pairs: wechatpy then
            # adds no access_token (jscode2session needs none), so a login costs one round trip, not two.
            result = self.client.get(
                "sns/jscode2session",
                api_base_url=self.api_base,
                params=[
                    ("appid", self.appid),
                    ("secret", self._secret),
                    ("js_code", js_code),
                    ("grant_type", "authorization_code"),
                ],
            )
        return {
            "openid": result["openid"],
            "session_key": result["session_key"],
            "unionid": result.get("unionid"),
        }

    def phone_number(self, code: str) -> str:
        """getPhoneNumber code -> the user's phone number in E.164 ("+8613800138000")."""
        with _wechat_errors():
            result = self.client.post(
                "wxa/business/getuserphonenumber", api_base_url=self.api_base, data={"code": code}
            )
        info = result["phone_info"]
        return f"+{info['countryCode']}{info['purePhoneNumber']}"

    def check_text(self, content: str, openid: str, scene: int = 2) -> TextCheck:
        """msg_sec_check v2. scene: 1 profile, 2 comment, 3 forum, 4 social log. `openid`: the author.

        v2 needs the author's openid; a user who signed up by SMS has none, so their text goes through the v1 form,
        which only answers pass or risky (errcode 87014).
        """
        if not openid:
            try:
                with _wechat_errors():
                    self.client.post("wxa/msg_sec_check", api_base_url=self.api_base, data={"content": content})
            except WeChatError as exc:
                if exc.errcode == RISKY_CONTENT:
                    return TextCheck(suggest="risky", label=RISKY_CONTENT)
                raise
            return TextCheck(suggest="pass", label=100)
        with _wechat_errors():
            result = self.client.post(
                "wxa/msg_sec_check",
                api_base_url=self.api_base,
                data={"content": content, "version": 2, "scene": scene, "openid": openid},
            )
        verdict = result["result"]
        return TextCheck(suggest=str(verdict["suggest"]), label=int(verdict["label"]))

    def send_subscribe_message(
        self, openid: str, template_id: str, data: Mapping[str, Any], page: str | None = None
    ) -> bool:
        """Send a subscribe message; False when the user holds no one-time authorisation for `template_id`.

        `data` is {field: value} or WeChat's {field: {"value": value}}; plain values are wrapped.
        """
        payload = {k: v if isinstance(v, Mapping) else {"value": str(v)} for k, v in data.items()}
        try:
            with _wechat_errors():
                self.client.wxa.send_subscribe_message(openid, template_id, payload, page=page)
        except WeChatError as exc:
            if exc.errcode == NO_SUBSCRIPTION_ERRCODE:
                log.info("subscribe message %s to %s refused: no authorisation left", template_id, openid)
                return False
            raise
        return True

    def wxa_code(self, scene: str, page: str | None = None) -> bytes:
        """An unlimited mini-program code (PNG bytes). `scene` ≤ 32 chars; `page` without a leading "/"."""
        with _wechat_errors():
            response = self.client.wxa.get_wxa_code_unlimited(scene, page=page)
        # wechatpy returns the raw response for a non-JSON (image) body, and raises on a JSON errcode.
        content = getattr(response, "content", None)
        if not isinstance(content, bytes):
            raise WeChatError(None, f"expected an image, got {response!r}")
        return content
