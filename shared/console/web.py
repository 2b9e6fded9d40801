"""The console's web layer: every page is a route of the `admin` function (same origin as the API), answered with
server-rendered HTML. What a page module gets and gives:

    @web.get("/users/{user_id:int}", nav="users")
    def user(page: web.Page) -> web.Answer:
        return web.html(page, "user.html", user=...)            # a whole page

    @web.post("/users/{user_id:int}/ban")
    def ban(page: web.Page) -> web.Answer:
        run(lambda uow: moderation.ban_user(uow, page.admin_id, ..., page.form["reason"]))
        return web.partial(page, "partials/user_status.html", back=..., ...)   # htmx swaps this panel

Every route, unless declared `public` (login, static files), requires a live console session (the cookie; shared/auth/
web_sessions.py): logged-out visitors get the login page (GET) or 401 (anything else, htmx or not), a session whose user
is not an active admin any more gets 403. Every POST must carry the session's CSRF token (the `csrf_token` field of the
form, or the X-CSRF-Token header htmx sends from <body hx-headers>); public forms (login) use a double-submit cookie.
An AppError becomes an HTML answer with its status and Chinese message: the panel with the message for htmx, an error
page otherwise. Answers carry a strict Content-Security-Policy (scripts from this origin only) and are never cached.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, quote

from shared.auth.web_sessions import SESSION_TTL, WebSession, console_session
from shared.config import get_settings
from shared.errors import AppError, Forbidden, Unauthorized
from shared.http.router import Request, Response, Router

if TYPE_CHECKING:
    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")

BASE = "/admin/console"
router = Router("admin", tags=("console",))

LOGIN_CSRF_TTL = 3600
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


@dataclass(frozen=True)
class NavItem:
    key: str
    title: str
    path: str
    order: int


NAV: list[NavItem] = []


def nav(key: str, title: str, path: str, order: int) -> None:
    """Put a page in the side bar (called once by its module)."""
    NAV.append(NavItem(key, title, BASE + path, order))
    NAV.sort(key=lambda item: item.order)


@dataclass
class Page:
    """One request as a page handler sees it."""

    req: Request
    session: WebSession | None
    form: dict[str, str] = field(default_factory=dict)
    nav_key: str = ""

    @property
    def params(self) -> dict[str, Any]:
        return self.req.params

    @property
    def query(self) -> dict[str, str]:
        return self.req.query

    @property
    def htmx(self) -> bool:
        return self.req.headers.get("hx-request") == "true"

    @property
    def admin_id(self) -> int:
        if self.session is None:
            raise Unauthorized()
        return self.session.user_id


@dataclass
class Partial:
    """An htmx fragment; for a plain form post (no JavaScript) the browser is sent back to `back` instead."""

    template: str
    context: dict[str, Any]
    back: str
    status: int = 200


Answer = Response | Partial


# --- cookies -------------------------------------------------------------------------------------------------------


def secure_cookies() -> bool:
    """Secure cookies whenever the console is served over https — always in production (shared/config.py refuses a
    plain-http PUBLIC_BASE_URL there); not on the plain-http local gateway, where a browser would drop them."""
    return get_settings().public_base_url.startswith("https://")


def session_cookie_name() -> str:
    return "__Secure-codelink-console" if secure_cookies() else "codelink-console"


def login_cookie_name() -> str:
    return "__Secure-codelink-console-login" if secure_cookies() else "codelink-console-login"


def set_cookie(name: str, value: str, max_age: int) -> str:
    """The Set-Cookie value: HttpOnly, SameSite=Strict, only for the console's path, Secure over https."""
    parts = [f"{name}={value}", f"Path={BASE}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Strict"]
    if secure_cookies():
        parts.append("Secure")
    return "; ".join(parts)


def cookies(req: Request) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(req.headers.get("cookie", ""))
    except CookieError:
        return {}
    return {k: m.value for k, m in jar.items()}


def session_set_cookie(token: str) -> str:
    return set_cookie(session_cookie_name(), token, int(SESSION_TTL.total_seconds()))


def session_clear_cookie() -> str:
    return set_cookie(session_cookie_name(), "", 0)


# --- answers -------------------------------------------------------------------------------------------------------


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"content-type": "text/html; charset=utf-8", "cache-control": "no-store",
            "content-security-policy": CSP, "x-content-type-options": "nosniff", "x-frame-options": "DENY",
            "referrer-policy": "same-origin", **(extra or {})}


def _html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, raw=text.encode("utf-8"), headers=_headers(headers))


def html(page: Page, template: str, *, http_status: int = 200, http_headers: dict[str, str] | None = None,
         **context: Any) -> Response:
    """A whole page: `template` extends base.html (side bar, session, CSRF header for htmx). (The answer's own
    arguments are named http_… so that no template variable can take their place.)"""
    from shared.console.render import render

    return _html(render(template, page=page, session=page.session, nav=NAV, active=page.nav_key, **context),
                 http_status, http_headers)


def partial(page: Page, template: str, *, back: str, http_status: int = 200, **context: Any) -> Partial:
    return Partial(template, {"page": page, "session": page.session, **context}, back, http_status)


def redirect(location: str, *, status: int = 303, headers: dict[str, str] | None = None) -> Response:
    return Response(status, raw=b"", headers=_headers({"location": location, **(headers or {})}))


def safe_next(value: str | None) -> str:
    """Where to go after login: a console path only (never another site: no open redirect)."""
    if value and value.startswith(BASE) and "//" not in value and "\\" not in value:
        return value
    return BASE


# --- routes --------------------------------------------------------------------------------------------------------


def get(path: str, *, nav: str = "", public: bool = False) -> Callable[[Callable[[Page], Answer]], Any]:
    return _route("GET", path, nav, public)


def post(path: str, *, nav: str = "", public: bool = False) -> Callable[[Callable[[Page], Answer]], Any]:
    return _route("POST", path, nav, public)


def _route(method: str, path: str, nav_key: str, public: bool) -> Callable[[Callable[[Page], Answer]], Any]:
    def register(fn: Callable[[Page], Answer]) -> Callable[[Page], Answer]:
        def handler(req: Request) -> Response:
            return _secured(_handle(fn, req, method, nav_key, public))

        handler.__name__ = fn.__name__
        handler.__module__ = fn.__module__
        # POSTs read their form body raw (the router's JSON rules do not apply to HTML forms; _form checks the type).
        router.route(method, BASE + path, summary=(fn.__doc__ or fn.__name__).strip().split("\n")[0],
                     auth=False, in_schema=False, raw_body=method == "POST", media="form")(handler)
        handler.public = public  # type: ignore[attr-defined]  # the tests walk every non-public route
        return fn

    return register


def _secured(response: Response) -> Response:
    headers = dict(response.headers)
    if "content-security-policy" not in headers and headers.get("content-type", "").startswith("text/html"):
        headers.update(_headers())
    response.headers = headers
    return response


def _handle(fn: Callable[[Page], Answer], req: Request, method: str, nav_key: str, public: bool) -> Response:
    from shared.uow import run

    page = Page(req, None, nav_key=nav_key)
    try:
        token = cookies(req).get(session_cookie_name(), "")
        if token:
            try:
                page.session = run(lambda uow: console_session(uow, token))
            except AppError:
                if not public:  # a session whose user is no longer an admin: refused (403), except on the login page
                    raise
        if page.session is None and not public:
            return _logged_out(req, method, had_cookie=bool(token))
        if method == "POST":
            page.form = _form(req)
            _check_csrf(page, public)
        answer = fn(page)
    except AppError as err:
        return _error(page, err)
    if isinstance(answer, Partial):
        if page.htmx:
            from shared.console.render import render

            return _html(render(answer.template, **answer.context), answer.status)
        return redirect(answer.back) if answer.status < 400 else _error_page(page, answer.status, "操作未完成")
    return answer


def _logged_out(req: Request, method: str, *, had_cookie: bool) -> Response:
    login = f"{BASE}/login"
    clear = {"set-cookie": session_clear_cookie()} if had_cookie else {}
    if method == "GET" and req.headers.get("hx-request") != "true":
        target = req.path + ("?" + "&".join(f"{k}={quote(v)}" for k, v in req.query.items()) if req.query else "")
        return redirect(f"{login}?next={quote(target, safe='')}", headers=clear)
    # htmx follows HX-Redirect; anything else just gets the refusal.
    return _html(_message_html("请先登录运营后台", login), 401, {"hx-redirect": login, **clear})


def _form(req: Request) -> dict[str, str]:
    ctype = req.headers.get("content-type", "")
    if req.raw_body and "application/x-www-form-urlencoded" not in ctype:
        from shared.errors import BadRequest

        raise BadRequest("FORM_REQUIRED", "请通过页面表单提交")
    try:
        text = req.raw_body.decode("utf-8")
    except UnicodeDecodeError:
        from shared.errors import BadRequest

        raise BadRequest("BAD_REQUEST", "表单编码有误") from None
    form: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if "\x00" in value:
            from shared.errors import ValidationFailed

            raise ValidationFailed.field(key, "含有不允许的字符")
        form[key] = value
    return form


def _check_csrf(page: Page, public: bool) -> None:
    sent = page.req.headers.get("x-csrf-token") or page.form.get("csrf_token", "")
    if public:
        expected = cookies(page.req).get(login_cookie_name(), "")
    else:
        assert page.session is not None
        expected = page.session.csrf_token
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("CSRF_FAILED", "页面已过期或来源不明，请刷新页面后重试")


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def login_set_cookie(token: str) -> str:
    return set_cookie(login_cookie_name(), token, LOGIN_CSRF_TTL)


# --- errors --------------------------------------------------------------------------------------------------------


def _message_html(message: str, link: str | None = None) -> str:
    from markupsafe import escape

    more = f' <a href="{escape(link)}">前往登录</a>' if link else ""
    return f'<div class="alert error" role="alert">{escape(message)}{more}</div>'


_ELEMENT_ID = re.compile(r"^[A-Za-z][\w-]{0,60}$")


def _error(page: Page, err: AppError) -> Response:
    if page.htmx:
        fields = err.details.get("errors") if isinstance(err.details.get("errors"), list) else []
        from shared.console.render import render

        # A form with an id has its own error box, `#<id>-errors`: the message goes there and the form stays as typed.
        trigger = page.req.headers.get("hx-trigger", "")
        headers = {"hx-retarget": f"#{trigger}-errors", "hx-reswap": "innerHTML"} if _ELEMENT_ID.match(trigger) else {}
        return _html(render("partials/error.html", error=err, fields=fields), err.status, headers)
    return _error_page(page, err.status, err.message, code=err.code)


def _error_page(page: Page, status: int, message: str, code: str = "") -> Response:
    from shared.console.render import render

    return _html(render("error.html", page=page, session=page.session, nav=NAV if page.session else [],
                        active="", status=status, message=message, code=code), status)


def validated(model: type[M], data: dict[str, Any]) -> M:
    """A form's fields through the API's own request model: the same rules and Chinese messages as the JSON route."""
    from pydantic import ValidationError

    from shared.errors import ValidationFailed
    from shared.http.messages import translate

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(translate(exc.errors(include_url=False))) from None
