"""The invitations tables (infra/migrations/0051_invitations.sql)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shared.columns import timestamp


class InvitationCode(SQLModel, table=True):
    __tablename__ = "invitation_codes"

    user_id: int = Field(primary_key=True)
    code: str
    created_at: datetime = timestamp()


class Invitation(SQLModel, table=True):
    __tablename__ = "invitations"

    id: int | None = Field(default=None, primary_key=True)
    inviter_id: int
    invitee_id: int
    code: str
    status: str = "pending"
    phone_bound: bool = False
    profile_completed: bool = False
    refused_reason: str = ""
    created_at: datetime = timestamp()
    credited_at: datetime | None = timestamp(nullable=True)
