"""Apply the SQL migrations in infra/migrations/ in order, once each (`make migrate`).

Plain SQL files keep the schema explicit (constraints, partial indexes, triggers for the ledger) and reviewable.
Each file runs in its own transaction under an advisory lock, so two processes migrating at once do not race.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_LOCK_KEY = 7_362_001  # arbitrary, stable: the advisory lock for migrations

log = logging.getLogger("codelink.migrate")


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def migrate(engine: Engine) -> list[str]:
    """Apply pending migrations; return the names applied."""
    applied_now: list[str] = []
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
        try:
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " name text PRIMARY KEY, checksum text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                )
            )
            done = {r.name: r.checksum for r in conn.execute(text("SELECT name, checksum FROM schema_migrations"))}
            for path in migration_files():
                sql = path.read_text(encoding="utf-8")
                checksum = hashlib.sha256(sql.encode()).hexdigest()
                if path.name in done:
                    if done[path.name] != checksum:
                        # An applied migration must never change: write a new one instead.
                        raise RuntimeError(f"migration {path.name} changed after it was applied")
                    continue
                with conn.begin_nested():
                    # The raw cursor with no parameters: plpgsql bodies use `%` (RAISE formats), which a
                    # parameterised execute would read as placeholders.
                    conn.connection.driver_connection.cursor().execute(sql)  # type: ignore[union-attr]
                    conn.execute(
                        text("INSERT INTO schema_migrations (name, checksum) VALUES (:n, :c)"),
                        {"n": path.name, "c": checksum},
                    )
                applied_now.append(path.name)
                log.info("applied %s", path.name)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
    return applied_now


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    from shared.db import get_engine

    applied = migrate(get_engine())
    print(f"migrations applied: {len(applied)}" + (f" ({', '.join(applied)})" if applied else ""))


if __name__ == "__main__":
    main()
