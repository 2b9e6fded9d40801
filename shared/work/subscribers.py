"""The work area's subscribers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.events import DisputeOpened, Stored
    from shared.uow import UnitOfWork


def freeze_delivery(uow: UnitOfWork, stored: Stored[DisputeOpened]) -> None:
    """A dispute is the answer to the latest, still undecided delivery: it can no longer be accepted or revised."""
    uow.execute(
        "UPDATE deliveries SET decision = 'disputed', decided_at = :now WHERE id = (SELECT id FROM deliveries"
        " WHERE task_id = :t ORDER BY round DESC LIMIT 1) AND decision IS NULL",
        {"now": uow.now, "t": stored.event.task_id})
