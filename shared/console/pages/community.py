"""Community moderation: the posts users reported (most reported first, with what the reporters said) and the posts
operators hid; hide or restore one with a reason — community's own use case (service.moderate), which tells the
author and publishes AdminAudited (before/after status, the reason)."""

from __future__ import annotations

from typing import Any

from shared.community import schemas as community_schemas
from shared.community import service as community
from shared.console import web
from shared.uow import UnitOfWork, run

web.nav("community", "社区举报", "/community", order=45)


def _reports(uow: UnitOfWork, post_ids: list[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for r in uow.execute(
            "SELECT r.post_id, r.reporter_id, r.reason, r.created_at,"
            " coalesce(nullif(d.display_name, ''), nullif(m.name, ''), u.nickname) AS nickname FROM post_reports r"
            " JOIN users u ON u.id = r.reporter_id LEFT JOIN developer_profiles d ON d.user_id = r.reporter_id"
            " LEFT JOIN merchant_profiles m ON m.user_id = r.reporter_id WHERE r.post_id = ANY(:ids)"
            " ORDER BY r.created_at DESC", {"ids": post_ids}).all():
        found.setdefault(r.post_id, []).append(r)
    return found


def _hidden(uow: UnitOfWork) -> list[Any]:
    """The posts operators hid, latest first (to restore one hidden by mistake)."""
    return uow.execute(
        "SELECT p.id, p.author_id, coalesce(nullif(d.display_name, ''), nullif(m.name, ''), u.nickname) AS author_name,"
        " p.body, p.tags, p.status, p.like_count, p.comment_count, p.report_count, p.hidden_reason, p.created_at"
        " FROM posts p JOIN users u ON u.id = p.author_id LEFT JOIN developer_profiles d ON d.user_id = p.author_id"
        " LEFT JOIN merchant_profiles m ON m.user_id = p.author_id WHERE p.status = 'hidden'"
        " ORDER BY p.updated_at DESC, p.id DESC LIMIT 50").all()


def _queue(uow: UnitOfWork, admin_id: int) -> dict[str, Any]:
    reported = community.reported_posts(uow, admin_id)
    hidden = _hidden(uow)
    return {"reported": reported, "hidden": hidden,
            "reports": _reports(uow, [p.id for p in reported] + [p.id for p in hidden])}


@web.get("/community", nav="community")
def queue(page: web.Page) -> web.Answer:
    """社区举报处理"""
    return web.html(page, "community.html", **run(lambda uow: _queue(uow, page.admin_id)))


def _moderate(page: web.Page, status: str) -> web.Answer:
    body = web.validated(community_schemas.ModerateIn, {"reason": page.form.get("reason", "")})
    post_id = page.params["post_id"]

    def use_case(uow: UnitOfWork) -> tuple[community_schemas.AdminPostOut, dict[int, list[Any]]]:
        post = community.moderate(uow, page.admin_id, post_id, status, body.reason)
        return post, _reports(uow, [post_id])

    post, reports = run(use_case)
    done = f"已隐藏，已通知作者：{body.reason.strip()}" if status == "hidden" else f"已恢复显示：{body.reason.strip()}"
    return web.partial(page, "partials/post_row.html", back=f"{web.BASE}/community", post=post, reports=reports,
                       done=done)


@web.post("/community/posts/{post_id:int}/hide")
def hide(page: web.Page) -> web.Answer:
    """隐藏帖子"""
    return _moderate(page, "hidden")


@web.post("/community/posts/{post_id:int}/restore")
def restore(page: web.Page) -> web.Answer:
    """恢复显示帖子"""
    return _moderate(page, "visible")
