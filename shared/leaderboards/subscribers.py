"""After-commit subscribers of the leaderboards area. Each is idempotent on the grant's business key (lb_credits) or
the event's order (bans), so a redelivery or a replay changes nothing. A grant growth marks `backfill` (XP of old
tasks granted today) counts on the all-time boards only: its real week and month are unknown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.leaderboards import service

if TYPE_CHECKING:
    from shared.events import SkillPointsGranted, Stored, UserBanned, UserUnbanned, XpGranted
    from shared.uow import UnitOfWork


def credit_xp(uow: UnitOfWork, stored: Stored[XpGranted]) -> None:
    e = stored.event
    service.credit(uow, e.user_id, "xp", e.ref, stored.occurred_at, {"xp": e.amount}, all_time_only=e.backfill)


def credit_skills(uow: UnitOfWork, stored: Stored[SkillPointsGranted]) -> None:
    e = stored.event
    service.credit(uow, e.user_id, "skill", e.ref, stored.occurred_at, service.sanitize_amounts(e.skills),
                   all_time_only=e.backfill)


def ban(uow: UnitOfWork, stored: Stored[Any]) -> None:
    e: UserBanned | UserUnbanned = stored.event
    service.set_banned(uow, e.user_id, e.name == "UserBanned", stored.id)
