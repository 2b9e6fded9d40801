"""Read-only questions other areas may ask the community area (growth, challenges, reports)."""

from __future__ import annotations

from datetime import datetime

from shared.uow import UnitOfWork


def posts_by(uow: UnitOfWork, user_id: int, since: datetime, until: datetime) -> int:
    """How many visible posts the user published in [since, until)."""
    return int(uow.execute("SELECT count(*) FROM posts WHERE author_id = :u AND status = 'visible'"
                           " AND created_at >= :a AND created_at < :b",
                           {"u": user_id, "a": since, "b": until}).scalar_one())


def likes_received(uow: UnitOfWork, user_id: int) -> int:
    """Likes on the user's visible posts."""
    return int(uow.execute("SELECT coalesce(sum(like_count), 0) FROM posts WHERE author_id = :u"
                           " AND status = 'visible'", {"u": user_id}).scalar_one())
