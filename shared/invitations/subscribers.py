"""The invitations area's subscribers (after commit): the invitee's phone and profile move their invitation on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.invitations.service import mark

if TYPE_CHECKING:
    from shared.events import PhoneBound, ProfileCompleted, Stored
    from shared.uow import UnitOfWork


def on_phone_bound(uow: UnitOfWork, stored: Stored[PhoneBound]) -> None:
    mark(uow, stored.event.user_id, "phone_bound")


def on_profile_completed(uow: UnitOfWork, stored: Stored[ProfileCompleted]) -> None:
    mark(uow, stored.event.user_id, "profile_completed")
