"""Mentor challenges (导师特训): every challenge with its mentor, bonus, pass score and enrolments; publish one (a
mentor chosen from the active mentors, the bonus in yuan, paid from the platform budget on an accepted review) and
close an open one's enrolment — the mentors area's own use cases (service.create_challenge / close_challenge), which
validate with the JSON route's model and publish AdminAudited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from shared.console import web
from shared.errors import ValidationFailed
from shared.mentors import rules as mentor_rules
from shared.mentors import schemas as s
from shared.mentors import service as mentors
from shared.uow import UnitOfWork, run

web.nav("mentor-challenges", "导师特训", "/mentor-challenges", order=58)

_NAME = "coalesce(nullif(dp.display_name, ''), nullif(u.nickname, ''), '用户' || u.id::text)"


def _challenges(uow: UnitOfWork) -> list[Any]:
    return uow.execute(
        f"SELECT c.id, c.mentor_id, c.title, c.bonus_fen, c.pass_score, c.status, c.created_at, {_NAME} AS mentor_name,"
        " (SELECT count(*) FROM mentor_enrolments e WHERE e.challenge_id = c.id) AS enrolled,"
        " (SELECT count(*) FROM mentor_enrolments e WHERE e.challenge_id = c.id AND e.status = 'reviewed') AS reviewed"
        " FROM mentor_challenges c JOIN users u ON u.id = c.mentor_id"
        " LEFT JOIN developer_profiles dp ON dp.user_id = c.mentor_id"
        " ORDER BY (c.status = 'open') DESC, c.id DESC LIMIT 200").all()


def _active_mentors(uow: UnitOfWork) -> list[Any]:
    rows = uow.execute(
        f"SELECT m.user_id, m.flagged, m.real_name_status, m.title, u.roles, {_NAME} AS name FROM mentors m"
        " JOIN users u ON u.id = m.user_id LEFT JOIN developer_profiles dp ON dp.user_id = m.user_id"
        " WHERE m.flagged ORDER BY m.user_id").all()
    return [r for r in rows if mentor_rules.is_active_mentor(r.flagged, r.real_name_status, list(r.roles))]


@web.get("/mentor-challenges", nav="mentor-challenges")
def challenges(page: web.Page) -> web.Answer:
    """导师特训"""
    data: dict[str, Any] = run(lambda uow: {"challenges": _challenges(uow), "mentors": _active_mentors(uow)})
    return web.html(page, "mentor_challenges.html", max_bonus_fen=mentor_rules.MAX_BONUS_FEN,
                    default_pass=mentor_rules.DEFAULT_PASS_SCORE, **data)


def _fen(text: str) -> int:
    try:
        yuan = Decimal(text.strip() or "0")
    except InvalidOperation:
        raise ValidationFailed.field("bonus_yuan", "奖金须为金额（元），如 200 或 199.50") from None
    if yuan != yuan.quantize(Decimal("0.01")) or yuan < 0:
        raise ValidationFailed.field("bonus_yuan", "奖金须为不小于 0 的金额，最多两位小数")
    return int(yuan * 100)


def _int(text: str, field: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValidationFailed.field(field, f"请填写{what}") from None


@web.post("/mentor-challenges")
def create(page: web.Page) -> web.Answer:
    """发布导师特训"""
    f = page.form
    body = web.validated(s.MentorChallengeIn, {
        "mentor_id": _int(f.get("mentor_id", ""), "mentor_id", "导师"), "title": f.get("title", ""),
        "brief": f.get("brief", ""), "bonus_fen": _fen(f.get("bonus_yuan", "")),
        "pass_score": _int(f.get("pass_score", "") or str(mentor_rules.DEFAULT_PASS_SCORE), "pass_score",
                           "通过分数线")})

    def use_case(uow: UnitOfWork) -> dict[str, Any]:
        made = mentors.create_challenge(uow, page.admin_id, body)
        return {"challenges": _challenges(uow), "done": f"已发布：{made.title}（#{made.id}）"}

    return web.partial(page, "partials/mentor_challenge_rows.html", back=f"{web.BASE}/mentor-challenges",
                       **run(use_case))


@web.post("/mentor-challenges/{challenge_id:int}/close")
def close(page: web.Page) -> web.Answer:
    """结束导师特训报名"""
    challenge_id = page.params["challenge_id"]

    def use_case(uow: UnitOfWork) -> dict[str, Any]:
        closed = mentors.close_challenge(uow, page.admin_id, challenge_id)
        return {"challenges": _challenges(uow), "done": f"已结束报名：{closed.title}（#{closed.id}）"}

    return web.partial(page, "partials/mentor_challenge_rows.html", back=f"{web.BASE}/mentor-challenges",
                       **run(use_case))
