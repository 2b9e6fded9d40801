"""The unit of work: one database transaction per use case, plus what must happen with it.

Side effects are never performed inside the transaction. A use case *records* them — a job in the outbox
(`uow.enqueue`), an inbox notification (`uow.notify`), a behaviour-log entry (`uow.record`) — in the same transaction
as the change that causes them, so a crash can never keep one without the other. After COMMIT the jobs worker is
kicked (async SCF invoke); if the kick is lost, the sweep timer finds the jobs anyway.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from shared import clock
from shared.db import get_engine

log = logging.getLogger("codelink.uow")

T = TypeVar("T")

# SQLSTATEs worth retrying the whole use case for: serialization failure and deadlock.
_RETRYABLE = {"40001", "40P01"}

# Called after a commit that enqueued jobs; installed by shared.jobs (kicks the worker).
after_commit_hooks: list[Callable[[], None]] = []


class UnitOfWork:
    def __init__(self) -> None:
        self.session: Session = Session(get_engine(), expire_on_commit=False)
        self.now: datetime = clock.now()
        # Per-transaction memos (e.g. the operator rules): read once per use case, however many steps ask.
        self.memo: dict[str, Any] = {}
        self._enqueued = 0
        self._committed = False

    # --- transaction ---
    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._committed:
            self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()
        self._committed = True
        if self._enqueued:
            for hook in after_commit_hooks:
                try:
                    hook()
                except Exception:  # the sweep timer is the safety net; a failed kick must not fail the request
                    log.warning("after-commit hook failed", exc_info=True)

    def kick_worker_after_commit(self) -> None:
        """Kick the jobs worker after commit even though this use case enqueued nothing itself."""
        self._enqueued += 1

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return self.session.execute(text(sql), params or {})

    def flush(self) -> None:
        self.session.flush()

    # --- recorded side effects ---
    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        dedupe_key: str | None = None,
        delay: timedelta = timedelta(0),
        max_attempts: int = 6,
    ) -> None:
        """Add a job to the outbox. With a dedupe_key, a second enqueue of the same (kind, key) is a no-op."""
        self.execute(
            "INSERT INTO jobs (kind, payload, dedupe_key, run_at, max_attempts, created_at, updated_at)"
            " VALUES (:kind, CAST(:payload AS jsonb), :key, :run_at, :max, :now, :now)"
            " ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING",
            {"kind": kind, "payload": json.dumps(payload, ensure_ascii=False), "key": dedupe_key,
             "run_at": self.now + delay, "max": max_attempts, "now": self.now},
        )
        self._enqueued += 1

    def record(self, entity: str, entity_id: int, action: str, *, actor_id: int | None,
               data: dict[str, Any] | None = None) -> None:
        """Append to the behaviour log (every state change, and every admin action)."""
        self.execute(
            "INSERT INTO activity_log (actor_id, entity, entity_id, action, data, created_at)"
            " VALUES (:actor, :entity, :eid, :action, CAST(:data AS jsonb), :now)",
            {"actor": actor_id, "entity": entity, "eid": entity_id, "action": action,
             "data": json.dumps(data or {}, ensure_ascii=False, default=str), "now": self.now},
        )

    def notify(self, user_id: int, kind: str, title: str, body: str, *, data: dict[str, Any] | None = None,
               dedupe_key: str | None = None, push: bool = True) -> None:
        """Write an inbox notification and, with `push`, queue a WeChat subscribe message for it."""
        from shared.notifications.service import add_notification

        add_notification(self, user_id, kind, title, body, data=data or {}, dedupe_key=dedupe_key, push=push)


def run(use_case: Callable[[UnitOfWork], T], *, attempts: int = 3) -> T:
    """Run `use_case` in a fresh unit of work and commit; retry on serialization failure or deadlock."""
    for attempt in range(1, attempts + 1):
        with UnitOfWork() as uow:
            try:
                result = use_case(uow)
                uow.commit()
                return result
            except DBAPIError as exc:
                code = getattr(exc.orig, "pgcode", None)
                if code in _RETRYABLE and attempt < attempts:
                    log.info("retrying after %s (attempt %d)", code, attempt)
                    continue
                raise
    raise AssertionError("unreachable")
