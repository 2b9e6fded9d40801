"""Operator account management."""

from __future__ import annotations

from sqlmodel import select

from shared.auth.models import User
from shared.auth.service import grant_role
from shared.uow import UnitOfWork


def make_admin(uow: UnitOfWork, phone: str) -> int:
    """Give the admin role to the user with this phone, creating the account if needed. Returns the user id."""
    user = uow.session.exec(select(User).where(User.phone == phone)).first()
    if user is None:
        user = User(phone=phone, nickname="运营", roles=[], created_at=uow.now, updated_at=uow.now)
        uow.session.add(user)
        uow.flush()
    assert user.id is not None
    grant_role(uow, user.id, "admin")
    uow.record("user", user.id, "admin_granted", actor_id=None)
    return user.id
