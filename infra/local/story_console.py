"""The story's last step: an operator opens the web console (over HTTP, as a browser without JavaScript would: cookies,
the login form's CSRF token, the SMS code from the fake), sees the dashboard count what the story did, finds the
story's task in the event log, and signs out. Standard library only, like infra/local/client.py."""

from __future__ import annotations

import http.cookiejar
import random
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from infra.local.client import CallFailed, LocalClient, request

Say = Callable[[str], None]
BASE = "/admin/console"


class _Browser:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.origin + path, data=data)  # noqa: S310 - the local gateway
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, resp.read().decode("utf-8"), resp.geturl()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8", "replace"), err.geturl()


def play_console(client: LocalClient, step: Say, say: Say) -> dict[str, object]:
    """The operator's part of the story: `step` tells a numbered step, `say` a detail line."""
    from shared.auth.service import make_admin  # `make admin PHONE=…`: the operator's account
    from shared.uow import run

    phone = f"135{random.randint(0, 10**8 - 1):08d}"
    run(lambda uow: make_admin(uow, "+86" + phone))
    step(f"运营后台（网页）：运营 {phone[:3]}****{phone[-4:]} 短信登录，查看经营看板与事件日志")
    browser = _Browser(client.gateway)
    status, page, _ = browser.open(f"{BASE}/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if status != 200 or token is None:
        raise CallFailed(f"console login page → {status}")
    status, answer, _ = browser.open(f"{BASE}/login/code", {"phone": phone, "csrf_token": token.group(1)})
    if status != 200:
        raise CallFailed(f"console SMS code → {status}: {answer[:200]}")
    messages = request("GET", client.sms + "/_fake/sms/messages", query={"phone": "+86" + phone}).body
    items = messages.get("messages", messages) if isinstance(messages, dict) else messages
    code = str(items[-1]["params"][0])
    status, home, url = browser.open(f"{BASE}/login", {"phone": phone, "code": code, "csrf_token": token.group(1)})
    if status != 200 or not url.endswith(BASE) or "经营看板" not in home:
        raise CallFailed(f"console login → {status} at {url}")
    users = client.wait_for(lambda: _users(browser), "the dashboard to count the story's users")
    say(f"   经营看板：累计注册用户 {users}，本月平台收入 {_kpi(home, 'kpi-revenue')}")
    status, audit, _ = browser.open(f"{BASE}/audit?action=task.")
    if status != 200 or "任务审核通过" not in audit:
        raise CallFailed("the console's audit log does not show the story's task approval")
    say("   审计日志：任务审核通过的记录可查")
    logout = re.search(r'name="csrf_token" value="([^"]+)"', home)
    status, _, url = browser.open(f"{BASE}/logout", {"csrf_token": logout.group(1) if logout else ""})
    if not url.endswith(f"{BASE}/login"):
        raise CallFailed(f"console logout → {status} at {url}")
    return {"console_users": users}


def _kpi(page: str, kpi: str) -> str:
    m = re.search(rf'id="{kpi}">([^<]+)<', page)
    return m.group(1) if m else "?"


def _users(browser: _Browser) -> int | None:
    """The dashboard's user count once the after-commit deliveries of the story's events have run."""
    status, page, _ = browser.open(BASE)
    value = _kpi(page, "kpi-users").replace(",", "")
    return int(value) if status == 200 and value.isdigit() and int(value) > 0 else None


def console_url(client: LocalClient) -> str:
    return client.gateway + BASE
