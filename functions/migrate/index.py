"""Cloud function `migrate` (no trigger): applies infra/migrations to the production database as a deploy step.

Deployed before the other functions from infra/deploy/migrate/serverless.yml and invoked by the deployer
(`make deploy-migrate`, docs/DEPLOY.md). Events:
  {"action": "migrate"}  apply what is pending; answers {"ok", "applied", "pending", "head"}
  {"action": "status"}   change nothing; answers {"ok", "applied", "pending", "head", "running"} (`running`: another
                         migrator holds the migration lock, e.g. a long CREATE INDEX CONCURRENTLY after the
                         synchronous Invoke gave up waiting)
"""

from __future__ import annotations

from typing import Any

from shared.runtime import bootstrap, job_run


def status() -> dict[str, Any]:
    from sqlalchemy import text

    from infra.migrate import LOCK_KEY, migration_files
    from shared.db import get_engine

    with get_engine().connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('schema_migrations') IS NOT NULL")).scalar()
        done = set(conn.execute(text("SELECT name FROM schema_migrations")).scalars()) if exists else set()
        running = conn.execute(text("SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory'"
                                    " AND objid = :k AND granted"), {"k": LOCK_KEY}).scalar()
    names = [p.name for p in migration_files()]
    applied = [n for n in names if n in done]
    return {"ok": True, "applied": applied, "pending": [n for n in names if n not in done],
            "head": applied[-1] if applied else None, "running": bool(running)}


def migrate() -> dict[str, Any]:
    from infra.migrate import migrate as apply
    from shared.db import get_engine

    applied = apply(get_engine())
    return {**status(), "applied_now": applied}


bootstrap()


def main_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    action = event.get("action", "status") if isinstance(event, dict) else None
    if action not in ("migrate", "status"):
        return {"ok": False, "error": "event must be {\"action\": \"migrate\" | \"status\"}"}
    return job_run(f"migrate.{action}", migrate if action == "migrate" else status, context)
