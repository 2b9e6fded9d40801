"""SQLModel mirrors of the challenges area's tables (0030_challenges.sql, 0031_checkins.sql); the SQL is the source of
truth and tests/integration/test_schema.py holds these to it. The use cases write SQL (hot paths, locks)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Field, SQLModel

from shared.columns import jsonb, timestamp


class ChallengeRow(SQLModel, table=True):
    __tablename__ = "challenges"

    key: str = Field(primary_key=True)
    name: str
    description: str = ""
    definition: dict[str, Any] = jsonb(dict)
    active: bool = True
    position: int = 0
    version: int = 1
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class ChallengeWindow(SQLModel, table=True):
    __tablename__ = "challenge_windows"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int
    challenge_key: str
    window_key: str
    starts_at: datetime = timestamp()
    ends_at: datetime = timestamp()
    name: str
    definition: dict[str, Any] = jsonb(dict)
    challenge_version: int
    completed_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp()


class ChallengeProgressRow(SQLModel, table=True):
    __tablename__ = "challenge_progress"

    window_id: int = Field(primary_key=True)
    condition_key: str = Field(primary_key=True)
    event_id: int = Field(primary_key=True)
    occurred_at: datetime = timestamp()


class ChallengeCash(SQLModel, table=True):
    __tablename__ = "challenge_cash"

    window_id: int = Field(primary_key=True)
    user_id: int
    amount_fen: int
    state: str
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class Checkin(SQLModel, table=True):
    __tablename__ = "checkins"

    user_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    streak: int
    freezes_used: int = 0
    created_at: datetime = timestamp()


class CheckinStats(SQLModel, table=True):
    __tablename__ = "checkin_stats"

    user_id: int = Field(primary_key=True)
    last_day: date | None = None
    streak: int = 0
    total: int = 0
    longest: int = 0
    freezes: int = 0
    remind: bool = False
    reminded_on: date | None = None
    updated_at: datetime = timestamp()


class CheckinExcusedDay(SQLModel, table=True):
    __tablename__ = "checkin_excused_days"

    day: date = Field(primary_key=True)
    reason: str
    admin_id: int | None = None
    created_at: datetime = timestamp()
