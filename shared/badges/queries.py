"""Read-only: what badges and title a user has — for growth (/growth/me), profiles (the resume card), reports.

Both functions take a unit of work or a SQLAlchemy connection, so another area can call them inside its own use case
or from a plain connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text


@dataclass(frozen=True)
class HeldBadge:
    key: str
    name: str
    description: str
    wearable: bool
    count: int  # grants held (a repeatable badge can be held several times)
    first_granted_at: datetime
    last_granted_at: datetime
    reason: str  # why the latest grant was made (Chinese)


@dataclass(frozen=True)
class Title:
    key: str
    name: str


def _execute(conn_or_uow: Any, sql: str, params: dict[str, Any]) -> Any:
    if hasattr(conn_or_uow, "session"):  # a UnitOfWork: its execute takes SQL text
        return conn_or_uow.execute(sql, params)
    return conn_or_uow.execute(text(sql), params)


def badges_of(conn_or_uow: Any, user_id: int) -> list[HeldBadge]:
    """The badges the user holds now (revoked grants left out), newest first."""
    rows = _execute(conn_or_uow, """
        SELECT b.key, b.name, b.description, b.wearable, count(*) AS n, min(g.granted_at) AS first_at,
               max(g.granted_at) AS last_at,
               (array_agg(g.reason ORDER BY g.granted_at DESC, g.id DESC))[1] AS reason
        FROM badge_grants g JOIN badges b ON b.key = g.badge_key
        WHERE g.user_id = :u AND NOT EXISTS (SELECT 1 FROM badge_revocations r WHERE r.grant_id = g.id)
        GROUP BY b.key, b.name, b.description, b.wearable
        ORDER BY max(g.granted_at) DESC, b.key""", {"u": user_id}).all()
    return [HeldBadge(r.key, r.name, r.description, r.wearable, int(r.n), r.first_at, r.last_at, r.reason)
            for r in rows]


def title_of(conn_or_uow: Any, user_id: int) -> Title | None:
    """The title the user wears (a wearable badge they hold), if any."""
    row = _execute(conn_or_uow, "SELECT b.key, b.name FROM badge_titles t JOIN badges b ON b.key = t.badge_key"
                   " WHERE t.user_id = :u", {"u": user_id}).first()
    return Title(row.key, row.name) if row else None


def titles_of(conn_or_uow: Any, user_ids: list[int]) -> dict[int, Title]:
    """Titles of many users at once (the leaderboard's top 10)."""
    if not user_ids:
        return {}
    rows = _execute(conn_or_uow, "SELECT t.user_id, b.key, b.name FROM badge_titles t JOIN badges b"
                    " ON b.key = t.badge_key WHERE t.user_id = ANY(:us)", {"us": list(user_ids)}).all()
    return {int(r.user_id): Title(r.key, r.name) for r in rows}
