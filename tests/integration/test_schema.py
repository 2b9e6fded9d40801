"""The SQL migrations are the source of truth for the schema (shared/columns.py): every SQLModel table model must
match what `infra/migrations` creates, column for column — read from information_schema on the migrated test
database.

For each model table: the table exists; every model column exists with the PostgreSQL type the model's SQLAlchemy
type stands for (a `datetime` is `timestamptz`, never a naive `timestamp`; a `list[str]` is `text[]`; an `int` any
integer column), the same nullability, and the same primary key; and a column the model leaves out must be one
the database can fill by itself (nullable or with a default), or the ORM could not insert a row.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Interval,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB
from sqlmodel import SQLModel

from tests.support.db import rows

ROOT = Path(__file__).resolve().parents[2]


def model_tables() -> dict[str, Any]:
    """Every table model in shared/: import each module that declares one (no registry to forget)."""
    for path in sorted((ROOT / "shared").rglob("*.py")):
        if "table=True" in path.read_text(encoding="utf-8"):
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))
    return dict(SQLModel.metadata.tables)


def udt_names(sa_type: Any) -> set[str]:
    """The information_schema udt_name(s) a SQLAlchemy column type may be stored as."""
    if isinstance(sa_type, Interval):  # a TypeDecorator itself: before the unwrapping below
        return {"interval"}
    if isinstance(sa_type, TypeDecorator):  # SQLModel's `str` is AutoString, a decorated String
        return udt_names(sa_type.impl_instance)
    if isinstance(sa_type, ARRAY):
        return {f"_{name}" for name in udt_names(sa_type.item_type)}
    if isinstance(sa_type, JSONB):
        return {"jsonb"}
    if isinstance(sa_type, JSON):
        return {"json"}
    if isinstance(sa_type, DateTime):
        return {"timestamptz"} if sa_type.timezone else {"timestamp"}
    if isinstance(sa_type, Boolean):
        return {"bool"}
    if isinstance(sa_type, BigInteger):
        return {"int8"}
    if isinstance(sa_type, SmallInteger):
        return {"int2"}
    if isinstance(sa_type, Integer):
        # SQLModel infers a plain Integer for every `int` field; Python ints are unbounded, so any integer column
        # agrees (its range — bigint for ids and fen — is the migration's decision).
        return {"int2", "int4", "int8"}
    if isinstance(sa_type, Float):
        return {"float8", "float4"}
    if isinstance(sa_type, Numeric):
        return {"numeric"}
    if isinstance(sa_type, Date):
        return {"date"}
    if isinstance(sa_type, Uuid):
        return {"uuid"}
    if isinstance(sa_type, LargeBinary):
        return {"bytea"}
    if isinstance(sa_type, Text):
        return {"text"}
    if isinstance(sa_type, String):  # SQLModel's `str` (AutoString): unbounded text in PostgreSQL either way
        return {"varchar"} if sa_type.length else {"text", "varchar"}
    raise AssertionError(f"no PostgreSQL type known for {sa_type!r}: teach udt_names")


def database_columns(table: str) -> dict[str, Any]:
    return {r.column_name: r for r in rows(
        "SELECT column_name, udt_name, is_nullable, column_default, character_maximum_length"
        " FROM information_schema.columns WHERE table_schema = 'public' AND table_name = :t", t=table)}


def database_primary_key(table: str) -> set[str]:
    return {r.column_name for r in rows(
        "SELECT k.column_name FROM information_schema.table_constraints c"
        " JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name"
        " AND k.table_schema = c.table_schema AND k.table_name = c.table_name"
        " WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = 'public' AND c.table_name = :t", t=table)}


TABLES = model_tables()


def test_the_models_are_found():
    assert {"users", "tasks", "applications", "deliveries", "ratings"} <= set(TABLES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_model_matches_the_migrated_table(db, name):
    table = TABLES[name]
    columns = database_columns(name)
    assert columns, f"{name}: the migrations create no such table"
    problems = []
    for col in table.columns:
        found = columns.get(col.name)
        if found is None:
            problems.append(f"{col.name}: not in the database")
            continue
        expected = udt_names(col.type)
        if found.udt_name not in expected:
            problems.append(f"{col.name}: model {col.type!r} is one of {sorted(expected)}, database {found.udt_name}")
        length = getattr(col.type, "length", None)
        if length and found.character_maximum_length != length:
            problems.append(f"{col.name}: model length {length}, database {found.character_maximum_length}")
        if (found.is_nullable == "YES") != bool(col.nullable):
            problems.append(f"{col.name}: model nullable={col.nullable}, database is_nullable={found.is_nullable}")
    for column_name, found in columns.items():
        if column_name not in table.columns and found.is_nullable == "NO" and found.column_default is None:
            problems.append(f"{column_name}: NOT NULL without a default in the database, but not in the model")
    if {c.name for c in table.primary_key.columns} != database_primary_key(name):
        problems.append(f"primary key: model {sorted(c.name for c in table.primary_key.columns)}, "
                        f"database {sorted(database_primary_key(name))}")
    assert problems == [], f"{name}: " + "; ".join(problems)


def test_the_check_catches_a_naive_timestamp(db):
    """The comparison itself can fail: a naive DateTime() column is not the migrations' timestamptz."""
    from sqlalchemy import Column, MetaData, Table

    naive = Table("tasks", MetaData(), Column("created_at", DateTime(), nullable=False))
    found = database_columns("tasks")["created_at"]
    assert found.udt_name not in udt_names(naive.c.created_at.type)
    assert found.udt_name in udt_names(TABLES["tasks"].c.created_at.type)
