"""The in-app inbox, and the WeChat subscribe messages that mirror it within the user's consent budget.

Each one-time authorisation the user grants in the mini-program (wx.requestSubscribeMessage) allows one message for
one template. We count them in `subscribe_consents`; the push job spends one, and a notification with no budget left
stays in the inbox only — no flood, no refused sends.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shared.errors import NotFound
from shared.notifications.kinds import InboxItem, template_for
from shared.notifications.kinds import kind as registered_kind
from shared.pagination import ID, decode_cursor, encode_cursor

if TYPE_CHECKING:  # shared.uow calls add_notifications: a runtime import back would be a cycle
    from shared.uow import UnitOfWork

def add_notifications(uow: UnitOfWork, items: Sequence[InboxItem], *, push: bool) -> int:
    """Write inbox notifications and, with `push`, queue a WeChat subscribe message for each new one whose kind has a
    template (shared/notifications/kinds.py; an unregistered kind raises): one INSERT for the rows, one for their
    push jobs, however many. `uow.notify` is this for one. Returns how many were new."""
    if not items:
        return 0
    for item in items:
        registered_kind(item.kind)
    rows = uow.execute(
        "INSERT INTO notifications (user_id, kind, title, body, data, dedupe_key, created_at)"
        " SELECT v.user_id, v.kind, v.title, v.body, CAST(v.data AS jsonb), v.key, :now"
        " FROM unnest(CAST(:users AS bigint[]), CAST(:kinds AS text[]), CAST(:titles AS text[]),"
        " CAST(:bodies AS text[]), CAST(:data AS text[]), CAST(:keys AS text[]))"
        " AS v(user_id, kind, title, body, data, key)"
        " ON CONFLICT (user_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING id, kind",
        {"users": [i.user_id for i in items], "kinds": [i.kind for i in items], "titles": [i.title for i in items],
         "bodies": [i.body for i in items], "data": [json.dumps(i.data, ensure_ascii=False) for i in items],
         "keys": [i.dedupe_key for i in items], "now": uow.now}).all()
    if push:
        uow.enqueue_many("wechat_subscribe", [({"notification_id": r.id}, f"notification:{r.id}")
                                              for r in rows if template_for(r.kind)])
    return len(rows)


def inbox(uow: UnitOfWork, user_id: int, cursor: str | None, limit: int, unread_only: bool
          ) -> tuple[list[dict[str, Any]], str | None]:
    sql = "SELECT id, kind, title, body, data, read_at, created_at FROM notifications WHERE user_id = :u"
    params: dict[str, Any] = {"u": user_id, "n": limit + 1}
    if unread_only:
        sql += " AND read_at IS NULL"
    if cursor:
        (last,) = decode_cursor(cursor, ID)
        sql += " AND id < :c"
        params["c"] = last
    rows = uow.execute(sql + " ORDER BY id DESC LIMIT :n", params).mappings().all()
    items = [dict(r) for r in rows[:limit]]
    return items, encode_cursor(items[-1]["id"]) if len(rows) > limit else None


def unread_count(uow: UnitOfWork, user_id: int) -> int:
    return int(uow.execute("SELECT count(*) FROM notifications WHERE user_id = :u AND read_at IS NULL",
                           {"u": user_id}).scalar_one())


def mark_read(uow: UnitOfWork, user_id: int, notification_id: int) -> None:
    row = uow.execute(
        "UPDATE notifications SET read_at = coalesce(read_at, :now) WHERE id = :id AND user_id = :u RETURNING id",
        {"now": uow.now, "id": notification_id, "u": user_id},
    ).first()
    if row is None:
        raise NotFound("NOTIFICATION_NOT_FOUND", "消息不存在")


def mark_all_read(uow: UnitOfWork, user_id: int) -> int:
    return uow.execute("UPDATE notifications SET read_at = :now WHERE user_id = :u AND read_at IS NULL",
                       {"now": uow.now, "u": user_id}).rowcount


def record_consents(uow: UnitOfWork, user_id: int, template_ids: list[str]) -> dict[str, int]:
    """The user accepted these templates in wx.requestSubscribeMessage: one more message allowed for each."""
    out: dict[str, int] = {}
    for template_id in template_ids:
        out[template_id] = uow.execute(
            "INSERT INTO subscribe_consents (user_id, template_id, remaining, updated_at) VALUES (:u, :t, 1, :now)"
            " ON CONFLICT (user_id, template_id) DO UPDATE SET remaining = subscribe_consents.remaining + 1,"
            " updated_at = EXCLUDED.updated_at RETURNING remaining",
            {"u": user_id, "t": template_id, "now": uow.now},
        ).scalar_one()
    return out
