"""Users: search, one user's profile and timeline (the event log), stop and restore the account with a reason;
mentors: the flag an operator sets (or takes back) with a reason, and the mentors' real-name approvals (the queue on
the users page, approve or reject on the user's page) — mentors' own use cases, audited before/after.

Payee real names: developers give the payee name WeChat Pay checks from ¥2,000 themselves (RealNameSet); there is no
approval step for it, so the page shows whether one is on file (masked). The mentor real name is another record
(shared/mentors), reviewed by an operator before a flagged developer becomes an active mentor."""

from __future__ import annotations

import contextlib
from typing import Any

from shared.auth import moderation
from shared.auth.schemas import normalize_phone
from shared.billing.plans import PLANS
from shared.billing.queries import member_until
from shared.console import web
from shared.errors import NotFound, ValidationFailed
from shared.events import log
from shared.mentors import rules as mentor_rules
from shared.mentors import schemas as mentor_schemas
from shared.mentors import service as mentors
from shared.uow import UnitOfWork, run

web.nav("users", "用户", "/users", order=20)

LIMIT = 50
MENTOR_STATUS = {"none": "未提交", "pending": "待审核", "approved": "已通过", "rejected": "未通过"}


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
    if page.htmx:
        rows = run(lambda uow: search(uow, q, status, role))
        return web.html(page, "partials/user_rows.html", rows=rows, masked=masked_phone)
    rows, pending = run(lambda uow: (search(uow, q, status, role), _pending_mentors(uow)))
    return web.html(page, "users.html", rows=rows, q=q, status_filter=status, role=role, masked=masked_phone,
                    pending_mentors=pending)


def _pending_mentors(uow: UnitOfWork) -> list[Any]:
    """Mentor real names waiting for an operator, oldest first, with the user's display name."""
    items = mentors.mentor_queue(uow, "pending").items
    names = {r.id: r.name for r in uow.execute(
        "SELECT u.id, coalesce(nullif(d.display_name, ''), u.nickname) AS name FROM users u"
        " LEFT JOIN developer_profiles d ON d.user_id = u.id WHERE u.id = ANY(:ids)",
        {"ids": [m.user_id for m in items]}).all()} if items else {}
    return [{"mentor": m, "name": names.get(m.user_id, "")} for m in items]


def _mentor(uow: UnitOfWork, user_id: int) -> dict[str, Any] | None:
    row = uow.execute("SELECT m.flagged, m.real_name, m.real_name_status, m.title, m.updated_at, u.roles"
                      " FROM mentors m JOIN users u ON u.id = m.user_id WHERE m.user_id = :u", {"u": user_id}).first()
    if row is None:
        return None
    return {"flagged": row.flagged, "real_name": row.real_name, "real_name_status": row.real_name_status,
            "title": row.title, "updated_at": row.updated_at,
            "active": mentor_rules.is_active_mentor(row.flagged, row.real_name_status, list(row.roles))}


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
            "mentor": _mentor(uow, user_id),
            "memberships": {PLANS[c].name: until for c, until in memberships.items() if until}}


def _timeline(uow: UnitOfWork, user_id: int, cursor: str | None) -> tuple[list[log.Logged], log.Cursor | None]:
    return log.for_user(uow, user_id, cursor=log.Cursor.decode(cursor), limit=LIMIT)


@web.get("/users/{user_id:int}", nav="users")
def user(page: web.Page) -> web.Answer:
    """用户详情与时间线"""
    user_id = page.params["user_id"]
    info, (events, more) = run(lambda uow: (_user(uow, user_id), _timeline(uow, user_id, None)))
    return web.html(page, "user.html", masked=masked_phone, events=events, more=more, mentor_status=MENTOR_STATUS,
                    **info)


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


def _mentor_panel(page: web.Page, user_id: int, done: str) -> web.Answer:
    info = run(lambda uow: _user(uow, user_id))
    return web.partial(page, "partials/mentor_panel.html", back=f"{web.BASE}/users/{user_id}", done=done,
                       user=info["user"], mentor=info["mentor"], mentor_status=MENTOR_STATUS)


@web.post("/users/{user_id:int}/mentor")
def mentor_flag(page: web.Page) -> web.Answer:
    """设为导师或取消导师身份"""
    user_id = page.params["user_id"]
    body = web.validated(mentor_schemas.FlagIn, {"mentor": page.form.get("mentor", ""),
                                                 "reason": page.form.get("reason", "").strip()})
    run(lambda uow: mentors.set_flag(uow, page.admin_id, user_id, body))
    return _mentor_panel(page, user_id, "已设为导师。" if body.mentor else "已取消导师身份。")


@web.post("/users/{user_id:int}/mentor/real-name")
def mentor_real_name(page: web.Page) -> web.Answer:
    """审核导师实名资料"""
    user_id = page.params["user_id"]
    approve = page.form.get("approve", "")
    body = web.validated(mentor_schemas.RealNameDecision, {"approve": approve,
                                                           "reason": page.form.get("reason", "").strip()})
    if not body.approve and len(body.reason) < 2:
        raise ValidationFailed.field("reason", "驳回须填写理由（会告知用户）")
    run(lambda uow: mentors.decide_real_name(uow, page.admin_id, user_id, body))
    return _mentor_panel(page, user_id, "实名资料已通过。" if body.approve else f"实名资料已驳回：{body.reason}")
