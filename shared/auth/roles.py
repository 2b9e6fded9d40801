"""Roles live on the user row (not in the token), so a new role or a ban takes effect on the next request."""

from __future__ import annotations

from sqlalchemy import text

from shared.db import get_engine

ROLES = ("developer", "merchant", "admin")


def lookup_roles(user_id: int) -> tuple[tuple[str, ...], str] | None:
    with get_engine().connect() as conn:
        row = conn.execute(text("SELECT roles, status FROM users WHERE id = :id"), {"id": user_id}).first()
    return (tuple(row.roles), row.status) if row else None
