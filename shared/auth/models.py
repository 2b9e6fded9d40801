from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shared.columns import text_array, timestamp


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    openid: str | None = None
    unionid: str | None = None
    phone: str | None = None
    nickname: str = ""
    roles: list[str] = text_array()
    status: str = "active"
    premium_until: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()

    def has_role(self, role: str) -> bool:
        return role in self.roles
