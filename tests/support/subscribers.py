"""Subscribers that exist only for tests of the event system (added to the subscriber table by the tests that need
them). Each writes its effect to `test_effects`, a table the tests create, so "took effect once" is countable."""

from __future__ import annotations

import threading
import time
from typing import Any

calls: dict[str, int] = {}
replays: list[bool] = []
fail_first: dict[str, int] = {}  # subscriber -> how many of its first calls raise
_lock = threading.Lock()


def _effect(uow: Any, stored: Any, who: str) -> None:
    uow.execute("INSERT INTO test_effects (event_id, subscriber) VALUES (:e, :s)", {"e": stored.id, "s": who})


def _count(who: str) -> int:
    with _lock:
        calls[who] = calls.get(who, 0) + 1
        return calls[who]


def flaky(uow: Any, stored: Any) -> None:
    """Writes its effect, then fails its first `fail_first['flaky']` calls (so the effect rolls back with them)."""
    n = _count("flaky")
    _effect(uow, stored, "flaky")
    if n <= fail_first.get("flaky", 0):
        raise RuntimeError(f"flaky subscriber fails (call {n})")


def steady(uow: Any, stored: Any) -> None:
    _count("steady")
    _effect(uow, stored, "steady")


def slow(uow: Any, stored: Any) -> None:
    """Holds its transaction a moment, so two workers delivering the same event overlap."""
    _count("slow")
    _effect(uow, stored, "slow")
    time.sleep(0.3)


def recorder(uow: Any, stored: Any) -> None:
    _count("recorder")
    replays.append(stored.replay)


def broken(uow: Any, stored: Any) -> None:
    raise RuntimeError("in-transaction subscriber fails")


def echo(uow: Any, stored: Any) -> None:
    """Publishes the event it got again: a loop."""
    uow.publish(stored.event)


def reset() -> None:
    calls.clear()
    replays.clear()
    fail_first.clear()
