"""The one home of the tests' small helpers: reading and writing the database, firing timers, polling, unique names.

Test files import these instead of keeping their own copies."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from shared import events, jobs
from shared.db import get_engine
from shared.uow import UnitOfWork, run


def scalar(sql: str, **params: Any) -> Any:
    with get_engine().connect() as conn:
        return conn.execute(text(sql), params).scalar()


def execute(sql: str, **params: Any) -> Any:
    """Run one statement in its own committed transaction (set up a state the API cannot reach); its result."""
    with get_engine().begin() as conn:
        return conn.execute(text(sql), params)


def rows(sql: str, **params: Any) -> list[Any]:
    with get_engine().connect() as conn:
        return list(conn.execute(text(sql), params).all())


def publish(*evs: events.Event) -> None:
    """Publish `evs` in one unit of work, as the publishing area's use case would: in-transaction subscribers run now,
    after-commit deliveries are queued as jobs."""

    def use_case(uow: UnitOfWork) -> None:
        for e in evs:
            uow.publish(e)

    run(use_case)


def work_all(*, retries_ok: bool = False) -> None:
    """Work off every queued job (event deliveries included) until none is left; none may fail or be retried (a
    retry is a subscriber that raised). `retries_ok`: a test publishing hand-made events (users that do not exist)
    that a peer area's subscriber refuses; the refused deliveries wait for their back-off and none may fail for good."""
    while True:
        report = jobs.work()
        assert report.failed == 0 and (retries_ok or report.retried == 0), report
        if not (report.done or report.retried):
            return


def timer(name: str) -> Any:
    """Fire one timer trigger of the `timers` function as SCF would; returns what it did."""
    from functions.timers.index import main_handler

    answer = main_handler({"Type": "Timer", "TriggerName": name, "Time": "2026-01-01T00:00:00Z"}, None)
    assert answer["ok"], answer
    return answer["result"]


def ledger_ok() -> None:
    """Every ledger invariant holds (the independent checker behind `make ledger-check`)."""
    from shared.ledger.check import check_ledger

    with get_engine().connect() as conn:
        report = check_ledger(conn)
    assert report.ok, report.problems


def wait_until(predicate: Any, timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll until `predicate()` is truthy (webhooks arrive asynchronously over HTTP); return its value."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.03)


def uniq(prefix: str) -> str:
    """A name no other test uses (the fakes, e.g. WeChat's users, live for the whole session)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
