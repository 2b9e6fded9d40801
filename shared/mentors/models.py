"""The mentors tables (infra/migrations/0052_mentors.sql)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shared.columns import timestamp


class Mentor(SQLModel, table=True):
    __tablename__ = "mentors"

    user_id: int = Field(primary_key=True)
    flagged: bool = False
    real_name: str = ""
    real_name_status: str = "none"
    title: str = ""
    reviewed_by: int | None = None
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class MentorChallenge(SQLModel, table=True):
    __tablename__ = "mentor_challenges"

    id: int | None = Field(default=None, primary_key=True)
    mentor_id: int
    title: str
    brief: str
    bonus_fen: int
    pass_score: int
    status: str = "open"
    created_by: int
    created_at: datetime = timestamp()


class MentorEnrolment(SQLModel, table=True):
    __tablename__ = "mentor_enrolments"

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int
    developer_id: int
    mentor_id: int
    status: str = "enrolled"
    deliverable_url: str = ""
    deliverable_note: str = ""
    submitted_at: datetime | None = timestamp(nullable=True)
    score: int | None = None
    comment: str = ""
    accepted: bool | None = None
    bonus_fen: int = 0
    reviewed_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp()


class MentorLetter(SQLModel, table=True):
    __tablename__ = "mentor_letters"

    enrolment_id: int = Field(primary_key=True)
    mentor_id: int
    developer_id: int
    body: str
    created_at: datetime = timestamp()
