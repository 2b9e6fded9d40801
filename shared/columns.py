"""Column helpers for SQLModel tables: PostgreSQL types SQLModel does not infer (timestamptz, text[], jsonb).

The SQL migrations are the source of truth for the schema; tests/integration/test_schema.py checks that every model
matches the migrated database column for column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field


def timestamp(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def text_array() -> Any:
    return Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))


def jsonb(default_factory: Any = list) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSONB, nullable=False))
