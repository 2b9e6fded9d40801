"""Drive the cloud functions in process with the same Function URL events SCF sends, and set up actors."""

from __future__ import annotations

import importlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared import clock


@dataclass
class Resp:
    status: int
    body: Any
    headers: dict[str, str]

    def __getitem__(self, key: str) -> Any:
        return self.body[key]


@dataclass
class Actor:
    user_id: int
    token: str
    refresh_token: str
    openid: str | None = None


def function_url_event(method: str, path: str, body: Any = None, token: str | None = None,
                       query: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    hdrs = {"content-type": "application/json", "x-scf-remote-addr": "127.0.0.1", **(headers or {})}
    if token:
        hdrs["authorization"] = f"Bearer {token}"
    raw = body if isinstance(body, str) else (json.dumps(body, ensure_ascii=False) if body is not None else "")
    return {"httpMethod": method, "path": path, "headers": hdrs, "body": raw, "isBase64Encoded": False,
            "queryString": {k: str(v) for k, v in (query or {}).items()}}


def call(method: str, path: str, body: Any = None, token: str | None = None, query: dict[str, Any] | None = None,
         headers: dict[str, str] | None = None) -> Resp:
    function = path.strip("/").split("/")[0]
    module = importlib.import_module(f"functions.{function}.index")
    answer = module.main_handler(function_url_event(method, path, body, token, query, headers), None)
    text = answer.get("body") or ""
    return Resp(answer["statusCode"], json.loads(text) if text else None, answer.get("headers", {}))


class World:
    """Actors and fixtures built through the real API and the fakes, never behind the domain's back."""

    def __init__(self, platform: Any) -> None:
        self.wechat = platform.fakes["wechat"]
        self.sms = platform.fakes["sms"]
        self.wechatpay = platform.fakes["wechatpay"]
        self._n = 0
        self._admin: Actor | None = None

    def login_wechat(self, user: str) -> Actor:
        code = self.wechat.mint_login_code(user)
        r = call("POST", "/auth/wechat", {"code": code})
        assert r.status == 200, r.body
        return Actor(r["user"]["id"], r["access_token"], r["refresh_token"], self.wechat.openid_for(user))

    def renew(self, *actors: Actor) -> None:
        """After time travel past the access-token TTL: rotate each actor's tokens like the mini-program does."""
        for actor in actors:
            r = call("POST", "/auth/refresh", {"refresh_token": actor.refresh_token})
            assert r.status == 200, r.body
            actor.token, actor.refresh_token = r["access_token"], r["refresh_token"]

    def login_sms(self, phone: str) -> Actor:
        r = call("POST", "/auth/sms/send", {"phone": phone})
        assert r.status == 200, r.body
        code = self.sms.last_code("+86" + phone[-11:])
        r = call("POST", "/auth/sms/login", {"phone": phone, "code": code})
        assert r.status == 200, r.body
        return Actor(r["user"]["id"], r["access_token"], r["refresh_token"])

    def developer(self, name: str | None = None, skills: list[str] | None = None) -> Actor:
        self._n += 1
        name = name or f"dev{self._n}"
        actor = self.login_wechat(name)
        r = call("PUT", "/profiles/developer", {
            "display_name": name, "headline": "全栈工程师", "bio": "五年经验", "skills": skills or ["python", "vue"],
        }, actor.token)
        assert r.status == 200, r.body
        return actor

    def merchant(self, name: str | None = None) -> Actor:
        self._n += 1
        name = name or f"shop{self._n}"
        actor = self.login_wechat(name)
        r = call("PUT", "/profiles/merchant", {"name": name, "company": f"{name}科技"}, actor.token)
        assert r.status == 200, r.body
        return actor

    def admin(self) -> Actor:
        """The operator (one per test; `make admin` then an SMS login, as a real operator would)."""
        from shared.auth.service import make_admin
        from shared.uow import run

        if self._admin is None:
            run(lambda uow: make_admin(uow, "+8613900000000"))
            self._admin = self.login_sms("13900000000")
        return self._admin

    def task_body(self, **over: Any) -> dict[str, Any]:
        body = {"title": "开发一个小程序登录页", "description": "使用 Taro 实现微信登录和手机号绑定页面，含单元测试。",
                "skill_tags": ["python", "vue"], "difficulty": 3, "reward_fen": 50_000,
                "deadline": (clock.now() + timedelta(days=10)).isoformat()}
        body.update(over)
        return body

    def open_task(self, merchant: Actor, **over: Any) -> dict[str, Any]:
        """Publish a task, approve it as an admin if it waits for review, and fund its escrow through the real flow
        (order, the payer pays at the fake WeChat Pay, its notification reaches /payments/notify over HTTP): the task
        ends up open."""
        r = call("POST", "/tasks", self.task_body(**over), merchant.token)
        assert r.status == 201, r.body
        if r["status"] == "pending_review":
            admin = self.admin()
            r = call("POST", f"/admin/tasks/{r['id']}/approve", {}, admin.token)
            assert r.status == 200, r.body
        if r["status"] == "awaiting_funding":
            self.fund(merchant, r["id"])
            r = call("GET", f"/tasks/{r['id']}", token=merchant.token)
        assert r["status"] == "open", r.body
        return r.body

    def fund(self, merchant: Actor, task_id: int, **body: Any) -> str:
        """Pay a task's escrow (or its next milestone) and wait until the webhook has brought the payment in;
        returns the order's out_trade_no."""
        r = call("POST", f"/payments/tasks/{task_id}/fund", body, merchant.token)
        assert r.status == 200, r.body
        out_trade_no = r["out_trade_no"]
        self.wechatpay.pay(out_trade_no)
        # The notification arrives asynchronously over HTTP: poll the order briefly.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            order = call("GET", f"/payments/orders/{out_trade_no}", token=merchant.token)
            if order.status == 200 and order["state"] == "paid":
                break
            time.sleep(0.02)
        else:
            raise AssertionError(f"order {out_trade_no} was not settled by its notification in time")
        return out_trade_no

    def assigned_task(self, merchant: Actor, developer: Actor) -> dict[str, Any]:
        task = self.open_task(merchant)
        r = call("POST", "/applications", {"task_id": task["id"]}, developer.token)
        assert r.status == 201, r.body
        r = call("POST", f"/applications/{r['id']}/accept", None, merchant.token)
        assert r.status == 200, r.body
        return task
