"""Signing in with the SMS flow (admins only), and out. The forms are protected by a double-submit CSRF cookie: a
random value in a SameSite=Strict cookie that the form must echo."""

from __future__ import annotations

from shared.auth import service as auth
from shared.auth import web_sessions
from shared.auth.schemas import normalize_phone
from shared.console import web
from shared.errors import ValidationFailed
from shared.uow import run


def _phone(page: web.Page) -> str:
    try:
        return normalize_phone(page.form.get("phone", ""))
    except ValueError:
        raise ValidationFailed.field("phone", "请输入正确的中国大陆手机号") from None


def _masked(phone: str) -> str:
    return phone[-11:-8] + "****" + phone[-4:]


@web.get("/login", public=True)
def login_page(page: web.Page) -> web.Answer:
    """登录页"""
    nxt = web.safe_next(page.query.get("next"))
    if page.session is not None:
        return web.redirect(nxt)
    token = web.cookies(page.req).get(web.login_cookie_name()) or web.new_login_token()
    return web.html(page, "login.html", next=nxt, login_csrf=token,
                    http_headers={"set-cookie": web.login_set_cookie(token)})


@web.post("/login/code", public=True)
def send_code(page: web.Page) -> web.Answer:
    """发送登录验证码"""
    phone = _phone(page)
    ttl, _ = auth.send_sms_code(phone)  # its own short transactions around the SMS call
    return web.partial(page, "partials/login_code.html", back=web.BASE + "/login", phone=_masked(phone),
                       minutes=ttl // 60)


@web.post("/login", public=True)
def login(page: web.Page) -> web.Answer:
    """登录"""
    phone = _phone(page)
    code = page.form.get("code", "").strip()
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationFailed.field("code", "请输入 6 位短信验证码")
    ua = page.req.headers.get("user-agent", "")
    token, _ = run(lambda uow: web_sessions.start_console_session(uow, phone, code, ip=page.req.client_ip,
                                                                  user_agent=ua))
    target = web.safe_next(page.form.get("next"))
    cookie = {"set-cookie": web.session_set_cookie(token)}
    if page.htmx:  # htmx follows HX-Redirect with a full page load (the new cookie included)
        return web.redirect(target, status=200, headers={"hx-redirect": target, **cookie})
    return web.redirect(target, headers=cookie)


@web.post("/logout")
def logout(page: web.Page) -> web.Answer:
    """退出登录"""
    token = web.cookies(page.req).get(web.session_cookie_name(), "")
    run(lambda uow: web_sessions.end_console_session(uow, token))
    login = web.BASE + "/login"
    headers = {"set-cookie": web.session_clear_cookie()}
    if page.htmx:
        return web.redirect(login, status=200, headers={"hx-redirect": login, **headers})
    return web.redirect(login, headers=headers)
