"""Read-only questions other areas may ask the invitations area."""

from __future__ import annotations

from shared.uow import UnitOfWork


def credited_invitations(uow: UnitOfWork, inviter_id: int) -> int:
    return int(uow.execute("SELECT count(*) FROM invitations WHERE inviter_id = :u AND status = 'credited'",
                           {"u": inviter_id}).scalar_one())


def inviter_of(uow: UnitOfWork, invitee_id: int) -> int | None:
    found = uow.execute("SELECT inviter_id FROM invitations WHERE invitee_id = :u", {"u": invitee_id}).scalar()
    return int(found) if found is not None else None
