"""The `wechat_subscribe` job: push one inbox notification as a WeChat subscribe message, spending one consent.

Three steps, each safe to repeat: (1) reserve — spend one consent and mark the notification `sending`, in one
transaction; (2) send; (3) mark it `sent`. A retry after a failure in (2) sends again without spending another
consent; a notification already `sent` (or `no_consent`) is never pushed again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.adapters import clients
from shared.clock import SHANGHAI
from shared.notifications.kinds import SUBSCRIBE_PAGE, template_for
from shared.uow import UnitOfWork, run


def message_data(title: str, body: str, created_at: datetime) -> dict[str, dict[str, str]]:
    # Subscribe-message fields are short typed slots (thing ≤ 20 chars, time); the inbox keeps the full text.
    return {
        "thing1": {"value": title[:20]},
        "thing2": {"value": body[:20]},
        "time3": {"value": created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")},
    }


def _set_push_state(uow: UnitOfWork, notification_id: int, state: str) -> None:
    uow.execute("UPDATE notifications SET data = data || jsonb_build_object('push', CAST(:s AS text)) WHERE id = :id",
                {"s": state, "id": notification_id})


def _reserve(uow: UnitOfWork, notification_id: int) -> dict[str, Any] | None:
    row = uow.execute(
        "SELECT n.id, n.user_id, n.kind, n.title, n.body, n.data, n.created_at, u.openid"
        " FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = :id FOR UPDATE OF n",
        {"id": notification_id}).first()
    if row is None or not row.openid:
        return None
    state = row.data.get("push")
    if state in ("sent", "no_consent", "refused"):
        return None
    template = template_for(row.kind)
    if state != "sending":
        spent = uow.execute(
            "UPDATE subscribe_consents SET remaining = remaining - 1, updated_at = :now"
            " WHERE user_id = :u AND template_id = :t AND remaining > 0 RETURNING remaining",
            {"now": uow.now, "u": row.user_id, "t": template}).first()
        _set_push_state(uow, row.id, "sending" if spent else "no_consent")
        if spent is None:
            return None
    return {"id": row.id, "openid": row.openid, "template": template, "title": row.title, "body": row.body,
            "created_at": row.created_at, "task_id": row.data.get("task_id", ""), "user_id": row.user_id}


def deliver_subscribe_message(payload: dict[str, Any]) -> None:
    message = run(lambda uow: _reserve(uow, int(payload["notification_id"])))
    if message is None:
        return
    sent = clients.wechat().send_subscribe_message(
        message["openid"], message["template"],
        message_data(message["title"], message["body"], message["created_at"]),
        SUBSCRIBE_PAGE.format(task_id=message["task_id"]))

    def finish(uow: UnitOfWork) -> None:
        _set_push_state(uow, message["id"], "sent" if sent else "refused")
        if not sent:
            # WeChat says there is no authorisation left (the user revoked it): our count was stale, fix it.
            uow.execute("UPDATE subscribe_consents SET remaining = 0, updated_at = :now"
                        " WHERE user_id = :u AND template_id = :t",
                        {"now": uow.now, "u": message["user_id"], "t": message["template"]})

    run(finish)
