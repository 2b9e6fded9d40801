"""infra/migrate.py against a real PostgreSQL: one transaction per file, and files marked to run outside a transaction
(an index built CONCURRENTLY), on a scratch database of their own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from infra.migrate import MigrationError, migrate, split_statements


@pytest.fixture
def scratch(platform) -> Iterator[Engine]:
    from infra.local.platform import ensure_database, with_database

    name = f"codelink_migrate_{os.getpid()}"
    url = ensure_database(with_database(platform.database_url, "postgres"), name, fresh=True)
    engine = create_engine(url)
    yield engine
    engine.dispose()
    admin = create_engine(with_database(url, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def write(directory: Path, name: str, sql: str) -> None:
    (directory / name).write_text(sql, encoding="utf-8")


def applied(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT name FROM schema_migrations ORDER BY name")).scalars())


def test_each_file_is_its_own_transaction(scratch: Engine, tmp_path: Path) -> None:
    write(tmp_path, "0001_a.sql", "CREATE TABLE a (id int PRIMARY KEY);")
    # The second file fails halfway: its first statement must be rolled back with it, the first file must stay.
    write(tmp_path, "0002_b.sql", "CREATE TABLE b (id int);\nINSERT INTO a VALUES (1), (1);")
    with pytest.raises(Exception, match="duplicate key"):
        migrate(scratch, tmp_path)
    assert applied(scratch) == ["0001_a.sql"]
    with scratch.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('a')")).scalar() == "a"
        assert conn.execute(text("SELECT to_regclass('b')")).scalar() is None  # rolled back with its file

    write(tmp_path, "0002_b.sql", "CREATE TABLE b (id int);\nINSERT INTO a VALUES (1), (2);")
    assert migrate(scratch, tmp_path) == ["0002_b.sql"]
    assert migrate(scratch, tmp_path) == []  # nothing twice


def test_a_marked_file_builds_an_index_concurrently(scratch: Engine, tmp_path: Path) -> None:
    write(tmp_path, "0001_t.sql", "CREATE TABLE big (id int, v text);\nINSERT INTO big SELECT g, g::text"
                                  " FROM generate_series(1, 1000) g;")
    concurrently = ("-- codelink:no-transaction\n"
                    "-- rebuilt if a previous run failed half-way\n"
                    "DROP INDEX CONCURRENTLY IF EXISTS big_v;\n"
                    "CREATE INDEX CONCURRENTLY big_v ON big (v) WHERE v <> ';';\n")
    write(tmp_path, "0002_idx.sql", concurrently)
    assert migrate(scratch, tmp_path) == ["0001_t.sql", "0002_idx.sql"]
    with scratch.connect() as conn:
        valid = conn.execute(text("SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass")).scalar()
    assert valid is True


def test_without_the_marker_concurrently_is_refused(scratch: Engine, tmp_path: Path) -> None:
    write(tmp_path, "0001_t.sql", "CREATE TABLE big (id int);")
    write(tmp_path, "0002_idx.sql", "CREATE INDEX CONCURRENTLY big_id ON big (id);")
    with pytest.raises(Exception, match="cannot run inside a transaction block"):
        migrate(scratch, tmp_path)
    assert applied(scratch) == ["0001_t.sql"]


def test_a_failed_concurrent_build_is_not_recorded_and_reruns(scratch: Engine, tmp_path: Path) -> None:
    write(tmp_path, "0001_t.sql", "CREATE TABLE dup (v int);\nINSERT INTO dup VALUES (1), (1);")
    write(tmp_path, "0002_unique.sql", "-- codelink:no-transaction\n"
                                       "DROP INDEX CONCURRENTLY IF EXISTS dup_v;\n"
                                       "CREATE UNIQUE INDEX CONCURRENTLY dup_v ON dup (v);\n")
    with pytest.raises(Exception, match="could not create unique index"):
        migrate(scratch, tmp_path)
    assert applied(scratch) == ["0001_t.sql"]
    with scratch.begin() as conn:  # the operator fixes the data; the leftover invalid index is dropped by the file
        conn.execute(text("DELETE FROM dup WHERE ctid <> (SELECT min(ctid) FROM dup)"))
    assert migrate(scratch, tmp_path) == ["0002_unique.sql"]


def test_an_invalid_index_left_behind_blocks_recording(scratch: Engine, tmp_path: Path) -> None:
    # An earlier attempt's failed concurrent build left dup_v INVALID; IF NOT EXISTS would now skip it silently.
    with scratch.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CREATE TABLE dup (v int)"))
        conn.execute(text("INSERT INTO dup VALUES (1), (1)"))
        with pytest.raises(Exception, match="could not create unique index"):
            conn.execute(text("CREATE UNIQUE INDEX CONCURRENTLY dup_v ON dup (v)"))
    write(tmp_path, "0001_skip.sql", "-- codelink:no-transaction\n"
                                     "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS dup_v ON dup (v);\n")
    with pytest.raises(MigrationError, match="invalid indexes"):
        migrate(scratch, tmp_path)
    assert applied(scratch) == []


def test_a_changed_applied_file_is_refused(scratch: Engine, tmp_path: Path) -> None:
    write(tmp_path, "0001_a.sql", "CREATE TABLE a (id int);")
    migrate(scratch, tmp_path)
    write(tmp_path, "0001_a.sql", "CREATE TABLE a (id bigint);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(scratch, tmp_path)


def test_plpgsql_percent_signs_survive(scratch: Engine, tmp_path: Path) -> None:
    write(tmp_path, "0001_f.sql", "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\n"
                                  "BEGIN RAISE NOTICE 'at %; done', now(); END $$;")
    assert migrate(scratch, tmp_path) == ["0001_f.sql"]


def test_the_project_migrations_apply_on_an_empty_database(scratch: Engine) -> None:
    names = migrate(scratch)
    assert names and names == sorted(names)


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
    ("SELECT ';'; SELECT \"a;b\" FROM t", ["SELECT ';'", 'SELECT "a;b" FROM t']),
    ("SELECT 'it''s; fine';", ["SELECT 'it''s; fine'"]),
    ("-- a; comment\nSELECT 1; /* b; */ SELECT 2", ["-- a; comment\nSELECT 1", "/* b; */ SELECT 2"]),
    ("DO $body$ BEGIN PERFORM 1; END $body$; SELECT 3", ["DO $body$ BEGIN PERFORM 1; END $body$", "SELECT 3"]),
    ("SELECT $$a;b$$;\n-- only a comment;\n", ["SELECT $$a;b$$"]),
])
def test_split_statements(sql: str, expected: list[str]) -> None:
    assert split_statements(sql) == expected
