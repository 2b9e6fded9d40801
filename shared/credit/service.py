"""Recompute credit profiles from the event log: on events (after-commit subscriber `credit.recompute` of every
event in rules.EVENTS, for each user the event concerns) and nightly (the `credit_nightly` timer: account age moves
with time alone, and a profile nobody touched stays current)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from shared.credit import rules
from shared.uow import UnitOfWork, run

if TYPE_CHECKING:
    from shared.events import Event, Stored


def recompute(uow: UnitOfWork, user_id: int) -> rules.Profile | None:
    """Derive the user's profile from their events and upsert it (idempotent: the same log gives the same row)."""
    created = uow.execute("SELECT created_at FROM users WHERE id = :u", {"u": user_id}).scalar()
    if created is None:
        return None
    found = uow.execute(
        "SELECT name, data, occurred_at FROM event_log WHERE user_ids @> ARRAY[CAST(:u AS bigint)]"
        " AND name = ANY(:names) ORDER BY id", {"u": user_id, "names": list(rules.EVENTS)}).all()
    profile = rules.profile_of(user_id, [rules.LoggedEvent(r.name, r.data, r.occurred_at) for r in found],
                               created, uow.now)
    uow.execute(
        "INSERT INTO credit_profiles (user_id, score, level, facts, reasons, reputation, computed_at)"
        " VALUES (:u, :s, :l, CAST(:f AS jsonb), CAST(:r AS jsonb), CAST(:rep AS jsonb), :now)"
        " ON CONFLICT (user_id) DO UPDATE SET score = EXCLUDED.score, level = EXCLUDED.level, facts = EXCLUDED.facts,"
        " reasons = EXCLUDED.reasons, reputation = EXCLUDED.reputation, computed_at = EXCLUDED.computed_at",
        {"u": user_id, "s": profile.score, "l": profile.level, "f": _json(profile.facts_json()),
         "r": _json([{"points": p, "reason": t} for p, t in profile.reasons]), "rep": _json(profile.reputation()),
         "now": uow.now})
    return profile


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def on_event(uow: UnitOfWork, stored: Stored[Event]) -> None:
    """After commit: every user the event concerns gets a fresh profile (in user-id order: one lock order)."""
    for user_id in stored.event.users():
        uow.execute("SELECT pg_advisory_xact_lock(hashtext('credit'), CAST(:u AS int))", {"u": user_id % 2**31})
        recompute(uow, user_id)


def nightly(batch: int = 500) -> dict[str, int]:
    """Recompute every profile, a batch of users per unit of work (keyset on user id)."""
    done, after = 0, 0
    while True:
        ids = run(lambda uow, a=after: [int(r[0]) for r in uow.execute(  # type: ignore[misc]
            "SELECT id FROM users WHERE id > :a ORDER BY id LIMIT :n", {"a": a, "n": batch}).all()])
        if not ids:
            return {"profiles": done}
        run(lambda uow, these=ids: [recompute(uow, u) for u in these])  # type: ignore[misc]
        done += len(ids)
        after = ids[-1]
