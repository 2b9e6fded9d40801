"""`badges.evaluate`: the after-commit subscriber of every event a badge may count (rules.TRIGGERS). A replay
(`stored.replay`, how a new or changed badge backfills) or an event that is itself a backfill grants without
notifying."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.badges.service import on_event

if TYPE_CHECKING:
    from shared.events import Stored
    from shared.uow import UnitOfWork


def evaluate(uow: UnitOfWork, stored: Stored[Any]) -> None:
    event = stored.event
    backfill = stored.replay or bool(getattr(event, "backfill", False))
    on_event(uow, event.name, event.data(), event_id=stored.id, backfill=backfill)
