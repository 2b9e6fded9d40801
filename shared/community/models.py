"""The community tables (infra/migrations/0050_community.sql)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shared.columns import text_array, timestamp


class Post(SQLModel, table=True):
    __tablename__ = "posts"

    id: int | None = Field(default=None, primary_key=True)
    author_id: int
    body: str
    tags: list[str] = text_array()
    status: str = "visible"
    like_count: int = 0
    comment_count: int = 0
    report_count: int = 0
    hidden_reason: str = ""
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class PostComment(SQLModel, table=True):
    __tablename__ = "post_comments"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int
    author_id: int
    body: str
    created_at: datetime = timestamp()
