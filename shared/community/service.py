"""Community use cases: publish, list, like / unlike, comment, report; operators hide and restore.

Text (posts, comments) goes through WeChat content security *before* the unit of work opens (no external call inside
a transaction, shared/txguard.py); risky text is refused with CONTENT_REJECTED. The counters on `posts` (likes,
comments, reports) are not written here: each use case publishes what happened and the area's own in-transaction
subscribers (subscribers.py) keep the counts, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from shared.community import rules, texts
from shared.community import schemas as s
from shared.community.errors import CannotReportOwnPost, ContentRejected, PostAlreadyInState, PostNotFound
from shared.events import (
    AdminAudited,
    PostCommented,
    PostLiked,
    PostModerated,
    PostPublished,
    PostReported,
    PostUnliked,
)
from shared.moderation import assess, author_openid
from shared.pagination import ID, TIME, decode_cursor, encode_cursor
from shared.uow import UnitOfWork, run

_NAME = ("coalesce(nullif(dp.display_name, ''), nullif(mp.name, ''), nullif(u.nickname, ''), '用户' || u.id::text)")
_POST_SELECT = (
    f"SELECT p.*, {_NAME} AS author_name,"
    " EXISTS (SELECT 1 FROM post_likes l WHERE l.post_id = p.id AND l.user_id = :viewer) AS liked_by_me"
    " FROM posts p JOIN users u ON u.id = p.author_id"
    " LEFT JOIN developer_profiles dp ON dp.user_id = p.author_id"
    " LEFT JOIN merchant_profiles mp ON mp.user_id = p.author_id")


def check_text(user_id: int, field_texts: dict[str, str]) -> None:
    """Content security for the user's text, outside any transaction: risky → 422 CONTENT_REJECTED; the check
    being down → 503 CONTENT_CHECK_UNAVAILABLE."""
    verdict = assess(field_texts, author_openid(user_id))
    if verdict.suggest == "risky":
        raise ContentRejected(verdict.field or "body")


def _excerpt(body: str, n: int = 30) -> str:
    return body if len(body) <= n else body[:n] + "…"


def _is_admin(uow: UnitOfWork, user_id: int) -> bool:
    return bool(uow.execute("SELECT 'admin' = ANY(roles) FROM users WHERE id = :u", {"u": user_id}).scalar())


def _post_out(row: Any) -> s.PostOut:
    return s.PostOut(id=row.id, author_id=row.author_id, author_name=row.author_name, body=row.body,
                     tags=list(row.tags), status=row.status, like_count=row.like_count,
                     comment_count=row.comment_count, liked_by_me=bool(row.liked_by_me), created_at=row.created_at)


def _admin_post_out(row: Any) -> s.AdminPostOut:
    return s.AdminPostOut(**_post_out(row).model_dump(), report_count=row.report_count,
                          hidden_reason=row.hidden_reason)


def _row(uow: UnitOfWork, viewer_id: int, post_id: int) -> Any:
    return uow.execute(_POST_SELECT + " WHERE p.id = :p", {"p": post_id, "viewer": viewer_id}).one()


def _load(uow: UnitOfWork, viewer_id: int, post_id: int, *, lock: bool = False) -> Any:
    """The post as the viewer may see it (a hidden post is "not found" to everyone but its author and operators)."""
    if lock:
        uow.execute("SELECT id FROM posts WHERE id = :p FOR UPDATE", {"p": post_id})
    row = uow.execute(_POST_SELECT + " WHERE p.id = :p", {"p": post_id, "viewer": viewer_id}).first()
    if row is None or not rules.can_view(row.status, viewer_id, row.author_id, _is_admin(uow, viewer_id)):
        raise PostNotFound()
    return row


def _visible(uow: UnitOfWork, viewer_id: int, post_id: int) -> Any:
    """A post others can interact with: visible (a hidden post takes no likes, comments or reports)."""
    row = _load(uow, viewer_id, post_id)
    if row.status != "visible":
        raise PostNotFound()
    return row


# --------------------------------------------------------------------------------------------------- posts


def publish_post(user_id: int, data: s.PostIn) -> s.PostOut:
    body = data.body.strip()
    if not body:
        raise ContentRejected("body")
    check_text(user_id, {"body": body, "tags": " ".join(data.tags)})
    return run(lambda uow: _publish(uow, user_id, body, rules.clean_tags(data.tags)))


def _publish(uow: UnitOfWork, user_id: int, body: str, tags: list[str]) -> s.PostOut:
    post_id = int(uow.execute(
        "INSERT INTO posts (author_id, body, tags, created_at, updated_at) VALUES (:a, :b, :t, :now, :now)"
        " RETURNING id", {"a": user_id, "b": body, "t": tags, "now": uow.now}).scalar_one())
    uow.publish(PostPublished(post_id=post_id, author_id=user_id))
    return _post_out(_row(uow, user_id, post_id))


def feed(uow: UnitOfWork, viewer_id: int, query: s.FeedQuery) -> tuple[list[s.PostOut], str | None]:
    """Visible posts, newest first, keyset pages on (created_at, id); `author_id` narrows to one author."""
    sql = _POST_SELECT + " WHERE p.status = 'visible'"
    params: dict[str, Any] = {"viewer": viewer_id, "n": query.limit + 1}
    if query.author_id is not None:
        sql += " AND p.author_id = :author"
        params["author"] = query.author_id
    if query.cursor:
        params["c"], params["i"] = decode_cursor(query.cursor, TIME, ID)
        sql += " AND (p.created_at, p.id) < (:c, :i)"
    found = uow.execute(sql + " ORDER BY p.created_at DESC, p.id DESC LIMIT :n", params).all()
    page = found[: query.limit]
    cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(found) > query.limit else None
    return [_post_out(r) for r in page], cursor


def get_post(uow: UnitOfWork, viewer_id: int, post_id: int) -> s.PostOut:
    return _post_out(_load(uow, viewer_id, post_id))


# --------------------------------------------------------------------------------------------------- likes


def set_like(uow: UnitOfWork, user_id: int, post_id: int, like: bool) -> s.LikeOut:
    """Like or unlike, idempotently: the (post, user) row decides, the counter follows through PostLiked /
    PostUnliked (only when the row really changed)."""
    post = _visible(uow, user_id, post_id)
    if like:
        changed = uow.execute("INSERT INTO post_likes (post_id, user_id, created_at) VALUES (:p, :u, :now)"
                              " ON CONFLICT DO NOTHING RETURNING post_id",
                              {"p": post_id, "u": user_id, "now": uow.now}).first() is not None
        if changed:
            uow.publish(PostLiked(post_id=post_id, user_id=user_id, author_id=post.author_id))
    else:
        changed = uow.execute("DELETE FROM post_likes WHERE post_id = :p AND user_id = :u RETURNING post_id",
                              {"p": post_id, "u": user_id}).first() is not None
        if changed:
            uow.publish(PostUnliked(post_id=post_id, user_id=user_id))
    count = uow.execute("SELECT like_count FROM posts WHERE id = :p", {"p": post_id}).scalar_one()
    return s.LikeOut(post_id=post_id, liked=like, like_count=int(count))


# --------------------------------------------------------------------------------------------------- comments


def comment(user_id: int, post_id: int, data: s.CommentIn) -> s.CommentOut:
    body = data.body.strip()
    if not body:
        raise ContentRejected("body")
    check_text(user_id, {"body": body})
    return run(lambda uow: _comment(uow, user_id, post_id, body))


def _comment(uow: UnitOfWork, user_id: int, post_id: int, body: str) -> s.CommentOut:
    post = _visible(uow, user_id, post_id)
    comment_id = int(uow.execute(
        "INSERT INTO post_comments (post_id, author_id, body, created_at) VALUES (:p, :a, :b, :now) RETURNING id",
        {"p": post_id, "a": user_id, "b": body, "now": uow.now}).scalar_one())
    uow.publish(PostCommented(post_id=post_id, comment_id=comment_id, commenter_id=user_id,
                              author_id=post.author_id))
    row = _comment_rows(uow, "WHERE c.id = :id", {"id": comment_id})[0]
    if post.author_id != user_id:
        uow.notify(post.author_id, *texts.COMMENTED.render(name=row.author_name, excerpt=_excerpt(body)),
                   data={"post_id": post_id, "comment_id": comment_id}, dedupe_key=f"post_comment:{comment_id}",
                   push=False)
    return _comment_out(row)


def _comment_rows(uow: UnitOfWork, where: str, params: dict[str, Any]) -> list[Any]:
    return list(uow.execute(
        f"SELECT c.*, {_NAME} AS author_name FROM post_comments c JOIN users u ON u.id = c.author_id"
        " LEFT JOIN developer_profiles dp ON dp.user_id = c.author_id"
        " LEFT JOIN merchant_profiles mp ON mp.user_id = c.author_id " + where, params).all())


def _comment_out(row: Any) -> s.CommentOut:
    return s.CommentOut(id=row.id, post_id=row.post_id, author_id=row.author_id, author_name=row.author_name,
                        body=row.body, created_at=row.created_at)


def comments(uow: UnitOfWork, viewer_id: int, post_id: int, query: s.PageQuery) -> tuple[list[s.CommentOut],
                                                                                          str | None]:
    _load(uow, viewer_id, post_id)
    where, params = "WHERE c.post_id = :p", {"p": post_id, "n": query.limit + 1}
    if query.cursor:
        params["c"], params["i"] = decode_cursor(query.cursor, TIME, ID)
        where += " AND (c.created_at, c.id) > (:c, :i)"
    found = _comment_rows(uow, where + " ORDER BY c.created_at, c.id LIMIT :n", params)
    page = found[: query.limit]
    cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(found) > query.limit else None
    return [_comment_out(r) for r in page], cursor


# --------------------------------------------------------------------------------------------------- reports


def report(uow: UnitOfWork, user_id: int, post_id: int, data: s.ReportIn) -> s.ReportOut:
    """One report per (post, user); reporting again is answered the same and counts nothing."""
    post = _visible(uow, user_id, post_id)
    if post.author_id == user_id:
        raise CannotReportOwnPost()
    added = uow.execute("INSERT INTO post_reports (post_id, reporter_id, reason, created_at)"
                        " VALUES (:p, :u, :r, :now) ON CONFLICT DO NOTHING RETURNING post_id",
                        {"p": post_id, "u": user_id, "r": data.reason.strip(), "now": uow.now}).first()
    if added is not None:
        uow.publish(PostReported(post_id=post_id, reporter_id=user_id, author_id=post.author_id))
    return s.ReportOut(post_id=post_id, reported=True)


# --------------------------------------------------------------------------------------------------- operators


def reported_posts(uow: UnitOfWork, admin_id: int) -> list[s.AdminPostOut]:
    """Visible posts that users reported, most reported first (the moderation queue)."""
    rows = uow.execute(_POST_SELECT + " WHERE p.status = 'visible' AND p.report_count > 0"
                       " ORDER BY p.report_count DESC, p.id LIMIT 100", {"viewer": admin_id}).all()
    return [_admin_post_out(r) for r in rows]


def moderate(uow: UnitOfWork, admin_id: int, post_id: int, status: str, reason: str) -> s.AdminPostOut:
    """Hide (`hidden`) or restore (`visible`) a post, audited; its author is told."""
    post = _load(uow, admin_id, post_id, lock=True)
    if post.status == status:
        raise PostAlreadyInState()
    uow.execute("UPDATE posts SET status = :s, hidden_reason = :r, updated_at = :now WHERE id = :p",
                {"s": status, "r": reason.strip() if status == "hidden" else "", "now": uow.now, "p": post_id})
    uow.publish(PostModerated(post_id=post_id, author_id=post.author_id, admin_id=admin_id, status=status))
    uow.publish(AdminAudited(admin_id=admin_id, action="post.hide" if status == "hidden" else "post.restore",
                             entity_name="post", entity_id=post_id, before={"status": post.status},
                             after={"status": status}, reason=reason.strip(), subject_user_id=post.author_id))
    notice = texts.HIDDEN if status == "hidden" else texts.RESTORED
    uow.notify(post.author_id, *notice.render(excerpt=_excerpt(post.body), reason=reason.strip()),
               data={"post_id": post_id}, push=False)
    return _admin_post_out(_row(uow, admin_id, post_id))
