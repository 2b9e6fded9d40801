"""Apply the SQL migrations in infra/migrations/ in order, once each (`make migrate`, and the `migrate` cloud function
that docs/DEPLOY.md runs as a deploy step).

Plain SQL files keep the schema explicit (constraints, partial indexes, triggers for the ledger) and reviewable.

- One transaction per file: a file applies completely, together with its row in `schema_migrations`, or not at all,
  and a failure in file N leaves files 1..N-1 applied (they are committed one by one, not held in one long
  transaction that would keep every lock until the last file).
- A file whose first line is `-- codelink:no-transaction` runs outside a transaction, one statement at a time, for
  what PostgreSQL refuses inside one: `CREATE INDEX CONCURRENTLY` (an index on a large table built without blocking
  writes), `DROP INDEX CONCURRENTLY`, `ALTER TYPE ... ADD VALUE` before PostgreSQL 12. Such a file is recorded only
  after its last statement succeeded, so a failure re-runs the whole file next time: write every statement so that it
  can run twice (`DROP INDEX CONCURRENTLY IF EXISTS x;` then `CREATE INDEX CONCURRENTLY x ...`). A failed concurrent
  build leaves an INVALID index behind; the runner refuses to record the file while any invalid index exists.
- A session-level advisory lock serialises migrators: two deploys (or `make dev` next to a test run) never race.
- An applied file never changes: its checksum is recorded and checked.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
NO_TRANSACTION_MARKER = "-- codelink:no-transaction"
LOCK_KEY = 7_362_001  # arbitrary, stable: the advisory lock for migrations

log = logging.getLogger("codelink.migrate")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    path: Path
    sql: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def transactional(self) -> bool:
        first_line = self.sql.lstrip("\ufeff").split("\n", 1)[0].strip()
        return first_line != NO_TRANSACTION_MARKER


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    return sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def split_statements(sql: str) -> list[str]:
    """Split SQL text into statements on `;` outside quotes, dollar quotes and comments (for no-transaction files:
    PostgreSQL runs a multi-statement string as one implicit transaction, where CONCURRENTLY is refused)."""
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end + 1
            current.append(sql[i:end])
            i = end
        elif ch == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end == -1:
                raise MigrationError("unterminated /* comment")
            current.append(sql[i:end + 2])
            i = end + 2
        elif ch in ("'", '"'):
            end = i + 1
            while True:
                end = sql.find(ch, end)
                if end == -1:
                    raise MigrationError(f"unterminated {ch} quote")
                if sql.startswith(ch * 2, end):  # a doubled quote is an escaped one
                    end += 2
                    continue
                break
            current.append(sql[i:end + 1])
            i = end + 1
        elif ch == "$":
            tag_end = sql.find("$", i + 1)
            tag = sql[i:tag_end + 1] if tag_end != -1 else ""
            if tag and (tag == "$$" or tag[1:-1].replace("_", "a").isalnum()) and not tag[1].isdigit():
                end = sql.find(tag, tag_end + 1)
                if end == -1:
                    raise MigrationError(f"unterminated {tag} quote")
                current.append(sql[i:end + len(tag)])
                i = end + len(tag)
            else:
                current.append(ch)
                i += 1
        elif ch == ";":
            statements.append("".join(current))
            current = []
            i += 1
        else:
            current.append(ch)
            i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    lines = [line.split("--", 1)[0].strip() for line in statement.splitlines()]
    return any(lines)


def migrate(engine: Engine, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations, each file in its own transaction (or none, when marked); return the names applied."""
    migrations = [Migration(path, path.read_text(encoding="utf-8")) for path in migration_files(directory)]
    applied_now: list[str] = []
    raw = engine.raw_connection()
    pg: Any = raw.driver_connection  # psycopg2: its cursor runs a file as one string, `%` in plpgsql untouched
    try:
        pg.autocommit = True  # the lock and no-transaction files; transactional files open their own
        with pg.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
            try:
                cur.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " name text PRIMARY KEY, checksum text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                )
                cur.execute("SELECT name, checksum FROM schema_migrations")
                done = dict(cur.fetchall())
                for migration in migrations:
                    if migration.name in done:
                        if done[migration.name] != migration.checksum:
                            # An applied migration must never change: write a new one instead.
                            raise MigrationError(f"migration {migration.name} changed after it was applied")
                        continue
                    if migration.transactional:
                        _apply_in_transaction(pg, migration)
                    else:
                        _apply_without_transaction(pg, migration)
                    applied_now.append(migration.name)
                    log.info("applied %s", migration.name)
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    finally:
        pg.autocommit = False  # the connection goes back to the pool as the pool handed it out
        raw.close()
    return applied_now


_RECORD = "INSERT INTO schema_migrations (name, checksum) VALUES (%s, %s)"


def _apply_in_transaction(pg: Any, migration: Migration) -> None:
    pg.autocommit = False
    try:
        with pg.cursor() as cur:
            cur.execute(migration.sql)  # no parameters: `%` in the file stays as written
            cur.execute(_RECORD, (migration.name, migration.checksum))
        pg.commit()
    except Exception:
        pg.rollback()
        raise
    finally:
        pg.autocommit = True


def _apply_without_transaction(pg: Any, migration: Migration) -> None:
    with pg.cursor() as cur:
        for statement in split_statements(migration.sql):
            log.info("%s: %s", migration.name, statement.splitlines()[0][:120])
            cur.execute(statement)
        cur.execute("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid")
        invalid = [row[0] for row in cur.fetchall()]
        if invalid:
            raise MigrationError(
                f"{migration.name}: invalid indexes {invalid} (a failed CREATE INDEX CONCURRENTLY): drop them"
                " (DROP INDEX CONCURRENTLY) and run the migration again")
        cur.execute(_RECORD, (migration.name, migration.checksum))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    from shared.db import get_engine

    applied = migrate(get_engine())
    print(f"migrations applied: {len(applied)}" + (f" ({', '.join(applied)})" if applied else ""))


if __name__ == "__main__":
    main()
