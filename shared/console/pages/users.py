"""Users: search, one user's profile and timeline (the event log), stop and restore the account with a reason.

Real names: developers give the payee name WeChat Pay checks from ¥2,000 themselves (RealNameSet); there is no
approval step in the data model, so the page shows whether one is on file (masked), not an approval queue."""

from __future__ import annotations

import contextlib
from typing import Any

from shared.auth import moderation
from shared.auth.schemas import normalize_phone
from shared.billing.plans import PLANS
from shared.billing.queries import member_until
from shared.console import web
from shared.errors import NotFound
from shared.events import log
from shared.uow import UnitOfWork, run

web.nav("users", "用户", "/users", order=20)

LIMIT = 50


def masked_phone(phone: str | None) -> str:
    return "—" if not phone else phone[-11:-8] + "****" + phone[-4:]


def search(uow: UnitOfWork, q: str, status: str, role: str) -> list[Any]:
    """By id, by phone (exact), or by name (nickname, resume-card name, merchant name or company); newest first.
    A name is a substring match: one scan per table, ids united, then joined (half the time of one OR over the join:
    ~0.2 s at 200,000 users, docs/BENCHMARKS.md; no trigram index, pg_trgm is not in every PostgreSQL we run on)."""
    where: list[str] = []
    hits = ""
    params: dict[str, Any] = {"n": LIMIT}
    q = q.strip()[:50]
    if q:
        phone = None
        with contextlib.suppress(ValueError):
            phone = normalize_phone(q)
        if phone:
            where.append("u.phone = :phone")
            params["phone"] = phone
        elif q.isdigit():
            where.append("u.id = :id")
            params["id"] = int(q)
        else:
            hits = ("WITH hits AS (SELECT id FROM users WHERE nickname ILIKE :q"
                    " UNION SELECT user_id FROM developer_profiles WHERE display_name ILIKE :q"
                    " UNION SELECT user_id FROM merchant_profiles WHERE name ILIKE :q OR company ILIKE :q) ")
            where.append("u.id IN (SELECT id FROM hits)")
            params["q"] = "%" + q.replace("%", r"\%").replace("_", r"\_") + "%"
    if status in ("active", "banned"):
        where.append("u.status = :status")
        params["status"] = status
    if role in ("developer", "merchant", "admin"):
        where.append(":role = ANY(u.roles)")
        params["role"] = role
    return uow.execute(
        hits + "SELECT u.id, u.nickname, u.phone, u.roles, u.status, u.created_at, d.display_name,"
        " m.name AS merchant_name, m.company FROM users u LEFT JOIN developer_profiles d ON d.user_id = u.id"
        " LEFT JOIN merchant_profiles m ON m.user_id = u.id"
        + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY u.id DESC LIMIT :n", params).all()


@web.get("/users", nav="users")
def users(page: web.Page) -> web.Answer:
    """用户列表与搜索"""
    q, status, role = page.query.get("q", ""), page.query.get("status", ""), page.query.get("role", "")
    rows = run(lambda uow: search(uow, q, status, role))
    template = "partials/user_rows.html" if page.htmx else "users.html"
    return web.html(page, template, rows=rows, q=q, status_filter=status, role=role, masked=masked_phone)


def _user(uow: UnitOfWork, user_id: int) -> dict[str, Any]:
    user = uow.execute("SELECT id, nickname, phone, openid IS NOT NULL AS wechat, roles, status, premium_until,"
                       " created_at, updated_at FROM users WHERE id = :u", {"u": user_id}).first()
    if user is None:
        raise NotFound("USER_NOT_FOUND", "用户不存在")
    developer = uow.execute(
        "SELECT display_name, headline, city, skills, completed_tasks, rating_count, rating_sum, points_balance,"
        " repeat('*', length(real_name) - 1) || right(real_name, 1) AS real_name_masked, real_name_updated_at"
        " FROM developer_profiles WHERE user_id = :u", {"u": user_id}).first()
    merchant = uow.execute(
        "SELECT name, company, rating_count, rating_sum, responses_due, responses_on_time, tasks_approved"
        " FROM merchant_profiles WHERE user_id = :u", {"u": user_id}).first()
    counts = uow.execute(
        "SELECT (SELECT count(*) FROM tasks WHERE merchant_id = :u) AS tasks,"
        " (SELECT count(*) FROM applications WHERE developer_id = :u) AS applications,"
        " (SELECT count(*) FROM disputes WHERE merchant_id = :u OR developer_id = :u) AS disputes,"
        " (SELECT count(*) FROM payouts WHERE developer_id = :u) AS payouts", {"u": user_id}).one()
    memberships = {code: member_until(uow, user_id, code, uow.now) for code in PLANS}
    return {"user": user, "developer": developer, "merchant": merchant, "counts": counts,
            "memberships": {PLANS[c].name: until for c, until in memberships.items() if until}}


def _timeline(uow: UnitOfWork, user_id: int, cursor: str | None) -> tuple[list[log.Logged], log.Cursor | None]:
    return log.for_user(uow, user_id, cursor=log.Cursor.decode(cursor), limit=LIMIT)


@web.get("/users/{user_id:int}", nav="users")
def user(page: web.Page) -> web.Answer:
    """用户详情与时间线"""
    user_id = page.params["user_id"]
    info, (events, more) = run(lambda uow: (_user(uow, user_id), _timeline(uow, user_id, None)))
    return web.html(page, "user.html", masked=masked_phone, events=events, more=more, **info)


@web.get("/users/{user_id:int}/timeline", nav="users")
def timeline(page: web.Page) -> web.Answer:
    """用户时间线（更多）"""
    user_id = page.params["user_id"]
    events, more = run(lambda uow: _timeline(uow, user_id, page.query.get("cursor")))
    return web.html(page, "partials/timeline_rows.html", events=events, more=more,
                    more_url=f"{web.BASE}/users/{user_id}/timeline")


def _status_panel(page: web.Page, user_id: int, done: str) -> web.Answer:
    info = run(lambda uow: _user(uow, user_id))
    return web.partial(page, "partials/user_status.html", back=f"{web.BASE}/users/{user_id}", done=done,
                       user=info["user"])


@web.post("/users/{user_id:int}/ban")
def ban(page: web.Page) -> web.Answer:
    """停用账号"""
    user_id = page.params["user_id"]
    run(lambda uow: moderation.ban_user(uow, page.admin_id, user_id, page.form.get("reason", "")))
    return _status_panel(page, user_id, "账号已停用，登录凭证与后台会话已全部失效。")


@web.post("/users/{user_id:int}/unban")
def unban(page: web.Page) -> web.Answer:
    """恢复账号"""
    user_id = page.params["user_id"]
    run(lambda uow: moderation.unban_user(uow, page.admin_id, user_id, page.form.get("reason", "")))
    return _status_panel(page, user_id, "账号已恢复。")
