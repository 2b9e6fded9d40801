"""HTTP routes of the `community` function (posts, likes, comments, reports) and the operators' moderation routes,
which belong to the `admin` function's URL (/admin/community/…) and are composed into it by functions/admin."""

from __future__ import annotations

from shared.community import schemas as s
from shared.community import service
from shared.http.router import Request, Router
from shared.uow import run

router = Router("community")
admin_router = Router("admin")
ADMIN = ("admin",)


@router.post("/community/posts", summary="发布社区帖子（经内容安全检测）", body=s.PostIn, response=s.PostOut,
             status=201, errors=("CONTENT_REJECTED", "CONTENT_CHECK_UNAVAILABLE"))
def publish(req: Request, body: s.PostIn) -> s.PostOut:
    return service.publish_post(req.user_id, body)


@router.get("/community/posts", summary="社区帖子流（最新在前）", query=s.FeedQuery, response=s.PostList,
            errors=("INVALID_CURSOR",))
def feed(req: Request, query: s.FeedQuery) -> s.PostList:
    items, cursor = run(lambda uow: service.feed(uow, req.user_id, query))
    return s.PostList(items=items, next_cursor=cursor)


@router.get("/community/posts/{post_id:int}", summary="帖子详情", response=s.PostOut, errors=("POST_NOT_FOUND",))
def one(req: Request) -> s.PostOut:
    return run(lambda uow: service.get_post(uow, req.user_id, req.params["post_id"]))


@router.put("/community/posts/{post_id:int}/like", summary="点赞（重复点赞不重复计数）", response=s.LikeOut,
            errors=("POST_NOT_FOUND",))
def like(req: Request) -> s.LikeOut:
    return run(lambda uow: service.set_like(uow, req.user_id, req.params["post_id"], True))


@router.delete("/community/posts/{post_id:int}/like", summary="取消点赞", response=s.LikeOut,
               errors=("POST_NOT_FOUND",))
def unlike(req: Request) -> s.LikeOut:
    return run(lambda uow: service.set_like(uow, req.user_id, req.params["post_id"], False))


@router.post("/community/posts/{post_id:int}/comments", summary="评论帖子（经内容安全检测）", body=s.CommentIn,
             response=s.CommentOut, status=201,
             errors=("POST_NOT_FOUND", "CONTENT_REJECTED", "CONTENT_CHECK_UNAVAILABLE"))
def comment(req: Request, body: s.CommentIn) -> s.CommentOut:
    return service.comment(req.user_id, req.params["post_id"], body)


@router.get("/community/posts/{post_id:int}/comments", summary="帖子的评论", query=s.PageQuery,
            response=s.CommentList, errors=("POST_NOT_FOUND", "INVALID_CURSOR"))
def comments(req: Request, query: s.PageQuery) -> s.CommentList:
    items, cursor = run(lambda uow: service.comments(uow, req.user_id, req.params["post_id"], query))
    return s.CommentList(items=items, next_cursor=cursor)


@router.post("/community/posts/{post_id:int}/report", summary="举报帖子（每人每帖一次）", body=s.ReportIn,
             response=s.ReportOut, errors=("POST_NOT_FOUND", "CANNOT_REPORT_OWN_POST"))
def report(req: Request, body: s.ReportIn) -> s.ReportOut:
    return run(lambda uow: service.report(uow, req.user_id, req.params["post_id"], body))


# --------------------------------------------------------------------------------------------------- operators


@admin_router.get("/admin/community/reports", summary="被举报的社区帖子（举报多的在前）", response=s.AdminPostList,
                  roles=ADMIN)
def reported(req: Request) -> s.AdminPostList:
    return s.AdminPostList(items=run(lambda uow: service.reported_posts(uow, req.user_id)))


@admin_router.post("/admin/community/posts/{post_id:int}/hide", summary="隐藏帖子（通知作者，记入审计日志）",
                   body=s.ModerateIn, response=s.AdminPostOut, roles=ADMIN,
                   errors=("POST_NOT_FOUND", "POST_STATE_CONFLICT"))
def hide(req: Request, body: s.ModerateIn) -> s.AdminPostOut:
    return run(lambda uow: service.moderate(uow, req.user_id, req.params["post_id"], "hidden", body.reason))


@admin_router.post("/admin/community/posts/{post_id:int}/restore", summary="恢复显示帖子（记入审计日志）",
                   body=s.ModerateIn, response=s.AdminPostOut, roles=ADMIN,
                   errors=("POST_NOT_FOUND", "POST_STATE_CONFLICT"))
def restore(req: Request, body: s.ModerateIn) -> s.AdminPostOut:
    return run(lambda uow: service.moderate(uow, req.user_id, req.params["post_id"], "visible", body.reason))
