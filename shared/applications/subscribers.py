"""The applications area's subscribers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.applications.service import close_active_applications

if TYPE_CHECKING:
    from shared.events import Stored, TaskClosed
    from shared.uow import UnitOfWork


def close_with_task(uow: UnitOfWork, stored: Stored[TaskClosed]) -> None:
    """A task that closes (cancelled, expired, rejected) closes its still-active applications in the same
    transaction, each developer told kindly."""
    e = stored.event
    title = uow.execute("SELECT title FROM tasks WHERE id = :t", {"t": e.task_id}).scalar_one()
    close_active_applications(uow, e.task_id, e.merchant_id, title, kind=f"task_{e.reason}")
