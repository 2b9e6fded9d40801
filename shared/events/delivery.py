"""After-commit delivery of events, and replay.

`uow.publish` writes one `event_delivery` job per (event, after-commit subscriber). The jobs worker runs `deliver`
for each: in ONE unit of work it inserts the delivery marker (event id, subscriber) — if it is already there the
delivery took effect before and nothing happens — calls the subscriber with the stored event, and commits. So each
subscriber takes effect exactly once per event, however often the job runs (retries, an expired lease, two workers
at once: the second waits on the first's marker and then finds it). A failing subscriber fails only its own job,
which backs off and ends in the dead-letter queue like any job; the use case and the other subscribers never notice.

Replay (`replay_events`, `python -m shared.events replay`, POST /admin/events/replay) re-delivers past events of one
type in a time range to ONE after-commit subscriber — how a new badge or challenge backfills. It bypasses the marker
and passes `stored.replay = True`: subscribers must be idempotent on their own business keys (a replay runs them
again) and should not notify users about backfilled results.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from shared import subscriptions
from shared.errors import ValidationFailed
from shared.events import Stored, UnknownEvent, event_type, parse
from shared.uow import DELIVERY_JOB, UnitOfWork, run

REPLAY_LIMIT = 10_000  # events per replay call; a larger range is replayed in several calls (ordered by id)


def load(uow: UnitOfWork, event_id: int, *, replay: bool = False) -> Stored[Any] | None:
    row = uow.execute("SELECT id, name, version, data, occurred_at FROM event_log WHERE id = :id",
                      {"id": event_id}).first()
    if row is None:
        return None
    return Stored(int(row.id), row.occurred_at, parse(row.name, row.version, row.data), replay=replay)


def deliver(payload: dict[str, Any]) -> None:
    """The `event_delivery` job: run one after-commit subscriber for one event, once in effect."""
    from shared.jobs import PermanentJobError

    event_id, name, replay = int(payload["event_id"]), str(payload["subscriber"]), bool(payload.get("replay"))

    def step(uow: UnitOfWork) -> None:
        stored = load(uow, event_id, replay=replay)
        if stored is None:
            raise PermanentJobError(f"no event {event_id}")
        try:
            subscription = subscriptions.find(stored.event.name, name)
        except LookupError as exc:  # unsubscribed since: nothing to deliver to
            raise PermanentJobError(str(exc)) from None
        if not replay:
            marked = uow.execute(
                "INSERT INTO event_deliveries (event_id, subscriber, delivered_at) VALUES (:e, :s, :now)"
                " ON CONFLICT DO NOTHING RETURNING event_id", {"e": event_id, "s": name, "now": uow.now}).first()
            if marked is None:
                return  # delivered before (a retry after a lost acknowledgement, or another worker)
        subscription.resolve()(uow, stored)

    run(step)


def replay_events(uow: UnitOfWork, event_name: str, subscriber: str, since: datetime, until: datetime,
                  *, limit: int = REPLAY_LIMIT) -> dict[str, Any]:
    """Queue a replay delivery of every `event_name` in [since, until) to `subscriber` (after-commit only: an
    in-transaction subscriber belongs to its publisher's transaction). Returns how many were queued and the time of
    the last one (when `limit` cut the range short, replay again from there)."""
    try:
        event_type(event_name)
        subscription = subscriptions.find(event_name, subscriber)
    except (UnknownEvent, LookupError) as exc:
        raise ValidationFailed.field("subscriber", f"{subscriber} 没有订阅 {event_name}") from exc
    if subscription.mode != subscriptions.AFTER_COMMIT:
        raise ValidationFailed.field("subscriber", "只能重放提交后（after_commit）订阅者")
    if until <= since:
        raise ValidationFailed.field("until", "结束时间须晚于开始时间")
    rows = uow.execute("SELECT id, occurred_at FROM event_log WHERE name = :n AND occurred_at >= :since"
                       " AND occurred_at < :until ORDER BY occurred_at, id LIMIT :limit",
                       {"n": event_name, "since": since, "until": until, "limit": limit}).all()
    if rows:
        run_id = uuid.uuid4().hex[:12]  # each replay is its own set of jobs: replaying again queues them again
        values: list[str] = []
        params: dict[str, Any] = {"now": uow.now}
        for i, r in enumerate(rows):
            values.append(f"('{DELIVERY_JOB}', CAST(:p{i} AS jsonb), :k{i}, :now, 6, :now, :now)")
            params[f"p{i}"] = json.dumps({"event_id": r.id, "subscriber": subscriber, "replay": True})
            params[f"k{i}"] = f"replay:{run_id}:{r.id}:{subscriber}"
        uow.execute("INSERT INTO jobs (kind, payload, dedupe_key, run_at, max_attempts, created_at, updated_at)"
                    f" VALUES {', '.join(values)}", params)
        uow.kick_worker_after_commit()
    return {"queued": len(rows), "last_occurred_at": rows[-1].occurred_at if rows else None,
            "truncated": len(rows) == limit}
