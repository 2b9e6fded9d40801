"""The auth area's subscribers: roles follow profiles. Creating a developer or merchant profile grants the role in
the same transaction, so the router (which reads roles from the user row) lets the user in on the next request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.auth.service import grant_role

if TYPE_CHECKING:
    from shared.events import DeveloperProfileSaved, MerchantProfileSaved, Stored
    from shared.uow import UnitOfWork


def grant_developer(uow: UnitOfWork, stored: Stored[DeveloperProfileSaved]) -> None:
    if stored.event.created:
        grant_role(uow, stored.event.user_id, "developer")


def grant_merchant(uow: UnitOfWork, stored: Stored[MerchantProfileSaved]) -> None:
    if stored.event.created:
        grant_role(uow, stored.event.user_id, "merchant")
