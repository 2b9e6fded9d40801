"""The chat's pure rules: who may read a conversation, what a party sees of a message, when a subscribe message may
be sent, and how long a conversation is kept."""

from __future__ import annotations

from datetime import datetime, timedelta

# A subscribe message for a new chat message goes out only when the receiver had read everything before it, and at
# most once per conversation in this interval: a burst of messages costs one consent, never one each.
PUSH_INTERVAL = timedelta(minutes=10)
# Kept for the task's life plus this window after it ended (the dispute window: a dispute can still be opened,
# mediated and ruled, and either party can still export it). A conversation of a task under dispute is kept until
# the dispute is ruled, and this window after the ruling.
RETENTION_AFTER_END = timedelta(days=30)
# Task states after which the chat is read-only (the work is over or never started).
ENDED = frozenset({"completed", "cancelled", "expired", "rejected", "failed"})


def role_of(user_id: int, merchant_id: int, developer_id: int) -> str | None:
    """`merchant`, `developer`, or None for anybody else (a third user, another applicant, an operator)."""
    if user_id == merchant_id:
        return "merchant"
    if user_id == developer_id:
        return "developer"
    return None


def visible_body(viewer_id: int, sender_id: int, body: str, masked_body: str) -> str:
    """The sender sees what they wrote; the receiver sees it with the contact details masked."""
    return body if viewer_id == sender_id else masked_body


def may_push(unread_before: int, last_pushed_at: datetime | None, now: datetime) -> bool:
    """A subscribe message for a new message: only for the first unread one, and once per PUSH_INTERVAL."""
    return unread_before == 0 and (last_pushed_at is None or now - last_pushed_at >= PUSH_INTERVAL)


def purge_after(task_status: str, ended_at: datetime | None, dispute_status: str | None,
                ruled_at: datetime | None) -> datetime | None:
    """When a conversation's messages may be deleted; None while the task (or its dispute) is still going on."""
    if dispute_status == "open":
        return None
    if dispute_status == "ruled" and ruled_at is not None:
        return ruled_at + RETENTION_AFTER_END
    if task_status in ENDED and ended_at is not None:
        return ended_at + RETENTION_AFTER_END
    return None
