"""The web console driven in process with Function URL events, as a browser without JavaScript would (cookies, forms,
the htmx header when asked): for the integration tests of every route. The browser itself is tests/e2e; its shared
settings and helpers (Chromium, screenshots, the operator's SMS sign-in) are at the end of this module."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import text

from shared import jobs
from tests.support.api import function_url_event

BASE = "/admin/console"


@dataclass
class Page:
    status: int
    text: str
    headers: dict[str, str]

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def csrf(self) -> str:
        m = re.search(r'name="csrf_token" value="([^"]+)"', self.text)
        assert m, "no CSRF token on the page"
        return m.group(1)


@dataclass
class Console:
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def request(self, method: str, path: str, form: dict[str, Any] | None = None, *, htmx: bool = False,
                csrf: bool = True, headers: dict[str, str] | None = None) -> Page:
        from functions.admin.index import main_handler

        split = urlsplit(path)
        query = dict(p.split("=", 1) for p in split.query.split("&") if "=" in p)
        body = dict(form or {})
        if method == "POST" and csrf and self.csrf and "csrf_token" not in body:
            body["csrf_token"] = self.csrf
        hdrs = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
        if self.cookies:
            hdrs["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if htmx:
            hdrs["hx-request"] = "true"
        event = function_url_event(method, split.path, urlencode(body) if body else None, query=query, headers=hdrs)
        answer = main_handler(event, None)
        raw = answer.get("body") or ""
        data = base64.b64decode(raw) if answer.get("isBase64Encoded") else raw.encode()
        out_headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        if "set-cookie" in out_headers:
            name, _, rest = out_headers["set-cookie"].partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in out_headers["set-cookie"]:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        text = data.decode("utf-8", "replace") if "gzip" not in out_headers.get("content-encoding", "") else ""
        return Page(answer["statusCode"], text, out_headers)

    def get(self, path: str, **kw: Any) -> Page:
        return self.request("GET", path, **kw)

    def post(self, path: str, form: dict[str, Any] | None = None, **kw: Any) -> Page:
        return self.request("POST", path, form, **kw)

    def login(self, sms: Any, phone: str) -> Page:
        """The SMS login as an operator does it: the form (its CSRF cookie), a code, the code typed in."""
        page = self.get(f"{BASE}/login")
        assert page.status == 200, page.text
        self.csrf = page.csrf()
        sent = self.post(f"{BASE}/login/code", {"phone": phone}, htmx=True)
        assert sent.status == 200, sent.text
        code = sms.last_code("+86" + phone[-11:])
        answer = self.post(f"{BASE}/login", {"phone": phone, "code": code})
        if answer.status == 303:
            home = self.get(BASE)
            assert home.status == 200, home.text
            self.csrf = home.csrf()
        return answer


# --- the browser tests (tests/e2e/test_console*.py, their fixtures in tests/e2e/conftest.py) --------------------------

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "console"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADMIN_PHONE = "13911112222"  # the operator at the console (world.admin() is another, who approved tasks by API)


def one(db: Any, sql: str, **params: Any) -> Any:
    with db.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def work_off_jobs() -> None:
    """Work off the queued jobs (20 rounds at most). Failures stay failed: the console's morning puts a job in the
    dead-letter queue on purpose (tests/support/db.py work_all is the strict loop)."""
    for _ in range(20):
        report = jobs.work()
        if not (report.done or report.retried or report.failed):
            return


def sign_in(page: Any, site: str, sms: Any, phone: str) -> None:
    page.goto(site + "/login")
    page.fill("#phone", phone)
    page.click("#send-code")
    page.wait_for_selector("#code-sent .ok")
    page.fill("#code", sms.last_code("+86" + phone))
    page.click("#login-submit")
