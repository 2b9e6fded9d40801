"""The community area's own counters, kept in the transaction of what changed them (one UPDATE each)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.events import PostCommented, PostLiked, PostReported, PostUnliked, Stored
    from shared.uow import UnitOfWork


def _bump(uow: UnitOfWork, post_id: int, column: str, delta: int) -> None:
    assert column in ("like_count", "comment_count", "report_count")
    uow.execute(f"UPDATE posts SET {column} = greatest({column} + :d, 0) WHERE id = :p", {"d": delta, "p": post_id})


def count_like(uow: UnitOfWork, stored: Stored[PostLiked]) -> None:
    _bump(uow, stored.event.post_id, "like_count", 1)


def count_unlike(uow: UnitOfWork, stored: Stored[PostUnliked]) -> None:
    _bump(uow, stored.event.post_id, "like_count", -1)


def count_comment(uow: UnitOfWork, stored: Stored[PostCommented]) -> None:
    _bump(uow, stored.event.post_id, "comment_count", 1)


def count_report(uow: UnitOfWork, stored: Stored[PostReported]) -> None:
    _bump(uow, stored.event.post_id, "report_count", 1)
