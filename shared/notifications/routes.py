"""HTTP routes of the `notifications` function: the inbox and subscribe-message consents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.http.router import Request, Router
from shared.notifications import service
from shared.uow import run

router = Router("notifications")


class InboxQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unread_only: bool = False
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=50)


class NotificationOut(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    read_at: datetime | None
    created_at: datetime


class Inbox(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int


class ConsentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template_ids: list[str] = Field(min_length=1, max_length=10,
                                    description="wx.requestSubscribeMessage 中用户同意的模板 ID")


class ConsentsOut(BaseModel):
    remaining: dict[str, int]


class Count(BaseModel):
    count: int


@router.get("/notifications", summary="我的消息", query=InboxQuery, response=Inbox, errors=("INVALID_CURSOR",))
def inbox(req: Request, query: InboxQuery) -> Inbox:
    def read(uow):
        items, cursor = service.inbox(uow, req.user_id, query.cursor, query.limit, query.unread_only)
        return Inbox(items=[NotificationOut.model_validate(i) for i in items], next_cursor=cursor,
                     unread=service.unread_count(uow, req.user_id))

    return run(read)


@router.post("/notifications/{notification_id:int}/read", summary="标记已读", response=Count,
             errors=("NOTIFICATION_NOT_FOUND",))
def read_one(req: Request) -> Count:
    run(lambda uow: service.mark_read(uow, req.user_id, req.params["notification_id"]))
    return Count(count=1)


@router.post("/notifications/read-all", summary="全部标记已读", response=Count)
def read_all(req: Request) -> Count:
    return Count(count=run(lambda uow: service.mark_all_read(uow, req.user_id)))


@router.post("/notifications/subscriptions", summary="记录用户同意的订阅消息授权", body=ConsentsIn,
             response=ConsentsOut)
def consents(req: Request, body: ConsentsIn) -> ConsentsOut:
    return ConsentsOut(remaining=run(lambda uow: service.record_consents(uow, req.user_id, body.template_ids)))
