"""Delivery, revision and acceptance rules. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta


def can_request_revision(revision_count: int, max_revisions: int) -> bool:
    return revision_count < max_revisions


def auto_accept_due(delivered_at: datetime, now: datetime, days: int) -> bool:
    """No merchant answer within `days` of a delivery means it is accepted."""
    return now - delivered_at >= timedelta(days=days)


def average_rating(rating_sum: int, rating_count: int) -> float | None:
    return round(rating_sum / rating_count, 2) if rating_count else None
