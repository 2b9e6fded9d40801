"""What other areas may read of the chat (the disputes timeline and risk): the task conversation of a (task,
developer) pair, and its off-platform flags. Read-only; operators' access rules live in service.admin_view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.uow import UnitOfWork


@dataclass(frozen=True)
class ChatLine:
    id: int
    sender_id: int
    body: str  # the original text (operators see it for a dispute)
    masked_body: str
    flag_kinds: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class ChatFlags:
    conversation_id: int | None
    messages: int
    flagged_by: dict[int, int]  # sender id -> flagged messages in this conversation


def task_chat(uow: UnitOfWork, task_id: int, developer_id: int, limit: int = 500) -> list[ChatLine]:
    rows = uow.execute(
        "SELECT m.* FROM chat_messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.task_id = :t AND c.developer_id = :d ORDER BY m.id LIMIT :n",
        {"t": task_id, "d": developer_id, "n": limit}).all()
    return [ChatLine(r.id, r.sender_id, r.body, r.masked_body, tuple(r.flag_kinds), r.created_at) for r in rows]


def task_chat_flags(uow: UnitOfWork, task_id: int, developer_id: int) -> ChatFlags:
    conv = uow.execute("SELECT id, message_count FROM conversations WHERE task_id = :t AND developer_id = :d",
                       {"t": task_id, "d": developer_id}).first()
    if conv is None:
        return ChatFlags(None, 0, {})
    rows = uow.execute("SELECT sender_id, count(*) AS n FROM chat_messages WHERE conversation_id = :c"
                       " AND flag_kinds <> '{}' GROUP BY sender_id", {"c": conv.id}).all()
    return ChatFlags(conv.id, conv.message_count, {int(r.sender_id): int(r.n) for r in rows})
