"""The chat area's subscribers: a conversation per (task, applicant) from the first application on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.events import ApplicationSubmitted, Stored
    from shared.uow import UnitOfWork


def open_for_application(uow: UnitOfWork, stored: Stored[ApplicationSubmitted]) -> None:
    """In the application's transaction, so the applicant can write at once (re-applying keeps the old one)."""
    e = stored.event
    uow.execute("INSERT INTO conversations (task_id, application_id, merchant_id, developer_id, created_at)"
                " VALUES (:t, :a, :m, :d, :now) ON CONFLICT (task_id, developer_id) DO NOTHING",
                {"t": e.task_id, "a": e.application_id, "m": e.merchant_id, "d": e.developer_id, "now": uow.now})
