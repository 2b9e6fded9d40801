"""Growth points: look a user up, see the balance and every points entry (source, reason, reversals), grant or
deduct points with a reason, reverse one entry with a reason; and the fair-play flags (a merchant and a developer
taken for the same person, whose tasks count for no growth). Every write is growth's use case (adjust_points,
reverse_points), which keeps the points ledger and publishes AdminAudited."""

from __future__ import annotations

import secrets
from typing import Any

from shared.console import web
from shared.errors import NotFound, ValidationFailed
from shared.growth import queries as growth_queries
from shared.growth import schemas as growth_schemas
from shared.growth import service as growth
from shared.uow import UnitOfWork, run

web.nav("growth", "成长积分", "/growth", order=55)

HISTORY = 50
SOURCES = {"challenge": "挑战", "checkin": "签到", "compensation": "补偿", "invitation": "邀请", "community": "社区",
           "work": "任务", "admin": "运营调整", "reversal": "冲正", "lottery": "抽奖"}


def _user_id(text: str) -> int | None:
    text = text.strip().lstrip("#")
    if not text:
        return None
    if not text.isdigit():
        raise ValidationFailed.field("user_id", "请输入用户 ID（数字）")
    return int(text)


def _points(uow: UnitOfWork, user_id: int) -> dict[str, Any]:
    user = uow.execute("SELECT u.id, u.nickname, d.display_name FROM users u LEFT JOIN developer_profiles d"
                       " ON d.user_id = u.id WHERE u.id = :u", {"u": user_id}).first()
    if user is None:
        raise NotFound("USER_NOT_FOUND", f"用户 #{user_id} 不存在")
    history = growth_queries.points_history(uow, user_id, None, HISTORY)
    reversed_ids = {e.reverses_id for e in history.items if e.reverses_id}
    return {"who": user, "balance": growth_queries.points_balance(uow, user_id), "entries": history.items,
            "more": history.next_cursor is not None, "reversed": reversed_ids,
            "request_id": "console-" + secrets.token_hex(8)}


@web.get("/growth", nav="growth")
def points(page: web.Page) -> web.Answer:
    """成长积分与公平性标记"""
    user_id = _user_id(page.query.get("user_id", ""))
    found = run(lambda uow: (_points(uow, user_id) if user_id else None, growth_queries.fair_play_flags(uow)))
    return web.html(page, "growth.html", panel=found[0], flags=found[1].items, user_query=user_id or "",
                    sources=SOURCES)


def _panel(page: web.Page, user_id: int, done: str) -> web.Answer:
    panel = run(lambda uow: _points(uow, user_id))
    return web.partial(page, "partials/points_panel.html", back=f"{web.BASE}/growth?user_id={user_id}", panel=panel,
                       sources=SOURCES, done=done)


@web.post("/growth/points")
def adjust(page: web.Page) -> web.Answer:
    """发放或扣除积分"""
    f = page.form
    delta = f.get("delta", "").strip()
    body = web.validated(growth_schemas.PointsAdjustIn, {
        "user_id": f.get("user_id", ""), "delta": delta.lstrip("+") if delta else "", "reason": f.get("reason", ""),
        "request_id": f.get("request_id", "")})
    run(lambda uow: growth.adjust_points(uow, page.admin_id, body.user_id, body.delta, body.reason.strip(),
                                         body.request_id))
    verb = "发放" if body.delta > 0 else "扣除"
    return _panel(page, body.user_id, f"已{verb} {abs(body.delta)} 积分：{body.reason.strip()}")


@web.post("/growth/points/{entry_id:int}/reverse")
def reverse(page: web.Page) -> web.Answer:
    """冲正积分记录"""
    body = web.validated(growth_schemas.ReverseIn, {"reason": page.form.get("reason", "")})
    entry_id = page.params["entry_id"]

    def use_case(uow: UnitOfWork) -> int:
        owner = uow.execute("SELECT user_id FROM points_entries WHERE id = :e", {"e": entry_id}).scalar()
        if owner is None:
            raise NotFound("POINTS_ENTRY_NOT_FOUND", "积分记录不存在")
        growth.reverse_points(uow, page.admin_id, entry_id, body.reason.strip())
        return int(owner)

    user_id = run(use_case)
    return _panel(page, user_id, f"已冲正记录 #{entry_id}：{body.reason.strip()}")
