"""The jobs worker: works off the outbox written by use cases (`UnitOfWork.enqueue`).

Claiming uses `FOR UPDATE SKIP LOCKED`, so concurrent workers (a kick and the sweep timer) never take the same job.
A claimed job holds a lease; a worker that dies leaves the lease to expire and the job is claimed again — handlers are
idempotent, so running one twice is safe. Failures back off exponentially; after `max_attempts` the job is parked as
`failed` (the dead-letter queue, visible to admins).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from shared import clock
from shared.db import get_engine

log = logging.getLogger("codelink.jobs")

LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=2)


class PermanentJobError(Exception):
    """Raise from a handler when retrying cannot help: the job is parked as failed at once."""


JobHandler = Callable[[dict[str, Any]], None]
GiveUpHook = Callable[[dict[str, Any], str], None]


def _handlers() -> dict[str, JobHandler]:
    # Imported lazily: the worker loads the adapters (wechatpy, tencentcloud) only when a job needs them.
    from shared.notifications.delivery import deliver_subscribe_message

    def lazy(module: str, name: str) -> JobHandler:
        def handler(payload: dict[str, Any]) -> None:
            import importlib

            getattr(importlib.import_module(module), name)(payload)

        return handler

    return {
        "wechat_subscribe": deliver_subscribe_message,
        "refund_start": lazy("shared.payments.refunds", "start_refund"),
        "payout_start": lazy("shared.payouts.transfers", "start_payout"),
        "event_delivery": lazy("shared.events.delivery", "deliver"),
    }


_extra_handlers: dict[str, JobHandler] = {}
_give_up_hooks: dict[str, GiveUpHook] = {}


def register_handler(kind: str, handler: JobHandler, *, on_give_up: GiveUpHook | None = None) -> None:
    """Register a job kind from another area (money, growth) without this module importing it.

    `on_give_up(payload, error)` runs once the job is parked as failed (a PermanentJobError, or the last attempt
    failed), in its own transactions: a long-running operation the job drives can then say "failed" instead of
    staying "running" for ever. A hook that raises is logged; the job stays parked either way."""
    _extra_handlers[kind] = handler
    if on_give_up is not None:
        _give_up_hooks[kind] = on_give_up
    else:
        _give_up_hooks.pop(kind, None)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 2 h."""
    # Cap the exponent before multiplying: 30 s × 2**42 already overflows timedelta (a job with a large
    # max_attempts, or one reclaimed past its max, would crash the worker instead of backing off).
    return min(BACKOFF_BASE * (2 ** min(max(attempts - 1, 0), 16)), BACKOFF_MAX)


@dataclass
class Claimed:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


@dataclass
class WorkReport:
    done: int = 0
    retried: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"done": self.done, "retried": self.retried, "failed": self.failed}


def claim(limit: int) -> list[Claimed]:
    now = clock.now()
    with get_engine().begin() as conn:
        rows = conn.execute(
            text(
                # The pick is a MATERIALIZED CTE, not `WHERE id IN (SELECT … LIMIT n)`: PostgreSQL may run such a
                # subquery more than once (a semi-join re-scan), and with SKIP LOCKED each run picks new rows, so
                # the batch could exceed its limit (seen on CI's PostgreSQL: 7 jobs claimed with limit 2).
                "WITH picked AS MATERIALIZED (SELECT id FROM jobs"
                "   WHERE (status = 'queued' AND run_at <= :now) OR (status = 'running' AND locked_until < :now)"
                "   ORDER BY run_at, id LIMIT :limit FOR UPDATE SKIP LOCKED)"
                " UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = :lease, updated_at = :now"
                " FROM picked WHERE jobs.id = picked.id"
                " RETURNING jobs.id, kind, payload, attempts, max_attempts, run_at"
            ),
            {"now": now, "lease": now + LEASE, "limit": limit},
        ).all()
    # RETURNING comes back in no particular order: work the batch oldest first, as the claim chose it.
    rows = sorted(rows, key=lambda r: (r.run_at, r.id))
    return [Claimed(r.id, r.kind, r.payload, r.attempts, r.max_attempts) for r in rows]


def _finish(job: Claimed, status: str, error: str | None = None, run_at: Any = None) -> None:
    now = clock.now()
    with get_engine().begin() as conn:
        conn.execute(
            text(
                "UPDATE jobs SET status = :status, last_error = :error, locked_until = NULL,"
                " run_at = COALESCE(:run_at, run_at), updated_at = :now WHERE id = :id AND status = 'running'"
            ),
            {"status": status, "error": error, "run_at": run_at, "now": now, "id": job.id},
        )


def work(limit: int = 50, max_batches: int = 20) -> WorkReport:
    """Work off ready jobs, batch after batch, until none are ready (bounded, so an invocation ends in time)."""
    report = WorkReport()
    handlers = {**_handlers(), **_extra_handlers}
    for _ in range(max_batches):
        batch = claim(limit)
        if not batch:
            break
        for job in batch:
            handler = handlers.get(job.kind)
            started = time.perf_counter()
            # One log line per job run (shared/logs.py): kind, id, attempt, outcome, duration, the error if any.
            line = {"event": "job", "job_id": job.id, "kind": job.kind, "attempt": job.attempts}
            try:
                if handler is None:
                    raise PermanentJobError(f"no handler for job kind {job.kind!r}")
                handler(job.payload)
            except PermanentJobError as exc:
                log.error("job %s (%s) failed permanently: %s", job.id, job.kind, exc,
                          extra={**line, "outcome": "failed", "duration_ms": _ms(started)})
                _finish(job, "failed", str(exc))
                _give_up(job, str(exc))
                report.failed += 1
            except Exception as exc:
                if job.attempts >= job.max_attempts:
                    log.error("job %s (%s) failed after %d attempts", job.id, job.kind, job.attempts, exc_info=True,
                              extra={**line, "outcome": "failed", "duration_ms": _ms(started)})
                    _finish(job, "failed", repr(exc))
                    _give_up(job, repr(exc))
                    report.failed += 1
                else:
                    log.warning("job %s (%s) attempt %d failed: %r", job.id, job.kind, job.attempts, exc,
                                exc_info=True, extra={**line, "outcome": "retry", "duration_ms": _ms(started)})
                    _finish(job, "queued", repr(exc), clock.now() + backoff(job.attempts))
                    report.retried += 1
            else:
                log.info("job %s (%s) done", job.id, job.kind,
                         extra={**line, "outcome": "done", "duration_ms": _ms(started)})
                _finish(job, "done")
                report.done += 1
    return report


def _give_up(job: Claimed, error: str) -> None:
    hook = _give_up_hooks.get(job.kind)
    if hook is None:
        return
    try:
        hook(job.payload, error)
    except Exception:
        log.error("job %s (%s): the give-up hook failed", job.id, job.kind, exc_info=True,
                  extra={"event": "job", "job_id": job.id, "kind": job.kind, "outcome": "give_up_hook_failed"})


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def kick_worker() -> None:
    """Ask SCF to run the jobs worker now (async invoke). Installed as an after-commit hook."""
    from shared.config import get_settings

    settings = get_settings()
    if settings.jobs_kick != "scf":
        return
    from shared.adapters.scf import FunctionInvoker

    FunctionInvoker.from_settings(settings).invoke_async("jobs_worker", {"kind": "kick"})


def install_kick() -> None:
    from shared import uow

    if kick_worker not in uow.after_commit_hooks:
        uow.after_commit_hooks.append(kick_worker)


# --- the dead-letter queue, for operators ---


def failed_jobs(uow: Any, limit: int = 100) -> list[dict[str, Any]]:
    rows = uow.execute("SELECT id, kind, payload, attempts, last_error, updated_at FROM jobs WHERE status = 'failed'"
                       " ORDER BY id DESC LIMIT :n", {"n": limit}).mappings().all()
    return [dict(r) for r in rows]


def retry_failed(uow: Any, job_id: int, *, admin_id: int) -> bool:
    """Put a parked job back in the queue with fresh attempts (audited); the worker is kicked after commit."""
    before = uow.execute("SELECT kind, attempts, last_error FROM jobs WHERE id = :id AND status = 'failed'"
                         " FOR UPDATE", {"id": job_id}).first()
    if before is None:
        if uow.execute("SELECT 1 FROM jobs WHERE id = :id", {"id": job_id}).first() is None:
            from shared.errors import NotFound

            raise NotFound("JOB_NOT_FOUND", "后台任务不存在")
        return False  # exists, but is not parked: nothing to retry
    uow.execute("UPDATE jobs SET status = 'queued', attempts = 0, run_at = :now, updated_at = :now WHERE id = :id",
                {"now": uow.now, "id": job_id})
    from shared.events import AdminAudited

    uow.publish(AdminAudited(admin_id=admin_id, action="job.retry", entity_name="job", entity_id=job_id,
                             before={"status": "failed", "kind": before.kind, "attempts": before.attempts,
                                     "last_error": (before.last_error or "")[:200]},
                             after={"status": "queued", "attempts": 0}))
    uow.kick_worker_after_commit()
    return True
