"""The unit of work: one database transaction per use case, plus what must happen with it.

Side effects are never performed inside the transaction. A use case *records* them — a job in the outbox
(`uow.enqueue`), an inbox notification (`uow.notify`), a domain event (`uow.publish`) — in the same transaction
as the change that causes them, so a crash can never keep one without the other. After COMMIT the jobs worker is
kicked (async SCF invoke); if the kick is lost, the sweep timer finds the jobs anyway.

`publish(event)` writes the event to the event log, runs the event's in-transaction subscribers at once (they may
publish more: handled breadth-first until none are left, with a bound against loops) and owes one delivery job per
after-commit subscriber; those jobs are written with one multi-row INSERT just before COMMIT (shared/subscriptions.py
is the table of who listens, shared/events/delivery.py runs the deliveries). A batch use case writes many rows of a
kind with one statement each: `publish_many`, `notify_many`, `enqueue_many` (over arrays: SQLAlchemy compiles a
statement with thousands of named parameters slower than the database runs it).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from shared import clock, subscriptions, txguard
from shared.db import get_engine
from shared.events import Event, Stored

if TYPE_CHECKING:
    from shared.notifications.kinds import InboxItem

log = logging.getLogger("codelink.uow")

T = TypeVar("T")

# SQLSTATEs worth retrying the whole use case for: serialization failure and deadlock.
_RETRYABLE = {"40001", "40P01"}

# Called after a commit that enqueued jobs; installed by shared.jobs (kicks the worker).
after_commit_hooks: list[Callable[[], None]] = []

# Events one publish may cascade into (subscribers publishing further events) before we call it a loop.
MAX_CASCADE = 200
DELIVERY_JOB = "event_delivery"


class EventLoop(RuntimeError):
    """In-transaction subscribers kept publishing: a subscriber reacts to its own consequences."""


class UnitOfWork:
    def __init__(self) -> None:
        self.session: Session = Session(get_engine(), expire_on_commit=False)
        self.now: datetime = clock.now()
        # Per-transaction memos (e.g. the operator rules): read once per use case, however many steps ask.
        self.memo: dict[str, Any] = {}
        self._enqueued = 0
        self._committed = False
        self._events: deque[tuple[Event, str | None]] = deque()
        self._publishing = False
        self._cascade = 0
        self._deliveries: list[tuple[int, str]] = []  # (event id, after-commit subscriber), written at commit
        txguard.opened(self)

    # --- transaction ---
    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._committed:
            self.session.rollback()
        self.session.close()
        txguard.closed(self)

    def in_transaction(self) -> bool:
        return self.session.in_transaction()

    def commit(self) -> None:
        self._write_deliveries()
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
        self.enqueue_many(kind, [(payload, dedupe_key)], delay=delay, max_attempts=max_attempts)

    def enqueue_many(self, kind: str, jobs: Sequence[tuple[dict[str, Any], str | None]], *,
                     delay: timedelta = timedelta(0), max_attempts: int = 6) -> None:
        """`enqueue` for many jobs of one kind, each (payload, dedupe_key), in one INSERT over arrays."""
        if not jobs:
            return
        self.execute("INSERT INTO jobs (kind, payload, dedupe_key, run_at, max_attempts, created_at, updated_at)"
                     " SELECT :kind, CAST(v.payload AS jsonb), v.key, :run_at, :max, :now, :now"
                     " FROM unnest(CAST(:payloads AS text[]), CAST(:keys AS text[])) AS v(payload, key)"
                     " ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING",
                     {"kind": kind, "max": max_attempts, "now": self.now, "run_at": self.now + delay,
                      "payloads": [json.dumps(payload, ensure_ascii=False) for payload, _ in jobs],
                      "keys": [key for _, key in jobs]})
        self._enqueued += len(jobs)

    def publish(self, event: Event, *, dedupe_key: str | None = None) -> Stored[Any] | None:
        """Record `event` in the event log in this transaction and run its subscribers (see the module doc).

        Returns the stored event — None only when `dedupe_key` names an event published before (then nothing runs).
        Called from an in-transaction subscriber, the event is queued and handled once the current one is done.
        """
        self._events.append((event, dedupe_key))
        if self._publishing:
            return None
        return self._drain(None)

    def publish_many(self, events: Sequence[Event]) -> list[Stored[Any]]:
        """Publish several events (no dedupe keys) with one INSERT for their log rows, then run each one's
        subscribers — and what they publish — in order, exactly as `publish` one by one would. For batch use cases
        (the nightly level re-evaluation) where a statement per event is the cost. From a subscriber: queued."""
        if self._publishing:
            self._events.extend((event, None) for event in events)
            return []
        if len(events) == 1:  # one statement fewer than drawing its id first
            one = self.publish(events[0])
            return [one] if one is not None else []
        stored = self._store_many(events)
        for one in stored:
            self._drain(one)
        return stored

    def _drain(self, stored_first: Stored[Any] | None) -> Stored[Any] | None:
        """Run the subscribers of `stored_first` (already in the log) and then of every queued event, breadth
        first, storing each; the cascade bound counts from here."""
        self._publishing = True
        self._cascade = 0
        first: Stored[Any] | None = stored_first
        try:
            if stored_first is not None:
                self._cascade += 1
                self._run_subscribers(stored_first)
            while self._events:
                self._cascade += 1
                if self._cascade > MAX_CASCADE:
                    raise EventLoop(f"more than {MAX_CASCADE} events in one unit of work"
                                    f" (last: {self._events[0][0].name})")
                stored = self._store(*self._events.popleft())
                if stored is None:
                    continue
                if first is None:
                    first = stored
                self._run_subscribers(stored)
        finally:
            self._events.clear()
            self._publishing = False
        return first

    def _run_subscribers(self, stored: Stored[Any]) -> None:
        for sub in subscriptions.subscribers(stored.event.name):
            if sub.mode == subscriptions.IN_TRANSACTION:
                sub.resolve()(self, stored)
            else:
                self._deliveries.append((stored.id, sub.name))

    def _store(self, event: Event, dedupe_key: str | None) -> Stored[Any] | None:
        entity, entity_id = event.entity_ref()
        row = self.execute(
            "INSERT INTO event_log (name, version, entity, entity_id, actor_id, user_ids, data, dedupe_key,"
            " occurred_at) VALUES (:name, :version, :entity, :eid, :actor, :users, CAST(:data AS jsonb), :key, :now)"
            + (" ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING" if dedupe_key else "")
            + " RETURNING id",
            {"name": event.name, "version": event.version, "entity": entity, "eid": entity_id,
             "actor": event.actor(), "users": event.users(),
             "data": json.dumps(event.data(), ensure_ascii=False, default=str), "key": dedupe_key, "now": self.now},
        ).first()
        return None if row is None else Stored(int(row.id), self.now, event)

    def _store_many(self, events: Sequence[Event]) -> list[Stored[Any]]:
        """The log rows of `events` in one statement over arrays (a named parameter per value made SQLAlchemy's
        statement compilation the whole cost of a large batch); the ids are drawn from the sequence first, so each
        event keeps the id of its position (a multi-row RETURNING promises no order)."""
        if not events:
            return []
        ids = [int(i) for i in self.execute(
            "SELECT nextval(pg_get_serial_sequence('event_log', 'id')) FROM generate_series(1, :n)",
            {"n": len(events)}).scalars()]
        refs = [event.entity_ref() for event in events]
        self.execute(
            "INSERT INTO event_log (id, name, version, entity, entity_id, actor_id, user_ids, data, occurred_at)"
            " SELECT v.id, v.name, v.version, v.entity, v.entity_id, v.actor_id,"
            " ARRAY(SELECT CAST(u AS bigint) FROM jsonb_array_elements_text(CAST(v.users AS jsonb))"
            " WITH ORDINALITY AS j(u, n) ORDER BY n), CAST(v.data AS jsonb), :now"
            " FROM unnest(CAST(:ids AS bigint[]), CAST(:names AS text[]), CAST(:versions AS int[]),"
            " CAST(:entities AS text[]), CAST(:entity_ids AS bigint[]), CAST(:actors AS bigint[]),"
            " CAST(:users AS text[]), CAST(:data AS text[]))"
            " AS v(id, name, version, entity, entity_id, actor_id, users, data)",
            {"ids": ids, "names": [e.name for e in events], "versions": [e.version for e in events],
             "entities": [r[0] for r in refs], "entity_ids": [r[1] for r in refs],
             "actors": [e.actor() for e in events], "users": [json.dumps(e.users()) for e in events],
             "data": [json.dumps(e.data(), ensure_ascii=False, default=str) for e in events], "now": self.now})
        return [Stored(event_id, self.now, event) for event_id, event in zip(ids, events, strict=True)]

    def _write_deliveries(self) -> None:
        """One job per (event, after-commit subscriber), all in one statement; deduped on that pair."""
        if not self._deliveries:
            return
        self.enqueue_many(DELIVERY_JOB, [({"event_id": event_id, "subscriber": subscriber}, f"{event_id}:{subscriber}")
                                         for event_id, subscriber in self._deliveries])
        self._deliveries = []

    def notify(self, user_id: int, kind: str, title: str, body: str, *, data: dict[str, Any] | None = None,
               dedupe_key: str | None = None, push: bool = True) -> None:
        """Write an inbox notification and, with `push`, queue a WeChat subscribe message for it.

        `kind` must be registered in shared/notifications/kinds.py (UnknownNotificationKind otherwise); the words
        come from the area's texts.py: `uow.notify(user_id, *texts.SOME_NOTICE.render(...), data=…)`."""
        from shared.notifications.kinds import InboxItem
        from shared.notifications.service import add_notifications

        add_notifications(self, [InboxItem(user_id, kind, title, body, data or {}, dedupe_key)], push=push)

    def notify_many(self, items: Sequence[InboxItem], *, push: bool = True) -> int:
        """`notify` for a batch (one INSERT for the notifications, with `push` one for their pushes). Returns how
        many were new (an item whose dedupe key was used before is not)."""
        from shared.notifications.service import add_notifications

        return add_notifications(self, items, push=push)


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
