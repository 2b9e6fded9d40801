"""A small HTTP client for the local platform, as the mini-program would call it (used by the seed and the demo).

Only the standard library: the demo must run before anything else is imported.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


class CallFailed(Exception):
    pass


@dataclass
class Answer:
    status: int
    body: Any

    def __getitem__(self, key: str) -> Any:
        return self.body[key]


def request(method: str, url: str, body: Any = None, token: str | None = None,
            query: dict[str, Any] | None = None) -> Answer:
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback URLs we build
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as err:
        raw, status = err.read(), err.code
    return Answer(status, json.loads(raw) if raw else None)


@dataclass
class Actor:
    name: str
    user_id: int
    token: str


def dev_ports() -> dict[str, int]:
    """`make dev`'s ports: the gateway on CODELINK_PORT_BASE (default 9000), the H5 client at base+100, the fakes at
    base+101 … base+104, the lottery's fake drand beacon at base+108."""
    base = int(os.environ.get("CODELINK_PORT_BASE", "9000"))
    return {"gateway": base, "h5": base + 100, "wechat": base + 101, "sms": base + 102, "scf": base + 103,
            "wechatpay": base + 104, "beacon": base + 108}


class LocalClient:
    """The gateway (functions) plus the fakes' dev controls (wx.login codes, SMS inbox, paying)."""

    def __init__(self, gateway: str | None = None, wechat: str | None = None, sms: str | None = None,
                 wechatpay: str | None = None) -> None:
        # Defaults: `make dev`'s fixed ports (CODELINK_PORT_BASE moves them all, so two checkouts can run side by side).
        ports = dev_ports()
        self.gateway = gateway or f"http://127.0.0.1:{ports['gateway']}"
        self.wechat = wechat or f"http://127.0.0.1:{ports['wechat']}"
        self.sms = sms or f"http://127.0.0.1:{ports['sms']}"
        self.wechatpay = wechatpay or f"http://127.0.0.1:{ports['wechatpay']}"

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             query: dict[str, Any] | None = None) -> Answer:
        return request(method, self.gateway + path, body, token, query)

    def expect(self, status: int, method: str, path: str, body: Any = None, token: str | None = None,
               query: dict[str, Any] | None = None) -> Answer:
        answer = self.call(method, path, body, token, query)
        if answer.status != status:
            raise CallFailed(f"{method} {path} → {answer.status} (expected {status}): {answer.body}")
        return answer

    def healthy(self) -> bool:
        try:
            return request("GET", self.gateway + "/healthz").status == 200
        except OSError:
            return False

    # --- what the mini-program gets from WeChat on the phone ---
    def wx_login(self, user: str) -> Actor:
        code = request("POST", self.wechat + "/_fake/wechat/login-code", {"user": user})["code"]
        r = self.expect(200, "POST", "/auth/wechat", {"code": code})
        return Actor(user, r["user"]["id"], r["access_token"])

    def sms_login(self, phone: str) -> Actor:
        self.expect(200, "POST", "/auth/sms/send", {"phone": phone})
        e164 = "+86" + phone[-11:]
        messages = request("GET", self.sms + "/_fake/sms/messages", query={"phone": e164}).body
        items = messages.get("messages", messages) if isinstance(messages, dict) else messages
        code = _sms_code(items[-1])
        r = self.expect(200, "POST", "/auth/sms/login", {"phone": phone, "code": code})
        return Actor(phone, r["user"]["id"], r["access_token"])

    def wx_bind(self, actor: Actor, user: str) -> None:
        """The mini-program calls wx.login for a user who signed in by SMS, and binds that WeChat to the account."""
        code = request("POST", self.wechat + "/_fake/wechat/login-code", {"user": user})["code"]
        self.expect(200, "POST", "/auth/wechat/bind", {"code": code}, actor.token)

    def pay(self, out_trade_no: str) -> None:
        """The user completes wx.requestPayment: WeChat Pay then notifies /payments/notify."""
        r = request("POST", self.wechatpay + "/_fake/wechatpay/pay", {"out_trade_no": out_trade_no})
        if r.status >= 300:
            raise CallFailed(f"fake pay failed: {r.body}")

    def confirm_transfer(self, out_bill_no: str) -> None:
        """The developer confirms wx.requestMerchantTransfer."""
        r = request("POST", self.wechatpay + f"/_fake/wechatpay/transfers/{out_bill_no}/confirm", {})
        if r.status >= 300:
            raise CallFailed(f"fake transfer confirm failed: {r.body}")

    def wait_for(self, predicate: Any, what: str, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise CallFailed(f"timed out waiting for {what}")


def _sms_code(message: dict[str, Any]) -> str:
    for key in ("code", "params", "template_params", "TemplateParamSet"):
        value = message.get(key)
        if isinstance(value, str) and value.isdigit():
            return value
        if isinstance(value, list) and value and str(value[0]).isdigit():
            return str(value[0])
    import re

    m = re.search(r"\b(\d{6})\b", json.dumps(message, ensure_ascii=False))
    if not m:
        raise CallFailed(f"no code in SMS {message}")
    return m.group(1)
