"""SQLModel mirrors of the lottery's tables (0032_lottery.sql); the SQL is the source of truth and
tests/integration/test_schema.py holds these to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from shared.columns import jsonb, timestamp


class LotteryEntry(SQLModel, table=True):
    __tablename__ = "lottery_entries"

    lottery: str = Field(primary_key=True)
    source: str = Field(primary_key=True)
    user_id: int
    tickets: int
    created_at: datetime = timestamp()


class LotteryDraw(SQLModel, table=True):
    __tablename__ = "lottery_draws"

    id: int | None = Field(default=None, primary_key=True)
    lottery: str
    state: str
    close_time: datetime = timestamp()
    beacon_round: int
    seed: bytes  # secret until the draw: never shown before the record reveals it
    record: dict[str, Any] = jsonb(dict)
    announced_at: datetime = timestamp()
    closed_at: datetime | None = timestamp(nullable=True)
    drawn_at: datetime | None = timestamp(nullable=True)
    updated_at: datetime = timestamp()


class LotteryPrize(SQLModel, table=True):
    __tablename__ = "lottery_prizes"

    draw_id: int = Field(primary_key=True)
    rank: int = Field(primary_key=True)
    user_id: int
    kind: str
    amount: int
    state: str
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
