"""`jobs.register_handler(…, on_give_up=…)`: the hook runs once, when a job is parked as failed — after its last
attempt, or at once on PermanentJobError — never on a retry or a success; a hook that raises leaves the job parked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import jobs
from tests.integration.test_notifications_and_jobs import enqueue, job


@pytest.fixture
def handlers(monkeypatch):
    monkeypatch.setattr(jobs, "_extra_handlers", dict(jobs._extra_handlers))
    monkeypatch.setattr(jobs, "_give_up_hooks", dict(jobs._give_up_hooks))
    return jobs


def always_fails(payload: dict) -> None:
    raise RuntimeError(f"boom {payload['n']}")


def test_the_hook_runs_once_after_the_last_attempt(db, clock, handlers):
    told: list[tuple[dict, str]] = []
    jobs.register_handler("test_doomed", always_fails, on_give_up=lambda p, e: told.append((p, e)))
    j = enqueue("test_doomed", {"n": 1}, max_attempts=3)
    for _ in range(2):
        assert jobs.work().retried == 1 and told == []  # retries are not the end
        clock.advance(timedelta(hours=1))
    assert jobs.work().failed == 1
    assert told == [({"n": 1}, "RuntimeError('boom 1')")]
    assert job(db, j)["status"] == "failed"
    clock.advance(timedelta(hours=3))
    assert jobs.work().as_dict() == {"done": 0, "retried": 0, "failed": 0} and len(told) == 1


def test_a_permanent_error_is_told_at_once_and_success_never(db, clock, handlers):
    told: list[str] = []

    def refuse(payload: dict) -> None:
        raise jobs.PermanentJobError("bad payload")

    jobs.register_handler("test_refused", refuse, on_give_up=lambda p, e: told.append(e))
    jobs.register_handler("test_fine", lambda p: None, on_give_up=lambda p, e: told.append("fine?"))
    enqueue("test_refused", {"n": 2})
    enqueue("test_fine", {"n": 3})
    assert jobs.work().as_dict() == {"done": 1, "retried": 0, "failed": 1}
    assert told == ["bad payload"]


def test_a_hook_that_raises_leaves_the_job_parked(db, clock, handlers):
    def broken_hook(payload: dict, error: str) -> None:
        raise ValueError("the hook itself broke")

    jobs.register_handler("test_doomed", always_fails, on_give_up=broken_hook)
    j = enqueue("test_doomed", {"n": 4}, max_attempts=1)
    assert jobs.work().failed == 1
    assert job(db, j)["status"] == "failed" and "boom 4" in job(db, j)["last_error"]
    # Registering again without a hook removes it.
    jobs.register_handler("test_doomed", always_fails)
    assert "test_doomed" not in jobs._give_up_hooks
